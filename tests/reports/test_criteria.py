"""Criteria sets: the shipped files load; malformed files name the bad line; scoring rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from ward_desk.domain.criteria import (
    LinearRule,
    ManualScore,
    ThresholdRule,
    check_manual,
    format_points,
    load_criteria,
    parse_points,
    score,
)
from ward_desk.domain.indicators import IndicatorValue, compute_all
from ward_desk.domain.report_math import Counts
from ward_desk.errors import InvalidInput

DATA = Path(__file__).resolve().parents[2] / "ward_desk" / "data" / "criteria"
DEFAULT = (DATA / "default-766-2025.toml").read_text(encoding="utf-8")


def test_shipped_sets_load_and_add_up():
    for path in DATA.glob("*.toml"):
        s = load_criteria(path.read_text(encoding="utf-8"), path.name)
        assert s.total_c == 10000
        assert sum(g.max_c for g in s.groups) == s.total_c
        assert [b.min_c for b in s.bands] == sorted((b.min_c for b in s.bands), reverse=True)


def test_default_set_follows_decision_766_weights():
    s = load_criteria(DEFAULT)
    assert [(g.id, g.max_c // 100) for g in s.groups] == [
        ("disclosure", 18), ("timeliness", 20), ("digitization", 22), ("online", 22), ("satisfaction", 18)]
    assert s.key == "default-766@2025.1"
    assert s.band_for(9000).name("vi") == "Xuất sắc"
    assert s.band_for(4999).id == "weak"


def test_template_has_sub_criteria():
    s = load_criteria((DATA / "template-provincial-par.toml").read_text(encoding="utf-8"))
    assert s.status == "template"
    f2 = next(g for g in s.groups if g.id == "f2")
    results = next(c for c in f2.criteria if c.id == "f2.results")
    assert [sub.id for sub in results.subs][:2] == ["f2.results.on_time", "f2.results.apology"]
    assert "f2.results.on_time" in {c.id for _, c in s.items()}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message_id", "needle"),
    [
        ('max_points = 10\n# 80%', 'max_points = 11\n# 80%', "criteria.group_sum", 'max_points = 20'),
        ('indicator = "early_rate"', 'indicator = "earley_rate"', "criteria.unknown_indicator", '"earley_rate"'),
        ('id = "timeliness.early"', 'id = "timeliness.on_time"', "criteria.duplicate_id", 'id = "timeliness.on_time"\ntitle_vi = "Tỷ lệ hồ sơ giải quyết trước hạn"'),
        ('rule = { kind = "manual", min = 0, max = 6, step = 0.5 }', 'rule = { kind = "manual", min = 0, max = 7 }', "criteria.bad_bounds", 'max = 7'),
        ('total_points = 100', 'total_points = 90', "criteria.total_sum", 'total_points = 90'),
        ('hint_en = "Photo of', 'hnt_en = "Photo of', "criteria.unknown_key", 'hnt_en'),
        ('kind = "linear", indicator = "online_share"', 'kind = "curve", indicator = "online_share"', "criteria.unknown_rule", '"curve"'),
        ('zero_at = 0.80, full_at = 1.0', 'zero_at = 0.80, full_at = 1.5', "criteria.bad_scale", 'full_at = 1.5'),
        ('title_en = "Timeliness and results of dossier handling"\nmax_points = 20', 'title_en = "x"\nmax_points = "20"', "criteria.bad_number", 'max_points = "20"'),
        ('{ at_least = 0.8, points = 2 }', '{ at_least = 1.0, points = 2 }', "criteria.step_order", 'indicator = "apology_share"'),
        ('min_points = 0', 'min_points = 3', "criteria.band_floor", 'min_points = 3'),
    ],
)
def test_malformed_file_names_the_line(old, new, message_id, needle):
    assert old in DEFAULT, old
    bad = DEFAULT.replace(old, new, 1)
    with pytest.raises(InvalidInput) as info:
        load_criteria(bad, "tinh.toml")
    err = info.value
    assert err.message.id == message_id
    if "\n" in needle:
        needle = needle.split("\n")[0]
        expected = [i for i, line in enumerate(bad.splitlines(), 1) if needle in line][-1]
    else:
        expected = _line_of(bad, needle)
    assert err.message.params["line"] == expected
    text = str(err)
    assert "tinh.toml" in text and f"dòng {expected}" in text


def test_syntax_error_names_the_line():
    bad = DEFAULT.replace('version = "2025.1"', 'version = "2025.1', 1)
    with pytest.raises(InvalidInput) as info:
        load_criteria(bad, "x.toml")
    assert info.value.message.id == "criteria.syntax"
    assert info.value.message.params["line"] == _line_of(bad, 'version = "2025.1')


def test_criterion_needs_rule_or_subs():
    bad = DEFAULT.replace('rule = { kind = "manual", min = 0, max = 4, step = 0.5 }\n\n# ----', '\n# ----', 1)
    with pytest.raises(InvalidInput) as info:
        load_criteria(bad)
    assert info.value.message.id == "criteria.rule_or_sub"


def test_linear_scale_points():
    rule = LinearRule("on_time_rate", 0.8, 1.0)
    v = lambda x: IndicatorValue("on_time_rate", "rate", 0, 1, x)  # noqa: E731
    assert rule.points(v(1.0), 1000) == 1000
    assert rule.points(v(0.9), 1000) == 500
    assert rule.points(v(0.5), 1000) == 0
    assert rule.points(v(None), 1000) == 1000  # when_empty = full
    assert LinearRule("x", 0.8, 1.0, "zero").points(v(None), 1000) == 0
    # Lower is better: full at 0, zero at 0.2.
    assert LinearRule("late_rate", 0.2, 0.0).points(v(0.05), 400) == 300


def test_threshold_points():
    s = load_criteria(DEFAULT)
    rule = s.item("timeliness.overdue").rule
    assert isinstance(rule, ThresholdRule)
    count = lambda n: IndicatorValue("overdue_count", "count", n, None, float(n))  # noqa: E731
    assert [rule.points(count(n), 400) for n in (0, 1, 2, 3, 5, 6)] == [400, 200, 200, 100, 100, 0]
    rate = s.item("disclosure.apology").rule
    assert rate.points(IndicatorValue("apology_share", "rate", 19, 20, 19 / 20), 400) == 200


def test_manual_scores_checked():
    s = load_criteria(DEFAULT)
    item = s.item("disclosure.procedures")
    assert check_manual(item, 550, " Bảng niêm yết ").evidence == "Bảng niêm yết"
    for points, evidence, message in [(650, "x", "assess.score_out_of_bounds"), (525, "x", "assess.score_step"),
                                      (500, "  ", "assess.evidence_required")]:
        with pytest.raises(InvalidInput) as info:
            check_manual(item, points, evidence)
        assert info.value.message.id == message
    with pytest.raises(InvalidInput) as info:
        check_manual(s.item("timeliness.on_time"), 100, "x")
    assert info.value.message.id == "assess.not_manual"


def test_points_text():
    assert parse_points("3,5") == 350 == parse_points("3.5") == parse_points(3.5)
    assert format_points(350, "vi") == "3,5" and format_points(350, "en") == "3.5" and format_points(400) == "4"
    for bad in ("abc", "1.234", "nan"):
        with pytest.raises(InvalidInput):
            parse_points(bad)


def test_scorecard_explains_on_time_482_of_500():
    s = load_criteria(DEFAULT)
    counts = Counts(resolved_early=100, resolved_on_time=382, resolved_late=18, received_direct=500)
    card = score(s, compute_all(counts), {"disclosure.procedures": ManualScore(600, "ảnh")})
    item = card.item("timeliness.on_time")
    assert item.points_c == 820  # (0.964 - 0.8) / 0.2 * 10 = 8.2
    assert item.explanation("en").render("en") == "On time 96.4% = 482/500 → 8.2/10 pts"
    assert item.explanation("vi").render("vi") == "Đúng hạn 96,4% = 482/500 → 8,2/10 điểm"
    assert not card.complete and "disclosure.progress" in card.pending
    assert card.item("disclosure.procedures").points_c == 600
