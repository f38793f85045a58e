"""Sign-in and sign-out in a real Chromium."""

from playwright.sync_api import Browser, Page, expect

from tests.console.browser import DESKTOP, PHONE
from tests.console.browser import sign_in as browser_sign_in
from tests.console.conftest import PASSWORD
from tests.factories import Workspace


def test_sign_in_then_out_in_the_browser(admin_page: Page, live_url: str, ws: Workspace) -> None:
    expect(admin_page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(admin_page.get_by_text(ws.email)).to_be_visible()
    admin_page.get_by_role("button", name="Sign out").click()
    admin_page.wait_for_url(f"{live_url}/sign-in?signed_out=1")
    expect(admin_page.get_by_text("You are signed out.")).to_be_visible()
    admin_page.goto(f"{live_url}/")
    expect(admin_page).to_have_url(f"{live_url}/sign-in")


def test_a_wrong_password_shows_an_error_in_the_browser(
    browser: Browser, live_url: str, admin_page: Page, ws: Workspace
) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{live_url}/")
    expect(page).to_have_url(f"{live_url}/sign-in")
    page.get_by_label("Email").fill(ws.email)
    page.get_by_label("Password").fill("this is not it at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password")
    context.close()


def test_a_stale_form_is_refused_in_the_browser(
    browser: Browser, live_url: str, admin_page: Page, ws: Workspace
) -> None:
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{live_url}/sign-in")
    context.clear_cookies()  # the form's token no longer matches any cookie
    page.get_by_label("Email").fill(ws.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    browser_sign_in(page, live_url, ws.email, PASSWORD)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    context.close()
