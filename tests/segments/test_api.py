"""The segments extension: create, read, change, list members, change members, preview."""

import re

import pytest
from sqlalchemy import func, select

from intentsync.db.models import Segment, SegmentMember, SyncClock
from tests.factories import CRM, V1, account

SURFACES = [CRM, V1]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BIG = {"and": [{"field": "tags", "operator": "contains", "value": "big"}]}


def delete(ws, base, path, body):
    return ws.client.request("DELETE", base + path, json=body)


def data(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def segment_count(ws):
    with ws.db.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(Segment).where(Segment.team_id == ws.team_id)
        )


def members_of(ws, segment_id):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(SegmentMember.account_id)
            .join(Segment, Segment.id == SegmentMember.segment_pk)
            .where(Segment.segment_id == segment_id)
        )
        return sorted(r[0] for r in rows)


def names_in(ws, segment_id, base=CRM):
    rows = data(ws.surface(base).get(f"/segments/{segment_id}/members", params={"limit": 1000}))
    return [a["externalId"] for a in rows["data"]]


@pytest.mark.parametrize("base", SURFACES)
def test_create_a_static_segment_and_read_it_back(ws, base):
    api = ws.surface(base)
    created = data(api.post("/segments", {"name": " Event invitees ", "type": "static"}), 201)
    assert created["name"] == "Event invitees"
    assert created["type"] == "static"
    assert created["status"] == "active"
    assert created["memberCount"] == 0
    assert "rules" not in created
    assert ISO_MS.match(created["createdAt"])
    assert ISO_MS.match(created["updatedAt"])
    assert re.fullmatch(r"[0-9a-f]{24}", created["segmentId"])
    assert data(api.get(f"/segments/{created['segmentId']}")) == created
    # The documented list still shows exactly its three fields.
    listed = data(api.get("/segments"))["data"]
    assert listed == [
        {"segmentId": created["segmentId"], "name": "Event invitees", "status": "active"}
    ]


def test_create_a_dynamic_segment_fills_its_members(ws):
    ws.push(account(1, tags=["big"]), account(2), account(3, tags=["BIG"]))
    created = data(
        ws.v1.post(
            "/segments", {"name": "Big", "type": "dynamic", "status": "draft", "rules": BIG}
        ),
        201,
    )
    assert created["rules"] == BIG
    assert created["status"] == "draft"
    assert created["memberCount"] == 2
    assert names_in(ws, created["segmentId"]) == ["crm-1", "crm-3"]
    # A dynamic segment stays out of the documented list, but is readable by id.
    assert data(ws.v1.get("/segments"))["data"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "static"}, "name should not be empty"),
        ({"name": "  ", "type": "static"}, "name should not be empty"),
        ({"name": "X", "type": "smart"}, "type must be one of the following values"),
        ({"name": "X", "type": "static", "status": "paused"}, "status must be one of"),
        ({"name": "X", "type": "static", "status": None}, "status should not be null"),
        ({"name": "X", "type": "static", "rules": BIG}, "rules apply only to dynamic segments"),
        (
            {
                "name": "X",
                "type": "dynamic",
                "rules": {"field": "score", "operator": "eq", "value": 1},
            },
            "rules.field: unknown field 'score'",
        ),
        ({"name": "X", "type": "static", "members": []}, "property members should not exist"),
    ],
)
def test_a_refused_create_says_why_and_creates_nothing(ws, body, message):
    response = ws.post("/segments", body)
    assert response.status_code == 400, response.text
    assert message in response.text  # customMessage, or the validation entries
    assert segment_count(ws) == 0


def test_a_name_in_use_is_a_conflict(ws):
    ws.segment(name="Q2 Targets")
    response = ws.post("/segments", {"name": "q2 targets ", "type": "static"})
    assert response.status_code == 409
    assert response.json()["customMessage"] == "A segment named 'Q2 Targets' already exists"
    assert segment_count(ws) == 1


def test_an_unknown_segment_is_404_on_every_route(ws):
    missing = "0" * 24
    assert ws.get(f"/segments/{missing}").status_code == 404
    assert ws.patch(f"/segments/{missing}", {"name": "X"}).status_code == 404
    assert ws.get(f"/segments/{missing}/members").status_code == 404
    response = ws.post(f"/segments/{missing}/members", {"accounts": ["crm-1"]})
    assert response.status_code == 404
    assert response.json()["customMessage"] == f"Segment '{missing}' does not exist"
    assert delete(ws, CRM, f"/segments/{missing}/members", {"accounts": ["x"]}).status_code == 404


def test_an_archived_segment_stays_readable(ws):
    segment = ws.segment(name="Old", status="archived")
    shown = data(ws.get(f"/segments/{segment}"))
    assert shown["status"] == "archived"
    assert data(ws.get(f"/segments/{segment}/members"))["data"] == []


@pytest.mark.parametrize("base", SURFACES)
def test_patch_renames_archives_and_replaces_rules(ws, base):
    api = ws.surface(base)
    ws.push(account(1, tags=["big"]), account(2, tags=["small"]))
    segment = data(api.post("/segments", {"name": "Big", "type": "dynamic", "rules": BIG}), 201)
    sid = segment["segmentId"]
    small = {"field": "tags", "operator": "contains", "value": "small"}
    changed = data(api.patch(f"/segments/{sid}", {"name": "Small", "rules": small}))
    assert changed["name"] == "Small"
    assert changed["rules"] == small
    assert changed["memberCount"] == 1
    assert names_in(ws, sid, base) == ["crm-2"]
    archived = data(api.patch(f"/segments/{sid}", {"status": "archived"}))
    assert archived["status"] == "archived"
    assert data(ws.get("/accounts/crm-2"))["rtp_segments"] == []
    assert archived["memberCount"] == 1  # kept, and back when the segment is unarchived
    data(api.patch(f"/segments/{sid}", {"status": "active"}))
    assert [s["name"] for s in data(ws.get("/accounts/crm-2"))["rtp_segments"]] == ["Small"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Nothing to update: give a new name, status or rules"),
        ({"name": None}, "name should not be null or undefined"),
        ({"name": ""}, "name should not be empty"),
        ({"status": "gone"}, "status must be one of"),
        ({"rules": BIG}, "rules apply only to dynamic segments; static segments list members"),
        ({"type": "dynamic"}, "property type should not exist"),
    ],
)
def test_a_refused_patch_says_why_and_changes_nothing(ws, body, message):
    segment = ws.segment(name="Static")
    before = data(ws.get(f"/segments/{segment}"))
    response = ws.patch(f"/segments/{segment}", body)
    assert response.status_code == 400, response.text
    assert message in response.json()["customMessage"]
    assert data(ws.get(f"/segments/{segment}")) == before


def test_members_page_through_a_cursor_each_as_get_accounts_shows_it(ws):
    ws.push(*[account(n) for n in range(1, 6)])
    segment = ws.segment()
    added = data(
        ws.post(f"/segments/{segment}/members", {"accounts": [f"crm-{n}" for n in (5, 1, 3, 4)]})
    )
    assert added["summary"]["added"] == 4
    first = data(ws.get(f"/segments/{segment}/members", params={"limit": 3}))
    assert [a["externalId"] for a in first["data"]] == ["crm-1", "crm-3", "crm-4"]
    assert first["hasNextPage"] is True
    assert first["data"][0] == data(ws.get("/accounts/crm-1"))
    rest = data(
        ws.v1.get(
            f"/segments/{segment}/members", params={"limit": 3, "cursor": first["nextCursor"]}
        )
    )
    assert [a["externalId"] for a in rest["data"]] == ["crm-5"]
    assert rest["hasNextPage"] is False
    assert rest["nextCursor"] is None
    by_offset = data(ws.get(f"/segments/{segment}/members", params={"limit": 2, "cursor": "2"}))
    assert [a["externalId"] for a in by_offset["data"]] == ["crm-4", "crm-5"]
    assert ws.get(f"/segments/{segment}/members", params={"limit": 0}).status_code == 400
    assert ws.get(f"/segments/{segment}/members", params={"cursor": "x"}).status_code == 400


@pytest.mark.parametrize("base", SURFACES)
def test_members_are_added_and_removed_item_by_item(ws, base):
    api = ws.surface(base)
    ws.push(account(1), account(2), account(3))
    segment = ws.segment()
    data(api.post(f"/segments/{segment}/members", {"accounts": ["crm-3"]}))
    body = {"accounts": ["crm-1", " company2.com ", "nobody.example", "crm-3", "crm-1"]}
    added = data(api.post(f"/segments/{segment}/members", body))
    assert [(r["account"], r["status"]) for r in added["results"]] == [
        ("crm-1", "added"),
        (" company2.com ", "added"),
        ("nobody.example", "not_found"),
        ("crm-3", "already_member"),
        ("crm-1", "already_member"),
    ]
    assert added["results"][0]["rtp_aid"] == data(ws.get("/accounts/crm-1"))["rtp_aid"]
    assert added["results"][2]["rtp_aid"] is None
    assert added["results"][2]["message"] == "No account has this externalId or domain"
    assert added["summary"] == {"total": 5, "added": 2, "alreadyMember": 2, "notFound": 1}
    assert names_in(ws, segment) == ["crm-1", "crm-2", "crm-3"]

    removed = data(
        delete(
            ws, base, f"/segments/{segment}/members", {"accounts": ["company3.com", "x", "crm-3"]}
        )
    )
    assert [(r["account"], r["status"]) for r in removed["results"]] == [
        ("company3.com", "removed"),
        ("x", "not_found"),
        ("crm-3", "not_member"),
    ]
    assert removed["summary"] == {"total": 3, "removed": 1, "notMember": 1, "notFound": 1}
    assert names_in(ws, segment) == ["crm-1", "crm-2"]


def test_refused_member_changes_say_why_and_change_nothing(ws):
    ws.push(account(1, tags=["big"]), account(2))
    static = ws.segment(name="Static")
    data(ws.post(f"/segments/{static}/members", {"accounts": ["crm-2"]}))
    dynamic = data(ws.post("/segments", {"name": "D", "type": "dynamic", "rules": BIG}), 201)
    archived = ws.segment(name="Archived", status="archived")
    cases = [
        (static, {"accounts": []}, "accounts must contain at least 1 elements"),
        (
            static,
            {"accounts": [f"crm-{n}" for n in range(101)]},
            "accounts must contain no more than 100 elements",
        ),
        (
            static,
            {"accounts": ["crm-1", " "]},
            "accounts[1]: each value in accounts should not be empty",
        ),
        (static, {}, "accounts must be an array"),
        (static, {"accounts": "crm-1"}, "accounts must be an array"),
        (
            dynamic["segmentId"],
            {"accounts": ["crm-2"]},
            "is a dynamic segment; its members come from its rules, so change the rules instead",
        ),
        (archived, {"accounts": ["crm-1"]}, "Set its status to active or draft first"),
    ]
    for segment, body, message in cases:
        for response in (
            ws.post(f"/segments/{segment}/members", body),
            delete(ws, CRM, f"/segments/{segment}/members", body),
        ):
            assert response.status_code == 400, response.text
            assert message in response.json()["customMessage"]
    assert names_in(ws, static) == ["crm-2"]
    assert names_in(ws, dynamic["segmentId"]) == ["crm-1"]


def test_preview_counts_and_shows_matches_without_writing(ws):
    ws.push(account(1, tags=["big"]), account(2), account(3, tags=["big"]))
    with ws.db.transaction(write=False) as session:
        clock = session.scalar(select(SyncClock.last_ms).where(SyncClock.team_id == ws.team_id))
    preview = data(ws.post("/segments/preview", {"rules": BIG}, params={"limit": 1}))
    assert preview["count"] == 2
    assert preview["accounts"] == [data(ws.get("/accounts/crm-1"))]
    assert data(ws.v1.post("/segments/preview", {"rules": BIG}))["count"] == 2
    with ws.db.transaction(write=False) as session:
        after = session.scalar(select(SyncClock.last_ms).where(SyncClock.team_id == ws.team_id))
    assert after == clock
    assert segment_count(ws) == 0
    wrong = {"field": "tags", "operator": "gt", "value": 1}
    refused = ws.post("/segments/preview", {"rules": wrong})
    assert refused.status_code == 400
    assert "rules.operator" in refused.json()["customMessage"]
    assert ws.post("/segments/preview", {}).status_code == 400
