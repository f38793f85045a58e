"""The account page in a real Chromium, on the demo workspace's highest-scored account."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.browser import PHONE
from tests.console.browser import sign_in as browser_sign_in
from tests.console.conftest import DemoWorkspace

SERIES = ["Overall", "Website", "G2", "Bombora", "LinkedIn ads"]

# Every element that scrolls sideways, and whether the whole page does.
SCROLLERS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1) {
      found.push(el.className || el.tagName);
    }
  }
  const page = document.documentElement.scrollWidth > window.innerWidth + 1;
  return {found, page};
}"""


@pytest.fixture
def top(app: FastAPI, demo: DemoWorkspace) -> dict[str, Any]:
    """The demo's highest-scored account and its 90-day history, read through the API."""
    with TestClient(app, headers={"X-Api-Key": demo.key}) as api:
        rows = api.get("/api/v1/crm/accounts", params={"limit": 1000}).json()["data"]["data"]
        best = max(rows, key=lambda r: (r["rtp_account_score"], r["rtp_aid"]))
        history = api.get(
            f"/api/v1/accounts/{best['rtp_aid']}/score/history", params={"days": 90}
        ).json()["data"]
    assert best["rtp_account_score"] > 0
    return {**best, "history": history}


def test_the_history_chart_and_both_timelines_show(
    demo_page: Page, live_url: str, top: dict[str, Any]
) -> None:
    demo_page.goto(f"{live_url}/accounts/{top['rtp_aid']}")
    expect(demo_page.get_by_role("heading", name=top["name"], exact=False)).to_be_visible()

    points = len(top["history"]["points"])
    # The demo was scored weekly over 12 weeks: days before its first run are left out.
    assert 80 <= points <= 90, points
    chart = demo_page.locator("#history svg.chart-line")
    expect(chart).to_be_visible()
    lines = chart.locator("path.series")
    expect(lines).to_have_count(len(SERIES))
    for index, name in enumerate(SERIES):
        line = lines.nth(index)
        assert line.get_attribute("data-series") == name
        assert line.get_attribute("data-points") == str(points)
        drawn = line.get_attribute("d") or ""
        assert drawn.count("M") + drawn.count("L") == points
    legend = demo_page.locator("#history .legend li")
    expect(legend).to_have_text(SERIES)
    demo_page.get_by_text("Score history as a table").click()
    expect(demo_page.locator("#history table tbody tr")).to_have_count(points)

    stages = demo_page.locator("#stages")
    expect(stages.get_by_role("heading", name="Stage timeline")).to_be_visible()
    expect(stages.locator("li").first).to_be_visible()
    expect(stages.locator(".reason").first).not_to_be_empty()
    signals = demo_page.locator("#signals")
    expect(signals.get_by_role("heading", name="Signal timeline")).to_be_visible()
    expect(signals.locator("tbody tr").first).to_be_visible()

    demo_page.get_by_label("Source").select_option("bombora")
    demo_page.get_by_role("button", name="Show").click()
    demo_page.wait_for_url("**source=bombora**")
    sources = signals.locator("tbody tr td:nth-child(2)")
    expect(sources.first).to_have_text("Bombora")
    assert set(sources.all_inner_texts()) == {"Bombora"}


def test_at_375_px_only_table_wrappers_scroll_sideways(
    browser: Browser, live_url: str, demo: DemoWorkspace, top: dict[str, Any]
) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    browser_sign_in(page, live_url, demo.email, demo.password)
    page.goto(f"{live_url}/accounts/{top['rtp_aid']}")
    page.get_by_text("Score history as a table").click()  # its table must scroll in place too
    expect(page.locator("#history svg.chart-line")).to_be_visible()
    seen = page.evaluate(SCROLLERS)
    assert seen["page"] is False, "the page itself scrolls sideways at 375 px"
    assert all(name == "table-wrap" for name in seen["found"]), seen["found"]
    box = page.locator("#history svg.chart-line").bounding_box()
    assert box is not None
    assert box["width"] <= PHONE["width"]
    context.close()
