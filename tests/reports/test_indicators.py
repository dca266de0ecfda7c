"""Indicators over hand-built period counts with known answers."""

from __future__ import annotations

import pytest

from ward_desk.domain.indicators import INDICATORS, compute_all
from ward_desk.domain.report_math import Counts, Period, parse_period
from ward_desk.errors import InvalidInput

MONTH = Counts(
    opening=40, received_direct=300, received_online=150, received_postal=50, received_digitized=420,
    resolved_early=100, resolved_on_time=382, resolved_late=18, resolved_late_with_apology=12,
    rejected=5, withdrawn=5, open_not_due=20, open_overdue=10, open_overdue_with_apology=6,
    open_waiting_supplement=3, apology_slips=20, ratings=250, ratings_satisfied=220,
)


def test_every_indicator_known_answer():
    v = compute_all(MONTH)
    expect = {
        "on_time_rate": (482, 500), "early_rate": (100, 500), "late_rate": (18, 500),
        "online_share": (150, 500), "postal_share": (50, 500), "direct_share": (300, 500),
        "digitized_share": (420, 500), "satisfaction_share": (220, 250), "rating_coverage": (250, 500),
        "apology_share": (18, 28), "refusal_share": (10, 510), "supplement_share": (3, 30),
    }
    for key, (num, den) in expect.items():
        assert (v[key].numerator, v[key].denominator) == (num, den), key
        assert v[key].value == pytest.approx(num / den), key
    assert v["overdue_count"].value == 10 and v["overdue_count"].denominator is None
    assert set(v) == set(INDICATORS)
    assert MONTH.imbalance == 0


def test_empty_month_has_no_rates():
    v = compute_all(Counts())
    assert all(x.value is None for k, x in v.items() if x.kind == "rate")
    assert v["overdue_count"].value == 0
    assert Counts().on_time_rate is None and Counts().imbalance == 0


def test_rating_coverage_capped():
    # Ratings can come for dossiers resolved in an earlier month.
    v = compute_all(Counts(resolved_on_time=2, ratings=5, ratings_satisfied=5))
    assert v["rating_coverage"].value == 1.0


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2025-03", "2025-03-01", "2025-04-01"), ("2025-12", "2025-12-01", "2026-01-01"),
    ("2025-Q4", "2025-10-01", "2026-01-01"), ("2025-h1", "2025-01-01", "2025-07-01"),
    ("2025-H2", "2025-07-01", "2026-01-01"), ("2025-9M", "2025-01-01", "2025-10-01"),
    ("2025", "2025-01-01", "2026-01-01"),
])
def test_periods(text, start, end):
    p = parse_period(text)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert len(p.months()) == {"month": 1, "quarter": 3, "half": 6, "nine_months": 9, "year": 12}[p.kind]


def test_period_utc_bounds_and_previous():
    from ward_desk.domain.timing import TZ

    s, e = Period.month(2026, 1).utc_bounds(TZ)
    assert str(s) == "2025-12-31 17:00:00" and str(e) == "2026-01-31 17:00:00"
    assert Period.month(2026, 1).previous().label == "2025-12"
    assert Period.quarter(2026, 1).previous().label == "2025-Q4"


@pytest.mark.parametrize("bad", ["2025-13", "25-01", "2025-Q5", "hôm qua", ""])
def test_bad_period(bad):
    with pytest.raises(InvalidInput) as info:
        parse_period(bad)
    assert info.value.message.id == "report.bad_period"
