"""The demo workspace's overview in a real Chromium: every chart drawn, nothing overflows."""

from collections import Counter

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from intentsync.journey.stages import JOURNEY_STAGES
from tests.console.browser import PHONE
from tests.console.conftest import DemoWorkspace
from tests.console.test_overview import _wire_accounts


def test_the_demo_overview_draws_every_chart(
    demo_page: Page, app: FastAPI, demo: DemoWorkspace
) -> None:
    with TestClient(app, headers={"X-Api-Key": demo.key}) as client:
        stages = Counter(a["rtp_journey_stage"] for a in _wire_accounts(client))
    funnel = demo_page.get_by_role("img", name="Accounts per journey stage")
    expect(funnel).to_be_visible()
    bars = funnel.locator("rect.bar")
    expect(bars).to_have_count(len(JOURNEY_STAGES))
    drawn = {
        bars.nth(i).get_attribute("data-label"): bars.nth(i).get_attribute("data-value")
        for i in range(len(JOURNEY_STAGES))
    }
    assert drawn == {s: f"{stages.get(s, 0):,}" for s in JOURNEY_STAGES}
    assert sum(stages.values()) > 0

    scores = demo_page.get_by_role("img", name="Accounts per overall score band")
    expect(scores).to_be_visible()
    expect(scores.locator("rect.bar")).to_have_count(10)
    heights = [
        float(h or 0)
        for h in scores.locator("rect.bar").evaluate_all(
            "rects => rects.map(r => r.getAttribute('height'))"
        )
    ]
    assert sum(1 for h in heights if h > 0) >= 2

    volume = demo_page.get_by_role("img", name="Signals per source per day, last 90 days")
    expect(volume).to_be_visible()
    assert volume.locator("g.series").count() >= 2  # the demo sends several sources
    assert volume.locator("g.series rect").count() > 30

    funnel_link = demo_page.get_by_role("link", name=JOURNEY_STAGES[1], exact=True)
    expect(funnel_link).to_have_attribute("href", f"/accounts?stage={JOURNEY_STAGES[1]}")
    demo_page.get_by_text("Signals per source and day as a table").click()
    expect(demo_page.get_by_role("columnheader", name="website")).to_be_visible()
    surging = demo_page.locator("section[aria-labelledby=surging-title] tbody tr")
    expect(surging).to_have_count(10)


def test_the_demo_overview_fits_a_phone(demo_page: Page) -> None:
    demo_page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    demo_page.reload()
    expect(demo_page.get_by_role("heading", name="Overview")).to_be_visible()
    demo_page.get_by_text("Accounts per score band as a table").click()
    demo_page.get_by_text("Signals per source and day as a table").click()
    width = demo_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width}px wide at {PHONE['width']}px"
    for name in ("Accounts per journey stage", "Signals per source per day, last 90 days"):
        box = demo_page.get_by_role("img", name=name).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"] + 1
