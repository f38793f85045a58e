"""Renaming a journey stage in a real Chromium: Settings → Stages, then the overview's funnel."""

import re

from playwright.sync_api import Page, expect

from tests.console.browser import PHONE
from tests.factories import Workspace, account


def test_a_renamed_stage_shows_on_the_overview_funnel(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    ws.push(account(1, domain="acme.com", name="Acme"))
    page = admin_page
    page.goto(f"{live_url}/settings")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Stages").click()
    expect(page.get_by_role("heading", name="Journey stages")).to_be_visible()
    field = page.get_by_label("Shown as for the Consideration stage")
    expect(field).to_have_value("Consideration")
    field.fill("Evaluating")
    page.get_by_role("button", name="Save stage names").click()
    expect(page.get_by_role("status")).to_contain_text("The stage names were saved")
    expect(page.get_by_label("Shown as for the Consideration stage")).to_have_value("Evaluating")

    page.get_by_role("link", name="Overview").first.click()
    funnel = page.get_by_role("img", name="Accounts per journey stage")
    expect(funnel).to_be_visible()
    expect(funnel.locator('rect.bar[data-label="Evaluating"]')).to_have_count(1)
    expect(funnel.locator('rect.bar[data-label="Consideration"]')).to_have_count(0)
    expect(funnel).to_contain_text("Evaluating")
    link = page.get_by_role("link", name="Evaluating", exact=True)
    expect(link).to_have_attribute("href", "/accounts?stage=Consideration")
    link.click()
    expect(page.get_by_label("Stage")).to_have_value("Consideration")
    expect(page.locator("#f-stage option:checked")).to_have_text("Evaluating")


def test_a_refused_name_is_marked_at_its_field_and_the_page_fits_a_phone(
    admin_page: Page, live_url: str
) -> None:
    page = admin_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/settings/stages")
    page.get_by_label("Shown as for the Aware stage").fill("Hot")
    page.get_by_label("Shown as for the Consideration stage").fill("hot")
    page.get_by_role("button", name="Save stage names").click()
    expect(page.get_by_role("alert")).to_contain_text("The stage names were not saved")
    field = page.get_by_label("Shown as for the Consideration stage")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(r"^Aware is also shown as 'Hot'"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the stages page is {width}px wide"
