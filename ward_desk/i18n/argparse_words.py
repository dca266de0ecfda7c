"""argparse's own words ("usage:", "error:", "the following arguments are required")
in the user's language, through the message catalogue.

argparse looks its messages up with ``gettext`` at the moment it prints them, through
the module-level name ``argparse._``; :func:`install` points that name at the
catalogue (``argparse.<English text>`` ids, ``catalog/figures.toml``), falling back to
argparse's own English for any message the catalogue does not have. The catalogue's
texts keep argparse's ``%s`` / ``%(name)s`` placeholders: argparse fills them.
"""

from __future__ import annotations

import argparse
import gettext


def _translate(message: str) -> str:
    from ward_desk.i18n import _catalog, get_language

    return _catalog(get_language()).get(f"argparse.{message}") or gettext.gettext(message)


def install() -> None:
    """Make every argparse parser of this process speak the current language (idempotent)."""
    argparse._ = _translate  # type: ignore[attr-defined]
