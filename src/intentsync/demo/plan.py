"""What the demo workspace holds, drawn from a seeded generator: the same plan every time.

Every date is a whole number of days before `today` (a UTC day number), so the workspace
looks the same whichever day it is built on.
"""

import random
from dataclasses import dataclass

from intentsync.demo.crm import activities, deals, pipelines
from intentsync.demo.intent import signals, visits
from intentsync.demo.names import companies
from intentsync.demo.profiles import (
    ACCOUNTS,
    CUSTOM_FIELDS,
    DISCOVERED,
    DemoAccount,
    Wire,
    profiles,
)
from intentsync.signals.service import NewSignal
from intentsync.tracking.service import Visit

SEED = 20_240_611
DEMO_TEAM = "Demo workspace"
DEMO_EMAIL = "demo@example.com"
EVENT_ATTENDEES = 25


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
    tier1 = [a.external_id for a in accounts if a.tier == "tier1"]
    attendees = sorted(a.external_id for a in rng.sample(accounts, EVENT_ATTENDEES))
    return DemoPlan(
        today=today,
        custom_fields=CUSTOM_FIELDS,
        accounts=accounts,
        account_bodies=[a.wire(rng, today) for a in accounts],
        pipelines=pipelines(),
        deals=deals(rng, accounts, today),
        activities=activities(rng, accounts, today),
        visits=visits(rng, accounts, found[ACCOUNTS:], today),
        signals=signals(rng, accounts, today),
        static_segments=[
            StaticSegment("Tier 1 targets", tier1),
            StaticSegment("Webinar attendees", attendees),
        ],
        dynamic_segments=DYNAMIC_SEGMENTS,
    )
