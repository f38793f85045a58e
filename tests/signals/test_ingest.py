"""POST /signals: stored once per natural key, discovered accounts, daily roll-up."""

import pytest
from sqlalchemy import select

from intentsync.db.models import Account, SignalDaily, SignalEvent
from intentsync.scoring.job import run_team
from intentsync.scoring.service import teams_with_new_inputs
from intentsync.signals.service import fold_new_signals, has_unfolded_signals
from tests.factories import CRM, V1, account


def sig(source="g2", domain="acme.com", type_="pricing", at="2026-11-20T10:00:00Z", **extra):
    body = {"source": source, "domain": domain, "type": type_, "occurredAt": at}
    body.update(extra)
    return body


def send(ws, *signals, base=CRM):
    response = ws.surface(base).post("/signals", {"signals": list(signals)})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def daily(ws, domain):
    """The account's roll-up as the scoring round reads it, after folding what ingest stored."""
    with ws.db.transaction() as session:
        fold_new_signals(session, team_id=ws.team_id)
        account_id = session.scalar(
            select(Account.id).where(Account.team_id == ws.team_id, Account.domain == domain)
        )
        rows = session.execute(
            select(
                SignalDaily.source,
                SignalDaily.type,
                SignalDaily.day,
                SignalDaily.detail,
                SignalDaily.quantity,
                SignalDaily.value,
            )
            .where(SignalDaily.account_id == account_id)
            .order_by(SignalDaily.source, SignalDaily.type, SignalDaily.day, SignalDaily.detail)
        )
        return [tuple(r) for r in rows]


@pytest.mark.parametrize("base", [CRM, V1])
def test_signals_are_created_and_attached_to_the_account(ws, base):
    ws.push(account(1, domain="acme.com"))
    data = send(ws, sig(quantity=3, attributes={"product": "Widget"}), base=base)
    item = data["results"][0]
    assert item["status"] == "created"
    assert item["domain"] == "acme.com"
    assert item["index"] == 0
    rtp_aid = ws.get("/accounts/crm-1").json()["data"]["rtp_aid"]
    assert item["rtp_aid"] == rtp_aid
    assert data["summary"] == {"total": 1, "created": 1, "skipped": 0, "failed": 0}
    day = 20777  # 2026-11-20
    assert daily(ws, "acme.com") == [("g2", "pricing", day, "", 3.0, 0.0)]


def test_a_repeat_is_stored_once_by_key_or_natural_key(ws):
    first = send(
        ws,
        sig(key="evt-1"),
        sig(key="evt-1", quantity=9),
        sig(attributes={"product": "A"}),
        sig(attributes={"product": "A"}, at="2026-11-20T18:00:00Z"),
        sig(attributes={"product": "B"}),
    )
    assert [r["status"] for r in first["results"]] == [
        "created",
        "skipped",
        "created",
        "skipped",
        "created",
    ]
    assert first["results"][1]["error"] == "already received: same source and key"
    again = send(ws, sig(key="evt-1"), sig(attributes={"product": "B"}))
    assert [r["status"] for r in again["results"]] == ["skipped", "skipped"]
    assert daily(ws, "acme.com") == [("g2", "pricing", 20777, "", 3.0, 0.0)]
    with ws.db.transaction() as session:
        count = session.query(SignalEvent).filter(SignalEvent.team_id == ws.team_id).count()
    assert count == 3


def test_natural_keys_per_source(ws):
    data = send(
        ws,
        # LinkedIn: domain + day + type + campaign
        sig("linkedin", type_="click", attributes={"campaign": "c1"}),
        sig("linkedin", type_="click", attributes={"campaign": "c1"}, at="2026-11-20T23:59:59Z"),
        sig("linkedin", type_="click", attributes={"campaign": "c2"}),
        sig("linkedin", type_="impression", attributes={"campaign": "c1"}, quantity=300),
        # Bombora: domain + topic + week (Monday to Sunday)
        sig("bombora", type_="surge", at="2026-11-16", attributes=bombora("CRM", 72)),
        sig("bombora", type_="surge", at="2026-11-22", attributes=bombora("CRM", 80)),
        sig("bombora", type_="surge", at="2026-11-23", attributes=bombora("CRM", 66)),
        # Website: the page-view id
        sig("website", type_="pricing", attributes={"pageViewId": "pv1", "visitorId": "v1"}),
        sig("website", type_="pricing", attributes={"pageViewId": "pv1", "visitorId": "v1"}),
        sig("website", type_="pricing", attributes={"pageViewId": "pv2", "visitorId": "v1"}),
    )
    assert [r["status"] for r in data["results"]] == [
        "created",
        "skipped",
        "created",
        "created",
        "created",
        "skipped",
        "created",
        "created",
        "skipped",
        "created",
    ]
    monday_16, monday_23 = 20773, 20780
    assert daily(ws, "acme.com") == [
        ("bombora", "surge", monday_16, "CRM", 1.0, 72.0),
        ("bombora", "surge", monday_23, "CRM", 1.0, 66.0),
        ("linkedin", "click", 20777, "", 2.0, 0.0),
        ("linkedin", "impression", 20777, "", 300.0, 0.0),
        ("website", "pricing", 20777, "", 2.0, 0.0),
        ("website", "visitor", 20777, "v1", 2.0, 0.0),
    ]


def bombora(topic, score):
    return {"topic": topic, "compositeScore": score}


def test_roll_up_adds_across_requests(ws):
    send(ws, sig(key="a", quantity=2))
    send(ws, sig(key="b", quantity=5), sig(key="c", at="2026-11-21T01:00:00Z"))
    assert daily(ws, "acme.com") == [
        ("g2", "pricing", 20777, "", 7.0, 0.0),
        ("g2", "pricing", 20778, "", 1.0, 0.0),
    ]


def test_bad_items_fail_alone_with_a_reason(ws):
    data = send(
        ws,
        sig(source="sales", type_="inbound"),
        sig(source="twitter"),
        sig(type_="demo"),
        sig(domain="not a domain"),
        sig("bombora", type_="surge", attributes={"topic": "CRM"}),
        sig("bombora", type_="surge", attributes={"compositeScore": 70}),
        sig("website", type_="pricing"),
        sig(at="2099-01-01T00:00:00Z"),
        sig(key="fine"),
    )
    errors = [r.get("error") for r in data["results"]]
    assert errors == [
        "sales signals come from pushed sales activities; use POST /sales-activities",
        "source 'twitter' is not one of: website, g2, bombora, linkedin",
        "type 'demo' is not a g2 type; use one of: pricing, profile, compare, competitor, category",
        "domain 'not a domain' is not a valid domain",
        "bombora signals need attributes.compositeScore, a number from 0 to 100",
        "bombora signals need attributes.topic (the topic name)",
        "website signals need a key or attributes.pageViewId so a repeat is stored once",
        "occurredAt is more than a day in the future",
        None,
    ]
    assert data["summary"] == {"total": 9, "created": 1, "skipped": 0, "failed": 8}


def test_a_mixed_reply_matches_the_documented_model_exactly(ws):
    from intentsync.signals.schemas import SignalsCreateResult

    send(ws, sig(key="seen"))
    data = send(ws, sig(key="new"), sig(key="seen"), sig(source="twitter"))
    assert SignalsCreateResult.model_validate(data).model_dump() == data
    assert [(r["index"], r["status"]) for r in data["results"]] == [
        (0, "created"),
        (1, "skipped"),
        (2, "failed"),
    ]
    assert "error" not in data["results"][0]
    assert data["results"][1]["error"] == "already received: same source and key"
    assert data["summary"] == {"total": 3, "created": 1, "skipped": 1, "failed": 1}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"signals": []}, "signals must contain at least 1 elements"),
        ({"signals": [sig(occurredAt="yesterday")]}, "occurredAt must be a valid ISO 8601"),
        ({"signals": [sig(quantity=0)]}, "quantity"),
        ({"signals": [sig(quantity=-1)]}, "quantity"),
        ({"signals": [sig(colour="red")]}, "colour"),
        ({"signals": [{"source": "g2"}]}, "domain"),
        ({"signals": [sig(key=f"k{i}") for i in range(1001)]}, "signals"),
    ],
)
def test_malformed_requests_are_refused_whole(ws, body, fragment):
    response = ws.post("/signals", body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["statusCode"] == 400
    assert fragment in str(error)
    with ws.db.transaction() as session:
        assert session.query(SignalEvent).filter(SignalEvent.team_id == ws.team_id).count() == 0


def test_unknown_domain_creates_a_discovered_account_that_crm_push_claims(ws):
    data = send(
        ws, sig(domain="https://www.Initech.com/pricing", attributes={"companyName": "Initech"})
    )
    assert data["results"][0]["domain"] == "initech.com"
    missing = ws.get("/accounts/missing-external-ids").json()["data"]
    assert {"name": "Initech", "domain": "initech.com"} in missing
    listed = ws.get("/accounts").json()["data"]["data"]
    assert [(a["externalId"], a["domain"]) for a in listed] == [(None, "initech.com")]
    claimed = ws.push(account(7, domain="initech.com"))
    assert claimed["results"][0]["status"] == "updated"
    assert claimed["results"][0]["rtp_aid"] == data["results"][0]["rtp_aid"]
    assert daily(ws, "initech.com")[0][:2] == ("g2", "pricing")


def test_discovered_account_without_a_name_is_named_by_its_domain(ws):
    send(ws, sig(domain="globex.io", key="x"))
    missing = ws.get("/accounts/missing-external-ids").json()["data"]
    assert missing == [{"name": "globex.io", "domain": "globex.io"}]


def test_a_signal_waits_past_the_fold_mark_and_the_fold_flags_its_account_outside_the_delta(ws):
    """Ingest writes no account row; the fold flags the account, and neither moves the delta."""
    ws.push(account(1, domain="acme.com"))
    assert run_team(ws.db, team_id=ws.team_id).status == "succeeded"
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]

    def stamps() -> tuple[int, int]:
        with ws.db.transaction(write=False) as session:
            row = session.execute(
                select(Account.inputs_ms, Account.changed_ms).where(Account.team_id == ws.team_id)
            ).one()
            return int(row[0]), int(row[1])

    pushed = stamps()
    with ws.db.transaction(write=False) as session:
        assert ws.team_id not in teams_with_new_inputs(session)
    send(ws, sig(key="one"))
    assert stamps() == pushed
    with ws.db.transaction(write=False) as session:
        assert has_unfolded_signals(session, team_id=ws.team_id)
        assert ws.team_id in teams_with_new_inputs(session)  # through the unfolded signal
    with ws.db.transaction() as session:
        assert fold_new_signals(session, team_id=ws.team_id) == 1
    inputs, changed = stamps()
    assert inputs > changed == pushed[1]
    with ws.db.transaction(write=False) as session:
        assert not has_unfolded_signals(session, team_id=ws.team_id)
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"]
    assert delta == []


def test_a_discovered_account_picks_up_a_deal_that_named_its_domain(ws):
    response = ws.post(
        "/deals",
        {
            "deals": [
                {
                    "externalDealId": "d-1",
                    "name": "Big deal",
                    "associatedAccounts": [{"domain": "hooli.com"}],
                }
            ]
        },
    )
    assert response.status_code == 200, response.text
    data = send(ws, sig(domain="hooli.com", key="h"))
    deals = ws.get("/deals").json()["data"]["data"]
    assert deals[0]["associatedAccounts"][0]["rtp_aid"] == data["results"][0]["rtp_aid"]


def test_ignored_page_views_do_not_count_their_visitor(ws):
    send(ws, sig("website", type_="ignored", attributes={"pageViewId": "x", "visitorId": "v9"}))
    assert daily(ws, "acme.com") == [("website", "ignored", 20777, "", 1.0, 0.0)]


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_repeat_names_the_account_it_belongs_to(ws, base):
    first = send(ws, sig(key="evt-1"), sig(key="evt-1"), base=base)["results"]
    rtp_aid = first[0]["rtp_aid"]
    assert rtp_aid is not None
    assert first[1] == {
        "index": 1,
        "source": "g2",
        "type": "pricing",
        "domain": "acme.com",
        "status": "skipped",
        "rtp_aid": rtp_aid,
        "error": "already received: same source and key",
    }
    again = send(ws, sig(key="evt-1"), base=base)["results"][0]
    assert (again["status"], again["rtp_aid"]) == ("skipped", rtp_aid)


def test_a_repeat_naming_an_unknown_domain_creates_no_account(ws):
    send(ws, sig(key="evt-1"))
    again = send(ws, sig(key="evt-1", domain="elsewhere.com"))["results"][0]
    assert (again["status"], again["domain"], again["rtp_aid"]) == (
        "skipped",
        "elsewhere.com",
        None,
    )
    domains = [a["domain"] for a in ws.get("/accounts").json()["data"]["data"]]
    assert domains == ["acme.com"]


def test_attributes_are_bounded_in_keys_and_encoded_size(ws):
    data = send(
        ws,
        sig(key="many", attributes={f"a{n}": n for n in range(65)}),
        sig(key="big", attributes={"note": "x" * 16_384}),
        sig(key="fits", attributes={**{f"a{n}": n for n in range(63)}, "note": "x" * 15_000}),
    )
    assert [r.get("error") for r in data["results"]] == [
        "attributes may hold at most 64 keys; got 65",
        "attributes must be at most 16384 bytes as JSON; got 16395",
        None,
    ]
    assert data["summary"]["created"] == 1
