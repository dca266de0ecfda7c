"""UI-side helpers over the message catalogue: key labels and dates for people.

Binding descriptions are catalogue ids (``key.<binding id>``), translated per
node instance so that a language switch re-labels the footer, the help screen
and the command palette from the one action table.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ward_desk.i18n import get_language, t

if TYPE_CHECKING:
    from textual.dom import DOMNode


def translate_bindings(node: DOMNode) -> None:
    """Re-label ``node``'s own bindings (those with an id) in the current language."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=t(f"key.{b.id}"), tooltip=t(f"key.{b.id}.help"))
            if b.id else b
            for b in bindings
        ]


# Textual's own user-visible words, by (widget class, binding action) and the header's
# icon tooltip: shown in the footer (a Select's open menu, the command palette) or on hover.
_TEXTUAL_BINDINGS = {
    ("SelectOverlay", "dismiss"): "ui.textual.dismiss_menu",
    ("CommandPalette", "escape"): "ui.textual.exit_palette",
}
_TEXTUAL_TOOLTIPS = {"HeaderIcon": "ui.textual.open_palette"}


def translate_textual(node: DOMNode, *, descendants: bool = True) -> None:
    """Word Textual's built-in binding descriptions and tooltips of ``node`` (and of the
    widgets inside it) in the desk's language: they are written in English in Textual."""
    nodes = [node, *node.query("*")] if descendants else [node]
    for n in nodes:
        for cls in type(n).__mro__:
            tooltip = _TEXTUAL_TOOLTIPS.get(cls.__name__)
            if tooltip:
                n.tooltip = t(tooltip)  # type: ignore[attr-defined]
        names = [cls.__name__ for cls in type(n).__mro__]
        for key, bindings in n._bindings.key_to_bindings.items():
            n._bindings.key_to_bindings[key] = [_worded(b, names) for b in bindings]


def _worded(binding: Any, class_names: list[str]) -> Any:
    if binding.id is not None:
        return binding  # the desk's own: translate_bindings words it
    for name in class_names:
        message_id = _TEXTUAL_BINDINGS.get((name, binding.action))
        if message_id:
            return replace(binding, description=t(message_id), tooltip="")
    return binding


def key_hints(node: DOMNode, ids: tuple[str, ...]) -> str:
    """``"n: Hồ sơ mới · s, /: Tìm"``: the keys ``node`` binds to each binding id in
    ``ids``, as the footer shows them, so that a screen's hint line cannot drift from
    its keys. Upper-case aliases (the same key with Caps Lock on) are not repeated."""
    shown: dict[str, list[str]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        for b in bindings:
            if b.id in ids and not (len(key) == 1 and key.isupper()):
                shown.setdefault(b.id, []).append(node.app.get_key_display(b.with_key(key)))
    return " · ".join(f"{', '.join(shown[i])}: {t(f'key.{i}')}" for i in ids if i in shown)


def fmt_date(utc: datetime | None) -> str:
    """dd/mm/yyyy of a naive-UTC instant in office time ("" for None)."""
    if utc is None:
        return ""
    from ward_desk.domain.timing import to_local  # lazy: pulls in the holidays package

    return to_local(utc).strftime("%d/%m/%Y")


def fmt_datetime(utc: datetime | None) -> str:
    """dd/mm/yyyy HH:MM of a naive-UTC instant in office time ("" for None)."""
    if utc is None:
        return ""
    from ward_desk.domain.timing import to_local

    return to_local(utc).strftime("%d/%m/%Y %H:%M")


def fmt_percent(rate: float | None) -> str:
    """A rate in [0, 1] as people read it: "98,7%" in Vietnamese (decimal comma),
    "98.7%" in English, "—" when there is nothing to divide by."""
    if rate is None:
        return "—"
    from ward_desk.domain.criteria import format_rate

    return f"{format_rate(rate, get_language())}%"


def state_text(state: str) -> str:
    """The people's name of a lifecycle state value."""
    return t(f"lifecycle.state.{state}")


def action_text(action: str) -> str:
    """The people's name of a lifecycle action value."""
    return t(f"lifecycle.action.{action}")


class Later:
    """Text worded each time it is shown, so a language switch re-words it: a catalogue
    id with its parameters, or an error (``WardDeskError`` renders in the current language)."""

    def __init__(self, source: str | BaseException = "", **params: object) -> None:
        self.source = source
        self.params = params

    def __str__(self) -> str:
        if isinstance(self.source, BaseException):
            return str(self.source)
        return t(self.source, **self.params) if self.source else ""
