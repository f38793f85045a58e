"""Segment pages through the real HTTP stack: lists, members, rules, previews and exports."""

import csv
import html
import io
import re
from typing import Any

from fastapi import FastAPI

from intentsync.custom_fields.service import active_definitions
from intentsync.db.engine import Database
from intentsync.kit.errors import BadRequest
from intentsync.segments.rules import validate_rules
from tests.console.conftest import ConsoleClient, add_user, sign_in
from tests.factories import Workspace, account, create_workspace

LINKEDIN_HEADER = [
    "companyname",
    "companywebsite",
    "companyemaildomain",
    "linkedincompanypageurl",
    "stocksymbol",
    "industry",
    "city",
    "state",
    "companycountry",
    "zipcode",
]


def _text(page: Any) -> str:
    return html.unescape(page.text)


def _create(client: ConsoleClient, name: str, type_: str = "static") -> str:
    answer = client.post("/segments", {"name": name, "type": type_}, token_from="/segments")
    assert answer.status_code == 303, answer.text[:500]
    found = re.fullmatch(r"/segments/([0-9a-f]{24})\?notice=created", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def _api_members(ws: Workspace, segment_id: str) -> set[str]:
    """externalIds of the accounts whose rtp_segments names the segment, as the API says."""
    rows = ws.get("/accounts", params={"limit": 1000}).json()["data"]["data"]
    return {
        row["externalId"]
        for row in rows
        if any(s["segmentId"] == segment_id for s in row["rtp_segments"])
    }


def _count_on_page(client: ConsoleClient, segment_id: str) -> int:
    page = client.get(f"/segments/{segment_id}")
    assert page.status_code == 200
    found = re.search(r'<strong id="member-count">([\d,]+)</strong>', page.text)
    assert found, page.text[:2000]
    return int(found.group(1).replace(",", ""))


def _rules_form(conditions: list[tuple[str, str, str]], combinator: str = "and") -> dict[str, str]:
    form = {"r.kind": "group", "r.combinator": combinator}
    for i, (field, operator, value) in enumerate(conditions):
        form |= {
            f"r.{i}.kind": "condition",
            f"r.{i}.field": field,
            f"r.{i}.operator": operator,
            f"r.{i}.value": value,
        }
    return form


def test_the_list_shows_every_segment_with_type_status_count_and_change(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1), account(2))
    static = _create(admin, "Q3 targets")
    admin.post(
        f"/segments/{static}/members",
        {"accounts": "crm-1\ncompany2.com", "action": "add"},
        token_from="/segments",
    )
    archived = ws.segment(name="Old list", status="archived")
    dynamic = _create(admin, "Hot accounts", "dynamic")
    page = admin.get("/segments")
    assert page.status_code == 200
    text = _text(page)
    rows = re.findall(
        r"<tr>\s*<td><a href=\"/segments/(\w+)\">(.*?)</a></td>(.*?)</tr>", text, re.S
    )
    shown = {sid: (name, re.sub(r"<[^>]+>|\s+", " ", rest).split()) for sid, name, rest in rows}
    assert shown[static][0] == "Q3 targets"
    assert shown[static][1][:3] == ["static", "active", "2"]
    assert shown[archived][1][:3] == ["static", "archived", "0"]
    assert shown[dynamic][1][:3] == ["dynamic", "active", "0"]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert [sid for sid, _, _ in rows] == [dynamic, archived, static]  # newest first


def test_creating_without_a_name_shows_the_services_message(admin: ConsoleClient) -> None:
    answer = admin.post("/segments", {"name": "  ", "type": "static"}, token_from="/segments")
    assert answer.status_code == 400
    assert "Segment name should not be empty" in answer.text
    wrong = admin.post("/segments", {"name": "X", "type": "smart"}, token_from="/segments")
    assert wrong.status_code == 400
    assert "type must be one of: static, dynamic" in wrong.text
    assert "No segments yet" in admin.get("/segments").text


def test_a_second_segment_with_a_name_in_use_is_refused(
    admin: ConsoleClient, ws: Workspace
) -> None:
    first = _create(admin, "Webinar attendees")
    again = admin.post(
        "/segments", {"name": "webinar attendees ", "type": "dynamic"}, token_from="/segments"
    )
    assert again.status_code == 409
    assert "A segment named 'Webinar attendees' already exists" in _text(again)
    assert 'value="webinar attendees"' in again.text  # the form keeps what was typed
    other = _create(admin, "Tier 1")
    renamed = admin.post(
        f"/segments/{other}/rename", {"name": "WEBINAR ATTENDEES"}, token_from="/segments"
    )
    assert renamed.status_code == 409
    assert "A segment named 'Webinar attendees' already exists" in _text(renamed)
    listed = _text(admin.get("/segments"))
    assert re.findall(r'<a href="/segments/(\w+)">', listed) == [other, first]
    assert "<h1>Tier 1</h1>" in _text(admin.get(f"/segments/{other}"))


def test_static_members_are_added_and_removed_by_external_id_and_domain(
    member: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1), account(2), account(3))
    segment_id = _create(member, "Static")
    added = member.post(
        f"/segments/{segment_id}/members",
        {
            "accounts": "crm-1\ncompany2.com\nhttps://www.company2.com/\nnobody.example",
            "action": "add",
        },
        token_from="/segments",
    )
    assert added.status_code == 200
    text = _text(added)
    assert "<strong>2</strong> added" in text
    assert "<strong>1</strong> already a member" in text  # the same account by its URL
    assert "Matched no account: nobody.example" in text
    assert _api_members(ws, segment_id) == {"crm-1", "crm-2"}
    again = member.post(
        f"/segments/{segment_id}/members",
        {"accounts": "crm-1", "action": "add"},
        token_from="/segments",
    )
    assert "<strong>1</strong> already a member" in _text(again)
    removed = member.post(
        f"/segments/{segment_id}/members",
        {"accounts": "company1.com\ncrm-3", "action": "remove"},
        token_from="/segments",
    )
    text = _text(removed)
    assert "<strong>1</strong> removed" in text
    assert "<strong>1</strong> not a member" in text
    assert _api_members(ws, segment_id) == {"crm-2"}
    assert _count_on_page(member, segment_id) == 1


def test_an_empty_member_list_is_refused_with_the_services_message(
    admin: ConsoleClient, ws: Workspace
) -> None:
    segment_id = _create(admin, "Static")
    answer = admin.post(
        f"/segments/{segment_id}/members",
        {"accounts": "\n  \n", "action": "add"},
        token_from="/segments",
    )
    assert answer.status_code == 400
    assert "Name at least one account by externalId or domain" in answer.text


def test_a_csv_upload_adds_the_rows_and_names_the_row_that_matched_nothing(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1), account(2), account(3))
    segment_id = _create(admin, "Uploaded")
    data = "Company,externalId,Domain\nOne,crm-1,\nTwo,,company2.com\nGhost,,ghost.example\n"
    token = admin.csrf("/segments")
    answer = admin.client.post(
        f"/segments/{segment_id}/members/upload",
        data={"csrf_token": token, "action": "add"},
        files={"file": ("accounts.csv", data.encode(), "text/csv")},
    )
    assert answer.status_code == 200, answer.text[:800]
    text = _text(answer)
    assert "<strong>2</strong> added" in text
    assert "<strong>1</strong> no account matches" in text
    assert "Rows that matched no account: 4 (ghost.example)" in text
    assert _api_members(ws, segment_id) == {"crm-1", "crm-2"}
    bad = admin.client.post(
        f"/segments/{segment_id}/members/upload",
        data={"csrf_token": token, "action": "add"},
        files={"file": ("x.csv", b"name,city\nA,B\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "needs a header row with an externalId or a domain column" in _text(bad)


def test_members_of_a_dynamic_segment_cannot_be_listed_by_hand(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1))
    segment_id = _create(admin, "Rules only", "dynamic")
    answer = admin.post(
        f"/segments/{segment_id}/members",
        {"accounts": "crm-1", "action": "add"},
        token_from="/segments",
    )
    assert answer.status_code == 400
    assert "its members come from its rules" in answer.text


def test_preview_count_equals_the_saved_count_and_the_api(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(
        account(1, tags=["vip"]),
        account(2, tags=["vip", "emea"]),
        account(3, tags=["smb"]),
        account(4, name="Acme Robotics"),
    )
    segment_id = _create(admin, "VIP or Acme", "dynamic")
    form = _rules_form([("tags", "has_any", "vip, emea"), ("name", "contains", "acme")], "or")
    preview = admin.post(
        f"/segments/{segment_id}/rules", {**form, "action": "preview"}, token_from="/segments"
    )
    assert preview.status_code == 200, preview.text[:800]
    found = re.search(r'<span id="preview-count">(\d+)</span>', preview.text)
    assert found
    assert int(found.group(1)) == 3
    assert "Acme Robotics" in preview.text  # the first rows are listed
    assert _count_on_page(admin, segment_id) == 0  # a preview saves nothing
    live = admin.client.post(
        f"/segments/{segment_id}/rules/preview",
        data=form,
        headers={"X-CSRF-Token": admin.csrf("/segments")},
    )
    assert live.status_code == 200
    assert live.json()["count"] == 3
    saved = admin.post(
        f"/segments/{segment_id}/rules", {**form, "action": "save"}, token_from="/segments"
    )
    assert saved.status_code == 303
    assert _count_on_page(admin, segment_id) == 3
    assert _api_members(ws, segment_id) == {"crm-1", "crm-2", "crm-4"}
    page = admin.get(f"/segments/{segment_id}")
    assert 'value="vip, emea"' in page.text  # the saved rules come back into the form


def test_nested_groups_are_built_by_the_form_buttons(admin: ConsoleClient, ws: Workspace) -> None:
    segment_id = _create(admin, "Nested", "dynamic")
    form = _rules_form([("tags", "contains", "vip")])
    grown = admin.post(
        f"/segments/{segment_id}/rules", {**form, "action": "add-group:r"}, token_from="/segments"
    )
    assert grown.status_code == 200
    assert 'name="r.1.kind" value="group"' in grown.text
    assert 'name="r.1.0.kind" value="condition"' in grown.text
    ws.push(
        account(1, tags=["vip"], name="Beta"), account(2, tags=["vip"]), account(3, name="Beta two")
    )
    nested = {
        **form,
        "r.1.kind": "group",
        "r.1.combinator": "or",
        "r.1.0.kind": "condition",
        "r.1.0.field": "name",
        "r.1.0.operator": "contains",
        "r.1.0.value": "beta",
        "r.1.1.kind": "condition",
        "r.1.1.field": "domain",
        "r.1.1.operator": "eq",
        "r.1.1.value": "company2.com",
    }
    saved = admin.post(
        f"/segments/{segment_id}/rules", {**nested, "action": "save"}, token_from="/segments"
    )
    assert saved.status_code == 303
    assert _api_members(ws, segment_id) == {"crm-1", "crm-2"}
    removed = admin.post(
        f"/segments/{segment_id}/rules",
        {**nested, "action": "remove:r.1.0"},
        token_from="/segments",
    )
    assert 'name="r.1.0.value" value="company2.com"' in removed.text
    assert "r.1.1.kind" not in removed.text


def _live(client: ConsoleClient, segment_id: str, form: dict[str, str]) -> Any:
    answer = client.client.post(
        f"/segments/{segment_id}/rules/preview",
        data=form,
        headers={"X-CSRF-Token": client.csrf("/segments")},
    )
    assert answer.status_code == 200
    return answer.json()


def test_invalid_rules_show_the_message_once_next_to_the_condition_in_page_words(
    admin: ConsoleClient, ws: Workspace, database: Database
) -> None:
    segment_id = _create(admin, "Broken", "dynamic")
    form = _rules_form([("tags", "contains", "vip"), ("account_score", "gt", "lots")])
    doc = {
        "and": [
            {"field": "tags", "operator": "contains", "value": "vip"},
            {"field": "account_score", "operator": "gt", "value": "lots"},
        ]
    }
    with database.transaction() as session:
        definitions = active_definitions(session, team_id=ws.team_id)
    try:
        validate_rules(doc, custom_fields=definitions)
    except BadRequest as exc:
        service_message = exc.custom_message
    else:
        raise AssertionError("the rules should be invalid")
    # The service (and so the CLI and API) keeps its exact wording.
    assert service_message == "rules.and[1].value: 'account_score' takes a number, got 'lots'"
    shown = "Condition 2: Account score takes a number, got 'lots'"
    for action in ("preview", "save"):
        answer = admin.post(
            f"/segments/{segment_id}/rules", {**form, "action": action}, token_from="/segments"
        )
        assert answer.status_code == 400
        text = _text(answer)
        assert f'<p class="error rule-error" id="rule-r-1-error">{shown}</p>' in text
        assert text.count(shown) == 1  # once, next to the condition
        assert text.count("The rules have a problem; see below") == 1
        assert "rules.and" not in text
        assert "'account_score'" not in text
        assert 'id="rule-r-1-value" name="r.1.value" value="lots"' in text
        assert '<span class="rule-title" id="rule-r-1-title">Condition 2</span>' in text
    assert _live(admin, segment_id, form) == {"count": None, "error": shown, "path": "r.1"}

    wrong_op = _rules_form([("account_score", "contains", "5")])
    answer = admin.post(
        f"/segments/{segment_id}/rules", {**wrong_op, "action": "save"}, token_from="/segments"
    )
    assert (
        "Condition 1: 'contains' does not apply to number field Account score; use one of: "
        "'equals', 'does not equal', 'is one of', 'is none of', 'is more than', 'is at least', "
        "'is less than', 'is at most', 'is between', 'is empty'"
    ) in _text(answer)
    empty = admin.post(
        f"/segments/{segment_id}/rules",
        {"r.kind": "group", "r.combinator": "and", "action": "save"},
        token_from="/segments",
    )
    assert empty.status_code == 400
    assert "Add at least one condition to the rules" in _text(empty)
    assert "rules.and" not in _text(empty)


def test_rule_messages_name_nested_conditions_values_and_groups(
    admin: ConsoleClient, ws: Workspace
) -> None:
    segment_id = _create(admin, "Nested messages", "dynamic")
    base = _rules_form([("tags", "contains", "vip")])
    nested = {
        **base,
        "r.1.kind": "group",
        "r.1.combinator": "or",
        "r.1.0.kind": "condition",
        "r.1.0.field": "name",
        "r.1.0.operator": "contains",
        "r.1.0.value": "beta",
        "r.1.1.kind": "condition",
        "r.1.1.field": "domain",
        "r.1.1.operator": "eq",
        "r.1.1.value": "not a domain at all",
    }
    assert _live(admin, segment_id, nested) == {
        "count": None,
        "error": "Condition 2.2: 'not a domain at all' is not a valid domain",
        "path": "r.1.1",
    }
    listed = {**nested, "r.1.1.field": "g2_intent_score", "r.1.1.operator": "in"}
    listed["r.1.1.value"] = "10, many"
    assert _live(admin, segment_id, listed)["error"] == (
        "Condition 2.2, value 2: G2 score takes a number, got 'many'"
    )
    between = {**listed, "r.1.1.operator": "between", "r.1.1.value": "50, 10"}
    assert _live(admin, segment_id, between)["error"] == (
        "Condition 2.2: 'is between' needs low <= high"
    )
    empty_flag = {**listed, "r.1.1.operator": "is_empty", "r.1.1.value": "maybe"}
    assert _live(admin, segment_id, empty_flag)["error"] == (
        "Condition 2.2: 'is empty' takes true or false, got 'maybe'"
    )
    stage = {**listed, "r.1.1.field": "journey_stage", "r.1.1.operator": "eq"}
    stage["r.1.1.value"] = " "
    saved = admin.post(
        f"/segments/{segment_id}/rules", {**stage, "action": "save"}, token_from="/segments"
    )
    assert saved.status_code == 400
    assert (
        "Condition 2.2: Journey stage takes non-empty text, got ''; "
        "use 'is empty' to match missing values"
    ) in _text(saved)
    assert "<legend>Group 2</legend>" in saved.text
    hollow = {**base, "r.1.kind": "group", "r.1.combinator": "or"}
    answer = admin.post(
        f"/segments/{segment_id}/rules", {**hollow, "action": "save"}, token_from="/segments"
    )
    assert answer.status_code == 400
    assert (
        '<p class="error rule-error" id="rule-r-1-error">'
        "Group 2 is empty: add a condition to it or remove it</p>"
    ) in _text(answer)


def test_an_untouched_empty_condition_is_not_an_error(admin: ConsoleClient, ws: Workspace) -> None:
    ws.push(account(1, tags=["vip"]), account(2))
    segment_id = _create(admin, "Fresh", "dynamic")
    page = _text(admin.get(f"/segments/{segment_id}"))
    rules = page[page.index('id="rules-heading"') :]
    assert 'class="error' not in rules
    assert 'id="rule-r-0-value" name="r.0.value" value=""' in rules
    fresh = _rules_form([("account_score", "eq", "")])
    note = {"count": None, "error": None, "note": "Fill in the value to see a count"}
    assert _live(admin, segment_id, fresh) == note
    with_vip = _rules_form([("account_score", "eq", " "), ("tags", "contains", "vip")])
    assert _live(admin, segment_id, with_vip) == note  # still waiting for the first value
    wrong = _rules_form([("account_score", "eq", ""), ("tags", "has_any", "")])
    wrong["r.1.operator"] = "gt"  # a filled-in mistake still shows while another is blank
    wrong["r.1.value"] = "5"
    answer = _live(admin, segment_id, wrong)
    assert answer["path"] == "r.1"
    assert answer["error"].startswith("Condition 2: 'is more than' does not apply to list field")
    filled = _rules_form([("tags", "contains", "vip"), ("name", "is_empty", "")])
    assert _live(admin, segment_id, filled)["count"] == 0  # is empty needs no value
    only_vip = _rules_form([("tags", "contains", "vip")])
    assert _live(admin, segment_id, only_vip)["count"] == 1


def test_the_archived_segment_message_names_the_segment(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1))
    segment_id = ws.segment(name="Spring webinar", status="archived")
    refused = admin.post(
        f"/segments/{segment_id}/members",
        {"accounts": "crm-1", "action": "add"},
        token_from="/segments",
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert "Segment 'Spring webinar' is archived; its members cannot change" in text
    assert segment_id not in re.sub(r'(href|action)="[^"]*"', "", text)


def test_a_25_digit_rule_number_is_refused_with_the_services_message(
    admin: ConsoleClient,
) -> None:
    segment_id = _create(admin, "Huge", "dynamic")
    form = _rules_form([("account_score", "gt", "1" + "0" * 24)])
    for action in ("preview", "save"):
        answer = admin.post(
            f"/segments/{segment_id}/rules", {**form, "action": action}, token_from="/segments"
        )
        assert answer.status_code == 400, answer.text[:300]
        assert (
            "takes a finite number from -9,007,199,254,740,992 to 9,007,199,254,740,992"
            in _text(answer)
        )
    page = admin.get(f"/segments/{segment_id}")
    assert page.status_code == 200
    assert "1" + "0" * 24 not in page.text  # nothing was saved


def test_the_form_offers_the_catalogues_fields_and_custom_fields(
    admin: ConsoleClient, ws: Workspace
) -> None:
    key = ws.custom_field("Region", "singleSelection", options=["EMEA", "AMER"])
    segment_id = _create(admin, "Catalogue", "dynamic")
    page = _text(admin.get(f"/segments/{segment_id}"))
    assert re.search(rf'<option value="customFields.{key}"\s*>Custom: {key}</option>', page)
    assert re.search(r'<option value="journey_stage"\s*>Journey stage</option>', page)
    assert '<option value="EMEA">' in page  # the options list for the selection field
    assert "/static/segments.js" in page


def test_status_changes_and_rename(admin: ConsoleClient, ws: Workspace) -> None:
    ws.push(account(1))
    segment_id = _create(admin, "Renamed later")
    admin.post(f"/segments/{segment_id}/members", {"accounts": "crm-1"}, token_from="/segments")
    answer = admin.post(
        f"/segments/{segment_id}/status", {"status": "archived"}, token_from="/segments"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/segments/{segment_id}?notice=status"
    page = admin.get(answer.headers["location"])
    assert "Status changed." in page.text
    assert '<option value="archived" selected>' in page.text
    assert _api_members(ws, segment_id) == set()  # archived segments leave rtp_segments
    wrong = admin.post(
        f"/segments/{segment_id}/status", {"status": "paused"}, token_from="/segments"
    )
    assert wrong.status_code == 400
    assert "status must be one of: active, draft, archived" in wrong.text
    admin.post(f"/segments/{segment_id}/status", {"status": "draft"}, token_from="/segments")
    renamed = admin.post(
        f"/segments/{segment_id}/rename", {"name": "Tier 1"}, token_from="/segments"
    )
    assert renamed.status_code == 303
    rows = ws.get("/accounts/crm-1").json()["data"]["rtp_segments"]
    assert rows == [{"segmentId": segment_id, "name": "Tier 1"}]


def _csv(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(answer.text)))


def test_exports_have_the_headers_and_rows_and_escape_formulas(
    member: ConsoleClient, ws: Workspace
) -> None:
    ws.push(
        account(1, name='=HYPERLINK("x")', linkedinUrl="https://www.linkedin.com/company/one"),
        account(2, name="@Two", externalId="-2"),
        account(3, name="Plain"),
    )
    segment_id = _create(member, "Export me")
    member.post(
        f"/segments/{segment_id}/members", {"accounts": "crm-1\n-2\ncrm-3"}, token_from="/segments"
    )
    rows = _csv(member.get(f"/segments/{segment_id}/members.csv"))
    assert rows[0] == [
        "rtp_aid",
        "externalId",
        "name",
        "domain",
        "linkedinUrl",
        "rtp_account_score",
        "rtp_journey_stage",
    ]
    body = {row[2]: row for row in rows[1:]}
    assert set(body) == {'\'=HYPERLINK("x")', "'@Two", "Plain"}
    assert body["'@Two"][1] == "'-2"
    assert body["Plain"][1:5] == ["crm-3", "Plain", "company3.com", ""]
    linkedin = _csv(member.get(f"/segments/{segment_id}/linkedin.csv"))
    assert linkedin[0] == LINKEDIN_HEADER
    assert sorted(linkedin[1:]) == sorted(
        [
            [
                '\'=HYPERLINK("x")',
                "company1.com",
                "company1.com",
                "https://www.linkedin.com/company/one",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            ["'@Two", "company2.com", "company2.com", "", "", "", "", "", "", ""],
            ["Plain", "company3.com", "company3.com", "", "", "", "", "", "", ""],
        ]
    )


def test_exports_stream_more_than_one_batch(admin: ConsoleClient, ws: Workspace) -> None:
    for start in range(1, 1203, 100):  # the API takes 100 accounts a request
        ws.push(*[account(i) for i in range(start, min(start + 100, 1203))])
    segment_id = _create(admin, "Large", "dynamic")
    admin.post(
        f"/segments/{segment_id}/rules",
        {**_rules_form([("domain", "contains", "company")]), "action": "save"},
        token_from="/segments",
    )
    rows = _csv(admin.get(f"/segments/{segment_id}/linkedin.csv"))
    assert len(rows) == 1203
    assert len({row[0] for row in rows[1:]}) == 1202
    page = admin.get(f"/segments/{segment_id}")
    assert 'id="linkedin-warning"' not in page.text  # 1,202 rows: enough for LinkedIn
    next_link = re.search(r'href="(/segments/\w+\?after=\d+)#members"', page.text)
    assert next_link
    second = admin.get(next_link.group(1))
    assert second.status_code == 200
    assert ">Company 50</a>" in page.text
    assert ">Company 51</a>" not in page.text
    assert ">Company 51</a>" in second.text  # keyset: the next page starts after the last row
    assert "First page" in second.text


def test_the_page_warns_when_linkedin_would_refuse_the_list(
    admin: ConsoleClient, ws: Workspace
) -> None:
    import intentsync.console.segment_files as files

    ws.push(account(1), account(2))
    segment_id = _create(admin, "Small")
    admin.post(
        f"/segments/{segment_id}/members", {"accounts": "crm-1\ncrm-2"}, token_from="/segments"
    )
    page = _text(admin.get(f"/segments/{segment_id}"))
    assert (
        "LinkedIn needs at least 300 companies to build a matched audience; this segment has 2"
        in page
    )
    assert files.linkedin_warning(300) is None
    assert files.linkedin_warning(300_000) is None
    assert files.linkedin_warning(300_001) == (
        "LinkedIn's company list template takes at most 300,000 rows; this segment has "
        "300,001. Split it into smaller segments before you upload."
    )


def test_members_and_admins_may_both_manage_segments(
    app: FastAPI, database: Database, ws: Workspace, admin: ConsoleClient, member: ConsoleClient
) -> None:
    ws.push(account(1))
    mine = _create(member, "Member's")
    theirs = _create(admin, "Admin's", "dynamic")
    for client in (admin, member):
        assert client.get("/segments").status_code == 200
        assert client.get(f"/segments/{theirs}").status_code == 200
        answer = client.post(
            f"/segments/{mine}/members", {"accounts": "crm-1"}, token_from="/segments"
        )
        assert answer.status_code == 200
    assert _api_members(ws, mine) == {"crm-1"}


def test_teams_never_see_each_others_segments(
    app: FastAPI, database: Database, admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1))
    ours = _create(admin, "Ours only")
    admin.post(f"/segments/{ours}/members", {"accounts": "crm-1"}, token_from="/segments")
    other = create_workspace(app, database, name="Other team")
    other.push(account(1))
    stranger = sign_in(app, add_user(database, other.team_id, role="admin"))
    try:
        assert "Ours only" not in stranger.get("/segments").text
        for path in ("", "/members.csv", "/linkedin.csv"):
            assert stranger.get(f"/segments/{ours}{path}").status_code == 404
        token = stranger.csrf("/segments")
        for path, form in (
            ("/members", {"accounts": "crm-1"}),
            ("/status", {"status": "archived"}),
            ("/rename", {"name": "Mine now"}),
            ("/rules", {"r.kind": "group", "action": "save"}),
        ):
            answer = stranger.client.post(
                f"/segments/{ours}{path}", data={"csrf_token": token, **form}
            )
            assert answer.status_code == 404, path
        theirs = _create(stranger, "Theirs")
        stranger.post(f"/segments/{theirs}/members", {"accounts": "crm-1"}, token_from="/segments")
        assert _api_members(other, theirs) == {"crm-1"}
    finally:
        stranger.close()
        other.close()
    assert _api_members(ws, ours) == {"crm-1"}
    assert "Ours only" in admin.get("/segments").text
