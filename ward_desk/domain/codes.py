"""Dossier codes as the national one-stop systems write them: ``<receiving agency id>-YYMMDD-XXXX``."""

from __future__ import annotations

import re
from datetime import date

from ward_desk.errors import InvalidInput, RuleViolation

__all__ = ["MAX_SEQ", "dossier_code", "parse_dossier_code", "validate_agency_id"]

MAX_SEQ = 9999
# National agency-code standard (e.g. 000.00.25.H12) or a 5-digit commune code (e.g. 22918).
_AGENCY = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}|\d{5}")
_CODE = re.compile(r"(?P<agency>.+)-(?P<day>\d{6})-(?P<seq>\d{4})")


def validate_agency_id(s: str) -> str:
    """A receiving agency id, trimmed and upper-cased: ``000.00.25.H12`` form or a
    5-digit commune code. Raises ``InvalidInput("validation.agency_id", value=...)``."""
    agency = s.strip().upper()
    if not _AGENCY.fullmatch(agency):
        raise InvalidInput("validation.agency_id", value=s)
    return agency


def dossier_code(agency_id: str, local_day: date, seq: int) -> str:
    """The code of the ``seq``-th dossier received by ``agency_id`` on ``local_day``.

    Raises ``RuleViolation("codes.sequence_exhausted")`` past 9,999 dossiers a day.
    """
    agency = validate_agency_id(agency_id)
    if seq < 1:
        raise ValueError(f"dossier sequence starts at 1, got {seq}")
    if seq > MAX_SEQ:
        raise RuleViolation("codes.sequence_exhausted", max=MAX_SEQ, day=local_day)
    return f"{agency}-{local_day:%y%m%d}-{seq:04d}"


def parse_dossier_code(code: str) -> tuple[str, date, int]:
    """Split a dossier code into (agency id, receipt day, sequence).

    Years are read as 20YY. Raises ``InvalidInput("validation.dossier_code", value=...)``.
    """
    match = _CODE.fullmatch(code.strip().upper())
    if match is None:
        raise InvalidInput("validation.dossier_code", value=code)
    try:
        agency = validate_agency_id(match["agency"])
        day_digits = match["day"]
        day = date(2000 + int(day_digits[:2]), int(day_digits[2:4]), int(day_digits[4:]))
    except (InvalidInput, ValueError):
        raise InvalidInput("validation.dossier_code", value=code) from None
    seq = int(match["seq"])
    if seq < 1:
        raise InvalidInput("validation.dossier_code", value=code)
    return agency, day, seq
