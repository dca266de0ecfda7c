"""Numbers as people read them: decimal comma in Vietnamese, point in English."""

from __future__ import annotations

from types import SimpleNamespace

from ward_desk.domain.criteria import format_decimal, format_score
from ward_desk.i18n import set_language
from ward_desk.ui.i18n import fmt_percent
from ward_desk.ui.screens.dashboard import DashboardScreen
from ward_desk.ui.tables import cell


def test_percent_and_decimal_follow_the_language():
    assert fmt_percent(597 / 605) == "98,7%"
    assert fmt_percent(None) == "—"
    assert format_decimal(96.44, "vi") == "96,4" and format_score(87.5, "vi") == "87,5"
    assert format_score(None, "vi") == "-" and format_score(90.0, "vi") == "90"
    assert cell(96.44).plain == "96,4"
    set_language("en")
    assert fmt_percent(597 / 605) == "98.7%"
    assert format_decimal(96.44, "en") == "96.4" and format_score(87.5, "en") == "87.5"
    assert cell(96.44).plain == "96.4"


def test_dashboard_month_rate_uses_the_decimal_comma():
    counts = SimpleNamespace(month_on_time_rate=597 / 605, month_on_time=597, month_resolved=605)
    screen = SimpleNamespace(_counts=counts)
    line = DashboardScreen._line_text(screen, "month_resolved", "month_on_time_rate").plain
    assert line.endswith("98,7% (597/605)")
    set_language("en")
    line = DashboardScreen._line_text(screen, "month_resolved", "month_on_time_rate").plain
    assert line.endswith("98.7% (597/605)")
