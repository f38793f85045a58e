"""Accounts warming up: quiet ones that began researching in the last weeks.

They fill the scores between the quiet majority and the few surging accounts. Drawn from a
generator of their own, so adding them leaves every other account's data as it was.
"""

import random

from intentsync.demo.crm import activity
from intentsync.demo.intent import COMPETITORS, PRODUCT, TOPICS, PageViews, moment
from intentsync.demo.profiles import DemoAccount, Wire
from intentsync.kit.clock import DAY_MS
from intentsync.signals.service import NewSignal
from intentsync.tracking.service import Visit

WARMING = 36
_RESEARCH = (("product", 35), ("content", 30), ("pricing", 18), ("comparison", 9), ("ignored", 8))


Keenness = dict[str, float]  # how hard each warming account researches, 0.3..1.2, by externalId


def mark_warming(rng: random.Random, accounts: list[DemoAccount]) -> Keenness:
    """Quiet prospects only: customers are not shopping and surging ones already are."""
    quiet = [a for a in accounts if a.profile == "quiet" and not a.customer]
    keen: Keenness = {}
    for account in rng.sample(quiet, WARMING):
        account.profile = "warming"
        keen[account.external_id] = rng.uniform(0.3, 1.2)
    return keen


def _since(rng: random.Random) -> int:
    """Days ago the research began: most began weeks ago, some only days ago."""
    return rng.randrange(6, 56)


def warming_visits(
    rng: random.Random, accounts: list[DemoAccount], keenness: Keenness, today: int, numbered: int
) -> list[Visit]:
    """A few people reading product pages and docs, now and then pricing, more of late."""
    views = PageViews(rng, today, numbered)
    for account in accounts:
        if account.profile != "warming":
            continue
        keen = keenness[account.external_id]
        since, people = _since(rng), 1 + round(keen * rng.randrange(1, 5))
        for days_ago in range(since):
            if rng.random() < keen * (0.1 + 0.3 * (since - days_ago) / since):
                for _ in range(rng.randrange(1, 3)):
                    views.add(account.company.domain, people, days_ago, _RESEARCH)
    return views.found


def _key(signal: NewSignal) -> tuple[str, str, int, object]:
    return (
        signal.source,
        signal.domain,
        signal.occurred_ms // DAY_MS,
        signal.attributes.get("topic"),
    )


def warming_signals(
    rng: random.Random,
    accounts: list[DemoAccount],
    keenness: Keenness,
    today: int,
    earlier: list[NewSignal],
) -> list[NewSignal]:
    """Bombora interest around the surge line, a G2 look or two, LinkedIn clicks.

    A topic an account already surged on that week is left out: Bombora sends it once.
    """
    found: list[NewSignal] = []
    for account in accounts:
        if account.profile != "warming":
            continue
        since, domain, name = _since(rng), account.company.domain, account.company.name
        keen = keenness[account.external_id]
        for week in range(0, since // 7 + 1):
            topics = rng.randrange(1, 5) if rng.random() < keen else 0
            for topic in rng.sample(TOPICS, topics):
                found.append(
                    NewSignal(
                        source="bombora",
                        domain=domain,
                        occurred_ms=moment(rng, today, 7 * week),
                        type="surge",
                        attributes={
                            "topic": topic,
                            "compositeScore": rng.randrange(54, 64 + round(18 * keen)),
                        },
                    )
                )
        looks = {
            (rng.randrange(since), rng.choice(("category", "profile", "compare", "pricing")))
            for _ in range(round(5 * keen * rng.random()))
        }
        for days_ago, kind in sorted(looks):
            found.append(
                NewSignal(
                    source="g2",
                    domain=domain,
                    occurred_ms=moment(rng, today, days_ago),
                    type=kind,
                    quantity=float(rng.randrange(1, 4)),
                    attributes={
                        "product": rng.choice((PRODUCT, *COMPETITORS)),
                        "companyName": name,
                    },
                )
            )
        for days_ago in rng.sample(range(since), min(since, rng.randrange(1, 6))):
            found.append(
                NewSignal(
                    source="linkedin",
                    domain=domain,
                    occurred_ms=moment(rng, today, days_ago),
                    type=rng.choice(("click", "engagement")),
                    quantity=1.0,
                    attributes={"campaign": "Always-on ABM", "companyName": name},
                )
            )
    taken = {_key(s) for s in earlier if s.source == "bombora"}
    return [s for s in found if _key(s) not in taken]


def warming_activities(
    rng: random.Random, accounts: list[DemoAccount], keenness: Keenness, today: int, numbered: int
) -> list[Wire]:
    """Sales has noticed the keener ones: a few emails and calls in the last weeks."""
    found: list[Wire] = []
    for account in accounts:
        if account.profile != "warming":
            continue
        for _ in range(round(6 * keenness[account.external_id] * rng.random())):
            found.append(activity(rng, account, numbered + len(found) + 1, today, 30))
    return found
