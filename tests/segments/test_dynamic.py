"""Dynamic segments: members follow the rules, and every membership change reaches the delta."""

import logging

import pytest
from sqlalchemy import select, update

from intentsync.db.models import Account, CustomField, SegmentMember
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import BadRequest, NotFound
from intentsync.segments import service
from intentsync.segments.dynamic import DAY_MS, days_in_stage
from tests.factories import account

HOT = {"and": [{"field": "rtp_account_score", "operator": "gte", "value": 50}]}
VIP = {"field": "tags", "operator": "contains", "value": "vip"}


def dynamic(ws, rules, *, name="Hot accounts", status="active"):
    with ws.db.transaction() as session:
        return service.create_segment(
            session, team_id=ws.team_id, name=name, type_="dynamic", status=status, rules=rules
        ).segment_id


def update_segment(ws, segment_id, **changes):
    with ws.db.transaction() as session:
        service.update_segment(session, team_id=ws.team_id, segment_id=segment_id, **changes)


def refresh(ws, segment_id=None):
    with ws.db.transaction() as session:
        return service.refresh(session, team_id=ws.team_id, segment_id=segment_id)


def set_columns(ws, *external_ids, **values):
    """Change stored facts directly, as scoring would, without touching changed_ms."""
    with ws.db.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.team_id == ws.team_id, Account.external_id.in_(external_ids))
            .values(**values)
        )


def sync_point(ws):
    return ws.get("/accounts", params={"limit": 1}).json()["data"]["syncTimestamp"]


def delta(ws, since):
    data = ws.get("/accounts", params={"lastSync": since, "limit": 1000}).json()["data"]
    return {row["externalId"]: row["rtp_segments"] for row in data["data"]}


def segments_of(ws):
    rows = ws.get("/accounts", params={"limit": 1000}).json()["data"]["data"]
    return {row["externalId"]: [s["name"] for s in row["rtp_segments"]] for row in rows}


def test_members_show_in_rtp_segments_from_creation(ws):
    ws.push(account(1, tags=["VIP"]), account(2, tags=["smb"]), account(3))
    since = sync_point(ws)
    segment = dynamic(ws, VIP, name="VIPs")
    assert segments_of(ws) == {"crm-1": ["VIPs"], "crm-2": [], "crm-3": []}
    assert delta(ws, since) == {"crm-1": [{"segmentId": segment, "name": "VIPs"}]}
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_segments"] == [
        {"segmentId": segment, "name": "VIPs"}
    ]


def test_delta_holds_exactly_the_accounts_whose_membership_changed(ws):
    ws.push(*[account(i) for i in range(1, 6)])
    segment = dynamic(ws, HOT)
    assert all(names == [] for names in segments_of(ws).values())
    set_columns(ws, "crm-1", "crm-2", account_score=80)
    set_columns(ws, "crm-3", account_score=49)
    first = sync_point(ws)
    assert refresh(ws) == 2
    ref = [{"segmentId": segment, "name": "Hot accounts"}]
    assert delta(ws, first) == {"crm-1": ref, "crm-2": ref}

    second = sync_point(ws)
    assert refresh(ws) == 0  # nothing changed: nothing moves
    assert delta(ws, second) == {}

    set_columns(ws, "crm-1", account_score=10)
    set_columns(ws, "crm-4", account_score=50)
    third = sync_point(ws)
    assert refresh(ws) == 2
    assert delta(ws, third) == {"crm-1": [], "crm-4": ref}
    with ws.db.transaction() as session:
        members = session.scalars(
            select(Account.external_id)
            .join(SegmentMember, SegmentMember.account_id == Account.id)
            .where(Account.team_id == ws.team_id)
            .order_by(Account.external_id)
        ).all()
    assert members == ["crm-2", "crm-4"]


def test_archiving_hides_and_unarchiving_shows_again_both_in_the_delta(ws):
    ws.push(account(1, tags=["vip"]), account(2))
    segment = dynamic(ws, VIP, name="VIPs")
    since = sync_point(ws)
    update_segment(ws, segment, status="archived")
    assert delta(ws, since) == {"crm-1": []}

    # While archived the segment is not evaluated; unarchiving re-evaluates it.
    set_columns(ws, "crm-2", tags=["vip"])
    assert refresh(ws) == 0
    since = sync_point(ws)
    update_segment(ws, segment, status="draft")
    ref = [{"segmentId": segment, "name": "VIPs"}]
    assert delta(ws, since) == {"crm-1": ref, "crm-2": ref}


def test_renaming_moves_only_the_members_into_the_delta(ws):
    ws.push(account(1, tags=["vip"]), account(2))
    segment = dynamic(ws, VIP, name="VIPs")
    since = sync_point(ws)
    update_segment(ws, segment, name="Very important")
    assert delta(ws, since) == {"crm-1": [{"segmentId": segment, "name": "Very important"}]}
    since = sync_point(ws)
    update_segment(ws, segment, name="Very important", status="draft")  # no visible change
    assert delta(ws, since) == {}


def test_renaming_a_static_segment_moves_its_members(ws):
    segment = ws.segment(name="Q2")
    ws.push(account(1), account(2), segmentId=segment)
    ws.push(account(3))
    since = sync_point(ws)
    update_segment(ws, segment, name="Q3")
    assert set(delta(ws, since)) == {"crm-1", "crm-2"}
    since = sync_point(ws)
    update_segment(ws, segment, status="archived", name="Q3 old")
    assert delta(ws, since) == {"crm-1": [], "crm-2": []}


def test_changing_rules_re_evaluates(ws):
    ws.push(account(1, tags=["vip"]), account(2, tags=["emea"]), account(3, tags=["vip", "emea"]))
    segment = dynamic(ws, VIP)
    since = sync_point(ws)
    update_segment(ws, segment, rules={"field": "tags", "operator": "contains", "value": "emea"})
    ref = [{"segmentId": segment, "name": "Hot accounts"}]
    assert delta(ws, since) == {"crm-1": [], "crm-2": ref}
    assert segments_of(ws) == {"crm-1": [], "crm-2": ["Hot accounts"], "crm-3": ["Hot accounts"]}


def test_external_id_rules_read_the_stored_external_id(ws):
    ws.push(account("Öl-1"), account("ol-2"))
    pushed = ws.v1.post("/accounts", {"accounts": [{"domain": "keyless.com", "name": "Keyless"}]})
    assert pushed.status_code == 200, pushed.text
    fragment = dynamic(ws, {"field": "externalId", "operator": "contains", "value": "ÖL"})
    keyless = dynamic(ws, {"field": "external_id", "operator": "is_empty", "value": True}, name="K")
    with ws.db.transaction(write=False) as session:
        counts = {s[0]: s[4] for s in service.summaries(session, team_id=ws.team_id)}
    assert counts == {fragment: 1, keyless: 1}
    assert segments_of(ws) == {"crm-Öl-1": ["Hot accounts"], "crm-ol-2": [], None: ["K"]}


def test_custom_field_rules(ws):
    tier = ws.custom_field("Tier", "singleSelection", options=["Gold", "Silver"])
    arr = ws.custom_field("ARR", "number")
    renewal = ws.custom_field("Renewal", "date")
    ws.push(
        account(1, customFields={tier: "Gold", arr: 250000, renewal: "2026-03-31"}),
        account(2, customFields={tier: "Silver", arr: 900000, renewal: "2026-09-30"}),
        account(3, customFields={tier: "Gold"}),
        account(4),
    )
    gold = dynamic(ws, {"field": f"customFields.{tier}", "operator": "eq", "value": "Gold"})
    dynamic(
        ws,
        {
            "or": [
                {"field": f"customFields.{arr}", "operator": "gte", "value": 500000},
                {"field": f"customFields.{renewal}", "operator": "lt", "value": "2026-06-01"},
            ]
        },
        name="Big or renewing",
    )
    dynamic(
        ws, {"field": f"customFields.{arr}", "operator": "is_empty", "value": True}, name="No ARR"
    )
    assert segments_of(ws) == {
        "crm-1": ["Hot accounts", "Big or renewing"],
        "crm-2": ["Big or renewing"],
        "crm-3": ["Hot accounts", "No ARR"],
        "crm-4": ["No ARR"],
    }
    assert ws.put("/accounts/crm-2", {"customFields": {tier: "Gold"}}).status_code == 200
    since = sync_point(ws)
    assert refresh(ws) == 1
    assert delta(ws, since)["crm-2"][0]["segmentId"] == gold


def test_deal_rules(ws):
    ws.push(account(1), account(2), account(3))
    ws.post(
        "/deals",
        {
            "deals": [
                {
                    "externalDealId": "d1",
                    "name": "Big",
                    "amount": 60000,
                    "associatedAccounts": [{"externalId": "crm-1"}],
                },
                {
                    "externalDealId": "d2",
                    "name": "Small",
                    "amount": 5000,
                    "associatedAccounts": [{"externalId": "crm-2"}],
                },
                {
                    "externalDealId": "d3",
                    "name": "Signed",
                    "amount": 90000,
                    "stageLabel": "Closed Won",
                    "associatedAccounts": [{"domain": "company3.com"}],
                },
            ]
        },
    )
    dynamic(ws, {"field": "open_deal_amount", "operator": "gte", "value": 50000}, name="Big open")
    dynamic(ws, {"field": "open_deal_count", "operator": "gte", "value": 1}, name="Any open")
    dynamic(ws, {"field": "won_deal_count", "operator": "gt", "value": 0}, name="Customers")
    assert segments_of(ws) == {
        "crm-1": ["Big open", "Any open"],
        "crm-2": ["Any open"],
        "crm-3": ["Customers"],
    }
    ws.post("/deals", {"deals": [{"externalDealId": "d2", "name": "Small", "amount": 75000}]})
    since = sync_point(ws)
    assert refresh(ws) == 1
    assert set(delta(ws, since)) == {"crm-2"}


def test_stage_and_days_in_stage_rules(ws):
    ws.push(account(1), account(2), account(3))
    now = now_ms()
    set_columns(ws, "crm-1", journey_stage="Consideration", stage_entered_ms=now - 40 * DAY_MS)
    set_columns(ws, "crm-2", journey_stage="Opportunity", stage_entered_ms=now - 2 * DAY_MS)
    dynamic(
        ws,
        {
            "and": [
                {"field": "rtp_journey_stage", "operator": "gte", "value": "consideration"},
                {"field": "days_in_stage", "operator": "gte", "value": 30},
            ]
        },
        name="Stuck",
    )
    dynamic(ws, {"field": "days_in_stage", "operator": "lt", "value": 1}, name="New")
    assert segments_of(ws) == {"crm-1": ["Stuck"], "crm-2": [], "crm-3": ["New"]}


def test_days_in_stage_counts_utc_calendar_days():
    today = (now_ms() // DAY_MS) * DAY_MS
    assert days_in_stage(stage_entered_ms=None, created_ms=today + 5, today=today // DAY_MS) == 0
    late_yesterday = today - 60_000
    assert days_in_stage(stage_entered_ms=late_yesterday, created_ms=0, today=today // DAY_MS) == 1


def test_refresh_touches_only_dynamic_segments_that_are_not_archived(ws):
    ws.push(account(1, tags=["vip"]))
    static = ws.segment(name="Static")
    archived = dynamic(ws, VIP, name="Archived", status="archived")
    draft = dynamic(ws, VIP, name="Draft", status="draft")
    assert segments_of(ws) == {"crm-1": ["Draft"]}
    with pytest.raises(BadRequest, match="is static"):
        refresh(ws, static)
    assert refresh(ws, draft) == 0
    assert refresh(ws, archived) == 0
    with ws.db.transaction() as session:
        counts = {
            name: members
            for _, name, _, _, members in service.summaries(session, team_id=ws.team_id)
        }
    assert counts == {"Static": 0, "Archived": 0, "Draft": 1}  # archived: never evaluated
    with pytest.raises(NotFound):
        refresh(ws, "0" * 24)


def test_rules_that_no_longer_validate_keep_the_members(ws, caplog):
    tier = ws.custom_field("Tier", "singleSelection", options=["Gold"])
    ws.push(account(1, customFields={tier: "Gold"}))
    dynamic(ws, {"field": f"customFields.{tier}", "operator": "eq", "value": "Gold"})
    with ws.db.transaction() as session:
        session.execute(
            update(CustomField).where(CustomField.team_id == ws.team_id).values(status="archived")
        )
    with caplog.at_level(logging.WARNING, logger="intentsync.segments"):
        assert refresh(ws) == 0
    assert "unknown custom field key 'TIER_C'" in caplog.text
    assert segments_of(ws) == {"crm-1": ["Hot accounts"]}


@pytest.mark.parametrize(
    ("type_", "rules", "message"),
    [
        ("static", VIP, "rules apply only to dynamic segments; static segments list members"),
        ("dynamic", {"and": [{"field": "score", "operator": "eq", "value": 1}]}, "unknown field"),
        (
            "dynamic",
            {"field": "customFields.ARR_C", "operator": "eq", "value": 1},
            "rules.field: unknown custom field key 'ARR_C'",
        ),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_saved(ws, type_, rules, message):
    with pytest.raises(BadRequest, match=message.replace("[", r"\[")):
        dynamic(ws, rules) if type_ == "dynamic" else _static_with_rules(ws, rules)
    with ws.db.transaction() as session:
        assert service.summaries(session, team_id=ws.team_id) == []


def _static_with_rules(ws, rules):
    with ws.db.transaction() as session:
        service.create_segment(
            session, team_id=ws.team_id, name="S", type_="static", status="active", rules=rules
        )


def test_update_refusals(ws):
    static = ws.segment(name="Static")
    segment = dynamic(ws, VIP)
    with pytest.raises(BadRequest, match="rules apply only to dynamic segments"):
        update_segment(ws, static, rules=VIP)
    with pytest.raises(BadRequest, match="Nothing to update"):
        update_segment(ws, segment)
    with pytest.raises(BadRequest, match="status must be one of"):
        update_segment(ws, segment, status="paused")
    with pytest.raises(BadRequest, match="should not be empty"):
        update_segment(ws, segment, name=" ")
    with pytest.raises(NotFound, match="does not exist"):
        update_segment(ws, "f" * 24, name="x")
    with pytest.raises(BadRequest, match="No team with id 999999"), ws.db.transaction() as session:
        service.change_members(
            session, team_id=999999, segment_id=segment, accounts=["crm-1"], remove=False
        )


def test_summaries_count_members(ws):
    ws.push(account(1, tags=["vip"]), account(2, tags=["vip"]), account(3))
    segment = dynamic(ws, VIP, name="VIPs")
    static = ws.segment(name="Empty")
    with ws.db.transaction() as session:
        assert service.summaries(session, team_id=ws.team_id) == [
            (segment, "VIPs", "dynamic", "active", 2),
            (static, "Empty", "static", "active", 0),
        ]
