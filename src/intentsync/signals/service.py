"""Signal ingest rules: each signal is stored once, attached to an account, rolled up later.

Ingest stores the events; the scoring round folds them into the daily roll-up it reads and
flags their accounts for rescoring (fold_new_signals), so a push writes its own rows and
nothing per account or day. Until folded, an event is itself the sign that its account waits.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from sqlalchemy.orm import Session

from intentsync.accounts.service import accounts_for_domains, mark_inputs_changed
from intentsync.kit.clock import now_ms
from intentsync.kit.domains import clean_domain
from intentsync.signals import repository
from intentsync.signals.types import (
    DAY_MS,
    INGESTED_SOURCES,
    SIGNAL_TYPES,
    VISITOR_TYPE,
    day_of,
    week_start,
)
from intentsync.teams.service import change_stamp

MAX_FUTURE_MS = DAY_MS  # tolerate a day of clock skew between sender and server
MAX_ATTRIBUTES = 64  # keys in one signal's attributes
MAX_ATTRIBUTES_BYTES = 16 * 1024  # one signal's attributes, encoded as JSON
FOLD_BATCH = 20_000  # events one fold transaction rolls up
_TEXT_ATTRIBUTES = ("topic", "product", "campaign", "visitorId", "pageViewId", "companyName")


@dataclass(slots=True)
class NewSignal:
    """A signal as every entry point (API, tracker, importers) hands it to ingest.

    Not frozen: a request makes a thousand, a frozen one costs 0.7 µs more to build, and
    nothing changes one after it is made.
    """

    source: str
    domain: str
    occurred_ms: int
    type: str
    quantity: float = 1.0
    key: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


class Outcome(NamedTuple):
    """One signal's fate; a tuple, as a request makes a thousand of them."""

    status: str  # created, skipped or failed
    domain: str
    rtp_aid: str | None = None
    error: str | None = None


class _Checked(NamedTuple):
    """A signal that passed the checks, with its signal_events row built but for two columns.

    The row's account_id and created_ms are known only under the team write lock.
    """

    position: int  # in the request
    signal: NewSignal
    domain: str
    natural_key: str
    company: str | None  # attributes.companyName, which names a discovered account
    row: dict[str, Any]


def _text_attribute(signal: NewSignal, name: str) -> str | None:
    return _text_of(signal.attributes, name)


def _text_of(attributes: Mapping[str, Any], name: str) -> str | None:
    value = attributes.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _natural_key(signal: NewSignal, domain: str, day: int) -> str | None:
    """The key a repeat of this signal shares: the sender's key, else one per source."""
    if signal.key is not None:
        return "key:" + signal.key
    if signal.source == "bombora":
        return f"{domain}|{_text_attribute(signal, 'topic')}|{day}"
    if signal.source == "g2":
        return f"{domain}|{day}|{signal.type}|{_text_attribute(signal, 'product') or ''}"
    if signal.source == "linkedin":
        return f"{domain}|{day}|{signal.type}|{_text_attribute(signal, 'campaign') or ''}"
    page_view = _text_attribute(signal, "pageViewId")
    return f"pv:{page_view}" if page_view else None


def _attributes_problem(attributes: dict[str, Any]) -> str | None:
    """Attributes are free-form and stored as sent, so their size is bounded here."""
    if len(attributes) > MAX_ATTRIBUTES:
        return f"attributes may hold at most {MAX_ATTRIBUTES} keys; got {len(attributes)}"
    size = len(orjson.dumps(attributes))
    if size > MAX_ATTRIBUTES_BYTES:
        return f"attributes must be at most {MAX_ATTRIBUTES_BYTES} bytes as JSON; got {size}"
    return None


def _problem(signal: NewSignal, now: int) -> str | None:
    if signal.source not in INGESTED_SOURCES:
        if signal.source == "sales":
            return "sales signals come from pushed sales activities; use POST /sales-activities"
        return f"source '{signal.source}' is not one of: {', '.join(INGESTED_SOURCES)}"
    types = SIGNAL_TYPES[signal.source]
    if signal.type not in types:
        return f"type '{signal.type}' is not a {signal.source} type; use one of: {', '.join(types)}"
    if signal.occurred_ms > now + MAX_FUTURE_MS:
        return "occurredAt is more than a day in the future"
    if signal.attributes:
        problem = _attributes_problem(signal.attributes)
        if problem:
            return problem
        for name in _TEXT_ATTRIBUTES:
            value = signal.attributes.get(name)
            if value is not None and (not isinstance(value, str | int) or len(str(value)) > 255):
                return f"attributes.{name} must be text of at most 255 characters"
    if signal.source == "bombora":
        if _text_attribute(signal, "topic") is None:
            return "bombora signals need attributes.topic (the topic name)"
        score = signal.attributes.get("compositeScore")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
            return "bombora signals need attributes.compositeScore, a number from 0 to 100"
    if signal.source == "website" and signal.key is None:
        if _text_attribute(signal, "pageViewId") is None:
            return "website signals need a key or attributes.pageViewId so a repeat is stored once"
    return None


def _check(index: int, signal: NewSignal, now: int, team_id: int) -> _Checked | Outcome:
    domain = clean_domain(signal.domain)
    if not domain:
        return Outcome(
            "failed", signal.domain, error=f"domain '{signal.domain}' is not a valid domain"
        )
    problem = _problem(signal, now)
    if problem:
        return Outcome("failed", domain, error=problem)
    day = day_of(signal.occurred_ms)
    if signal.source == "bombora":
        day = week_start(day)
    key = _natural_key(signal, domain, day)
    if key is None or len(key) > 700:
        return Outcome("failed", domain, error="the signal key is longer than 700 characters")
    row = {
        "team_id": team_id,
        "account_id": None,
        "source": signal.source,
        "type": signal.type,
        "natural_key": key,
        "occurred_ms": signal.occurred_ms,
        "day": day,
        "quantity": 1.0 if signal.source == "bombora" else signal.quantity,
        "attributes": signal.attributes,
        "created_ms": None,
    }
    company = _text_of(signal.attributes, "companyName") if signal.attributes else None
    return _Checked(index, signal, domain, key, company, row)


RollUpKey = tuple[int, str, str, int, str]  # account_id, source, type, day, detail
# account_id, source, type, day, quantity, attributes: what the roll-up reads of an event
StoredEvent = tuple[int, str, str, int, float, Mapping[str, Any]]


def daily_rows(team_id: int, events: Iterable[StoredEvent]) -> list[dict[str, Any]]:
    """Fold stored events into one row per roll-up key so each key is written once."""
    totals: dict[RollUpKey, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for account_id, source, type_, day, quantity, attributes in events:
        detail, value = "", 0.0
        if source == "bombora":  # one row per topic, keeping the week's highest score
            detail = _text_of(attributes, "topic") or ""
            value = float(attributes.get("compositeScore", 0))
        slot = totals[(account_id, source, type_, day, detail)]
        slot[0] += quantity
        slot[1] = max(slot[1], value)
        # Job seekers and logins on ignored pages are not buying-interest visitors.
        visitor = (
            _text_of(attributes, "visitorId")
            if source == "website" and type_ != "ignored"
            else None
        )
        if visitor:
            totals[(account_id, source, VISITOR_TYPE, day, visitor)][0] += 1
    return roll_up_rows(team_id, dict(sorted(totals.items())))  # key order: index locality


def fold_new_signals(session: Session, *, team_id: int, limit: int = FOLD_BATCH) -> int:
    """Roll up at most limit of the team's events stored since the last fold; how many.

    Taken under the team write lock that every ingest takes before it inserts, so the events
    after the mark are all committed and a second fold cannot run at the same time. The
    events' accounts are flagged for rescoring in the same transaction as the mark moves, so
    an event is always either past the mark or counted in its account's flag.
    """
    stamp = change_stamp(session, team_id=team_id)
    mark = repository.fold_mark(session, team_id=team_id)
    rows = repository.events_after(session, team_id=team_id, after_id=mark, limit=limit)
    if not rows:
        return 0
    repository.add_to_daily(session, daily_rows(team_id, (row[1:] for row in rows)))
    mark_inputs_changed(session, {row[1] for row in rows}, at_ms=stamp)
    repository.set_fold_mark(session, team_id=team_id, event_id=rows[-1][0])
    return len(rows)


def has_unfolded_signals(session: Session, *, team_id: int) -> bool:
    """Whether the team holds signals no fold has rolled up (and flagged) yet."""
    return repository.has_events_after_mark(session, team_id=team_id)


def teams_with_unfolded_signals(session: Session) -> list[int]:
    """Teams whose next scoring round has signals to fold: part of the freshness check."""
    return repository.teams_with_events_after_mark(session)


def oldest_unfolded_ms(session: Session) -> int | None:
    """Across teams, when the oldest signal no fold has rolled up yet was stored."""
    return repository.oldest_event_after_mark_ms(session)


def roll_up_rows(team_id: int, totals: Mapping[RollUpKey, list[float]]) -> list[dict[str, Any]]:
    """signal_daily rows from folded (quantity, value) totals; bulk loaders fold the same way."""
    return [
        {
            "team_id": team_id,
            "account_id": account_id,
            "source": source,
            "type": type_,
            "day": day,
            "detail": detail,
            "quantity": quantity,
            "value": value,
        }
        for (account_id, source, type_, day, detail), (quantity, value) in totals.items()
    ]


def ingest_signals(
    session: Session, *, team_id: int, signals: Sequence[NewSignal]
) -> list[Outcome]:
    """Store new signals once and create discovered accounts; one outcome per signal.

    The accounts are flagged for rescoring when the scoring round folds these events.
    """
    now = now_ms()
    outcomes: list[Outcome | None] = [None] * len(signals)
    checked: list[_Checked] = []
    for index, signal in enumerate(signals):
        result = _check(index, signal, now, team_id)
        if isinstance(result, Outcome):
            outcomes[index] = result
        else:
            checked.append(result)
    by_source: dict[str, set[str]] = defaultdict(set)
    for item in checked:
        by_source[item.signal.source].add(item.natural_key)
    # The checks and rows above need no database: the team write lock is taken only now,
    # before the lookup of repeats, so concurrent pushes wait for each other's writes only.
    stamp = change_stamp(session, team_id=team_id)
    seen = repository.existing_pairs(session, team_id=team_id, keys_by_source=by_source)
    fresh: list[_Checked] = []
    repeats: list[_Checked] = []
    wanted: dict[str, str | None] = {}
    for item in checked:
        identity = (item.signal.source, item.natural_key)
        if identity in seen:
            repeats.append(item)
            continue
        seen.add(identity)
        fresh.append(item)
        if wanted.get(item.domain) is None:
            wanted[item.domain] = item.company
    accounts = accounts_for_domains(
        session,
        team_id=team_id,
        wanted=wanted,
        stamp=stamp,
        known={item.domain for item in repeats},
    )
    for item in fresh:
        account_id, rtp_aid = accounts[item.domain]
        item.row["account_id"] = account_id
        item.row["created_ms"] = stamp
        outcomes[item.position] = Outcome("created", item.domain, rtp_aid)
    repository.insert_events(session, [item.row for item in fresh])
    for item in repeats:
        # A repeat names its account too (None only if no account holds that domain any more).
        known = accounts.get(item.domain)
        outcomes[item.position] = Outcome(
            "skipped",
            item.domain,
            rtp_aid=known[1] if known else None,
            error="already received: same source and key",
        )
    return [o for o in outcomes if o is not None]


@dataclass(frozen=True)
class Volume:
    """Signals per source per day over a window, oldest day first; every day is present."""

    first_day: int
    days: int
    by_source: dict[str, list[float]]


def daily_volume(session: Session, *, team_id: int, days: int = 90) -> Volume:
    """Summed quantities per source and day for the last `days` days up to today."""
    today = day_of(now_ms())
    first = today - days + 1
    by_source: dict[str, list[float]] = {}
    # What the scoring round has not folded yet is counted from the events themselves.
    mark = repository.fold_mark(session, team_id=team_id)
    counted = [
        *repository.volume_by_day(session, team_id=team_id, from_day=first),
        *repository.unfolded_volume(session, team_id=team_id, after_id=mark, from_day=first),
    ]
    for day, source, quantity in counted:
        if day > today:
            continue  # dated tomorrow (clock skew is tolerated): past the chart's last day
        series = by_source.setdefault(source, [0.0] * days)
        series[day - first] += float(quantity or 0)
    ordered = {s: by_source[s] for s in (*INGESTED_SOURCES, *sorted(by_source)) if s in by_source}
    return Volume(first_day=first, days=days, by_source=ordered)
