"""Screenshots of every console page on the demo workspace, for docs/ (`make screenshots`).

Builds the demo in a fresh SQLite database, serves it, signs in with Chromium and saves one PNG
per page at 1280 px wide (and the overview at 375 px). The test suite runs it too, so the make
target cannot rot.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import select

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from intentsync.db.models import Account, Segment
from intentsync.demo.job import build
from intentsync.demo.plan import DEMO_EMAIL
from intentsync.kit.clock import day_of, now_ms
from tests.console.browser import DESKTOP, PHONE, chromium, sign_in
from tests.live import live_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _first(db: Database, team_id: int) -> tuple[str, str, str]:
    """The top account's rtp_aid, the first static and first dynamic segments' ids."""
    with db.transaction(write=False) as session:
        account = session.scalar(
            select(Account.rtp_aid)
            .where(Account.team_id == team_id)
            .order_by(Account.account_score.desc(), Account.id)
            .limit(1)
        )
        static, dynamic = (
            session.scalar(
                select(Segment.segment_id)
                .where(Segment.team_id == team_id, Segment.type == kind)
                .order_by(Segment.id)
                .limit(1)
            )
            for kind in ("static", "dynamic")
        )
    return str(account), str(static), str(dynamic)


def pages(account: str, segment: str, rules: str) -> dict[str, str]:
    return {
        "overview": "/",
        "accounts": "/accounts?sort=score&dir=desc",
        "account": f"/accounts/{account}",
        "segments": "/segments",
        "segment": f"/segments/{segment}",
        "segment-rules": f"/segments/{rules}",
        "imports": "/imports",
        "settings": "/settings",
    }


def take(out: Path, browser: Browser | None = None) -> list[Path]:
    """Write the screenshots into out; return their paths.

    A test passes its session's browser: Playwright's sync API runs one instance per thread.
    """
    if browser is None:
        with chromium() as own:
            return take(out, own)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'screenshots.db'}"
        upgrade(url)
        db = Database(url, pool_size=4)
        try:
            demo = build(db, today=day_of(now_ms()))
            account, segment, rules = _first(db, demo.built.team_id)
            app = create_app(Settings(database_url=url, scoring_interval=0), db)
            with live_server(app) as base:
                context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
                page = context.new_page()
                page.goto(f"{base}/sign-in")
                path = out / "sign-in.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
                sign_in(page, base, DEMO_EMAIL, demo.built.password)
                for name, where in pages(account, segment, rules).items():
                    answer = page.goto(f"{base}{where}")
                    if answer is None or answer.status != 200:
                        status = None if answer is None else answer.status
                        raise RuntimeError(f"{where} answered {status}")
                    path = out / f"{name}.png"
                    page.screenshot(path=str(path), full_page=True)
                    written.append(path)
                # An import of the sample G2 export, so the Imports pages show a result.
                page.goto(f"{base}/imports")
                page.locator("#import-source").select_option("g2")
                page.locator("#import-file").set_input_files(str(EXAMPLES / "g2-buyer-intent.csv"))
                page.get_by_role("button", name="Import").click()
                page.locator("[data-field=status].import-done").wait_for(timeout=60_000)
                path = out / "import.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
                page.set_viewport_size(PHONE)  # type: ignore[arg-type]
                page.goto(f"{base}/")
                path = out / "overview-375.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
                context.close()
        finally:
            db.dispose()
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console")
    for each in take(target):
        print(each)  # noqa: T201  (the make target lists what it wrote)
