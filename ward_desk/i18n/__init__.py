"""Message catalogue: Vietnamese by default, English selectable.

Messages live in ``catalog/*.toml`` (one file per area, so parts of the code
base never edit the same file). Each file has a ``[vi]`` and an ``[en]`` table
mapping message ids to ``str.format`` templates. Code never holds user-facing
text; it holds message ids and parameters (see :class:`Message`).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("vi", "en")
_CATALOG_DIR = Path(__file__).with_name("catalog")
_language = os.environ.get("WARD_DESK_LANG", "vi") if os.environ.get("WARD_DESK_LANG") in LANGUAGES else "vi"


@dataclass(frozen=True)
class Message:
    """A translatable message: an id from the catalogue and its parameters."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        return t(self.id, language, **self.params)

    def __str__(self) -> str:
        return self.render()


# The parsed catalogue, kept beside the package's bytecode: parsing the TOML files
# costs ~20 ms on one core, at every start and every command; reading this ~1 ms.
_CACHE_FILE = Path(__file__).parent / "__pycache__" / "catalog.json"


def _stamps(paths: list[Path]) -> list[list[Any]]:
    """What identifies the sources a cache was made from (name, size, modification time)."""
    return [[p.name, st.st_size, st.st_mtime_ns] for p in paths for st in (p.stat(),)]


def _parse(paths: list[Path]) -> dict[str, dict[str, str]]:
    try:  # imported here: with a fresh cache, start-up never needs the TOML parser
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in paths:
        with path.open("rb") as f:
            data = tomllib.load(f)
        for lang in LANGUAGES:
            for key, value in data.get(lang, {}).items():
                if key in merged[lang]:
                    raise ValueError(f"{path.name}: message id {key!r} defined twice")
                merged[lang][key] = value
    return merged


def load_catalogs(directory: Path, cache_file: Path | None, *, write: bool = True) -> dict[str, dict[str, str]]:
    """Every language's messages from ``directory``'s TOML files, through ``cache_file``
    when it was made from exactly these files (else parsed, and the cache rewritten
    when ``write``; a folder that cannot be written to is simply parsed each time)."""
    paths = sorted(directory.glob("*.toml"))
    stamps = _stamps(paths)
    if cache_file is not None:
        try:
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
            if cached.get("sources") == stamps:
                return cached["messages"]  # type: ignore[no-any-return]
        except (OSError, ValueError, AttributeError):
            pass
    merged = _parse(paths)
    if cache_file is not None and write:
        try:
            cache_file.parent.mkdir(exist_ok=True)
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"sources": stamps, "messages": merged}, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache_file)  # whole or not at all: a reader never sees half a file
        except OSError:
            pass
    return merged


@cache
def _catalogs() -> dict[str, dict[str, str]]:
    # Like bytecode: not written where the user asked Python not to write (install.sh builds it).
    return load_catalogs(_CATALOG_DIR, _CACHE_FILE, write=not sys.dont_write_bytecode)


def _catalog(language: str) -> dict[str, str]:
    return _catalogs()[language]


def build_cache() -> None:
    """Write the parsed-catalogue cache now (install.sh calls it, as it byte-compiles)."""
    load_catalogs(_CATALOG_DIR, _CACHE_FILE, write=True)


def set_language(language: str) -> None:
    """Switch the process-wide language ('vi' or 'en')."""
    global _language
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
    _language = language


def get_language() -> str:
    return _language


UPSTREAM_ENV = "WARD_DESK_UPSTREAM"


def upstream_name(language: str | None = None) -> str:
    """How the commune's upstream is called in messages: ``WARD_DESK_UPSTREAM`` when set
    (e.g. "Sở Nội vụ tỉnh Lâm Đồng"), else the catalogue's ``upstream.name`` (since the
    2025 reform the province: "cấp tỉnh" / "the province"). Said in {upstream}."""
    configured = os.environ.get(UPSTREAM_ENV, "").strip()
    if configured:
        return configured
    lang = language or _language
    return _catalog(lang).get("upstream.name") or _catalog("en").get("upstream.name") or "cấp tỉnh"


def t(message_id: str, language: str | None = None, /, **params: Any) -> str:
    """Translate ``message_id`` into ``language`` (default: the current one).

    A missing id falls back to English, then to the id itself, so a gap in a
    catalogue never crashes a screen.
    """
    lang = language or _language
    template = _catalog(lang).get(message_id) or _catalog("en").get(message_id) or message_id
    if "pstream}" in template and "upstream" not in params:
        # The commune's upstream is named by configuration, never hard-coded (issue 12.6).
        name = upstream_name(lang)
        params = {**params, "upstream": name, "Upstream": name[:1].upper() + name[1:]}
    if not params:
        return template
    # A parameter that is itself a message (a field's name) speaks the same language.
    params = {k: v.render(lang) if isinstance(v, Message) else v for k, v in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
