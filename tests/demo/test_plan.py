"""The generated plan: seeded, shaped like real buyers, dated relative to the build day."""

from collections import Counter

from intentsync.demo.plan import generate
from intentsync.kit.clock import DAY_MS

TODAY = 20_000  # 2024-10-04


def test_the_same_day_gives_the_same_plan():
    assert generate(today=TODAY) == generate(today=TODAY)


def test_a_later_day_moves_every_date_by_the_same_days():
    first, later = generate(today=TODAY), generate(today=TODAY + 10)
    assert [a.company for a in first.accounts] == [a.company for a in later.accounts]
    shifts = {
        b.occurred_ms - a.occurred_ms for a, b in zip(first.signals, later.signals, strict=True)
    }
    shifts |= {
        b.occurred_ms - a.occurred_ms for a, b in zip(first.visits, later.visits, strict=False)
    }
    assert shifts == {10 * DAY_MS}


def test_domains_are_invented_and_unique():
    plan = generate(today=TODAY)
    domains = [a.company.domain for a in plan.accounts]
    assert len(set(domains)) == len(domains) == 300
    assert all(d.endswith(".example") for d in domains)


def test_surging_accounts_read_pricing_and_surge_on_bombora_recently():
    plan = generate(today=TODAY)
    profile = {a.company.domain: a.profile for a in plan.accounts}
    assert Counter(profile.values()) == {"quiet": 204, "steady": 48, "surging": 12, "warming": 36}
    recent = (TODAY - 28) * DAY_MS
    surges = Counter(
        s.domain
        for s in plan.signals
        if s.source == "bombora" and s.occurred_ms >= recent and s.attributes["compositeScore"] > 60
    )
    surging = {d for d, p in profile.items() if p == "surging"}
    assert all(surges[d] >= 3 * 4 for d in surging)
    assert max(n for d, n in surges.items() if d not in surging) < min(surges[d] for d in surging)
    pricing = Counter(
        profile.get(v.domain, "discovered")
        for v in plan.visits
        if v.url.endswith(("/pricing", "/plans")) and v.occurred_ms >= (TODAY - 21) * DAY_MS
    )
    assert pricing["surging"] > 4 * (pricing["steady"] + pricing["quiet"])
    quiet_signals = Counter(profile[s.domain] for s in plan.signals if s.source != "linkedin")
    assert quiet_signals["quiet"] / 204 < quiet_signals["surging"] / 12 / 5


def test_warming_prospects_research_lately_without_changing_anyone_elses_data(monkeypatch):
    plan = generate(today=TODAY)
    warming = {a.company.domain for a in plan.accounts if a.profile == "warming"}
    assert len(warming) == 36
    assert not any(a.customer or a.open_deal for a in plan.accounts if a.profile == "warming")
    weeks = Counter(
        (s.domain, s.occurred_ms // DAY_MS, s.attributes.get("topic"))
        for s in plan.signals
        if s.source == "bombora"
    )
    assert max(weeks.values()) == 1
    ids = [v.page_view_id for v in plan.visits] + [a["externalActivityId"] for a in plan.activities]
    assert len(set(ids)) == len(ids)
    # Without the cohort those accounts are quiet, and every other draw is the same.
    monkeypatch.setattr("intentsync.demo.warming.WARMING", 0)
    alone = generate(today=TODAY)
    assert alone.deals == plan.deals
    assert alone.account_bodies == plan.account_bodies
    assert plan.activities[: len(alone.activities)] == alone.activities
    assert plan.visits[: len(alone.visits)] == alone.visits
    assert plan.signals[: len(alone.signals)] == alone.signals
    # What the cohort adds is theirs, from the last eight weeks, on every channel.
    visits = plan.visits[len(alone.visits) :]
    signals = plan.signals[len(alone.signals) :]
    calls = plan.activities[len(alone.activities) :]
    assert warming >= {v.domain for v in visits} | {s.domain for s in signals}
    assert len({v.domain for v in visits} | {s.domain for s in signals}) == len(warming)
    assert warming >= {a["domain"] for a in calls}
    assert {s.source for s in signals} == {"bombora", "g2", "linkedin"}
    assert min(x.occurred_ms for x in [*visits, *signals]) >= (TODAY - 56) * DAY_MS
    pricing = Counter(v.domain for v in visits if v.url.endswith(("/pricing", "/plans")))
    assert 0 < sum(pricing.values()) < len(visits) / 4
