"""Segments in a real Chromium: the rules builder with its live count, a CSV upload, exports."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import Workspace, account


def _api_count(ws: Workspace, segment_id: str) -> int:
    rows = ws.get("/accounts", params={"limit": 1000}).json()["data"]["data"]
    return sum(any(s["segmentId"] == segment_id for s in row["rtp_segments"]) for row in rows)


def _create(page: Page, live_url: str, name: str, type_: str) -> str:
    page.goto(f"{live_url}/segments")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Type").select_option(type_)
    page.get_by_role("button", name="Create segment").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    found = re.search(r"/segments/([0-9a-f]{24})", page.url)
    assert found, page.url
    return found.group(1)


def test_build_a_dynamic_segment_with_a_nested_group_and_a_live_count(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    ws.push(
        account(1, tags=["vip"], name="Beta Labs"),
        account(2, tags=["vip"]),
        account(3, tags=["vip"]),
        account(4, name="Beta Two"),
        account(5),
    )
    page = admin_page
    segment_id = _create(page, live_url, "VIP betas", "dynamic")
    live = page.locator("#live-preview")
    expect(live).to_have_text("Fill in the value to see a count")  # the page script is running
    page.locator("#rule-r-0-field").select_option("tags")
    operators = page.locator("#rule-r-0-operator option")
    expect(operators).to_have_text(
        ["contains", "has any of", "has all of", "is none of", "is empty"]
    )
    page.locator("#rule-r-0-operator").select_option("contains")
    page.locator("#rule-r-0-value").fill("vip")
    expect(live).to_have_text("3 accounts match these rules")

    page.locator('button[value="add-group:r"]').click()  # a nested group with one condition
    page.locator("#rule-r-1-combinator").select_option("or")
    page.locator("#rule-r-1-0-field").select_option("name")
    page.locator("#rule-r-1-0-operator").select_option("contains")
    page.locator("#rule-r-1-0-value").fill("beta")
    page.locator('button[value="add-condition:r.1"]').click()
    expect(page.locator("#rule-r-1-0-value")).to_have_value("beta")  # the form kept its values
    page.locator("#rule-r-1-1-field").select_option("domain")
    page.locator("#rule-r-1-1-operator").select_option("eq")
    page.locator("#rule-r-1-1-value").fill("company3.com")
    expect(live).to_have_text("2 accounts match these rules")  # vip and (beta or company3)
    page.locator("#rule-r-1-1-value").fill("not a domain at all")
    problem = page.locator("#rule-r-1-1-error")
    expect(problem).to_have_text("Condition 2.2: 'not a domain at all' is not a valid domain")
    expect(live).to_have_text("Fix the highlighted part to see a count")
    expect(page.locator("#rule-r-1-1-value")).to_have_attribute("aria-invalid", "true")
    page.locator("#rule-r-1-1-value").fill("company3.com")
    expect(live).to_have_text("2 accounts match these rules")
    expect(problem).to_have_count(0)

    page.get_by_role("button", name="Save rules").click()
    expect(page.locator("p.notice")).to_have_text("Rules saved; the members were refreshed.")
    shown = int(page.locator("#member-count").inner_text())
    assert shown == 2
    assert _api_count(ws, segment_id) == shown
    expect(page.locator("#members tbody tr")).to_have_count(2)


def test_a_new_dynamic_segment_opens_without_an_error_and_shows_a_mistake_once(
    admin_page: Page, live_url: str, ws: Workspace
) -> None:
    ws.push(account(1, tags=["vip"]), account(2))
    page = admin_page
    _create(page, live_url, "Fresh rules", "dynamic")
    live = page.locator("#live-preview")
    expect(live).to_have_text("Fill in the value to see a count")
    rules = page.locator("#rules")
    expect(rules.locator(".error")).to_have_count(0)
    expect(page.get_by_role("group", name="Condition 1")).to_be_visible()

    page.locator("#rule-r-0-value").fill("lots")
    message = "Condition 1: Account score takes a number, got 'lots'"
    expect(page.locator("#rule-r-0-error")).to_have_text(message)
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator("[data-role=rules-banner]")).to_have_text(
        "The rules have a problem; see below"
    )
    expect(rules.get_by_text(message)).to_have_count(1)  # once: next to the condition
    expect(live).to_have_text("")
    assert "rules.and" not in rules.inner_text()

    page.locator("#rule-r-0-value").fill("0")
    page.locator("#rule-r-0-operator").select_option("gte")
    expect(live).to_have_text("2 accounts match these rules")
    expect(rules.locator(".error")).to_have_count(0)  # the banner and the message went


def test_upload_a_csv_and_download_the_linkedin_list(
    admin_page: Page, live_url: str, ws: Workspace, tmp_path: Path
) -> None:
    ws.push(account(1, linkedinUrl="https://www.linkedin.com/company/one"), account(2))
    page = admin_page
    segment_id = _create(page, live_url, "Uploaded list", "static")
    page.get_by_label("CSV file with an externalId or domain column").set_input_files(
        files=[
            {
                "name": "accounts.csv",
                "mimeType": "text/csv",
                "buffer": b"externalId,domain\ncrm-1,\n,company2.com\n,unknown.example\n",
            }
        ]
    )
    page.get_by_role("button", name="Upload and add").click()
    expect(page.locator("#results")).to_contain_text("2 added")
    expect(page.locator("#results")).to_contain_text(
        "Rows that matched no account: 4 (unknown.example)"
    )
    assert _api_count(ws, segment_id) == 2
    page.goto(f"{live_url}/segments/{segment_id}")
    expect(page.locator("#linkedin-warning")).to_contain_text("LinkedIn needs at least 300")
    with page.expect_download() as info:
        page.get_by_role("link", name="LinkedIn company list (CSV)").click()
    saved = tmp_path / "linkedin.csv"
    info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "companyname,companywebsite,companyemaildomain,linkedincompanypageurl,stocksymbol,"
        "industry,city,state,companycountry,zipcode"
    )
    assert sorted(lines[1:]) == [
        "Company 1,company1.com,company1.com,https://www.linkedin.com/company/one,,,,,,",
        "Company 2,company2.com,company2.com,,,,,,,",
    ]
