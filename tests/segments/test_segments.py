"""GET /segments lists active and draft static segments."""


def test_only_active_and_draft_static_segments_are_listed(ws):
    active = ws.segment(name="Active static")
    draft = ws.segment(name="Draft static", status="draft")
    ws.segment(name="Archived static", status="archived")
    ws.segment(name="Dynamic", type_="dynamic")
    data = ws.get("/segments").json()["data"]
    assert data["data"] == [
        {"segmentId": active, "name": "Active static", "status": "active"},
        {"segmentId": draft, "name": "Draft static", "status": "draft"},
    ]
    assert data["hasNextPage"] is False
    assert data["nextCursor"] is None


def test_segments_page_with_either_cursor_style(ws):
    ids = [ws.segment(name=f"S{i}") for i in range(5)]
    first = ws.get("/segments", params={"limit": 2}).json()["data"]
    assert [s["segmentId"] for s in first["data"]] == ids[:2]
    assert first["hasNextPage"] is True
    second = ws.get("/segments", params={"limit": 2, "cursor": first["nextCursor"]}).json()["data"]
    assert [s["segmentId"] for s in second["data"]] == ids[2:4]
    by_offset = ws.get("/segments", params={"limit": 2, "cursor": 4}).json()["data"]
    assert [s["segmentId"] for s in by_offset["data"]] == ids[4:]
    assert by_offset["hasNextPage"] is False


def test_segment_limit_is_validated(ws):
    assert ws.get("/segments", params={"limit": 5000}).status_code == 400


def test_archived_segment_is_hidden_from_account_memberships(ws):
    from sqlalchemy import update

    from intentsync.db.models import Segment
    from tests.factories import account

    segment = ws.segment(name="Will archive")
    ws.push(account(1), segmentId=segment)
    assert len(ws.get("/accounts/crm-1").json()["data"]["rtp_segments"]) == 1
    with ws.db.transaction() as session:
        session.execute(
            update(Segment).where(Segment.segment_id == segment).values(status="archived")
        )
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_segments"] == []


def test_a_cursor_past_every_segment_key_is_an_empty_page(ws):
    from intentsync.kit.pagination import MAX_KEY, encode_cursor

    ws.segment()
    response = ws.v1.get("/segments", params={"cursor": encode_cursor(MAX_KEY, 0)})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["data"] == []


def test_a_rule_number_beyond_2_to_the_53_is_refused_and_nothing_is_saved(ws):
    import pytest

    from intentsync.kit.errors import BadRequest
    from intentsync.segments.service import create_segment, overview

    rules = {"field": "account_score", "operator": "gt", "value": 10**24}
    with ws.db.transaction() as session, pytest.raises(BadRequest) as caught:
        create_segment(
            session, team_id=ws.team_id, name="Huge", type_="dynamic", status="active", rules=rules
        )
    assert "takes a finite number from -9,007,199,254,740,992" in caught.value.custom_message
    with ws.db.transaction() as session:
        saved = create_segment(
            session,
            team_id=ws.team_id,
            name="Largest",
            type_="dynamic",
            status="active",
            rules={**rules, "value": 2**53},
        )
        assert saved.rules == {**rules, "value": 2**53}
    with ws.db.transaction(write=False) as session:
        assert [s.name for s in overview(session, team_id=ws.team_id)] == ["Largest"]


def test_two_visible_segments_never_share_a_name(app, database, ws):
    import pytest

    from intentsync.kit.errors import Conflict
    from intentsync.segments.service import update_segment
    from tests.factories import create_workspace

    def rename(segment_id, **change):
        with ws.db.transaction() as session:
            return update_segment(session, team_id=ws.team_id, segment_id=segment_id, **change)

    first = ws.segment(name="Webinar attendees")
    for spelling in ("Webinar attendees", "  webinar ATTENDEES "):
        with pytest.raises(Conflict) as refused:
            ws.segment(name=spelling, type_="dynamic")
        assert refused.value.status_code == 409
        assert refused.value.custom_message == "A segment named 'Webinar attendees' already exists"

    tier = ws.segment(name="Tier 1")
    with pytest.raises(Conflict, match="A segment named 'Webinar attendees' already exists"):
        rename(tier, name="WEBINAR attendees")
    assert rename(first, name="Webinar Attendees").name == "Webinar Attendees"  # its own name

    old = ws.segment(name="webinar attendees", status="archived")  # archived ones may share
    with pytest.raises(Conflict):
        rename(old, status="active")
    rename(first, status="archived")
    assert rename(old, status="draft").status == "draft"
    with pytest.raises(Conflict):
        rename(first, status="active")
    assert rename(first, name="Webinar attendees 2024", status="active").status == "active"
    assert {s["name"] for s in ws.get("/segments").json()["data"]["data"]} == {
        "Webinar attendees 2024",
        "Tier 1",
        "webinar attendees",
    }

    other = create_workspace(app, database, name="Other team")
    try:
        assert other.segment(name="Webinar attendees")  # names are per team
    finally:
        other.close()
