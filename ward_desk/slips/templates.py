"""Slip templates: the wording of each form, as TOML an office can adjust.

The defaults ship in ``ward_desk/slips/templates/<kind>.toml``; a file of the same
name in ``<data_dir>/templates/`` replaces the default for that office. Texts are
``str.format`` templates over :meth:`SlipData.text_fields` names, e.g.
``"Người nộp: {applicant_name}"``. A template is checked in full when it is
loaded (unknown keys, wrong types, unknown or malformed ``{fields}``), so a typo
in an office's file is reported by file, line and key before anything prints,
never half-way through a slip.

Schema (see the shipped files for worked examples)::

    form_label  = "Mẫu số {form_number}"          # top right
    header_left = ["UBND {office_name}", "..."]    # issuer, printed in capitals, last line bold
    motto       = ["CỘNG HÒA ...", "Độc lập - ..."] # optional, has this default
    number_line = "Mã hồ sơ: {dossier_code}"       # under the issuer
    date_line   = "{date_line}"                     # under the motto
    title       = "GIẤY ..."
    subtitle    = "..."                             # optional, under the title
    [[body]]  text = "..."  [align, bold, italic, optional]
    [[body]]  label = "..."  value = "..."  [optional]
    [[body]]  table = "documents" | "requested_items" | "history"  columns = [...]
              [heading, empty, widths = [relative column widths]]
    [[signatures]]  title = "..."  note = "..."  name = "..."
    [qr]  caption = "..."                           # receipt: print the QR code

``optional = true`` drops an item when any field it uses is empty; otherwise an
empty ``value`` prints as a dotted blank to fill in by hand.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ward_desk.errors import InvalidInput
from ward_desk.slips.model import SlipData, check_kind, template_field_names

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

SHIPPED_DIR = Path(__file__).with_name("templates")
DEFAULT_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
TABLE_SOURCES = ("documents", "requested_items", "history")
# Columns a table may have: STT + name (+ note); the control sheet's history has
# STT, time, who, step, result and on time / late.
TABLE_COLUMNS = {"documents": 3, "requested_items": 3, "history": 6}
ALIGNS = ("left", "center", "right", "justify")

_TOP_KEYS = {
    "form_label": str, "header_left": list, "motto": list, "number_line": str, "date_line": str,
    "title": str, "subtitle": str, "body": list, "signatures": list, "qr": dict,
}
_REQUIRED_TOP = ("header_left", "title", "body", "signatures")
_BODY_KEYS = {
    "text": str, "label": str, "value": str, "table": str, "columns": list, "heading": str,
    "empty": str, "align": str, "bold": bool, "italic": bool, "optional": bool, "widths": list,
}
_SIGNATURE_KEYS = {"title": str, "note": str, "name": str}
_QR_KEYS = {"caption": str}
_TYPE_NAMES = {str: "text", list: "a list", dict: "a table", bool: "true/false"}


@dataclass(frozen=True)
class SlipTemplate:
    """A validated template: the parsed TOML and where it came from (for messages)."""

    kind: str
    source: Path
    spec: dict[str, Any]


def template_path(kind: str, data_dir: Path | None = None) -> Path:
    """The file that defines ``kind``: the office's override if present, else the default."""
    check_kind(kind)
    if data_dir is not None:
        override = Path(data_dir) / "templates" / f"{kind}.toml"
        if override.is_file():
            return override
    return SHIPPED_DIR / f"{kind}.toml"


def load_template(kind: str, data_dir: Path | None = None) -> SlipTemplate:
    """Load and validate the template for ``kind`` (office override first).

    Raises ``InvalidInput`` (``slips.template_*``) naming the file, line and key of
    the first problem.
    """
    path = template_path(kind, data_dir)
    try:
        raw = path.read_text(encoding="utf-8")
        spec = tomllib.loads(raw)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("slips.template_unreadable", file=str(path), error=str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("slips.template_unreadable", file=str(path), error=str(exc)) from exc
    _Checker(path, raw).check(spec)
    return SlipTemplate(kind, path, spec)


def render_text(template: str, values: dict[str, str]) -> str:
    """Format one (already validated) template text."""
    return string.Formatter().vformat(template, (), values)


def field_names(template: str) -> list[str]:
    """The ``{fields}`` a text uses, in order (raises ValueError on broken braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


class _Checker:
    """Walks a parsed template and raises on the first problem, with its place."""

    def __init__(self, path: Path, raw: str) -> None:
        self.path = path
        self.raw = raw
        self.allowed = template_field_names()
        # A sample formats every text once, catching bad format specs ({name:d}).
        self.sample = SlipData(office_name="x", dossier_code="x", applicant_name="x",
                               procedure_name="x").text_fields()

    def line_of(self, needle: str) -> int:
        """1-based line of the first occurrence of ``needle`` in the file (0 if absent)."""
        for number, line in enumerate(self.raw.splitlines(), start=1):
            if needle in line:
                return number
        return 0

    def fail(self, message_id: str, where: str, needle: str = "", **params: Any) -> NoReturn:
        line = self.line_of(needle) if needle else 0
        raise InvalidInput(message_id, file=str(self.path), line=line or "?", where=where, **params)

    def check(self, spec: dict[str, Any]) -> None:
        self.keys(spec, _TOP_KEYS, "", required=_REQUIRED_TOP)
        for key in ("form_label", "number_line", "date_line", "title", "subtitle"):
            if key in spec:
                self.text(spec[key], key)
        for key in ("header_left", "motto"):
            for i, line in enumerate(spec.get(key, [])):
                self.text(line, f"{key}[{i}]")
        for i, item in enumerate(spec["body"]):
            self.body_item(item, f"body[{i}]")
        if not spec["signatures"]:
            self.fail("slips.template_bad_value", "signatures", "signatures", expected="one or more [[signatures]]")
        for i, sig in enumerate(spec["signatures"]):
            where = f"signatures[{i}]"
            self.table(sig, where)
            self.keys(sig, _SIGNATURE_KEYS, where, required=("title",))
            for key in _SIGNATURE_KEYS:
                if key in sig:
                    self.text(sig[key], f"{where}.{key}")
        if "qr" in spec:
            self.keys(spec["qr"], _QR_KEYS, "qr")
            if "caption" in spec["qr"]:
                self.text(spec["qr"]["caption"], "qr.caption")

    def table(self, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            self.fail("slips.template_bad_value", where, expected=_TYPE_NAMES[dict])

    def keys(self, table: dict[str, Any], schema: Mapping[str, type], where: str,
             required: tuple[str, ...] = ()) -> None:
        prefix = f"{where}." if where else ""
        for key, value in table.items():
            if key not in schema:
                hint = difflib.get_close_matches(key, list(schema), n=1)
                self.fail("slips.template_unknown_key", f"{prefix}{key}", key, key=key,
                          hint=f" ({hint[0]}?)" if hint else "", known=", ".join(schema))
            expected = schema[key]
            if not isinstance(value, expected):
                self.fail("slips.template_bad_value", f"{prefix}{key}", key, expected=_TYPE_NAMES[expected])
        for key in required:
            if key not in table:
                self.fail("slips.template_missing_key", f"{prefix}{key}", key=key)

    def text(self, value: Any, where: str) -> None:
        if not isinstance(value, str):
            self.fail("slips.template_bad_value", where, expected=_TYPE_NAMES[str])
        try:
            names = field_names(value)
        except ValueError as exc:  # "{name" or "name}" — an unbalanced brace
            self.fail("slips.template_bad_format", where, value[:30], error=str(exc))
        for name in names:
            if name not in self.allowed:
                # Attribute/index access ({x.__class__}, {x[0]}) and positional {} are
                # refused too: templates come from a file anyone in the office can edit.
                hint = difflib.get_close_matches(name, sorted(self.allowed), n=1)
                self.fail("slips.template_bad_field", where, "{" + name, field=name or "{}",
                          hint=f" ({{{hint[0]}}}?)" if hint else "",
                          allowed=", ".join(sorted(self.allowed)))
        try:
            render_text(value, self.sample)
        except (ValueError, KeyError, IndexError) as exc:
            self.fail("slips.template_bad_format", where, value[:30], error=str(exc))

    def body_item(self, item: Any, where: str) -> None:
        self.table(item, where)
        self.keys(item, _BODY_KEYS, where)
        shapes = [k for k in ("text", "label", "table") if k in item]
        if len(shapes) != 1:
            self.fail("slips.template_bad_value", where, expected="exactly one of text, label, table")
        if "label" in item and "value" not in item:
            self.fail("slips.template_missing_key", f"{where}.value", key="value")
        if "value" in item and "label" not in item:
            self.fail("slips.template_missing_key", f"{where}.label", key="label")
        if "table" in item:
            if item["table"] not in TABLE_SOURCES:
                self.fail("slips.template_bad_value", f"{where}.table", item["table"],
                          expected=" | ".join(TABLE_SOURCES))
            columns = item.get("columns", [])
            most = TABLE_COLUMNS[item["table"]]
            if not 2 <= len(columns) <= most:
                self.fail("slips.template_bad_value", f"{where}.columns", "columns",
                          expected=f"2 to {most} column titles")
            for i, col in enumerate(columns):
                self.text(col, f"{where}.columns[{i}]")
            widths = item.get("widths")
            if widths is not None and (len(widths) != len(columns) or not all(
                    isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0 for w in widths)):
                self.fail("slips.template_bad_value", f"{where}.widths", "widths",
                          expected="one positive number per column")
        if item.get("align", "left") not in ALIGNS:
            self.fail("slips.template_bad_value", f"{where}.align", "align", expected=" | ".join(ALIGNS))
        for key in ("text", "label", "value", "heading", "empty"):
            if key in item:
                self.text(item[key], f"{where}.{key}")
