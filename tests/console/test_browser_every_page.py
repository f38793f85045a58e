"""Every console page of the demo, in Chromium: labelled controls, keyboard entry, 375 px fit."""

import pytest
from playwright.sync_api import Page

from intentsync.db.engine import Database
from tests.console.browser import PHONE
from tests.console.conftest import DemoWorkspace
from tests.console.screenshots import _first, pages

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby')
                && !((el.tagName === 'BUTTON' || el.type === 'submit') && el.textContent.trim()
                     || el.value))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def every_page(database: Database, demo: DemoWorkspace) -> dict[str, str]:
    return pages(*_first(database, demo.team_id))


def test_every_control_has_a_label_and_the_skip_link_comes_first(
    demo_page: Page, live_url: str, every_page: dict[str, str]
) -> None:
    for name, path in every_page.items():
        answer = demo_page.goto(f"{live_url}{path}")
        assert answer is not None
        assert answer.status == 200, name
        assert demo_page.evaluate(UNLABELLED) == [], name
        assert demo_page.locator("h1").count() == 1, f"{name} has one main heading"
        demo_page.keyboard.press("Tab")
        focused = demo_page.evaluate("() => document.activeElement.textContent.trim()")
        assert focused == "Skip to content", name


def test_no_page_is_wider_than_a_phone(
    demo_page: Page, live_url: str, every_page: dict[str, str]
) -> None:
    demo_page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    for name, path in every_page.items():
        demo_page.goto(f"{live_url}{path}")
        assert demo_page.evaluate(OVERFLOW) <= 1, f"{name} scrolls sideways at 375 px"
