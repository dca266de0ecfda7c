"""Message catalogue: Vietnamese by default, English selectable.

Messages live in ``catalog/*.toml`` (one file per area, so parts of the code
base never edit the same file). Each file has a ``[vi]`` and an ``[en]`` table
mapping message ids to ``str.format`` templates. Code never holds user-facing
text; it holds message ids and parameters (see :class:`Message`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

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


@cache
def _catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(_CATALOG_DIR.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        for key, value in data.get(language, {}).items():
            if key in merged:
                raise ValueError(f"{path.name}: message id {key!r} defined twice")
            merged[key] = value
    return merged


def set_language(language: str) -> None:
    """Switch the process-wide language ('vi' or 'en')."""
    global _language
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
    _language = language


def get_language() -> str:
    return _language


def t(message_id: str, language: str | None = None, /, **params: Any) -> str:
    """Translate ``message_id`` into ``language`` (default: the current one).

    A missing id falls back to English, then to the id itself, so a gap in a
    catalogue never crashes a screen.
    """
    lang = language or _language
    template = _catalog(lang).get(message_id) or _catalog("en").get(message_id) or message_id
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
