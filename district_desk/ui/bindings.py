"""Binding labels from the catalogue (``district.key.<binding id>``), re-applied
after a language switch so the footer follows the language."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ward_desk.i18n import t

if TYPE_CHECKING:
    from textual.dom import DOMNode


def translate_bindings(node: DOMNode) -> None:
    """Re-label ``node``'s own bindings that have an id, in the current language."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=t(f"district.key.{b.id}"), tooltip=t(f"district.key.{b.id}.help")) if b.id else b
            for b in bindings
        ]
