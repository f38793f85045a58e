"""The CRM side of the demo: a pipeline, deals in every category, calls and emails."""

import random

from intentsync.demo.names import person
from intentsync.demo.profiles import DemoAccount, Wire, iso_date

PIPELINE_ID = "new-business"
STAGES = (
    ("qualification", "Qualification"),
    ("discovery", "Discovery"),
    ("proposal", "Proposal"),
    ("negotiation", "Negotiation"),
    ("closed-won", "Closed won"),
    ("closed-lost", "Closed lost"),
)
SELLERS = (
    ("Ana Alvarez", "ana.alvarez@yourcompany.example"),
    ("Ben Okafor", "ben.okafor@yourcompany.example"),
    ("Chloe Moreau", "chloe.moreau@yourcompany.example"),
    ("David Ito", "david.ito@yourcompany.example"),
)
_PLANS = ("Platform annual", "Growth plan", "Enterprise expansion", "Team plan")
_TITLES = (
    "VP Marketing",
    "Head of Demand Generation",
    "Marketing Ops Manager",
    "CMO",
    "RevOps Lead",
)
_SUBJECTS = (
    "Following up on your visit",
    "Intent data for your target accounts",
    "Quick question about your ABM program",
    "Pricing options we discussed",
    "Case study: pipeline from intent signals",
)


def pipelines() -> list[Wire]:
    stages = [{"stageId": sid, "stageLabel": label} for sid, label in STAGES]
    return [{"pipelineId": PIPELINE_ID, "pipelineLabel": "New business", "stages": stages}]


def _deal(rng: random.Random, account: DemoAccount, number: int, stage: str) -> Wire:
    seller, seller_email = rng.choice(SELLERS)
    return {
        "externalDealId": f"deal-{number:04d}",
        "name": f"{account.company.name} - {rng.choice(_PLANS)}",
        "amount": float(rng.randrange(12, 180) * 1000),
        "stageId": stage,
        "pipelineId": PIPELINE_ID,
        "ownerName": seller,
        "ownerEmail": seller_email,
        "dealCurrencyCode": "USD",
        "associatedAccounts": [
            {
                "externalId": account.external_id,
                "domain": account.company.domain,
                "name": account.company.name,
            }
        ],
    }


def deals(rng: random.Random, accounts: list[DemoAccount], today: int) -> list[Wire]:
    """Won deals for customers, open ones further along for surging accounts, some lost."""
    found: list[Wire] = []
    for account in accounts:
        if account.customer:
            deal = _deal(rng, account, len(found) + 1, "closed-won")
            closed = rng.randrange(30, 400)
            deal["startDate"] = iso_date(today, closed + rng.randrange(20, 90))
            deal["closedDate"] = iso_date(today, closed)
            found.append(deal)
        if account.open_deal:
            late = account.profile == "surging"
            stage = rng.choice(STAGES[2:4] if late else STAGES[0:2])[0]
            deal = _deal(rng, account, len(found) + 1, stage)
            deal["startDate"] = iso_date(today, rng.randrange(5, 60))
            found.append(deal)
        if account.lost_deal:
            deal = _deal(rng, account, len(found) + 1, "closed-lost")
            closed = rng.randrange(20, 80)
            deal["startDate"] = iso_date(today, closed + rng.randrange(20, 60))
            deal["closedDate"] = iso_date(today, closed)
            found.append(deal)
    return found


def _touches(rng: random.Random, account: DemoAccount) -> tuple[int, int]:
    """How many sales touches an account gets and over how many recent days."""
    if account.profile == "surging":
        return rng.randrange(6, 13), 21
    if account.open_deal:
        return rng.randrange(3, 7), 45
    if account.customer:
        return rng.randrange(1, 4), 60
    if account.profile == "steady":
        return rng.randrange(0, 3), 60
    return 0, 0


def activity(
    rng: random.Random, account: DemoAccount, number: int, today: int, within: int
) -> Wire:
    seller, seller_email = rng.choice(SELLERS)
    name, local = person(rng)
    domain = account.company.domain
    day = iso_date(today, rng.randrange(0, within))
    stamp = f"{day}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00Z"
    body: Wire = {
        "externalActivityId": f"act-{number:05d}",
        "occurredAt": stamp,
        "domain": domain,
        "accountName": account.company.name,
        "ownerEmail": seller_email,
        "ownerName": seller,
        "contacts": [{"email": f"{local}@{domain}", "name": name, "title": rng.choice(_TITLES)}],
    }
    roll = rng.random()
    if roll < 0.45:
        body |= {
            "activityType": "email",
            "direction": "outbound",
            "subject": rng.choice(_SUBJECTS),
            "from": {"name": seller, "email": seller_email},
            "openCount": rng.randrange(0, 4),
            "clickCount": rng.randrange(0, 2),
        }
    elif roll < 0.6 and account.profile == "surging":
        body |= {
            "activityType": "email",
            "direction": "inbound",
            "subject": "Re: " + rng.choice(_SUBJECTS),
            "from": {"name": name, "email": f"{local}@{domain}"},
        }
    else:
        connected = rng.random() < 0.55
        body |= {
            "activityType": "call",
            "direction": "outbound",
            "callTitle": f"Call with {name}",
            "outcome": "Connected" if connected else "No answer",
            "durationMinutes": float(rng.randrange(4, 40)) if connected else 0.0,
        }
    return body


def activities(rng: random.Random, accounts: list[DemoAccount], today: int) -> list[Wire]:
    """Calls and emails on the accounts sales is working; quiet prospects get none."""
    found: list[Wire] = []
    for account in accounts:
        count, within = _touches(rng, account)
        for _ in range(count):
            found.append(activity(rng, account, len(found) + 1, today, within))
    return found


def deals_on(found: list[Wire], day: str) -> list[Wire]:
    """The deals as the CRM held them on `day` (YYYY-MM-DD): started by then, closed only after.

    Replaying them before each backfill run lets accounts enter Opportunity and Customer on
    the day their deal opened or closed, since scoring counts the deals it finds.
    """
    held: list[Wire] = []
    for deal in found:
        if deal["startDate"] > day:
            continue
        closed = deal.get("closedDate")
        if closed is not None and closed > day:
            deal = {k: v for k, v in deal.items() if k != "closedDate"} | {"stageId": "negotiation"}
        held.append(deal)
    return held
