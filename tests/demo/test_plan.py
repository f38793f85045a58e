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
    assert Counter(profile.values()) == {"quiet": 240, "steady": 48, "surging": 12}
    recent = (TODAY - 28) * DAY_MS
    surges = Counter(
        s.domain
        for s in plan.signals
        if s.source == "bombora" and s.occurred_ms >= recent and s.attributes["compositeScore"] > 60
    )
    surging = {d for d, p in profile.items() if p == "surging"}
    assert all(surges[d] >= 3 * 4 for d in surging)
    assert all(n <= 3 for d, n in surges.items() if d not in surging)
    pricing = Counter(
        profile.get(v.domain, "discovered")
        for v in plan.visits
        if v.url.endswith(("/pricing", "/plans")) and v.occurred_ms >= (TODAY - 21) * DAY_MS
    )
    assert pricing["surging"] > 4 * (pricing["steady"] + pricing["quiet"])
    quiet_signals = Counter(profile[s.domain] for s in plan.signals if s.source != "linkedin")
    assert quiet_signals["quiet"] / 240 < quiet_signals["surging"] / 12 / 5
