"""The district's key pairs and how their private halves are kept at rest.

Three pairs: Ed25519 ``sign`` (downlink documents), X25519 ``encrypt`` (wards
encrypt batches to it) and X25519 ``recovery`` (wards escrow their store key to
it). The private halves are stored in the district database wrapped with
AES-256-GCM under a key derived from the district passphrase with Argon2id, so
a copied database (or a PostgreSQL dump) does not reveal them. The passphrase
comes from ``DISTRICT_DESK_PASSWORD``, ``--password-file`` or a prompt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from sync_agent.envelope import raw_private, raw_public
from sync_agent.errors import Damaged, Locked

# Argon2id at 64 MiB / 3 passes costs ~0.2 s on an old PC: paid once per
# process start (serve, import, recover), never per batch.
KDF_DEFAULTS = {"alg": "argon2id", "memory_kib": 64 * 1024, "iterations": 3, "lanes": 1}
KEY_KINDS = ("sign", "encrypt", "recovery")
SERVING_KINDS = ("sign", "encrypt")
"""What the internet-facing receiver unwraps: never the escrow recovery key, which
opens every ward's store and is used only by ``recover``."""


@dataclass(frozen=True)
class DistrictKeys:
    """The unlocked private keys."""

    sign: Ed25519PrivateKey
    encrypt: X25519PrivateKey
    recovery: X25519PrivateKey | None  # None in the receiver (:data:`SERVING_KINDS`)

    @classmethod
    def generate(cls) -> DistrictKeys:
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate(), X25519PrivateKey.generate())

    def raw(self) -> dict[str, tuple[bytes, bytes]]:
        """kind -> (public raw, private raw)."""
        out = {
            "sign": (raw_public(self.sign), raw_private(self.sign)),
            "encrypt": (raw_public(self.encrypt), raw_private(self.encrypt)),
        }
        if self.recovery is not None:
            out["recovery"] = (raw_public(self.recovery), raw_private(self.recovery))
        return out


def new_kdf_params() -> dict[str, object]:
    """Fresh KDF parameters (with a random salt) for a new passphrase.

    ``DISTRICT_DESK_KDF_MEMORY_KIB`` lowers the memory cost for test runs only
    (the parameters are stored beside the keys, so unlocking follows them).
    """
    params: dict[str, object] = {**KDF_DEFAULTS, "salt": os.urandom(16).hex()}
    override = os.environ.get("DISTRICT_DESK_KDF_MEMORY_KIB", "")
    if override.isdigit() and int(override) >= 8:
        params["memory_kib"] = int(override)
    return params


def derive_kek(password: str, params: dict[str, object]) -> bytes:
    """The key-encryption key for ``password`` under stored ``params``."""
    if params.get("alg") != "argon2id":
        raise Damaged("sync.district.damaged", detail="kdf")
    try:
        kdf = Argon2id(
            salt=bytes.fromhex(str(params["salt"])),
            length=32,
            iterations=int(str(params["iterations"])),
            lanes=int(str(params["lanes"])),
            memory_cost=int(str(params["memory_kib"])),
        )
    except (KeyError, ValueError) as exc:
        raise Damaged("sync.district.damaged", detail="kdf") from exc
    return kdf.derive(password.encode("utf-8"))


def wrap_private(kek: bytes, kind: str, private_raw: bytes) -> bytes:
    """nonce || AES-GCM(private key), bound to its kind so two blobs cannot be swapped."""
    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, private_raw, b"district-key/" + kind.encode())


def unwrap_private(kek: bytes, kind: str, wrapped: bytes) -> bytes:
    """Inverse of :func:`wrap_private`; a wrong passphrase raises :class:`Locked`."""
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"district-key/" + kind.encode())
    except (InvalidTag, ValueError) as exc:
        raise Locked("sync.district.wrong_password") from exc


def keys_from_raw(privates: dict[str, bytes], publics: dict[str, bytes]) -> DistrictKeys:
    """Rebuild the key objects and check each private key matches its stored public key."""
    keys = DistrictKeys(
        sign=Ed25519PrivateKey.from_private_bytes(privates["sign"]),
        encrypt=X25519PrivateKey.from_private_bytes(privates["encrypt"]),
        recovery=X25519PrivateKey.from_private_bytes(privates["recovery"]) if "recovery" in privates else None,
    )
    for kind, (public, _) in keys.raw().items():
        if public != publics[kind]:
            raise Damaged("sync.district.damaged", detail=f"key {kind}")
    return keys


def dump_params(params: dict[str, object]) -> str:
    return json.dumps(params, sort_keys=True)
