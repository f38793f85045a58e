"""Tracker rules: write keys, page patterns, and turning a page view into a website signal."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.auth.service import Principal, authenticate
from intentsync.ip_ranges.service import resolve_ip
from intentsync.kit.clock import now_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest, Unauthorized
from intentsync.signals.service import NewSignal, Outcome, ingest_signals
from intentsync.teams.service import require_team
from intentsync.tracking import repository
from intentsync.tracking.errors import ForeignApiKey
from intentsync.tracking.keys import new_write_key
from intentsync.tracking.patterns import DEFAULT_PATTERNS, PatternError, categorize, check_patterns

Patterns = tuple[tuple[str, str], ...]
DROPPED_KINDS = ("isp", "hosting")  # a shared address names the network, not the company
SERVER_ONLY = (
    "ip and domain choose the company a page view is credited to, so only a server holding "
    "the team's API key may send them (X-Api-Key header; never put that key in a web page). "
    "From a browser leave them out: the visitor's address is taken from the connection"
)
FOREIGN_KEY = (
    "X-Api-Key belongs to a different team than the write key; send that team's API key, "
    "or leave the write key out (the API key names the team)"
)


@dataclass(frozen=True, slots=True)
class Tracker:
    """The team a write key belongs to and the patterns its pages are sorted by."""

    team_id: int
    patterns: Patterns


@dataclass(frozen=True, slots=True)
class Visit:
    url: str
    visitor_id: str
    page_view_id: str | None = None
    occurred_ms: int | None = None
    ip: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Located:
    """Where a visit came from: the company to credit, or why none can be."""

    category: str
    domain: str | None
    reason: str | None = None


def _stored(patterns: list[list[str]] | None) -> Patterns:
    return DEFAULT_PATTERNS if patterns is None else tuple((c, p) for c, p in patterns)


def _ensure_settings(session: Session, *, team_id: int) -> tuple[str, list[list[str]] | None]:
    found = repository.find(session, team_id=team_id)
    if found is not None:
        return found
    require_team(session, team_id=team_id)
    repository.add_if_missing(session, team_id=team_id, write_key=new_write_key(), at_ms=now_ms())
    created = repository.find(session, team_id=team_id)
    assert created is not None
    return created


def ensure_write_key(session: Session, *, team_id: int) -> str:
    """The team's write key, created on first use."""
    return _ensure_settings(session, team_id=team_id)[0]


def find_write_key(session: Session, *, team_id: int) -> str | None:
    """The team's write key without creating one, for pages that only read."""
    found = repository.find(session, team_id=team_id)
    return None if found is None else found[0]


def rotate_write_key(session: Session, *, team_id: int) -> str:
    """Issue a new write key; pages still carrying the old one stop being recorded."""
    _ensure_settings(session, team_id=team_id)
    key = new_write_key()
    repository.set_write_key(session, team_id=team_id, write_key=key)
    return key


def page_patterns(session: Session, *, team_id: int) -> tuple[Patterns, bool]:
    """The team's patterns and whether they are its own rather than the built-in defaults."""
    stored = _ensure_settings(session, team_id=team_id)[1]
    return _stored(stored), stored is not None


def find_page_patterns(session: Session, *, team_id: int) -> tuple[Patterns, bool]:
    """page_patterns without creating the team's settings, for pages that only read."""
    found = repository.find(session, team_id=team_id)
    stored = None if found is None else found[1]
    return _stored(stored), stored is not None


def set_page_patterns(session: Session, *, team_id: int, patterns: Any) -> Patterns:
    """Replace the team's patterns with a checked list; None goes back to the defaults."""
    _ensure_settings(session, team_id=team_id)
    if patterns is None:
        repository.set_patterns(session, team_id=team_id, patterns=None)
        return DEFAULT_PATTERNS
    try:
        checked = check_patterns(patterns)
    except PatternError as exc:
        raise BadRequest(str(exc)) from None
    repository.set_patterns(session, team_id=team_id, patterns=[[c, p] for c, p in checked])
    return checked


def tracker_for_key(session: Session, write_key: str | None) -> Tracker:
    if not write_key:
        raise Unauthorized("Missing write key: send writeKey in the body or an X-Write-Key header")
    found = repository.find_by_write_key(session, write_key)
    if found is None:
        raise Unauthorized("Invalid write key")
    team_id, patterns = found
    return Tracker(team_id=team_id, patterns=_stored(patterns))


def tracker_for_team(session: Session, *, team_id: int) -> Tracker:
    """A team's tracker without touching its settings: a read needs no write key to exist."""
    found = repository.find(session, team_id=team_id)
    return Tracker(team_id=team_id, patterns=_stored(None if found is None else found[1]))


def authorize(
    session: Session, *, write_key: str | None, api_key: str | None, visit: Visit
) -> Tracker:
    """The tracker a beacon writes to; only the team's secret key may name the company."""
    principal: Principal | None = None
    if api_key is not None:
        principal = authenticate(session, api_key)
    if principal is not None and not write_key:
        tracker = tracker_for_team(session, team_id=principal.team_id)
    else:
        tracker = tracker_for_key(session, write_key)
        if principal is not None and principal.team_id != tracker.team_id:
            raise ForeignApiKey(FOREIGN_KEY)
    if principal is None and (visit.ip is not None or visit.domain is not None):
        raise Unauthorized(SERVER_ONLY)
    return tracker


def locate(session: Session, *, tracker: Tracker, visit: Visit, client_ip: str | None) -> Located:
    """Categorise the page and find the company: the named domain, else the visitor's IP."""
    category = categorize(visit.url, tracker.patterns)
    if visit.domain is not None:
        domain = clean_domain(visit.domain)
        if not domain:
            raise BadRequest(f"domain '{visit.domain}' is not a valid domain")
        return Located(category, domain)
    ip = visit.ip or client_ip
    if not ip:
        return Located(category, None, "the visitor's address is unknown; send ip or domain")
    found = resolve_ip(session, team_id=tracker.team_id, ip=ip)
    if found is None:
        return Located(category, None, "no imported IP range covers the visitor's address")
    domain, kind = found
    if kind in DROPPED_KINDS:
        return Located(
            category,
            None,
            f"the visitor's address is in a range marked {kind}; ranges marked isp or "
            "hosting are dropped",
        )
    return Located(category, domain)


def _page_view(visit: Visit, located: Located) -> NewSignal:
    """The website signal a located page view becomes."""
    assert located.domain is not None
    # Without a pageViewId a retried beacon cannot be told from a new view, so it counts twice.
    page_view_id = visit.page_view_id or f"srv-{uuid.uuid4().hex}"
    return NewSignal(
        source="website",
        domain=located.domain,
        occurred_ms=visit.occurred_ms if visit.occurred_ms is not None else now_ms(),
        type=located.category,
        attributes={"pageViewId": page_view_id, "visitorId": visit.visitor_id, "url": visit.url},
    )


def record(session: Session, *, tracker: Tracker, visit: Visit, located: Located) -> Outcome:
    """Store the page view once per pageViewId as a website signal for the located company."""
    signal = _page_view(visit, located)
    (outcome,) = ingest_signals(session, team_id=tracker.team_id, signals=[signal])
    if outcome.status == "failed":
        raise BadRequest(outcome.error or "the page view could not be recorded")
    return outcome


def record_many(
    session: Session, *, tracker: Tracker, views: Sequence[tuple[Visit, Located]]
) -> list[Outcome]:
    """Store located page views in one ingest, as record does one; an outcome per view."""
    signals = [_page_view(visit, located) for visit, located in views]
    return ingest_signals(session, team_id=tracker.team_id, signals=signals)
