"""Account intent scores: every point traceable to the daily signals that earned it."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from intentsync.scoring.config import SOURCES, ScoringConfig

# Internal row types written by the roll-up beside the public ones.
VISITOR_TYPE = "visitor"  # website: detail = visitor id, one row per visitor per day
LONG_CALL_TYPE = "connected_call_long"  # sales: quantity = connected calls >= long_call_minutes
VISITOR_BUCKET = "visitors"
SURGE_BUCKET = "surge"

_POINTS, _VISITOR, _SURGE = 0, 1, 2

# Decay factor by whole day of age; ages outside 0..window are absent, so one lookup checks both.
_Decay = dict[int, float]
# (source, (source, bucket), points per unit, decay, kind)
_Rule = tuple[str, tuple[str, str], float, _Decay, int]
# (-points, -day, source, type, detail, quantity, (source, bucket) or None for Bombora):
# sorts into the order `top` promises.
_Earned = tuple[float, int, str, str, str, float, tuple[str, str] | None]


class DailySignal(NamedTuple):
    """One roll-up row as scoring reads it; a tuple, as a run builds millions of them."""

    source: str
    type: str
    day: int  # UTC days since 1970-01-01
    quantity: float
    detail: str = ""  # Bombora topic; website visitor id for internal type "visitor"
    value: float = 0.0  # Bombora composite score (0-100)


@dataclass(frozen=True, slots=True)
class Contribution:
    """Lets a salesperson see which signal earned which points (decayed, before caps)."""

    source: str
    type: str
    day: int
    quantity: float
    detail: str
    points: float


@dataclass(frozen=True, slots=True)
class SourceScore:
    """A source's 0-100 sub-score with the capped buckets it came from, so it can be explained."""

    score: int
    raw: float
    buckets: dict[str, float]
    enabled: bool


@dataclass(frozen=True, slots=True)
class AccountScore:
    """Everything one scoring run says about one account."""

    overall: int
    sources: dict[str, SourceScore]
    top: tuple[Contribution, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """A config turned into lookup tables once, so scoring 100,000 accounts stays cheap."""

    rules: dict[tuple[str, str], _Rule]
    caps: dict[tuple[str, str], float]
    k: dict[str, float]
    enabled: tuple[str, ...]
    visitor_points: float
    visitor_cap: float
    min_score: float
    baseline: float
    divisor: float
    top_topics: int


def round_half_up(x: float) -> int:
    """Scores must not depend on banker's rounding (Python's round sends 2.5 to 2)."""
    whole = math.floor(x)
    return int(whole) + 1 if x - whole >= 0.5 else int(whole)


def sub_score(raw: float, k: float) -> int:
    """Saturate raw points into 0-100 so a flood of activity cannot run away with the score."""
    return round_half_up(100.0 * (1.0 - math.exp(-raw / k)))


def overall_score(scores: Mapping[str, int], config: ScoringConfig) -> int:
    """Weighted mean in integers (half up), so the published breakdown adds up exactly."""
    total = weight_sum = 0
    for source in SOURCES:
        if config.enabled[source]:
            weight = config.weights[source]
            total += weight * scores.get(source, 0)
            weight_sum += weight
    if weight_sum == 0:
        return 0
    return (2 * total + weight_sum) // (2 * weight_sum)


@lru_cache(maxsize=256)
def _decay_table(half_life: float, ages: int) -> _Decay:
    """Decay factors by whole day of age, computed once instead of once per row."""
    return {age: 0.5 ** (age / half_life) for age in range(ages)}


def _build_plan(config: ScoringConfig) -> _Plan:
    """Flatten the config into (source, type) rules for the scoring loop."""
    rules: dict[tuple[str, str], _Rule] = {}
    caps: dict[tuple[str, str], float] = {}
    k: dict[str, float] = {}
    enabled = tuple(s for s in SOURCES if config.enabled[s])
    for source, params in config.point_sources.items():
        k[source] = params.k
        if source not in enabled:
            continue
        ages = params.window_days + 1
        for signal_type, points in params.points.items():
            decay = _decay_table(params.half_life(signal_type), ages)
            rules[source, signal_type] = (source, (source, signal_type), points, decay, _POINTS)
            caps[source, signal_type] = params.caps[signal_type]
    if "website" in enabled:
        visitor_ages = min(
            config.visitors.window_days, config.point_sources["website"].window_days + 1
        )
        flat = dict.fromkeys(range(visitor_ages), 1.0)
        key = ("website", VISITOR_BUCKET)
        rules["website", VISITOR_TYPE] = ("website", key, 0.0, flat, _VISITOR)
    if "sales" in enabled:
        sales = config.point_sources["sales"]
        decay = _decay_table(sales.half_life("connected_call"), sales.window_days + 1)
        bonus = config.long_call.bonus
        key = ("sales", "connected_call")
        rules["sales", LONG_CALL_TYPE] = ("sales", key, bonus, decay, _POINTS)
    bombora = config.bombora
    k["bombora"] = bombora.k
    if "bombora" in enabled:
        decay = _decay_table(bombora.half_life_days, bombora.window_days + 1)
        rules["bombora", "surge"] = ("bombora", ("bombora", SURGE_BUCKET), 0.0, decay, _SURGE)
    return _Plan(
        rules=rules,
        caps=caps,
        k=k,
        enabled=enabled,
        visitor_points=config.visitors.points,
        visitor_cap=config.visitors.cap,
        min_score=bombora.min_score,
        baseline=bombora.baseline,
        divisor=bombora.divisor,
        top_topics=bombora.top_topics,
    )


_PLANS: dict[int, tuple[ScoringConfig, _Plan]] = {}


def _plan_for(config: ScoringConfig) -> _Plan:
    """Memoise per config object (held alive beside its plan so its id cannot be reused)."""
    hit = _PLANS.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    plan = _build_plan(config)
    if len(_PLANS) >= 32:
        _PLANS.clear()
    _PLANS[id(config)] = (config, plan)
    return plan


def _surge(
    weeks: dict[int, dict[str, tuple[float, float]]],
    as_of: int,
    plan: _Plan,
    earned: list[_Earned],
) -> float:
    """Bombora weeks are already smoothed: rank each week's topics and keep the best week."""
    decay = plan.rules["bombora", "surge"][3]
    best = 0.0
    for day, topics in weeks.items():
        ranked = sorted((-p, topic, quantity) for topic, (p, quantity) in topics.items())
        ranked = ranked[: plan.top_topics]
        factor = decay[as_of - day]
        best = max(best, math.fsum(-neg_p for neg_p, _, _ in ranked) * factor)
        for neg_p, topic, quantity in ranked:
            earned.append((neg_p * factor, -day, "bombora", "surge", topic, quantity, None))
    return best


def score_account(
    signals: Iterable[DailySignal], *, as_of: int, config: ScoringConfig, top_n: int = 5
) -> AccountScore:
    """Score one account from its roll-up rows; the result depends on nothing else.

    Rows aged below 0 or above the source's window are ignored; unknown sources or types and
    rows of disabled sources earn nothing. Website visitors count when aged 0 to
    visitor_window_days - 1 ("the last 30 days" = ages 0..29), without decay. Bombora keeps
    the highest score per (week, topic). Bucket sums run in the sorted order of the
    contributions, so the result does not depend on the order of the rows.
    """
    plan = _plan_for(config)
    rules = plan.rules
    earned: list[_Earned] = []
    visitors: set[str] = set()
    weeks: dict[int, dict[str, tuple[float, float]]] = {}
    for sig in signals:
        rule = rules.get((sig.source, sig.type))
        if rule is None:
            continue
        source, bucket_key, points, decay, kind = rule
        factor = decay.get(as_of - sig.day)
        if factor is None:
            continue
        if kind == _POINTS:
            c = points * sig.quantity * factor
            if c > 0.0:
                earned.append(
                    (-c, -sig.day, source, sig.type, sig.detail, sig.quantity, bucket_key)
                )
        elif kind == _VISITOR:
            if sig.quantity > 0 and sig.detail:
                visitors.add(sig.detail)
        elif sig.value >= plan.min_score:
            p = (sig.value - plan.baseline) / plan.divisor
            if p > 0.0:
                topics = weeks.setdefault(sig.day, {})
                seen = topics.get(sig.detail)
                if seen is None or p > seen[0]:
                    topics[sig.detail] = (p, sig.quantity)
    surge = _surge(weeks, as_of, plan, earned) if weeks else 0.0
    earned.sort()

    totals: dict[tuple[str, str], float] = {}
    for neg_c, _, _, _, _, _, key in earned:
        if key is not None:
            totals[key] = totals.get(key, 0.0) - neg_c
    buckets: dict[str, dict[str, float]] = {source: {} for source in SOURCES}
    caps = plan.caps
    for key, total in totals.items():
        capped = min(caps[key], total)
        if capped > 0.0:
            buckets[key[0]][key[1]] = capped
    if visitors:
        earned_by_visitors = min(plan.visitor_cap, plan.visitor_points * len(visitors))
        if earned_by_visitors > 0.0:
            buckets["website"][VISITOR_BUCKET] = earned_by_visitors
    if surge > 0.0:
        buckets["bombora"][SURGE_BUCKET] = surge

    sources: dict[str, SourceScore] = {}
    scores: dict[str, int] = {}
    for source in SOURCES:
        if source in plan.enabled:
            raw = math.fsum(buckets[source].values())
            scores[source] = score = sub_score(raw, plan.k[source]) if raw > 0.0 else 0
            sources[source] = SourceScore(score, raw, buckets[source], True)
        else:
            sources[source] = SourceScore(0, 0.0, {}, False)
    top = tuple(
        Contribution(source, signal_type, -neg_day, quantity, detail, -neg_c)
        for neg_c, neg_day, source, signal_type, detail, quantity, _ in earned[: max(top_n, 0)]
    )
    return AccountScore(overall_score(scores, config), sources, top)
