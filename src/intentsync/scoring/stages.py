"""Journey stage rules: where the evidence puts an account, and when it may actually move."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.scoring.compute import AccountScore, DailySignal
from intentsync.scoring.config import SOURCES, ScoringConfig
from intentsync.signals.types import DAY_MS, SIGNAL_TYPES, day_of

UNAWARE, AWARE, CONSIDERATION, OPPORTUNITY, CUSTOMER = JOURNEY_STAGES
DEAL_DRIVEN = frozenset({OPPORTUNITY, CUSTOMER})

_RANK = {stage: rank for rank, stage in enumerate(JOURNEY_STAGES)}
_EPOCH = date(1970, 1, 1)
_SOURCE_LABEL = {
    "website": "website",
    "g2": "G2",
    "bombora": "Bombora",
    "linkedin": "LinkedIn",
    "sales": "sales",
}
_SOURCE_ORDER = {source: rank for rank, source in enumerate(SOURCES)}
_TYPE_ORDER = {
    (source, signal_type): rank
    for source, types in SIGNAL_TYPES.items()
    for rank, signal_type in enumerate(types)
}
_STRONG = frozenset(
    {
        ("website", "demo"),
        ("website", "pricing"),
        ("g2", "pricing"),
        ("g2", "compare"),
        ("g2", "competitor"),
        ("sales", "inbound"),
    }
)
_SALES_WORDS = {
    "outbound_email": "outbound sales email",
    "outbound_call": "outbound sales call",
    "connected_call": "connected sales call",
    "inbound": "inbound sales touch",
}


@dataclass(frozen=True, slots=True)
class StageDecision:
    """What to store after a run: the stage, why, and any downgrade still waiting to hold."""

    stage: str
    reason: str
    changed: bool
    pending_stage: str | None
    pending_since_day: int | None


@lru_cache(maxsize=4096)
def iso_day(day: int) -> str:
    """Reasons are read by people, so days are shown as dates."""
    return (_EPOCH + timedelta(days=day)).isoformat()


def entered_ms(*, as_of: int, stamp: int) -> int:
    """A run as of a past day moved the stage on that day, though it writes with today's stamp."""
    return as_of * DAY_MS if as_of < day_of(stamp) else stamp


def describe_signal(signal: DailySignal) -> str:
    """Name a signal the way a salesperson would say it."""
    on = iso_day(signal.day)
    kind = signal.type.replace("_", " ")
    if signal.source == "website":
        return f"website {kind} page view on {on}"
    if signal.source == "bombora":
        return f"Bombora surge on '{signal.detail}' in the week of {on}"
    if signal.source == "sales":
        return f"{_SALES_WORDS.get(signal.type, kind)} on {on}"
    return f"{_SOURCE_LABEL.get(signal.source, signal.source)} {kind} signal on {on}"


def _plural(count: int, one: str, many: str) -> str:
    """'has a won deal' reads better than 'has 1 won deal(s)'."""
    return one if count == 1 else many.format(count)


def _newest(
    signals: Sequence[DailySignal],
    as_of: int,
    days: int,
    accept: Callable[[DailySignal], bool],
) -> DailySignal | None:
    """The most recent qualifying row aged 0..days-1; ties go to source, then type order."""
    best: DailySignal | None = None
    best_key: tuple[int, int, int, str] | None = None
    for signal in signals:
        age = as_of - signal.day
        if age < 0 or age >= days or signal.quantity <= 0 or not accept(signal):
            continue
        key = (
            -signal.day,
            _SOURCE_ORDER[signal.source],
            _TYPE_ORDER[signal.source, signal.type],
            signal.detail,
        )
        if best_key is None or key < best_key:
            best, best_key = signal, key
    return best


def candidate_stage(
    signals: Sequence[DailySignal],
    *,
    as_of: int,
    score: AccountScore,
    open_deals: int,
    won_deals: int,
    config: ScoringConfig,
) -> tuple[str, str]:
    """Where the evidence puts the account today, first rule that matches wins.

    Only public signal types of enabled sources count as evidence. "The last N days" means
    ages 0..N-1. A Bombora row counts for Aware only when its score reaches min_score, and a
    website "ignored" page view never counts.
    """
    if won_deals > 0:
        return CUSTOMER, _plural(won_deals, "has a won deal", "has {} won deals")
    if open_deals > 0:
        return OPPORTUNITY, _plural(open_deals, "has an open deal", "has {} open deals")
    rules = config.stages
    enabled = config.enabled

    def public(signal: DailySignal) -> bool:
        return enabled.get(signal.source, False) and (signal.source, signal.type) in _TYPE_ORDER

    overall = score.overall
    if overall >= rules.consideration_overall:
        return CONSIDERATION, f"overall score {overall} ≥ {rules.consideration_overall}"
    best = max(
        (s for s in SOURCES if score.sources[s].enabled),
        key=lambda s: score.sources[s].score,
        default=None,
    )
    if best is not None and score.sources[best].score >= rules.consideration_sub_score:
        label = _SOURCE_LABEL[best]
        threshold = rules.consideration_sub_score
        return CONSIDERATION, f"{label} score {score.sources[best].score} ≥ {threshold}"
    strong = _newest(
        signals,
        as_of,
        rules.consideration_days,
        lambda s: public(s) and (s.source, s.type) in _STRONG,
    )
    if strong is not None:
        return CONSIDERATION, describe_signal(strong)
    if overall >= rules.aware_overall:
        return AWARE, f"overall score {overall} ≥ {rules.aware_overall}"
    min_surge = config.bombora.min_score
    any_signal = _newest(
        signals,
        as_of,
        rules.aware_days,
        lambda s: (
            public(s)
            and not (s.source == "website" and s.type == "ignored")
            and not (s.source == "bombora" and s.value < min_surge)
        ),
    )
    if any_signal is not None:
        return AWARE, describe_signal(any_signal)
    return UNAWARE, (
        f"overall score {overall} < {rules.aware_overall} "
        f"and no signals in the last {rules.aware_days} days"
    )


def next_stage(
    *,
    current: str,
    candidate: str,
    reason: str,
    pending_stage: str | None,
    pending_since_day: int | None,
    as_of: int,
    downgrade_days: int,
) -> StageDecision:
    """Move up at once, down only once the lower stage has held, so stages do not flap.

    Deal-driven stages (Opportunity, Customer) change at once in both directions. A current
    stage that is not a journey stage (never scored) counts as Unaware.
    """
    if candidate not in _RANK:
        raise ValueError(f"unknown journey stage {candidate!r}")
    now = current if current in _RANK else UNAWARE
    if candidate == now:
        return StageDecision(now, reason, False, None, None)
    if _RANK[candidate] > _RANK[now] or candidate in DEAL_DRIVEN or now in DEAL_DRIVEN:
        return StageDecision(candidate, reason, True, None, None)
    since = as_of
    if pending_stage == candidate and pending_since_day is not None:
        since = min(pending_since_day, as_of)
    held = as_of - since
    if held >= downgrade_days:
        return StageDecision(
            candidate, f"{reason}; {candidate} held for {held} days", True, None, None
        )
    waiting = (
        f"{candidate} pending since {iso_day(since)} ({held} of {downgrade_days} days): {reason}"
    )
    return StageDecision(now, waiting, False, candidate, since)
