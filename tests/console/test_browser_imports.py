"""The Imports page in a real Chromium: upload through the file input, follow the progress."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from intentsync.db.engine import Database
from intentsync.signals.importers.csvfile import RowError
from intentsync.signals.importers.service import (
    ChunkResult,
    begin_import,
    finish_import,
    record_chunk,
)
from tests.console.browser import PHONE
from tests.console.browser import sign_in as browser_sign_in
from tests.console.conftest import PASSWORD
from tests.factories import Workspace

REVIEWS = (
    "signal_type 'Reviews' is not a G2 signal type; use one of: Pricing Page, Profile, "
    "Compare (Comparison), Competitor (Alternatives), Category"
)


@pytest.mark.usefixtures("import_jobs")
def test_upload_a_file_and_see_it_done_with_its_bad_line(
    admin_page: Page, live_url: str, tmp_path: Path
) -> None:
    lines = ["company_domain,day,signal_type,total_activity,product_name"]
    lines += [f"c{n}.example,2026-11-{1 + n % 20:02d},pricing,1,p{n}" for n in range(3000)]
    lines.insert(1201, "bad.example,2026-11-17,Reviews,1,Widget")  # line 1202 of the file
    path = tmp_path / "g2-export.csv"
    path.write_text("\n".join(lines) + "\n")
    page = admin_page
    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    page.get_by_label("Vendor").select_option("g2")
    page.get_by_label("File", exact=True).set_input_files(path)
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    expect(page.get_by_role("heading", name="Import of g2-export.csv")).to_be_visible()
    status = page.locator('#import-status [data-field="status"]')
    expect(status).to_have_text("Done", timeout=60_000)
    expect(page.locator('[data-field="rows_read"]')).to_have_text("3,001")
    expect(page.locator('[data-field="signals_created"]')).to_have_text("3,000")
    expect(page.locator('[data-field="rows_failed"]')).to_have_text("1")
    bad = page.get_by_role("table").locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").nth(0)).to_have_text("1202")
    expect(bad.locator("td").nth(1)).to_have_text(REVIEWS)
    expect(bad.locator("td").nth(2)).to_have_text("bad.example,2026-11-17,Reviews,1,Widget")
    page.get_by_role("link", name="All imports").click()
    row = page.get_by_role("row").filter(has_text="g2-export.csv")
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("3,000")


def test_a_running_import_updates_in_place_then_shows_its_result(
    admin_page: Page, live_url: str, database: Database, ws: Workspace
) -> None:
    with database.transaction() as session:
        import_id = begin_import(
            session,
            team_id=ws.team_id,
            source="g2",
            file_name="slow.csv",
            file_bytes=1000,
            uploaded_by=ws.email,
        )
    page = admin_page
    page.goto(f"{live_url}/imports/{import_id}")
    expect(page.locator('[data-field="status"]')).to_have_text("Running")
    expect(page.get_by_label("Read so far")).to_be_visible()
    page.evaluate("document.body.dataset.sameDocument = 'yes'")  # gone after a reload
    with database.transaction() as session:
        record_chunk(
            session,
            team_id=ws.team_id,
            import_id=import_id,
            result=ChunkResult(rows=3, created=2, skipped=0, errors=[RowError(3, REVIEWS)]),
            texts={3: "bad.example,2026-11-17,Reviews,1\r\n"},
            bytes_read=500,
            rows_before=0,
        )
    expect(page.locator('[data-field="rows_read"]')).to_have_text("3")
    expect(page.locator('[data-field="percent"]')).to_have_text("50")
    expect(page.locator("body")).to_have_attribute("data-same-document", "yes")
    with database.transaction() as session:
        finish_import(session, team_id=ws.team_id, import_id=import_id, file_bytes=1000)
    expect(page.locator('[data-field="status"]')).to_have_text("Done", timeout=10_000)
    expect(page.get_by_label("Read so far")).to_have_count(0)
    bad = page.locator("table.bad-lines tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").nth(0)).to_have_text("3")
    expect(bad.locator("td").nth(2)).to_have_text("bad.example,2026-11-17,Reviews,1")


def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    admin_page: Page, live_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    path.write_bytes(b"company_domain,day,signal_type,total_activity\n" + b"x" * 300_000)
    page = admin_page
    page.goto(f"{live_url}/imports")
    page.get_by_label("Vendor").select_option("g2")
    page.get_by_label("File", exact=True).set_input_files(path)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#upload-size")).to_contain_text(
        "huge.csv is larger than the 256.0 KB an upload may be"
    )
    expect(page).to_have_url(f"{live_url}/imports")


def test_the_imports_pages_fit_a_phone(
    browser: Browser, live_url: str, database: Database, ws: Workspace, admin_page: Page
) -> None:
    with database.transaction() as session:
        import_id = begin_import(
            session,
            team_id=ws.team_id,
            source="linkedin",
            file_name="a-rather-long-file-name-for-a-phone-screen-export.csv",
            file_bytes=10,
            uploaded_by=ws.email,
        )
        record_chunk(
            session,
            team_id=ws.team_id,
            import_id=import_id,
            result=ChunkResult(rows=1, created=0, skipped=0, errors=[RowError(2, "x " * 200)]),
            texts={2: "y" * 400},
            bytes_read=10,
            rows_before=0,
        )
        finish_import(session, team_id=ws.team_id, import_id=import_id, file_bytes=10)
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    browser_sign_in(page, live_url, ws.email, PASSWORD)
    for path in ("/imports", f"/imports/{import_id}"):
        page.goto(f"{live_url}{path}")
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
    context.close()
