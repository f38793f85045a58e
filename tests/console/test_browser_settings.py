"""API keys on the settings page in a real Chromium, checked against the live API."""

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.console.browser import PHONE
from tests.factories import Workspace

API = "/api/v1/journey-stages"


def _status(live_url: str, key: str) -> int:
    return httpx.get(f"{live_url}{API}", headers={"X-Api-Key": key}, timeout=10).status_code


def test_issue_copy_and_revoke_a_key_in_the_browser(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    page = admin_page
    page.goto(f"{live_url}/settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    assert _status(live_url, ws.key) == 200

    page.once("dialog", lambda dialog: dialog.accept())  # issuing replaces the active key
    page.get_by_role("button", name=f"Issue key for {ws.email}").click()
    field = page.get_by_role("textbox", name="API key")
    expect(field).to_be_visible()
    key = field.input_value()
    assert key.startswith("isk_")
    assert key != ws.key
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_have_attribute("data-copy", "new-key")
    assert "isk_" not in page.url
    assert _status(live_url, key) == 200
    assert _status(live_url, ws.key) == 401

    page.goto(f"{live_url}/settings/keys")
    expect(page.get_by_role("textbox", name="API key")).to_have_count(0)  # shown once, never again
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke the key of {ws.email}").click()
    expect(page.get_by_role("status")).to_contain_text("The key was revoked")
    assert _status(live_url, key) == 401


def test_dismissing_the_confirm_keeps_the_key(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    page = admin_page
    page.goto(f"{live_url}/settings/keys")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name=f"Revoke the key of {ws.email}").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    assert _status(live_url, ws.key) == 200


def test_settings_fit_a_phone(admin_page: Page, live_url: str) -> None:
    page = admin_page
    page.set_viewport_size(PHONE)
    for path in ("/settings/keys", "/settings/users", "/settings/scoring", "/settings/tracking"):
        page.goto(f"{live_url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide"


def test_reloading_the_new_key_page_keeps_the_key(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    page = admin_page
    page.goto(f"{live_url}/settings/keys")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Issue key for {ws.email}").click()
    field = page.get_by_role("textbox", name="API key")
    expect(field).to_be_visible()
    key = field.input_value()
    page.reload()  # the browser sends the same form again
    expect(page.get_by_role("alert")).to_contain_text("already issued from this form")
    expect(page.get_by_role("textbox", name="API key")).to_have_count(0)
    assert _status(live_url, key) == 200


def test_scoring_shares_follow_the_weights_as_typed(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    page = admin_page
    page.goto(f"{live_url}/settings/scoring")
    website = page.locator(".share").first
    expect(website).to_have_text("30%")
    page.get_by_label("Website weight").fill("1000")
    page.get_by_label("Use G2").uncheck()
    expect(website).to_have_text("95.2%")
    expect(page.locator("#weight-total")).to_have_text(
        "The enabled sources' weights sum to 1050; each share is weight ÷ 1050."
    )
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2")
    expect(website).to_have_text("95.2%")  # the server says the same


def test_an_upload_over_the_limit_shows_a_page(
    admin_page: Page, live_url: str, tmp_path: Path
) -> None:
    big = tmp_path / "ranges.csv"
    big.write_bytes(b"cidr,domain\n" + b"10.0.0.0/8,acme.com\n" * 20_000)  # 400 KB > 256 KB
    page = admin_page
    page.goto(f"{live_url}/settings/ip-ranges")
    page.get_by_label("CSV file").set_input_files(str(big))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Too large")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("limit of 0.25 MB per request")
