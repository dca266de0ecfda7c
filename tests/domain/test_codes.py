from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ward_desk.domain.codes import dossier_code, parse_dossier_code, validate_agency_id
from ward_desk.errors import InvalidInput, RuleViolation


def test_code_format() -> None:
    assert dossier_code("000.00.25.H12", date(2025, 7, 15), 1) == "000.00.25.H12-250715-0001"
    assert dossier_code("22918", date(2026, 2, 23), 9999) == "22918-260223-9999"
    assert dossier_code(" 000.00.25.h12 ", date(2025, 7, 15), 42).startswith("000.00.25.H12-")


def test_sequence_bounds() -> None:
    with pytest.raises(RuleViolation) as err:
        dossier_code("22918", date(2026, 1, 5), 10000)
    assert err.value.message.id == "codes.sequence_exhausted"
    with pytest.raises(ValueError):
        dossier_code("22918", date(2026, 1, 5), 0)


@pytest.mark.parametrize("good", ["000.00.25.H12", "000.20.27.H57", "22918", "00004"])
def test_good_agency_ids(good: str) -> None:
    assert validate_agency_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "2291", "229180", "000.00.25", "000.00.25.12", "ABC", "000-00-25-H12", "22918 x"]
)
def test_bad_agency_ids(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_agency_id(bad)
    assert err.value.message.id == "validation.agency_id"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "22918-260223",
        "22918-260223-001",
        "22918-261323-0001",  # month 13
        "22918-260230-0001",  # 30 Feb
        "22918-260223-0000",
        "XYZ-260223-0001",
        "22918_260223_0001",
    ],
)
def test_bad_codes(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_dossier_code(bad)
    assert err.value.message.id == "validation.dossier_code"


agencies = st.one_of(
    st.from_regex(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", fullmatch=True),
    st.from_regex(r"\d{5}", fullmatch=True),
)


@given(
    agencies,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 9999),
)
def test_round_trip(agency: str, day: date, seq: int) -> None:
    assert parse_dossier_code(dossier_code(agency, day, seq)) == (agency, day, seq)
