"""The account list in a real Chromium, on the demo workspace."""

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from intentsync.db.engine import Database
from intentsync.db.models import Account
from tests.console.browser import PHONE
from tests.console.browser import sign_in as browser_sign_in
from tests.console.conftest import DemoWorkspace

LOW, HIGH = 10, 80


def _busiest_stage(database: Database, team_id: int) -> str:
    """The demo's stage with the most accounts scored inside the range, so rows show."""
    in_range = (Account.team_id == team_id, Account.account_score.between(LOW, HIGH))
    with database.transaction(write=False) as session:
        stage = session.execute(
            select(Account.journey_stage)
            .where(*in_range)
            .group_by(Account.journey_stage)
            .order_by(func.count().desc(), Account.journey_stage)
            .limit(1)
        ).scalar_one()
    return str(stage)


def _expected(database: Database, team_id: int, stage: str, *, descending: bool) -> list[str]:
    score = Account.account_score.desc() if descending else Account.account_score.asc()
    key = Account.id.desc() if descending else Account.id.asc()
    with database.transaction(write=False) as session:
        return list(
            session.scalars(
                select(Account.name)
                .where(
                    Account.team_id == team_id,
                    Account.journey_stage == stage,
                    Account.account_score.between(LOW, HIGH),
                )
                .order_by(score, key)
                .limit(50)
            )
        )


def _shown(page: Page) -> list[tuple[str, int, str]]:
    """(name, score, stage) of every row on the page."""
    rows = page.locator("table.accounts-table tbody tr")
    found = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        found.append(
            (cells.nth(0).inner_text(), int(cells.nth(3).inner_text()), cells.nth(4).inner_text())
        )
    return found


def test_filter_by_stage_and_score_then_sort_in_the_browser(
    demo_page: Page, live_url: str, demo: DemoWorkspace, database: Database
) -> None:
    stage = _busiest_stage(database, demo.team_id)
    demo_page.goto(f"{live_url}/accounts")
    expect(demo_page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    demo_page.get_by_label("Stage", exact=True).select_option(stage)
    demo_page.get_by_label("Score min", exact=True).fill(str(LOW))
    demo_page.get_by_label("Score max", exact=True).fill(str(HIGH))
    demo_page.get_by_role("button", name="Apply filters").click()
    demo_page.wait_for_url(re.compile(rf"stage={stage}.*score_min={LOW}&score_max={HIGH}"))

    shown = _shown(demo_page)
    assert shown, "the filter should leave some demo accounts"
    assert all(s == stage and LOW <= score <= HIGH for _, score, s in shown)
    assert [name for name, _, _ in shown] == _expected(
        database, demo.team_id, stage, descending=True
    )
    score_header = demo_page.get_by_role("columnheader", name="Score", exact=True)
    expect(score_header).to_have_attribute("aria-sort", "descending")

    demo_page.get_by_role("link", name="Score", exact=True).click()
    demo_page.wait_for_url(re.compile(r"sort=score&dir=asc"))
    expect(score_header).to_have_attribute("aria-sort", "ascending")
    ascending = _shown(demo_page)
    scores = [score for _, score, _ in ascending]
    assert scores == sorted(scores)
    assert [name for name, _, _ in ascending] == _expected(
        database, demo.team_id, stage, descending=False
    )
    # The filter survived the sort: it is all in the address.
    expect(demo_page.get_by_label("Stage", exact=True)).to_have_value(stage)
    expect(demo_page.get_by_label("Score min", exact=True)).to_have_value(str(LOW))


def test_the_list_fits_a_phone_but_for_the_table_scroller(
    browser: Browser, live_url: str, demo: DemoWorkspace
) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        browser_sign_in(page, live_url, demo.email, demo.password)
        page.goto(f"{live_url}/accounts")
        expect(page.locator("table.accounts-table")).to_be_visible()
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= PHONE["width"]
        wrap = page.locator(".table-wrap")
        scroll, client = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert client <= PHONE["width"]
        assert scroll > client  # the wide table scrolls inside its wrapper
        # Nothing else pokes out to the right of the viewport.
        wider = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => !e.closest('.table-wrap'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map(e => e.tagName + '.' + e.className)"""
        )
        assert wider == []
    finally:
        context.close()
