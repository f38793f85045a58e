"""DELETE /accounts archives an account: gone from reads, restored by a push, synced as deleted."""

import pytest
from sqlalchemy import func, select

from intentsync.accounts import archive
from intentsync.db.models import Account, SegmentMember, SignalEvent, WebhookEvent
from intentsync.kit.errors import Conflict
from intentsync.scoring.job import run_team
from intentsync.segments.service import create_segment
from intentsync.webhooks.events import ACCOUNT_DELETED
from tests.factories import CRM, V1, Workspace, account
from tests.webhooks.test_outbox import subscribe


def rtp_aid(ws: Workspace, external_id: str) -> str:
    found: str = ws.get(f"/accounts/{external_id}").json()["data"]["rtp_aid"]
    return found


def delete(ws: Workspace, base: str, external_id: str, aid: str):
    """DELETE the account on either surface: by externalId on CRM, by rtp_aid on /api/v1."""
    return ws.surface(base).delete(f"/accounts/{external_id if base == CRM else aid}")


def stored(ws: Workspace, external_id: str) -> Account:
    with ws.db.transaction() as session:
        row = session.scalar(
            select(Account).where(Account.team_id == ws.team_id, Account.external_id == external_id)
        )
        assert row is not None
        session.expunge(row)
        return row


def listed(ws: Workspace, base: str = CRM, **params: str) -> list[str]:
    response = ws.surface(base).get("/accounts", params={"limit": "1000", **params})
    assert response.status_code == 200, response.text
    return [a["domain"] for a in response.json()["data"]["data"]]


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_deleted_account_leaves_the_lists_and_reads_404_saying_how_to_restore(ws, base):
    ws.push(account(1), account(2))
    aid = rtp_aid(ws, "crm-1")
    response = delete(ws, base, "crm-1", aid)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"message": "Account deleted successfully"}
    assert listed(ws, CRM) == listed(ws, V1) == ["company2.com"]
    deleted_at = stored(ws, "crm-1").deleted_ms
    assert deleted_at is not None
    for path in ("/accounts/crm-1", f"{V1}/accounts/{aid}"):
        read = ws.client.get(CRM + path if path.startswith("/accounts") else path)
        assert read.status_code == 404
        message = read.json()["customMessage"]
        assert "was deleted at" in message
        assert "POST /accounts (same externalId or domain) to restore it" in message
    # A second DELETE, and any update, answers the same 404: the account is not live.
    again = delete(ws, base, "crm-1", aid)
    assert again.status_code == 404
    assert "was deleted at" in again.json()["customMessage"]
    assert ws.put("/accounts/crm-1", {"customFields": {}}).status_code == 404
    assert ws.v1.put(f"/accounts/{aid}", {"name": "X"}).status_code == 404
    assert stored(ws, "crm-1").deleted_ms == deleted_at  # the second DELETE moved nothing


def test_unknown_and_malformed_keys(ws):
    assert ws.delete("/accounts/nobody").json()["customMessage"] == (
        "Account with externalId 'nobody' not found"
    )
    assert ws.v1.delete("/accounts/" + "a" * 24).status_code == 404
    bad = ws.v1.delete("/accounts/not-an-id")
    assert bad.status_code == 400
    assert "is not a valid rtp_aid" in bad.json()["customMessage"]


@pytest.mark.parametrize("base", [CRM, V1])
def test_pushing_the_external_id_again_restores_it_with_its_data(ws, base):
    key = ws.custom_field("Region", "singleLineText")
    ws.push(account(1, tags=["vip"], customFields={key: "EMEA"}))
    aid = rtp_aid(ws, "crm-1")
    delete(ws, base, "crm-1", aid)
    before = ws.get("/accounts").json()["data"]["syncTimestamp"]
    result = ws.push(account(1, name="Company One"))["results"][0]
    assert (result["status"], result["rtp_aid"]) == ("created", aid)
    shown = ws.get("/accounts/crm-1").json()["data"]
    assert shown["rtp_aid"] == aid
    assert shown["name"] == "Company One"
    assert shown["customFields"] == {key: "EMEA"}  # kept while it was deleted
    assert listed(ws, lastSync=before) == ["company1.com"]  # the delta shows it as changed
    assert ws.get("/accounts/deleted").json()["data"]["data"] == []


def test_pushing_the_domain_restores_it_on_the_domain_keyed_surface(ws):
    ws.push(account(1))
    aid = rtp_aid(ws, "crm-1")
    ws.v1.delete(f"/accounts/{aid}")
    before = ws.v1.get("/accounts").json()["data"]["syncTimestamp"]
    response = ws.v1.post("/accounts", {"accounts": [{"domain": "company1.com", "name": "C1"}]})
    result = response.json()["data"]["results"][0]
    assert (result["status"], result["rtp_aid"], result["externalId"]) == (
        "created",
        aid,
        "crm-1",
    )
    assert listed(ws, V1, lastSync=before) == ["company1.com"]
    assert ws.v1.get(f"/accounts/{aid}").json()["data"]["name"] == "C1"


def test_a_crm_record_recreated_under_a_new_external_id_restores_the_domain(ws):
    ws.push(account(1))
    aid = rtp_aid(ws, "crm-1")
    ws.delete("/accounts/crm-1")
    result = ws.push(account(9, domain="company1.com"))["results"][0]
    assert (result["status"], result["rtp_aid"]) == ("created", aid)
    assert ws.get("/accounts/crm-9").json()["data"]["rtp_aid"] == aid
    assert ws.get("/accounts/crm-1").status_code == 404


def test_an_external_id_of_a_deleted_account_pushed_with_another_domain_fails(ws):
    ws.push(account(1))
    ws.delete("/accounts/crm-1")
    result = ws.push(account(1, domain="elsewhere.com"))["results"][0]
    assert result["status"] == "failed"
    assert result["error"] == (
        "externalId 'crm-1' belongs to the deleted account with domain 'company1.com'; "
        "push it with that domain to restore it"
    )
    assert listed(ws) == []
    assert [a["domain"] for a in ws.get("/accounts/deleted").json()["data"]["data"]] == [
        "company1.com"
    ]


@pytest.mark.parametrize("base", [CRM, V1])
def test_the_deleted_delta_pages_like_the_account_delta(ws, base):
    ws.push(*[account(i) for i in range(1, 6)])
    surface = ws.surface(base)
    first = surface.get("/accounts/deleted").json()["data"]
    assert first["data"] == []
    for i in (4, 1, 3):
        assert ws.delete(f"/accounts/crm-{i}").status_code == 200
    pages, cursor, stamps = [], None, set()
    while True:
        params = {"limit": "2", "lastSync": first["syncTimestamp"]}
        if cursor:
            params["cursor"] = cursor
        page = surface.get("/accounts/deleted", params=params).json()["data"]
        pages.append([a["externalId"] for a in page["data"]])
        stamps.add(page["syncTimestamp"])
        if not page["hasNextPage"]:
            break
        cursor = page["nextCursor"]
    assert pages == [["crm-1", "crm-3"], ["crm-4"]]  # key order, as GET /accounts pages
    assert len(stamps) == 1  # every page of a walk carries its first page's stamp
    item = surface.get("/accounts/deleted").json()["data"]["data"][0]
    assert set(item) == {"rtp_aid", "externalId", "domain", "name", "deletedAt"}
    assert (item["domain"], item["name"]) == ("company1.com", "Company 1")
    # Since the walk's stamp: nothing new; a restore leaves the feed, a new delete joins it.
    stamp = stamps.pop()
    assert surface.get("/accounts/deleted", params={"lastSync": stamp}).json()["data"]["data"] == []
    ws.push(account(3))
    ws.delete("/accounts/crm-5")
    later = surface.get("/accounts/deleted", params={"lastSync": stamp}).json()["data"]["data"]
    assert [a["externalId"] for a in later] == ["crm-5"]
    every = surface.get("/accounts/deleted").json()["data"]["data"]
    assert [a["externalId"] for a in every] == ["crm-1", "crm-4", "crm-5"]
    bad = surface.get("/accounts/deleted", params={"lastSync": "yesterday"})
    assert bad.status_code == 400


def test_a_delete_during_a_delta_walk_is_in_the_next_deleted_sync(ws):
    """A client walking the delta while accounts are deleted ends with exactly the live set."""
    ws.push(*[account(i) for i in range(1, 7)])
    replica: dict[str, dict] = {}
    page = ws.get("/accounts", params={"limit": "2"}).json()["data"]
    stamp = page["syncTimestamp"]
    replica.update({a["rtp_aid"]: a for a in page["data"]})
    ws.delete("/accounts/crm-1")  # already copied
    ws.delete("/accounts/crm-5")  # not reached yet
    cursor = page["nextCursor"]
    while cursor:
        page = ws.get("/accounts", params={"limit": "2", "cursor": cursor}).json()["data"]
        assert page["syncTimestamp"] == stamp
        replica.update({a["rtp_aid"]: a for a in page["data"]})
        cursor = page["nextCursor"]
    assert "company5.com" not in {a["domain"] for a in replica.values()}
    gone = ws.get("/accounts/deleted", params={"lastSync": stamp}).json()["data"]["data"]
    for item in gone:
        replica.pop(item["rtp_aid"], None)
    live = ws.get("/accounts", params={"limit": "100"}).json()["data"]["data"]
    assert sorted(replica) == sorted(a["rtp_aid"] for a in live)
    assert {a["externalId"] for a in gone} == {"crm-1", "crm-5"}


def _members(ws: Workspace) -> set[tuple[str, int]]:
    with ws.db.transaction() as session:
        rows = session.execute(
            select(SegmentMember.segment_pk, Account.external_id)
            .join(Account, Account.id == SegmentMember.account_id)
            .where(SegmentMember.team_id == ws.team_id)
        ).all()
        return {(ext, pk) for pk, ext in rows}


def test_segments_lose_a_deleted_account_and_refreshes_do_not_bring_it_back(ws):
    static = ws.segment(name="Picked")
    with ws.db.transaction() as session:
        dynamic = create_segment(
            session,
            team_id=ws.team_id,
            name="Tagged",
            type_="dynamic",
            status="active",
            rules={"and": [{"field": "tags", "operator": "contains", "value": "vip"}]},
        )
        dynamic_pk = dynamic.id
    ws.push(account(1, tags=["vip"]), account(2, tags=["vip"]), segmentId=static)
    run_team(ws.db, team_id=ws.team_id, full=True)
    assert {ext for ext, pk in _members(ws) if pk == dynamic_pk} == {"crm-1", "crm-2"}
    ws.delete("/accounts/crm-1")
    assert {ext for ext, _ in _members(ws)} == {"crm-2"}
    run_team(ws.db, team_id=ws.team_id, full=True)
    assert {ext for ext, _ in _members(ws)} == {"crm-2"}
    # A segmentId push restores it into that segment; the next run puts it back in the rules'.
    ws.push(account(1, tags=["vip"]), segmentId=static)
    run_team(ws.db, team_id=ws.team_id)
    assert {ext for ext, pk in _members(ws) if pk == dynamic_pk} == {"crm-1", "crm-2"}
    shown = ws.get("/accounts/crm-1").json()["data"]["rtp_segments"]
    assert {s["segmentId"] for s in shown} == {static, dynamic.segment_id}


def _signal(domain: str, key: str) -> dict:
    from datetime import UTC, datetime, timedelta

    at = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"source": "g2", "domain": domain, "type": "pricing", "occurredAt": at, "key": key}


def test_signals_for_a_deleted_account_are_kept_but_neither_restore_nor_score_it(ws):
    ws.push(account(1), account(2))
    ws.delete("/accounts/crm-1")
    response = ws.post(
        "/signals", {"signals": [_signal("company1.com", "a"), _signal("company2.com", "b")]}
    )
    assert response.status_code == 200, response.text
    assert listed(ws) == ["company2.com"]  # the signal did not restore it
    report = run_team(ws.db, team_id=ws.team_id, full=True)
    assert report.status != "failed"
    assert stored(ws, "crm-1").account_score == 0  # the run skipped it
    assert stored(ws, "crm-2").account_score > 0
    with ws.db.transaction() as session:
        kept = session.scalar(
            select(func.count())
            .select_from(SignalEvent)
            .where(SignalEvent.account_id == stored(ws, "crm-1").id)
        )
    assert kept == 1
    ws.push(account(1))
    run_team(ws.db, team_id=ws.team_id)  # the restore flagged it: an incremental run scores it
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_account_score"] > 0


@pytest.mark.parametrize("base", [CRM, V1])
def test_deals_and_activities_stay_linked_through_delete_and_restore(ws, base):
    ws.push(account(1))
    aid = rtp_aid(ws, "crm-1")
    deal = {
        "externalDealId": "d-1",
        "name": "Renewal",
        "associatedAccounts": [{"externalId": "crm-1"}],
    }
    assert ws.post("/deals", {"deals": [deal]}).status_code == 200
    activity = {
        "externalActivityId": "a-1",
        "activityType": "email",
        "occurredAt": "2026-11-20T10:00:00Z",
        "domain": "company1.com",
        "ownerEmail": "rep@example.com",
        "contacts": [{"email": "john@company1.com"}],
    }
    response = ws.post("/sales-activities", {"activities": [activity]})
    assert response.status_code == 200, response.text

    def linked() -> tuple[object, object]:
        deals = ws.surface(base).get("/deals").json()["data"]["data"]
        acts = ws.surface(base).get("/sales-activities").json()["data"]["data"]
        return deals[0]["associatedAccounts"][0]["rtp_aid"], acts[0]["rtp_aid"]

    assert linked() == (aid, aid)
    delete(ws, base, "crm-1", aid)
    assert linked() == (None, None)  # shown as waiting while the account is deleted
    # A deal pushed while it is deleted links to it too, and comes back with it.
    ws.post("/deals", {"deals": [{**deal, "externalDealId": "d-2"}]})
    ws.push(account(1))
    assert linked() == (aid, aid)
    deals = ws.get("/deals").json()["data"]["data"]
    assert [d["associatedAccounts"][0]["rtp_aid"] for d in deals] == [aid, aid]


def test_the_delete_event_carries_the_account_and_its_segments(ws):
    static = ws.segment(name="Picked")
    ws.push(account(1), segmentId=static)
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, [ACCOUNT_DELETED], segment_ids=[static])
    shown = ws.get("/accounts/crm-1").json()["data"]
    ws.delete("/accounts/crm-1")
    with ws.db.transaction() as session:
        payloads = session.scalars(
            select(WebhookEvent.payload).where(WebhookEvent.team_id == ws.team_id)
        ).all()
    assert len(payloads) == 1
    payload = payloads[0]
    assert payload["type"] == "account.deleted"
    assert payload["teamId"] == ws.team_id
    sent = payload["data"]["account"]
    assert sent["rtp_aid"] == shown["rtp_aid"]
    assert sent["externalId"] == "crm-1"
    assert [s["segmentId"] for s in sent["rtp_segments"]] == [static]
    assert payload["occurredAt"] == sent["rtp_last_account_date"]


def test_a_delete_tells_membership_subscribers_the_account_left(ws):
    static = ws.segment(name="Picked")
    ws.push(account(1), segmentId=static)
    with ws.db.transaction() as session:
        subscribe(session, ws.team_id, ["segment.membership_changed"])
    ws.delete("/accounts/crm-1")
    with ws.db.transaction() as session:
        payloads = session.scalars(
            select(WebhookEvent.payload).where(WebhookEvent.team_id == ws.team_id)
        ).all()
    assert [(p["data"]["change"], p["data"]["segment"]["segmentId"]) for p in payloads] == [
        ("removed", static)
    ]
    assert payloads[0]["data"]["account"]["externalId"] == "crm-1"
    assert payloads[0]["data"]["account"]["rtp_segments"] == []


def test_a_failed_delete_changes_nothing(ws, monkeypatch):
    static = ws.segment(name="Picked")
    ws.push(account(1), segmentId=static)
    before = ws.get("/accounts/crm-1").json()["data"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise Conflict("refused for the test")

    monkeypatch.setattr(archive, "leave_every_segment", refuse)
    assert ws.delete("/accounts/crm-1").status_code == 409
    assert ws.get("/accounts/crm-1").json()["data"] == before
    assert ws.get("/accounts/deleted").json()["data"]["data"] == []
    assert {ext for ext, _ in _members(ws)} == {"crm-1"}


def test_a_push_item_that_fails_does_not_restore(ws):
    ws.push(account(1))
    ws.delete("/accounts/crm-1")
    item = ws.push(account(1, customFields={"NOPE_C": 1}))["results"][0]
    assert item["status"] == "failed"
    assert ws.get("/accounts/crm-1").status_code == 404
    response = ws.v1.post(
        "/accounts", {"accounts": [{"domain": "company1.com", "name": "C", "externalId": "x/"}]}
    )
    assert response.json()["data"]["results"][0]["status"] == "failed"
    assert listed(ws) == []


def test_mapping_and_segment_changes_do_not_reach_a_deleted_account(ws):
    from intentsync.kit.errors import BadRequest
    from intentsync.segments.service import change_members

    ws.push(account(1), account(2))
    ws.delete("/accounts/crm-1")
    response = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "company1.com", "externalId": "new-1"},
                {"domain": "company2.com", "externalId": "crm-1"},
            ]
        },
    )
    data = response.json()["data"]
    assert data["notFound"] == ["company1.com"]
    # The deleted account keeps its externalId: a push of it must still restore that account.
    assert [c["domain"] for c in data["conflicts"]] == ["company2.com"]
    static = ws.segment(name="Picked")
    with pytest.raises(BadRequest, match="No account with externalId or domain: crm-1"):
        with ws.db.transaction() as session:
            change_members(
                session, team_id=ws.team_id, segment_id=static, accounts=["crm-1"], remove=False
            )
