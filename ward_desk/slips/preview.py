"""The on-screen preview of a slip: plain text at most 80 columns wide."""

from __future__ import annotations

import textwrap
import unicodedata

from ward_desk.slips.layout import Block, SlipDocument, column_widths, printable_document

WIDTH = 80
LEFT_W = 36  # issuer column; the motto takes the rest


def cell_width(text: str) -> int:
    """Terminal columns ``text`` takes (wide East Asian characters count two;
    Vietnamese NFC letters count one, combining marks none)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _center(text: str, width: int) -> str:
    pad = max(0, width - cell_width(text))
    return " " * (pad // 2) + text + " " * (pad - pad // 2)


def _wrap(text: str, width: int, indent: str = "", subsequent: str = "") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=subsequent,
                         break_long_words=True, break_on_hyphens=False) or [indent.rstrip()]


def _columns(left: list[str], right: list[str], left_w: int, right_w: int) -> list[str]:
    rows = max(len(left), len(right))
    left = left + [""] * (rows - len(left))
    right = right + [""] * (rows - len(right))
    return [(_center(a, left_w) + " " + _center(b, right_w)).rstrip() for a, b in zip(left, right, strict=True)]


def _block_lines(block: Block) -> list[str]:
    if block.kind == "text":
        lines = _wrap(block.text, WIDTH)
        if block.align == "center":
            return [_center(line, WIDTH).rstrip() for line in lines]
        return lines
    if block.kind == "field":
        return _wrap(f"{block.label}: {block.text}", WIDTH, subsequent="    ")
    out = _wrap(block.heading, WIDTH) if block.heading else []
    n = len(block.columns)
    if n > 3:
        return out + _wide_table(block)
    # STT | name | note; the name column takes what the others leave.
    note_w = 16 if n == 3 else 0
    # Borders and padding take 10 columns, plus 3 for the note column.
    name_w = WIDTH - 10 - (note_w + 3 if n == 3 else 0)
    rule = "+" + "-" * 5 + "+" + "-" * (name_w + 2) + ("+" + "-" * (note_w + 2) if n == 3 else "") + "+"
    out.append(rule)
    for r, row in enumerate((block.columns, *block.rows)):
        names = _wrap(row[1], name_w)
        notes = _wrap(row[2], note_w) if n == 3 else []
        for i in range(max(len(names), len(notes), 1)):
            number = row[0] if i == 0 else ""
            line = f"|{_center(number, 5)}| {names[i] if i < len(names) else '':<{name_w}} |"
            if n == 3:
                line += f" {notes[i] if i < len(notes) else '':<{note_w}} |"
            out.append(line)
        if r == 0:
            out.append(rule)
    out.append(rule)
    return out


def _wide_table(block: Block) -> list[str]:
    """A table of more than three columns (the control sheet's history): each column
    wraps within its share of the 80 columns."""
    n = len(block.columns)
    room = WIDTH - (n + 1) - 2 * n  # borders, and one space each side of every cell
    shares = column_widths(block, room, (1,) * n)
    widths = [max(3, int(w)) for w in shares]
    widths[-1] -= sum(widths) - room  # rounding: the last column absorbs the rest
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule]
    for r, row in enumerate((block.columns, *block.rows)):
        cells = [_wrap(value, w) for value, w in zip(row, widths, strict=False)]
        for i in range(max(len(c) for c in cells)):
            out.append("|" + "|".join(f" {c[i] if i < len(c) else '':<{w}} " for c, w in zip(cells, widths,
                                                                                       strict=True)) + "|")
        if r == 0:
            out.append(rule)
    out.append(rule)
    return out


def render_preview(doc: SlipDocument) -> str:
    """The slip as text lines no wider than :data:`WIDTH` columns."""
    doc = printable_document(doc)  # no stored escape sequence reaches the screen
    right_w = WIDTH - LEFT_W - 1
    lines: list[str] = []
    if doc.form_label:
        lines.append(doc.form_label.rjust(WIDTH))
    left: list[str] = []
    for line in doc.header_left:
        left += _wrap(line.upper(), LEFT_W)
    left.append("-" * 10)
    if doc.number_line:
        left += _wrap(doc.number_line, LEFT_W)
    right: list[str] = []
    for line in doc.motto:
        right += _wrap(line, right_w)
    if doc.motto:
        right.append("-" * min(right_w, cell_width(doc.motto[-1])))
    if doc.date_line:
        right += _wrap(doc.date_line, right_w)
    lines += _columns(left, right, LEFT_W, right_w)
    lines.append("")
    lines += [_center(x, WIDTH).rstrip() for x in _wrap(doc.title, WIDTH)]
    if doc.subtitle:
        lines += [_center(x, WIDTH).rstrip() for x in _wrap(doc.subtitle, WIDTH)]
    lines.append("")
    for block in doc.blocks:
        lines += _block_lines(block)
    lines.append("")
    sigs = doc.signatures
    slots = max(2, len(sigs))
    slot_w = (WIDTH - (slots - 1)) // slots
    offset = slots - len(sigs)  # a lone signer on the right, as on paper
    columns: list[list[str]] = [[] for _ in range(slots)]
    for i, sig in enumerate(sigs):
        col = columns[offset + i]
        col += _wrap(sig.title, slot_w)
        if sig.note:
            col += _wrap(sig.note, slot_w)
        col += ["", ""]
        if sig.name:
            col += _wrap(sig.name, slot_w)
    height = max(len(c) for c in columns)
    for r in range(height):
        parts = [_center(c[r] if r < len(c) else "", slot_w) for c in columns]
        lines.append(" ".join(parts).rstrip())
    if doc.qr_payload:
        lines.append("")
        lines += _wrap(f"[QR] {doc.qr_payload}", WIDTH, subsequent="     ")
        if doc.qr_caption:
            lines += _wrap(doc.qr_caption, WIDTH)
    return "\n".join(line.rstrip() for line in lines) + "\n"
