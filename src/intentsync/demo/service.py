"""Writes the demo plan through each feature's service, as an integration would push it.

Nothing here commits: the demo job owns the transactions.
"""

import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from intentsync.accounts.schemas import AccountsCreate
from intentsync.accounts.service import create_accounts, list_accounts
from intentsync.activities.schemas import ActivitiesCreate
from intentsync.activities.service import create_activities
from intentsync.auth.service import generate_key, set_password
from intentsync.custom_fields.schemas import CustomFieldCreate
from intentsync.custom_fields.service import create_field
from intentsync.deals.schemas import DealsCreate
from intentsync.deals.service import upsert_deals
from intentsync.demo.crm import deals_on
from intentsync.demo.plan import DEMO_EMAIL, DEMO_TEAM, DemoPlan
from intentsync.demo.profiles import Wire, iso_date
from intentsync.kit.errors import Conflict
from intentsync.kit.pagination import page_request
from intentsync.pipelines.schemas import PipelinesCreate
from intentsync.pipelines.service import category_lookup, create_pipelines
from intentsync.segments.service import change_members, create_segment
from intentsync.signals.service import Outcome, ingest_signals
from intentsync.teams.service import (
    create_team,
    create_user,
    delete_team,
    find_user,
    require_team,
)
from intentsync.tracking.service import ensure_write_key, locate, record_many, tracker_for_team

T = TypeVar("T")
SIGNAL_BATCH = 1000
ACCOUNT_PAGE = 1000


@dataclass
class Built:
    """What a build created, for the banner; any item a service refuses stops the build."""

    team_id: int
    key: str
    password: str = ""
    accounts: int = 0
    deals: Counter[str] = field(default_factory=Counter)
    activities: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    discovered: int = 0
    segments: int = 0


@dataclass(frozen=True)
class Ranked:
    """An account as the banner and the tests rank it."""

    external_id: str | None
    name: str
    score: int
    stage: str


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refused(kind: str, errors: list[Any]) -> None:
    """The plan is generated, so a refused item is a bug in it: stop rather than hide it."""
    if errors:
        raise RuntimeError(f"the demo {kind} were refused: {errors[:3]}")


def find_demo_team(session: Session) -> int | None:
    """The demo workspace is the team of its user, whatever other teams the database has.

    A team of another name holding that user is someone's own: it is never reset.
    """
    user = find_user(session, email=DEMO_EMAIL)
    if user is None:
        return None
    team = require_team(session, team_id=user.team_id)
    if team.name != DEMO_TEAM:
        raise Conflict(
            f"{DEMO_EMAIL} is a user of team {team.id} ('{team.name}'), not of a demo "
            "workspace; the demo needs that address to itself, so it is not built here"
        )
    return team.id


def delete_workspace(session: Session, *, team_id: int) -> None:
    delete_team(session, team_id=team_id)


def _crm(session: Session, built: Built, plan: DemoPlan) -> None:
    team_id = built.team_id
    for body in plan.custom_fields:
        create_field(session, team_id=team_id, body=CustomFieldCreate.model_validate(body))
    for batch in _batches(plan.account_bodies, 100):
        result = create_accounts(
            session, team_id=team_id, body=AccountsCreate.model_validate({"accounts": batch})
        )
        _refused("accounts", [r for r in result["results"] if r["status"] == "failed"])
        built.accounts += result["summary"]["created"]
    create_pipelines(
        session, team_id=team_id, body=PipelinesCreate.model_validate({"pipelines": plan.pipelines})
    )
    categories = category_lookup(session, team_id=team_id)
    push_deals(session, team_id=team_id, deals=deals_on(plan.deals, iso_date(0, -plan.history[0])))
    built.deals.update(categories[(d["pipelineId"], d["stageId"])] for d in plan.deals)
    for batch in _batches(plan.activities, 50):
        activities = create_activities(
            session, team_id=team_id, body=ActivitiesCreate.model_validate({"activities": batch})
        )
        _refused("activities", [r for r in activities.results if r.status != "created"])
        built.activities += activities.summary.created


def push_deals(session: Session, *, team_id: int, deals: Sequence[Wire]) -> None:
    for batch in _batches(deals, 100):
        result = upsert_deals(
            session, team_id=team_id, body=DealsCreate.model_validate({"deals": batch})
        )
        _refused("deals", [r for r in result.results if r.status != "upserted"])


def _count(built: Built, source: str, outcomes: list[Outcome]) -> None:
    _refused(f"{source} signals", [o for o in outcomes if o.status != "created"])
    built.signals[source] += len(outcomes)


def _intent(session: Session, built: Built, plan: DemoPlan) -> None:
    team_id = built.team_id
    ensure_write_key(session, team_id=team_id)
    tracker = tracker_for_team(session, team_id=team_id)
    views = [(v, locate(session, tracker=tracker, visit=v, client_ip=None)) for v in plan.visits]
    for views_batch in _batches(views, SIGNAL_BATCH):
        _count(built, "website", record_many(session, tracker=tracker, views=views_batch))
    for batch in _batches(plan.signals, SIGNAL_BATCH):
        outcomes = ingest_signals(session, team_id=team_id, signals=batch)
        for source in dict.fromkeys(s.source for s in batch):
            _count(
                built,
                source,
                [o for o, s in zip(outcomes, batch, strict=True) if s.source == source],
            )
    known = {body["domain"] for body in plan.account_bodies}
    built.discovered = len({v.domain for v in plan.visits} - known)


def _segments(session: Session, built: Built, plan: DemoPlan) -> None:
    team_id = built.team_id
    for static in plan.static_segments:
        segment = create_segment(
            session, team_id=team_id, name=static.name, type_="static", status="active"
        )
        change_members(
            session,
            team_id=team_id,
            segment_id=segment.segment_id,
            accounts=static.members,
            remove=False,
        )
    for dynamic in plan.dynamic_segments:
        create_segment(
            session,
            team_id=team_id,
            name=dynamic.name,
            type_="dynamic",
            status="active",
            rules=dynamic.rules,
        )
    built.segments = len(plan.static_segments) + len(plan.dynamic_segments)


def build_workspace(session: Session, *, plan: DemoPlan) -> Built:
    """Team, user, CRM data, intent signals and segments; the key is issued last."""
    team = create_team(session, name=DEMO_TEAM)
    create_user(session, team_id=team.id, email=DEMO_EMAIL)
    built = Built(team_id=team.id, key="")
    _crm(session, built, plan)
    _intent(session, built, plan)
    _segments(session, built, plan)
    built.key = generate_key(session, email=DEMO_EMAIL)
    built.password = secrets.token_urlsafe(12)  # 16 characters, printed once like the key
    set_password(session, email=DEMO_EMAIL, password=built.password)
    return built


def ranked_accounts(session: Session, *, team_id: int) -> list[Ranked]:
    """Every account of the team, highest score first (ties by name), as the API lists them."""
    found: list[Ranked] = []
    cursor: str | None = None
    while True:
        page = list_accounts(session, team_id=team_id, page=page_request(ACCOUNT_PAGE, cursor))
        found += [
            Ranked(a["externalId"], a["name"], a["rtp_account_score"], a["rtp_journey_stage"])
            for a in page["data"]
        ]
        cursor = page["nextCursor"]
        if cursor is None:
            return sorted(found, key=lambda r: (-r.score, r.name))
