"""Text folding for search: what a clerk types without accents must find the accented name.

``fold`` runs on every keystroke and on a million rows when the bench store is
generated, so the common case (Vietnamese text, already NFC) is one
``str.translate`` over a precomputed table plus a split/join; the slow Unicode
decomposition path only runs when something outside the table remains.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

__all__ = ["fold"]


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
