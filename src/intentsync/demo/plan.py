"""What the demo workspace holds, drawn from a seeded generator: the same plan every time.

Every date is a whole number of days before `today` (a UTC day number), so the workspace
looks the same whichever day it is built on.
"""

import random
from dataclasses import dataclass

from intentsync.demo.crm import activities, deals, pipelines
from intentsync.demo.intent import brand_audience, signals, visits
from intentsync.demo.names import companies
from intentsync.demo.profiles import (
    ACCOUNTS,
    CUSTOM_FIELDS,
    DISCOVERED,
    DemoAccount,
    Wire,
    profiles,
)
from intentsync.demo.warming import (
    mark_warming,
    warming_activities,
    warming_signals,
    warming_visits,
)
from intentsync.signals.service import NewSignal
from intentsync.tracking.service import Visit

SEED = 20_240_611
WARMING_SEED = 20_261_204  # the warming cohort and the brand campaign draw apart
AUDIENCE_SEED = 20_261_205
DEMO_TEAM = "Demo workspace"
DEMO_EMAIL = "demo@example.com"
EVENT_ATTENDEES = 25
HISTORY_WEEKS = 12  # weekly scoring runs before today's, so stages have entry days and moves


@dataclass(frozen=True)
class StaticSegment:
    name: str
    members: list[str]  # externalIds


@dataclass(frozen=True)
class DynamicSegment:
    name: str
    rules: Wire


@dataclass
class DemoPlan:
    today: int
    history: list[int]  # the past days scored, oldest first, before today
    custom_fields: list[Wire]
    accounts: list[DemoAccount]
    account_bodies: list[Wire]
    pipelines: list[Wire]
    deals: list[Wire]
    activities: list[Wire]
    visits: list[Visit]
    signals: list[NewSignal]
    static_segments: list[StaticSegment]
    dynamic_segments: list[DynamicSegment]


DYNAMIC_SEGMENTS = [
    DynamicSegment("Hot accounts", {"field": "account_score", "operator": "gte", "value": 50}),
    DynamicSegment(
        "In decision",
        {"field": "journey_stage", "operator": "in", "value": ["Consideration", "Opportunity"]},
    ),
    DynamicSegment(
        "Software with open pipeline",
        {
            "and": [
                {"field": "customFields.INDUSTRY_C", "operator": "eq", "value": "Software"},
                {"field": "open_deal_count", "operator": "gte", "value": 1},
            ]
        },
    ),
]


def generate(*, today: int, seed: int = SEED) -> DemoPlan:
    """The whole workspace for a build on `today` (UTC days since 1970-01-01)."""
    rng = random.Random(seed)
    found = companies(rng, ACCOUNTS + DISCOVERED)
    accounts = profiles(rng, found[:ACCOUNTS])
    warming = random.Random(seed + WARMING_SEED)
    keenness = mark_warming(warming, accounts)
    tier1 = [a.external_id for a in accounts if a.tier == "tier1"]
    attendees = sorted(a.external_id for a in rng.sample(accounts, EVENT_ATTENDEES))
    # The main generator's draws come in this order whatever the warming cohort adds.
    bodies = [a.wire(rng, today) for a in accounts]
    sold = deals(rng, accounts, today)
    calls = activities(rng, accounts, today)
    seen = visits(rng, accounts, found[ACCOUNTS:], today)
    heard = signals(rng, accounts, today)
    calls += warming_activities(warming, accounts, keenness, today, len(calls))
    seen += warming_visits(warming, accounts, keenness, today, len(seen))
    audience = random.Random(seed + AUDIENCE_SEED)
    heard = brand_audience(audience, accounts, heard, today) + warming_signals(
        warming, accounts, keenness, today, heard
    )
    return DemoPlan(
        today=today,
        history=[today - 7 * weeks for weeks in range(HISTORY_WEEKS, 0, -1)],
        custom_fields=CUSTOM_FIELDS,
        accounts=accounts,
        account_bodies=bodies,
        pipelines=pipelines(),
        deals=sold,
        activities=calls,
        visits=seen,
        signals=heard,
        static_segments=[
            StaticSegment("Tier 1 targets", tier1),
            StaticSegment("Webinar attendees", attendees),
        ],
        dynamic_segments=DYNAMIC_SEGMENTS,
    )
