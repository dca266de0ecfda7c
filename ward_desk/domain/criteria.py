"""Criteria sets as data: load, validate and score a versioned TOML criteria file.

A criteria set (the Decision 766 index, a provincial commune PAR set, ...) is
groups -> criteria -> optional sub-criteria; every scored item carries a rule:

- ``linear``: points scale linearly with a named indicator between ``zero_at``
  (0 points) and ``full_at`` (full points); ``full_at < zero_at`` means lower is better;
- ``threshold``: the first step the indicator reaches gives its points;
- ``manual``: the leader scores within ``min``..``max`` (optionally in ``step``s)
  and must give evidence.

The file format is documented in ``reports/CRITERIA_FORMAT.md``. Points are held
as integer hundredths ("centipoints") so sums are exact. Pure: the caller reads
the file; :func:`load_criteria` takes its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ward_desk.domain.indicators import INDICATORS, IndicatorValue
from ward_desk.errors import InvalidInput
from ward_desk.i18n import Message

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "Band",
    "CriteriaSet",
    "Criterion",
    "Group",
    "ItemScore",
    "LinearRule",
    "ManualRule",
    "ManualScore",
    "Scorecard",
    "ThresholdRule",
    "check_manual",
    "format_points",
    "load_criteria",
    "parse_points",
    "score",
]

FORMAT_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_EPS = 1e-9  # rates like 19/20 must reach a 0.95 threshold despite binary floats

Path = tuple[str | int, ...]


# ---------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class LinearRule:
    """Points scale linearly between ``zero_at`` (0) and ``full_at`` (max points)."""

    indicator: str
    zero_at: float
    full_at: float
    when_empty: str = "full"  # full | zero: points when the indicator has no denominator

    kind = "linear"

    def points(self, value: IndicatorValue, max_c: int) -> int:
        """Centipoints for ``value`` out of ``max_c``."""
        if value.value is None:
            return max_c if self.when_empty == "full" else 0
        fraction = (value.value - self.zero_at) / (self.full_at - self.zero_at)
        fraction = min(1.0, max(0.0, fraction))
        return int(Decimal(max_c * fraction).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Step:
    """One threshold step: reaching ``bound`` (at least / at most) gives ``points_c``."""

    bound: float
    at_least: bool
    points_c: int


@dataclass(frozen=True)
class ThresholdRule:
    """The first step the indicator reaches gives its points; none reached gives 0."""

    indicator: str
    steps: tuple[Step, ...]
    when_empty: str = "full"

    kind = "threshold"

    def points(self, value: IndicatorValue, max_c: int) -> int:
        """Centipoints for ``value`` out of ``max_c``."""
        if value.value is None:
            return max_c if self.when_empty == "full" else 0
        for step in self.steps:
            if (step.at_least and value.value >= step.bound - _EPS) or (
                not step.at_least and value.value <= step.bound + _EPS
            ):
                return step.points_c
        return 0


@dataclass(frozen=True)
class ManualRule:
    """Scored by the leader within [min_c, max_c] (in ``step_c`` increments if set)."""

    min_c: int
    max_c: int
    step_c: int | None = None
    evidence_required: bool = True

    kind = "manual"


Rule = LinearRule | ThresholdRule | ManualRule


@dataclass(frozen=True)
class Criterion:
    """A criterion or sub-criterion. Exactly one of ``rule`` and ``subs`` is set."""

    id: str
    title_vi: str
    title_en: str
    max_c: int
    rule: Rule | None
    subs: tuple[Criterion, ...] = ()
    hint_vi: str = ""  # what evidence the leader should give
    hint_en: str = ""

    def title(self, language: str) -> str:
        """The title in ``language`` ("vi" or "en"), Vietnamese when English is missing."""
        return self.title_en if language == "en" and self.title_en else self.title_vi


@dataclass(frozen=True)
class Group:
    """A group of criteria (Decision 766: one of its five components)."""

    id: str
    title_vi: str
    title_en: str
    max_c: int
    criteria: tuple[Criterion, ...]

    def title(self, language: str) -> str:
        """The title in ``language``."""
        return self.title_en if language == "en" and self.title_en else self.title_vi


@dataclass(frozen=True)
class Band:
    """A rating band: a total of at least ``min_c`` earns it."""

    id: str
    name_vi: str
    name_en: str
    min_c: int

    def name(self, language: str) -> str:
        """The band's name in ``language``."""
        return self.name_en if language == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class CriteriaSet:
    """A validated criteria set."""

    id: str
    version: str
    title_vi: str
    title_en: str
    legal_basis: str
    status: str  # in_force | template
    total_c: int
    bands: tuple[Band, ...]  # highest first
    groups: tuple[Group, ...]

    @property
    def key(self) -> str:
        """``<id>@<version>``: what a self-assessment records."""
        return f"{self.id}@{self.version}"

    def title(self, language: str) -> str:
        """The set's title in ``language``."""
        return self.title_en if language == "en" and self.title_en else self.title_vi

    def items(self) -> Iterator[tuple[Group, Criterion]]:
        """Every scored item (criteria without sub-criteria, and sub-criteria) in order."""
        for group in self.groups:
            for criterion in group.criteria:
                if criterion.subs:
                    for sub in criterion.subs:
                        yield group, sub
                else:
                    yield group, criterion

    def item(self, item_id: str) -> Criterion:
        """The scored item ``item_id``; ``InvalidInput("assess.unknown_criterion")`` otherwise."""
        for _, criterion in self.items():
            if criterion.id == item_id:
                return criterion
        raise InvalidInput("assess.unknown_criterion", criterion=item_id, set=self.key)

    def band_for(self, total_c: int) -> Band | None:
        """The highest band whose minimum ``total_c`` reaches."""
        for band in self.bands:
            if total_c >= band.min_c:
                return band
        return None

    def indicators_used(self) -> set[str]:
        """Ids of the indicators the computed rules name."""
        return {
            c.rule.indicator
            for _, c in self.items()
            if isinstance(c.rule, (LinearRule, ThresholdRule))
        }


# ---------------------------------------------------------------------------
# Points as text


def parse_points(text: str | float | int) -> int:
    """``"3,5"``, ``"3.5"`` or ``3.5`` -> 350 centipoints; at most two decimals.

    Raises ``InvalidInput("assess.bad_score")``.
    """
    raw = str(text).strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput("assess.bad_score", score=str(text)) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise InvalidInput("assess.bad_score", score=str(text))
    return int(value * 100)


def format_points(centi: int, language: str = "vi") -> str:
    """300 -> "3", 350 -> "3.5" ("3,5" in Vietnamese), 325 -> "3.25"."""
    text = f"{Decimal(centi) / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "vi" else text


def format_decimal(value: float, language: str = "vi", places: int = 1) -> str:
    """96.42 -> "96.4" ("96,4" in Vietnamese): the one way figures are written for people."""
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if language == "vi" else text


def format_rate(value: float, language: str = "vi") -> str:
    """0.9642 -> "96.4" ("96,4" in Vietnamese)."""
    return format_decimal(value * 100, language)


def format_score(points: float | None, language: str = "vi") -> str:
    """A total in points as upstream stores it (87.5 -> "87,5" in Vietnamese); "-" for none."""
    return "-" if points is None else format_points(round(points * 100), language)


# ---------------------------------------------------------------------------
# Loading and validation


class _Lines:
    """Where each table and key of a TOML text starts, by path.

    ``tomllib`` keeps no positions, so this small scanner follows table headers
    (counting ``[[array]]`` entries per parent) and ``key =`` lines; an error can
    then name the line of the bad key, or of the table holding it.
    """

    _ARRAY = re.compile(r"^\[\[\s*([^\[\]]+?)\s*\]\]")
    _TABLE = re.compile(r"^\[\s*([^\[\]]+?)\s*\]")
    _KEY = re.compile(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=")

    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        counts: dict[Path, int] = {}
        current: Path = ()

        def resolve(parts: list[str]) -> Path:
            out: Path = ()
            for part in parts:
                out = (*out, part)
                if out in counts:
                    out = (*out, counts[out] - 1)
            return out

        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if match := self._ARRAY.match(line):
                parts = _split_dotted(match.group(1))
                key = (*resolve(parts[:-1]), parts[-1])
                counts[key] = counts.get(key, 0) + 1
                current = (*key, counts[key] - 1)
                self.lines.setdefault(current, number)
            elif match := self._TABLE.match(line):
                current = resolve(_split_dotted(match.group(1)))
                self.lines.setdefault(current, number)
            elif match := self._KEY.match(line):
                self.lines.setdefault((*current, *_split_dotted(match.group(1))), number)

    def line(self, path: Path) -> int:
        """The line of ``path``, else of its nearest enclosing table (0 if unknown)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 0


def _split_dotted(text: str) -> list[str]:
    return [p.strip().strip('"').strip("'") for p in text.split(".")]


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Loader:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.lines = _Lines(text)
        self.ids: dict[str, Path] = {}

    def fail(self, what: str, path: Path, **params: Any) -> InvalidInput:
        return InvalidInput(
            f"criteria.{what}",
            source=self.source,
            line=self.lines.line(path),
            key=_dotted(path),
            **params,
        )

    # -- primitive readers -------------------------------------------------

    def table(self, data: Any, path: Path, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail("not_table", path)
        for key in data:
            if key not in allowed:
                raise self.fail(
                    "unknown_key", (*path, key), name=key, allowed=", ".join(sorted(allowed))
                )
        for key in sorted(required):
            if key not in data:
                raise self.fail("missing", (*path, key), name=key)
        return data

    def text_value(
        self, data: dict[str, Any], key: str, path: Path, default: str | None = None
    ) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail("bad_text", (*path, key), name=key)
        return value.strip()

    def number(self, data: dict[str, Any], key: str, path: Path) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail("bad_number", (*path, key), name=key, value=value)
        return float(value)

    def points(
        self, data: dict[str, Any], key: str, path: Path, *, allow_zero: bool = False
    ) -> int:
        value = self.number(data, key, path)
        centi = Decimal(str(value)) * 100
        if centi != centi.to_integral_value() or value < 0 or (value == 0 and not allow_zero):
            raise self.fail("bad_points", (*path, key), name=key, value=data.get(key))
        return int(centi)

    def ident(self, data: dict[str, Any], path: Path) -> str:
        value = data.get("id")
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail("bad_id", (*path, "id"), value=value)
        if value in self.ids:
            first = self.lines.line((*self.ids[value], "id"))
            raise self.fail("duplicate_id", (*path, "id"), value=value, first_line=first)
        self.ids[value] = path
        return value

    # -- structure ---------------------------------------------------------

    def load(self) -> CriteriaSet:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise InvalidInput(
                "criteria.syntax",
                source=self.source,
                line=int(match.group(1)) if match else 0,
                key="",
                detail=str(exc),
            ) from None
        root = self.table(data, (), {"format", "set", "band", "group"}, {"set", "band", "group"})
        fmt = root.get("format", FORMAT_VERSION)
        if fmt != FORMAT_VERSION:
            raise self.fail("format", ("format",), value=fmt, supported=FORMAT_VERSION)
        head_path: Path = ("set",)
        head = self.table(
            root["set"],
            head_path,
            {
                "id",
                "version",
                "title_vi",
                "title_en",
                "legal_basis",
                "status",
                "total_points",
                "note",
            },
            {"id", "version", "title_vi", "legal_basis", "total_points"},
        )
        set_id = self.ident(head, head_path)
        version = head["version"]
        if isinstance(version, (int, float)) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not version.strip():
            raise self.fail("bad_text", (*head_path, "version"), name="version")
        status = self.text_value(head, "status", head_path, "in_force")
        if status not in ("in_force", "template"):
            raise self.fail("bad_status", (*head_path, "status"), value=status)
        total_c = self.points(head, "total_points", head_path)

        groups_raw = root["group"]
        if not isinstance(groups_raw, list) or not groups_raw:
            raise self.fail("no_groups", ("group",))
        groups = tuple(self.group(g, ("group", i)) for i, g in enumerate(groups_raw))
        group_sum = sum(g.max_c for g in groups)
        if group_sum != total_c:
            raise self.fail(
                "total_sum",
                (*head_path, "total_points"),
                total=format_points(total_c, "en"),
                sum=format_points(group_sum, "en"),
            )
        bands = self.bands(root["band"], total_c)
        return CriteriaSet(
            id=set_id,
            version=version.strip(),
            title_vi=self.text_value(head, "title_vi", head_path),
            title_en=self.text_value(head, "title_en", head_path, ""),
            legal_basis=self.text_value(head, "legal_basis", head_path),
            status=status,
            total_c=total_c,
            bands=bands,
            groups=groups,
        )

    def bands(self, raw: Any, total_c: int) -> tuple[Band, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("bad_bands", ("band",), detail="empty")
        bands: list[Band] = []
        for i, item in enumerate(raw):
            path: Path = ("band", i)
            data = self.table(
                item,
                path,
                {"id", "name_vi", "name_en", "min_points"},
                {"id", "name_vi", "min_points"},
            )
            band = Band(
                id=self.ident(data, path),
                name_vi=self.text_value(data, "name_vi", path),
                name_en=self.text_value(data, "name_en", path, ""),
                min_c=self.points(data, "min_points", path, allow_zero=True),
            )
            if band.min_c > total_c:
                raise self.fail(
                    "band_above_total", (*path, "min_points"), value=format_points(band.min_c, "en")
                )
            if bands and band.min_c >= bands[-1].min_c:
                raise self.fail(
                    "band_order", (*path, "min_points"), value=format_points(band.min_c, "en")
                )
            bands.append(band)
        if bands[-1].min_c != 0:
            raise self.fail("band_floor", ("band", len(bands) - 1, "min_points"))
        return tuple(bands)

    def group(self, raw: Any, path: Path) -> Group:
        data = self.table(
            raw,
            path,
            {"id", "title_vi", "title_en", "max_points", "criterion"},
            {"id", "title_vi", "max_points", "criterion"},
        )
        group_id = self.ident(data, path)
        max_c = self.points(data, "max_points", path)
        items = data["criterion"]
        if not isinstance(items, list) or not items:
            raise self.fail("no_criteria", (*path, "criterion"))
        criteria = tuple(
            self.criterion(c, (*path, "criterion", i), max_depth=2) for i, c in enumerate(items)
        )
        total = sum(c.max_c for c in criteria)
        if total != max_c:
            raise self.fail(
                "group_sum",
                (*path, "max_points"),
                group=group_id,
                max=format_points(max_c, "en"),
                sum=format_points(total, "en"),
            )
        return Group(
            id=group_id,
            title_vi=self.text_value(data, "title_vi", path),
            title_en=self.text_value(data, "title_en", path, ""),
            max_c=max_c,
            criteria=criteria,
        )

    def criterion(self, raw: Any, path: Path, max_depth: int) -> Criterion:
        allowed = {"id", "title_vi", "title_en", "max_points", "hint_vi", "hint_en", "rule"}
        if max_depth > 1:
            allowed.add("sub")
        data = self.table(raw, path, allowed, {"id", "title_vi", "max_points"})
        crit_id = self.ident(data, path)
        max_c = self.points(data, "max_points", path)
        has_rule, has_subs = "rule" in data, "sub" in data
        if has_rule == has_subs:
            raise self.fail("rule_or_sub", path, criterion=crit_id)
        subs: tuple[Criterion, ...] = ()
        rule: Rule | None = None
        if has_subs:
            raw_subs = data["sub"]
            if not isinstance(raw_subs, list) or not raw_subs:
                raise self.fail("rule_or_sub", (*path, "sub"), criterion=crit_id)
            subs = tuple(
                self.criterion(s, (*path, "sub", i), max_depth - 1) for i, s in enumerate(raw_subs)
            )
            total = sum(s.max_c for s in subs)
            if total != max_c:
                raise self.fail(
                    "sub_sum",
                    (*path, "max_points"),
                    criterion=crit_id,
                    max=format_points(max_c, "en"),
                    sum=format_points(total, "en"),
                )
        else:
            rule = self.rule(data["rule"], (*path, "rule"), max_c)
        return Criterion(
            id=crit_id,
            title_vi=self.text_value(data, "title_vi", path),
            title_en=self.text_value(data, "title_en", path, ""),
            max_c=max_c,
            rule=rule,
            subs=subs,
            hint_vi=self.text_value(data, "hint_vi", path, ""),
            hint_en=self.text_value(data, "hint_en", path, ""),
        )

    def rule(self, raw: Any, path: Path, max_c: int) -> Rule:
        if not isinstance(raw, dict):
            raise self.fail("not_table", path)
        kind = raw.get("kind")
        if kind == "manual":
            data = self.table(raw, path, {"kind", "min", "max", "step", "evidence"}, {"kind"})
            min_c = self.points(data, "min", path, allow_zero=True) if "min" in data else 0
            top_c = self.points(data, "max", path) if "max" in data else max_c
            step_c = self.points(data, "step", path) if "step" in data else None
            evidence = data.get("evidence", True)
            if not isinstance(evidence, bool):
                raise self.fail("bad_bool", (*path, "evidence"), name="evidence")
            if not min_c < top_c <= max_c:
                raise self.fail(
                    "bad_bounds",
                    (*path, "max" if "max" in data else "min"),
                    min=format_points(min_c, "en"),
                    max=format_points(top_c, "en"),
                    points=format_points(max_c, "en"),
                )
            if step_c is not None and ((top_c - min_c) % step_c):
                raise self.fail("bad_step", (*path, "step"), step=format_points(step_c, "en"))
            return ManualRule(min_c=min_c, max_c=top_c, step_c=step_c, evidence_required=evidence)
        if kind not in ("linear", "threshold"):
            raise self.fail("unknown_rule", (*path, "kind"), value=kind)
        common = {"kind", "indicator", "when_empty"}
        if kind == "linear":
            data = self.table(
                raw,
                path,
                common | {"zero_at", "full_at"},
                common - {"when_empty"} | {"zero_at", "full_at"},
            )
        else:
            data = self.table(raw, path, common | {"steps"}, common - {"when_empty"} | {"steps"})
        indicator = data["indicator"]
        spec = INDICATORS.get(indicator) if isinstance(indicator, str) else None
        if spec is None:
            raise self.fail(
                "unknown_indicator",
                (*path, "indicator"),
                value=indicator,
                known=", ".join(sorted(INDICATORS)),
            )
        when_empty = data.get("when_empty", "full")
        if when_empty not in ("full", "zero"):
            raise self.fail("bad_when_empty", (*path, "when_empty"), value=when_empty)
        if kind == "linear":
            zero_at = self.number(data, "zero_at", path)
            full_at = self.number(data, "full_at", path)
            for key, value in (("zero_at", zero_at), ("full_at", full_at)):
                if value < 0 or (spec.kind == "rate" and value > 1):
                    raise self.fail(
                        "bad_scale", (*path, key), name=key, value=value, indicator=indicator
                    )
            if zero_at == full_at:
                raise self.fail("flat_scale", (*path, "full_at"), value=full_at)
            return LinearRule(indicator, zero_at, full_at, when_empty)
        return ThresholdRule(
            indicator, self.steps(data["steps"], (*path, "steps"), spec.kind, max_c), when_empty
        )

    def steps(self, raw: Any, path: Path, indicator_kind: str, max_c: int) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("bad_steps", path, detail="empty")
        steps: list[Step] = []
        for i, item in enumerate(raw):
            if (
                not isinstance(item, dict)
                or set(item) - {"at_least", "at_most", "points"}
                or "points" not in item
            ):
                raise self.fail("bad_steps", path, detail=f"#{i + 1}")
            if ("at_least" in item) == ("at_most" in item):
                raise self.fail("bad_steps", path, detail=f"#{i + 1}: at_least | at_most")
            at_least = "at_least" in item
            bound = item["at_least" if at_least else "at_most"]
            if (
                isinstance(bound, bool)
                or not isinstance(bound, (int, float))
                or bound < 0
                or (indicator_kind == "rate" and bound > 1)
            ):
                raise self.fail("bad_steps", path, detail=f"#{i + 1}: {bound!r}")
            pts = item["points"]
            if isinstance(pts, bool) or not isinstance(pts, (int, float)):
                raise self.fail("bad_steps", path, detail=f"#{i + 1}: points")
            points_c = Decimal(str(pts)) * 100
            if points_c != points_c.to_integral_value() or not 0 <= points_c <= max_c:
                raise self.fail(
                    "step_points", path, step=i + 1, value=pts, max=format_points(max_c, "en")
                )
            step = Step(float(bound), at_least, int(points_c))
            if steps:
                prev = steps[-1]
                # Steps go from the best result down: the first one reached wins.
                ordered = (step.bound < prev.bound) if at_least else (step.bound > prev.bound)
                if step.at_least != prev.at_least or not ordered or step.points_c >= prev.points_c:
                    raise self.fail("step_order", path, step=i + 1)
            steps.append(step)
        return tuple(steps)


def load_criteria(text: str, source: str = "<criteria>") -> CriteriaSet:
    """Parse and validate a criteria-set TOML text.

    Raises ``InvalidInput("criteria.<what>", source=..., line=..., key=..., ...)``
    naming the first bad line and key; nothing is returned on error.
    """
    return _Loader(text, source).load()


# ---------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class ManualScore:
    """A leader's score of a manual item, with its evidence."""

    points_c: int
    evidence: str
    attachment: str = ""


def check_manual(
    criterion: Criterion, points_c: int, evidence: str, attachment: str = ""
) -> ManualScore:
    """Validate a manual score against the item's rule.

    Raises ``InvalidInput`` ("assess.not_manual", "assess.score_out_of_bounds",
    "assess.score_step", "assess.evidence_required").
    """
    rule = criterion.rule
    if not isinstance(rule, ManualRule):
        raise InvalidInput("assess.not_manual", criterion=criterion.id)
    if not rule.min_c <= points_c <= rule.max_c:
        raise InvalidInput(
            "assess.score_out_of_bounds",
            criterion=criterion.id,
            score=format_points(points_c),
            min=format_points(rule.min_c),
            max=format_points(rule.max_c),
        )
    if rule.step_c and (points_c - rule.min_c) % rule.step_c:
        raise InvalidInput(
            "assess.score_step", criterion=criterion.id, step=format_points(rule.step_c)
        )
    evidence = evidence.strip()
    if rule.evidence_required and not evidence:
        raise InvalidInput("assess.evidence_required", criterion=criterion.id)
    return ManualScore(points_c=points_c, evidence=evidence, attachment=attachment.strip())


@dataclass(frozen=True)
class _Localized:
    """A catalogue message used as a parameter of another, rendered in a fixed language."""

    id: str
    language: str

    def __str__(self) -> str:
        return Message(self.id).render(self.language)


@dataclass(frozen=True)
class ItemScore:
    """The score of one item: computed from an indicator, or manual (``None`` until scored)."""

    criterion_id: str
    group_id: str
    kind: str  # computed | manual
    points_c: int | None
    max_c: int
    indicator: IndicatorValue | None = None
    evidence: str = ""
    attachment: str = ""

    def explanation(self, language: str = "vi") -> Message:
        """Why this item has its points, e.g. "on-time 96.4% = 482/500 -> 4/4 pts"."""
        pts = format_points(self.points_c or 0, language)
        top = format_points(self.max_c, language)
        if self.kind == "manual":
            if self.points_c is None:
                return Message("assess.explain.pending", {"max": top})
            return Message(
                "assess.explain.manual",
                {"points": pts, "max": top, "evidence": self.evidence or "-"},
            )
        value = self.indicator
        assert value is not None
        name = _Localized(f"indicator.{value.id}", language)
        if value.kind == "count":
            return Message(
                "assess.explain.count",
                {"indicator": name, "num": value.numerator, "points": pts, "max": top},
            )
        if value.value is None:
            return Message("assess.explain.empty", {"indicator": name, "points": pts, "max": top})
        return Message(
            "assess.explain.rate",
            {
                "indicator": name,
                "percent": format_rate(value.value, language),
                "num": value.numerator,
                "den": value.denominator,
                "points": pts,
                "max": top,
            },
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the stored self-assessment (``scores`` JSON)."""
        return {
            "group": self.group_id,
            "kind": self.kind,
            "points": self.points_c,
            "max": self.max_c,
            "indicator": self.indicator.as_dict() if self.indicator else None,
            "evidence": self.evidence,
            "attachment": self.attachment,
        }


@dataclass(frozen=True)
class Scorecard:
    """Every item's score, the total and the band."""

    criteria_set: CriteriaSet
    items: tuple[ItemScore, ...]

    @property
    def total_c(self) -> int:
        """Sum of the scored items, in centipoints (unscored manual items count 0)."""
        return sum(i.points_c or 0 for i in self.items)

    @property
    def complete(self) -> bool:
        """True when every manual item has a score."""
        return all(i.points_c is not None for i in self.items)

    @property
    def pending(self) -> tuple[str, ...]:
        """Ids of the manual items still to score."""
        return tuple(i.criterion_id for i in self.items if i.points_c is None)

    @property
    def band(self) -> Band | None:
        """The band the total reaches."""
        return self.criteria_set.band_for(self.total_c)

    def group_total(self, group_id: str) -> int:
        """Centipoints scored in one group."""
        return sum(i.points_c or 0 for i in self.items if i.group_id == group_id)

    def item(self, item_id: str) -> ItemScore:
        """The score of ``item_id`` (KeyError if the set has no such item)."""
        for found in self.items:
            if found.criterion_id == item_id:
                return found
        raise KeyError(item_id)


def score(
    criteria_set: CriteriaSet,
    indicators: Mapping[str, IndicatorValue],
    manual: Mapping[str, ManualScore],
) -> Scorecard:
    """Score every item: computed rules from ``indicators``, manual ones from ``manual``.

    Manual scores for ids the set does not have are ignored (a set revision may
    drop an item); a computed rule whose indicator is missing raises KeyError,
    which is a programming error (the caller computes every indicator).
    """
    items: list[ItemScore] = []
    for group, criterion in criteria_set.items():
        rule = criterion.rule
        if isinstance(rule, ManualRule):
            given = manual.get(criterion.id)
            items.append(
                ItemScore(
                    criterion.id,
                    group.id,
                    "manual",
                    given.points_c if given else None,
                    criterion.max_c,
                    evidence=given.evidence if given else "",
                    attachment=given.attachment if given else "",
                )
            )
        else:
            assert rule is not None
            value = indicators[rule.indicator]
            items.append(
                ItemScore(
                    criterion.id,
                    group.id,
                    "computed",
                    rule.points(value, criterion.max_c),
                    criterion.max_c,
                    value,
                )
            )
    return Scorecard(criteria_set, tuple(items))
