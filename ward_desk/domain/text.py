"""Text folding for search: what a clerk types without accents must find the accented name.

``fold`` runs on every keystroke and on a million rows when the bench store is
generated, so the common case (Vietnamese text, already NFC) is one
``str.translate`` over a precomputed table plus a split/join; the slow Unicode
decomposition path only runs when something outside the table remains.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["BIDI_CONTROLS", "INVISIBLE", "csv_cell", "first_unsafe", "fold", "printable", "runs_as_formula",
           "split_items", "visible", "write_cell"]


T = TypeVar("T")


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Every precomposed Latin letter in these blocks covers all Vietnamese
    # letters (Latin-1, Latin Extended-A/B, Latin Extended Additional).
    ranges = [(0x00C0, 0x024F), (0x1E00, 0x1EFF)]
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            base = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
            folded = base.casefold()
            if folded != ch and folded.isascii() and folded.isalpha():
                table[cp] = folded
    table[ord("đ")] = "d"
    table[ord("Đ")] = "d"
    # Plain ASCII upper case, so the fast path never needs a separate lower().
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    # Whitespace other than the plain space is turned into spaces before splitting.
    for ws in "\t\n\r\x0b\x0c\xa0\u2007\u202f\u3000":
        table[ord(ws)] = " "
    return table


_TABLE = _build_table()


def _slow_fold(s: str) -> str:
    decomposed = unicodedata.normalize("NFD", s)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_TABLE).casefold()


def fold(s: str) -> str:
    """Search key of ``s``: diacritics removed, đ/Đ -> d, case-folded, runs of
    whitespace collapsed to one space, trimmed.

    ``fold("Nguyễn Thị Đào") == "nguyen thi dao"``; NFD input (as some IMEs and
    pasted text produce) folds to the same key as NFC input.
    """
    out = s.translate(_TABLE)
    if not out.isascii():
        # Combining marks (NFD input) or letters outside the table.
        out = _slow_fold(out)
    return " ".join(out.split())


def match_words(items: Iterable[T], text: str, haystack: Callable[[T], str], name: Callable[[T], str],
                limit: int = 30) -> list[T]:
    """Type-ahead: items whose folded ``haystack`` contains every word typed (accents and
    case ignored), those whose folded ``name`` starts with the first word first."""
    words = fold(text).split()
    pool = list(items)
    if not words:
        return pool[:limit]
    found = [item for item in pool if all(w in haystack(item) for w in words)]
    found.sort(key=lambda item: (not name(item).startswith(words[0]), name(item)))
    return found[:limit]


# --- hostile text: what a field may hold, what a slip or a terminal may show ---------------

# Bidirectional embeddings, overrides and isolates (and the marks): they reorder what a
# reader sees ("Trojan source"); no Vietnamese text needs them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width and other invisible characters that copy-and-paste brings along: dropped.
INVISIBLE = frozenset("\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")
# Line breaks other than "\n" (a single-line field turns every one into a space).
_LINE_BREAKS = "\r\x0b\x0c\x85\u2028\u2029"


def _unsafe_kind(ch: str) -> str | None:
    """Why ``ch`` may not be stored: "control", "bidi", "invalid", or None."""
    if ch in BIDI_CONTROLS:
        return "bidi"
    category = unicodedata.category(ch)
    if category == "Cc":
        return "control"  # C0, DEL and C1: ESC starts every terminal escape sequence
    if category in ("Cs", "Co", "Cn") or category == "Cf" or (0xFDD0 <= ord(ch) <= 0xFDEF) or (ord(ch) & 0xFFFE) == 0xFFFE:
        return "invalid"  # lone surrogates, private use, unassigned, other format characters
    return None


def first_unsafe(s: str, allowed: str = "") -> tuple[int, str, str] | None:
    """The first character of ``s`` that may not be stored (its 0-based position, the
    character and why: "control", "bidi", "invalid"), ignoring those in ``allowed``;
    None when every character is fine. Invisible characters are not reported (they are
    dropped, see :func:`drop_invisible`)."""
    if s.isascii() and s.isprintable():
        return None  # the common case, in one pass of C
    for i, ch in enumerate(s):
        if ch in allowed or ch in INVISIBLE:
            continue
        kind = _unsafe_kind(ch)
        if kind is not None:
            return i, ch, kind
    return None


def split_items(text: str) -> tuple[str, ...]:
    """A text that lists several things, one per line or separated by ";" ("Thiếu A; thiếu
    B"), as one item each, trimmed of spaces and end stops; empty parts dropped."""
    return tuple(p.strip(" .") for p in re.split(r"[;\n]+", text or "") if p.strip(" ."))


def drop_invisible(s: str) -> str:
    """``s`` without zero-width and other invisible characters."""
    if s.isascii():
        return s
    return "".join(ch for ch in s if ch not in INVISIBLE)


def codepoint(ch: str) -> str:
    """``U+001B``: how a character that cannot be shown is named in a message."""
    return f"U+{ord(ch):04X}"


def printable(s: str, limit: int | None = None, *, keep_lines: bool = False) -> str:
    """``s`` made safe for a slip, a terminal or a spreadsheet cell whatever it holds: NFC;
    controls, bidi controls, invisible and invalid characters dropped; tabs and line
    breaks turned into spaces (``keep_lines``: line breaks into "\n") and runs of spaces
    collapsed; cut to ``limit`` characters with "…".

    Stored text is checked when it is typed (``validation.clean_text``); this is the
    renderers' own guard for what came before those checks or from elsewhere.
    """
    if not (s.isascii() and s.isprintable()):
        breaks = {ord(c): ("\n" if keep_lines else " ") for c in "\n" + _LINE_BREAKS}
        s = unicodedata.normalize("NFC", s.replace("\r\n", "\n").translate({ord("\t"): " ", **breaks}))
        s = "".join(ch for ch in s if ch == "\n" or (ch not in INVISIBLE and _unsafe_kind(ch) is None))
    if keep_lines and "\n" in s:
        s = "\n".join(" ".join(line.split()) for line in s.split("\n")).strip("\n")
    else:
        s = " ".join(s.split())
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)].rstrip() + "…"
    return s


def visible(s: str, limit: int = 200) -> str:
    """``s`` for an error message: every character that could act on a terminal or hide
    itself shown as ``<U+001B>``, cut to ``limit`` characters with "…"."""
    if not (s.isascii() and s.isprintable()):
        s = "".join(f"<{codepoint(ch)}>" if ch in INVISIBLE or _unsafe_kind(ch) else ch for ch in s)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


# --- spreadsheet cells: data, never formulas ----------------------------------------------

# What makes Excel or LibreOffice read a cell as a formula (or a DDE command), including the
# full-width forms an East Asian input method types.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*%?")


def runs_as_formula(value: object) -> bool:
    """Whether a spreadsheet would run the text ``value`` instead of showing it.

    Only text counts: numbers stay numbers, and a text that is just a signed number
    ("-5", "+84912345678") is read as that number, not run."""
    return (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and _PLAIN_NUMBER.fullmatch(value) is None)


def cell_text(value: str) -> str:
    """A text as a spreadsheet cell holds it: line breaks kept, every character a file
    format refuses (XLSX has no control characters, lone surrogates or noncharacters)
    or a reader would be fooled by (bidi overrides) dropped."""
    return printable(value, keep_lines=True)


def csv_cell(value: T) -> T | str:
    """``value`` as a CSV cell: a text a spreadsheet would run gets a leading apostrophe
    (OWASP's CSV-injection advice), so it opens as the text it is; anything else as is.
    Every CSV the software writes goes through this (XLSX: :func:`write_cell`)."""
    if isinstance(value, str):
        text = cell_text(value) if value.startswith(FORMULA_STARTS) or not value.isprintable() else value
        return "'" + text if runs_as_formula(text) else text
    return value


def write_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Put ``value`` in cell (row, column) of an openpyxl worksheet ``ws`` as data, never
    as a formula, and return the cell. openpyxl stores a text starting with "=" as a
    formula and refuses control characters (the whole export failed); Excel runs "+",
    "-" or "@" once the cell is edited. Such text is stored as a quote-prefixed string;
    numbers stay numbers. Every XLSX the software writes goes through this (CSV:
    :func:`csv_cell`); ``ws`` is duck-typed, so the domain imports no file library."""
    if isinstance(value, str):
        value = cell_text(value)
    cell = ws.cell(row=row, column=column, value=value)
    if runs_as_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
