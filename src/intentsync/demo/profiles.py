"""The demo's accounts: tiers, buying behaviour, deals they hold, as the CRM would push them."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from intentsync.demo.names import INDUSTRIES, Company

ACCOUNTS = 300
DISCOVERED = 15  # companies seen only on the website, not in the CRM
SURGING = 12
STEADY = 48
CUSTOMERS_PER_PROFILE = 15  # from steady and from quiet accounts
OPEN_SURGING = 9
OPEN_STEADY = 14
LOST = 16
TIER1 = 30
TIER2 = 90

Wire = dict[str, Any]
_EPOCH = date(1970, 1, 1)


def iso_date(today: int, days_ago: int) -> str:
    """The calendar date `days_ago` before today (negative: after), as YYYY-MM-DD."""
    return (_EPOCH + timedelta(days=today - days_ago)).isoformat()


@dataclass
class DemoAccount:
    """One CRM account and the buying behaviour the generator gives it."""

    number: int
    company: Company
    profile: str = "quiet"  # surging, steady or quiet
    tier: str = "tier3"
    customer: bool = False
    open_deal: bool = False
    lost_deal: bool = False

    @property
    def external_id(self) -> str:
        return f"crm-{self.number:04d}"

    @property
    def crm_stage(self) -> str:
        if self.customer:
            return "Customer"
        if self.open_deal:
            return "Open opportunity"
        if self.lost_deal:
            return "Closed lost"
        return "Prospect"

    def wire(self, rng: random.Random, today: int) -> Wire:
        """The account as the CRM pushes it, custom fields included."""
        fields: Wire = {"INDUSTRY_C": self.company.industry, "CRM_STAGE_C": self.crm_stage}
        if self.customer:
            fields["ARR_C"] = rng.randrange(18, 240) * 1000
            fields["RENEWAL_DATE_C"] = iso_date(today, -rng.randrange(10, 330))
        industry_tag = self.company.industry.lower().replace(" & ", "-").replace(" ", "-")
        body: Wire = {
            "externalId": self.external_id,
            "domain": self.company.domain,
            "name": self.company.name,
            "tags": [self.tier, industry_tag],
            "customFields": fields,
        }
        if rng.random() < 0.6:
            body["linkedinUrl"] = f"https://www.linkedin.com/company/{self.company.slug}/"
        return body


CUSTOM_FIELDS: list[Wire] = [
    {
        "label": "Industry",
        "labelType": "singleSelection",
        "options": list(INDUSTRIES),
        "description": "Industry as the CRM records it",
    },
    {"label": "ARR", "labelType": "number", "description": "Annual recurring revenue, USD"},
    {"label": "CRM stage", "labelType": "singleLineText", "description": "Lifecycle in the CRM"},
    {"label": "Renewal date", "labelType": "date", "description": "Next contract renewal"},
]


def _tiers(rng: random.Random, accounts: list[DemoAccount]) -> None:
    order = list(range(len(accounts)))
    rng.shuffle(order)
    for rank, index in enumerate(order):
        accounts[index].tier = (
            "tier1" if rank < TIER1 else "tier2" if rank < TIER1 + TIER2 else "tier3"
        )


def profiles(rng: random.Random, found: list[Company]) -> list[DemoAccount]:
    """Tiers first, then behaviour: surging accounts come from the top tiers, as targets do."""
    accounts = [DemoAccount(number=n + 1, company=c) for n, c in enumerate(found)]
    _tiers(rng, accounts)
    surging = rng.sample([a for a in accounts if a.tier != "tier3"], SURGING)
    for account in surging:
        account.profile = "surging"
    for account in rng.sample([a for a in accounts if a.profile == "quiet"], STEADY):
        account.profile = "steady"
    steady = [a for a in accounts if a.profile == "steady"]
    quiet = [a for a in accounts if a.profile == "quiet"]
    for account in rng.sample(steady, CUSTOMERS_PER_PROFILE):
        account.customer = True
    for account in rng.sample(quiet, CUSTOMERS_PER_PROFILE):
        account.customer = True
    for account in surging[:OPEN_SURGING]:
        account.open_deal = True
    for account in rng.sample([a for a in steady if not a.customer], OPEN_STEADY):
        account.open_deal = True
    idle = [a for a in accounts if a.profile != "surging" and not (a.open_deal or a.customer)]
    for account in rng.sample(idle, LOST):
        account.lost_deal = True
    return accounts
