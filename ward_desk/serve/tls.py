"""The served desk's TLS certificate: made once at first start, or the province's.

The LAN carries citizens' personal data and the clerks' passwords, so the desk is
served over TLS only. With no certificate given, a self-signed one is generated
with ``cryptography`` (an ECDSA P-256 key, valid ten years, named for the host and
the addresses it is served on) into ``<data dir>/tls/`` and reused; its SHA-256
fingerprint is shown on the office PC and in the page's guidance, so a clerk can
check the one their browser warns about is the office's.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ward_desk.errors import InvalidInput

TLS_DIR = "tls"
CERT_NAME = "desk-cert.pem"
KEY_NAME = "desk-key.pem"


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256 of the DER certificate, AA:BB:... as browsers show it
    generated: bool  # made now (first start)


def fingerprint_of(cert_pem: bytes) -> str:
    """The SHA-256 fingerprint of a PEM certificate, colon-separated upper-case hex."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(cert_pem)
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _names(host: str) -> list:
    from cryptography import x509

    names: list = []
    seen: set[str] = set()
    for name in (host, "localhost", "127.0.0.1", socket.gethostname()):
        if not name or name in seen or name in ("0.0.0.0", "::"):
            continue
        seen.add(name)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return names


def generate(folder: Path, host: str, *, now: datetime | None = None) -> tuple[Path, Path]:
    """Write a new self-signed certificate and its key (readable by this account only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Ward Desk {socket.gethostname()}"[:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ward Desk")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(_names(host)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / KEY_NAME, folder / CERT_NAME
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def certificate(data_dir: Path, host: str, cert: Path | None = None, key: Path | None = None) -> Certificate:
    """The certificate to serve with: ``cert``/``key`` when given (both or neither),
    else the one generated into ``<data dir>/tls`` (made now if absent)."""
    if (cert is None) != (key is None):
        raise InvalidInput("serve.cert_and_key")
    generated = False
    if cert is None or key is None:
        folder = Path(data_dir) / TLS_DIR
        cert, key = folder / CERT_NAME, folder / KEY_NAME
        if not (cert.is_file() and key.is_file()):
            generate(folder, host)
            generated = True
    try:
        pem = Path(cert).read_bytes()
        fingerprint = fingerprint_of(pem)
        ssl_context(Path(cert), Path(key))  # a key that does not match is refused now, not per browser
    except (OSError, ValueError, ssl.SSLError):
        raise InvalidInput("serve.bad_cert", cert=str(cert), key=str(key)) from None
    return Certificate(Path(cert), Path(key), fingerprint, generated)


def ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context: TLS 1.2 or newer, the certificate and its key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context
