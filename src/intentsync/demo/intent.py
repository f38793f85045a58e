"""90 days of intent shaped like real buyers: a few surging accounts, some steady, most quiet.

Surging accounts read pricing and comparison pages more every week, surge on Bombora topics
and compare vendors on G2; steady ones read docs and product pages now and then; quiet ones
see the always-on LinkedIn campaign and little else.
"""

import random

from intentsync.demo.names import Company
from intentsync.demo.profiles import DemoAccount
from intentsync.kit.clock import DAY_MS
from intentsync.signals.service import NewSignal
from intentsync.tracking.service import Visit

WINDOW = 90
WEBSITE = "https://www.yourcompany.example"
PAGES: dict[str, tuple[str, ...]] = {
    "pricing": ("/pricing", "/plans"),
    "comparison": ("/compare/yourcompany-vs-signalhub", "/alternatives/leadbeam"),
    "demo": ("/book-a-demo", "/contact-sales"),
    "product": ("/product/intent-scoring", "/features/journey-stages", "/integrations"),
    "content": ("/docs/getting-started", "/blog/what-is-account-based-marketing", "/"),
    "ignored": ("/login", "/careers"),
}
_BUYING = (("pricing", 25), ("comparison", 15), ("product", 25), ("content", 25), ("demo", 10))
_BROWSING = (("product", 30), ("content", 55), ("pricing", 8), ("ignored", 7))
_CUSTOMER = (("content", 70), ("ignored", 30))
TOPICS = (
    "Account Based Marketing",
    "Intent Data",
    "Marketing Automation",
    "Sales Intelligence",
    "Predictive Analytics",
    "B2B Advertising",
)
PRODUCT = "Your Company"
_COMPARING = ("pricing", "compare", "competitor", "profile")
COMPETITORS = ("Signalhub", "Leadbeam")


def moment(rng: random.Random, today: int, days_ago: int) -> int:
    """A moment in working hours (UTC) on the day `days_ago` before today."""
    return (today - days_ago) * DAY_MS + rng.randrange(7 * 3600, 19 * 3600) * 1000


def _page(rng: random.Random, weights: tuple[tuple[str, int], ...]) -> str:
    category = rng.choices([c for c, _ in weights], [w for _, w in weights])[0]
    return WEBSITE + rng.choice(PAGES[category])


class PageViews:
    """Page views with unique ids, and the visitors of each company."""

    def __init__(self, rng: random.Random, today: int, numbered: int = 0) -> None:
        self.rng, self.today, self.found, self.numbered = rng, today, list[Visit](), numbered

    def add(
        self, domain: str, visitors: int, days_ago: int, weights: tuple[tuple[str, int], ...]
    ) -> None:
        rng = self.rng
        self.found.append(
            Visit(
                url=_page(rng, weights),
                visitor_id=f"{domain.split('.')[0]}-{rng.randrange(visitors)}",
                page_view_id=f"demo-pv-{self.numbered + len(self.found) + 1:06d}",
                occurred_ms=moment(rng, self.today, days_ago),
                domain=domain,
            )
        )


def visits(
    rng: random.Random, accounts: list[DemoAccount], discovered: list[Company], today: int
) -> list[Visit]:
    """Tracked page views over the last 90 days, rising toward today for surging accounts."""
    views = PageViews(rng, today)
    for account in accounts:
        domain = account.company.domain
        if account.profile == "surging":
            people = rng.randrange(3, 7)
            for days_ago in range(WINDOW):
                if days_ago > 21:
                    if rng.random() < 0.08:
                        views.add(domain, people, days_ago, _BROWSING)
                    continue
                if rng.random() < 0.25 + 0.6 * (21 - days_ago) / 21:
                    for _ in range(rng.randrange(1, 4)):
                        views.add(domain, people, days_ago, _BUYING)
        elif account.profile == "steady":
            people = rng.randrange(1, 4)
            for days_ago in range(WINDOW):
                if rng.random() < 0.12:
                    views.add(domain, people, days_ago, _BROWSING)
        elif rng.random() < 0.35:
            for _ in range(rng.randrange(1, 3)):
                views.add(domain, 1, rng.randrange(10, WINDOW), _BROWSING)
        if account.customer:
            for days_ago in range(60):
                if rng.random() < 0.1:
                    views.add(domain, 2, days_ago, _CUSTOMER)
    for company in discovered:
        for _ in range(rng.randrange(1, 6)):
            views.add(company.domain, 2, rng.randrange(0, 60), _BROWSING)
    return views.found


def _g2(rng: random.Random, account: DemoAccount, today: int) -> list[NewSignal]:
    kinds: tuple[str, ...]
    if account.profile == "surging":
        kinds, count, within = _COMPARING, rng.randrange(3, 7), 21
    elif account.profile == "steady" and rng.random() < 0.4:
        kinds, count, within = ("category", "profile"), rng.randrange(1, 3), WINDOW
    else:
        return []
    found: dict[tuple[int, str], NewSignal] = {}
    for _ in range(count):
        kind, days_ago = rng.choice(kinds), rng.randrange(within)
        product = rng.choice(COMPETITORS) if kind == "competitor" else PRODUCT
        found[(days_ago, kind)] = NewSignal(
            source="g2",
            domain=account.company.domain,
            occurred_ms=moment(rng, today, days_ago),
            type=kind,
            quantity=float(rng.randrange(1, 5)),
            attributes={"product": product, "companyName": account.company.name},
        )
    return list(found.values())


def _bombora(rng: random.Random, account: DemoAccount, today: int) -> list[NewSignal]:
    """Weekly topic surges; only surging accounts pass 60, and most strongly of late."""
    found: list[NewSignal] = []
    for week in range(13):
        if account.profile == "surging":
            recent = week < 4
            topics = rng.randrange(3, 6) if recent else rng.randrange(1, 3)
            low, high = (84 - 5 * week, 94 - 5 * week) if recent else (40, 58)
        elif account.profile == "steady" and rng.random() < 0.3:
            topics, low, high = rng.randrange(1, 3), 45, 66
        elif rng.random() < 0.05:
            topics, low, high = 1, 35, 55
        else:
            continue
        for topic in rng.sample(TOPICS, topics):
            found.append(
                NewSignal(
                    source="bombora",
                    domain=account.company.domain,
                    occurred_ms=moment(rng, today, 7 * week),
                    type="surge",
                    attributes={"topic": topic, "compositeScore": rng.randrange(low, high + 1)},
                )
            )
    return found


def _linkedin(rng: random.Random, account: DemoAccount, today: int) -> list[NewSignal]:
    """Weekly impressions from the always-on campaign; clicks and forms from keen accounts."""
    campaign = "Always-on ABM" if account.tier != "tier3" else "Brand awareness"
    # Warming accounts were quiet until lately, and saw the campaign as quiet ones did.
    ended = account.profile in ("quiet", "warming") and rng.random() < 0.5
    found: list[NewSignal] = []

    def add(kind: str, days_ago: int, quantity: float) -> None:
        found.append(
            NewSignal(
                source="linkedin",
                domain=account.company.domain,
                occurred_ms=moment(rng, today, days_ago),
                type=kind,
                quantity=quantity,
                attributes={"campaign": campaign, "companyName": account.company.name},
            )
        )

    first = 35 + rng.randrange(7) if ended else rng.randrange(7)
    for days_ago in range(first, WINDOW, 7):
        add("impression", days_ago, float(rng.randrange(15, 200)))
    if account.profile == "surging":
        for days_ago in rng.sample(range(21), rng.randrange(2, 6)):
            add(rng.choice(("click", "engagement")), days_ago, float(rng.randrange(1, 4)))
        if rng.random() < 0.25:
            add("lead_form", rng.randrange(10), 1.0)
    elif account.profile == "steady" and rng.random() < 0.3:
        add("click", rng.randrange(WINDOW), 1.0)
    return found


def signals(rng: random.Random, accounts: list[DemoAccount], today: int) -> list[NewSignal]:
    """G2, Bombora and LinkedIn signals of every account, oldest source first."""
    found: list[NewSignal] = []
    for account in accounts:
        found += _g2(rng, account, today) + _bombora(rng, account, today)
        found += _linkedin(rng, account, today)
    return found


def brand_audience(
    rng: random.Random, accounts: list[DemoAccount], found: list[NewSignal], today: int
) -> list[NewSignal]:
    """The brand campaign reached tier-3 accounts in waves: no impressions before one's wave.

    Without this every quiet account would have become Aware on the demo's first day.
    """
    joined = {
        a.company.domain: rng.choice((WINDOW, WINDOW, 70, 56, 42, 28, 14))
        for a in accounts
        if a.tier == "tier3"
    }
    return [
        s
        for s in found
        if not (
            s.source == "linkedin"
            and s.type == "impression"
            and today - s.occurred_ms // DAY_MS >= joined.get(s.domain, WINDOW + 1)
        )
    ]
