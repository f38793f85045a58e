"""POST/GET /deals: upsert, validation, account links (also late ones), stage categories."""

import pytest

from intentsync.deals.schemas import DealOut, DealsCreateResult
from tests.factories import CRM, V1, account, create_workspace

BASES = [CRM, V1]


def deal(n, **extra):
    body = {"externalDealId": f"deal-{n}", "name": f"Deal {n}"}
    body.update(extra)
    return body


def deals_by_id(api):
    return {
        d["externalDealId"]: d
        for d in api.get("/deals", params={"limit": 1000}).json()["data"]["data"]
    }


@pytest.mark.parametrize("base", BASES)
def test_deal_is_created_then_updated_keeping_omitted_fields(ws, base):
    api = ws.surface(base)
    full = deal(
        1,
        amount=50000,
        stageId="s1",
        stageLabel="Negotiation",
        pipelineId="p1",
        pipelineLabel="Sales",
        startDate="2026-04-01",
        closedDate="2026-06-30T00:00:00Z",
        ownerName="Jane",
        ownerEmail="jane@us.com",
        ownerId="rep-1",
        dealCurrencyCode="USD",
    )
    response = api.post("/deals", {"deals": [full]})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "results": [{"externalDealId": "deal-1", "status": "upserted", "isNew": True}],
        "summary": {"total": 1, "upserted": 1, "failed": 0},
    }
    update = api.post(
        "/deals",
        {
            "deals": [
                {"externalDealId": "deal-1", "name": "Deal 1b", "amount": 75000.5, "ownerId": None}
            ]
        },
    )
    assert update.json()["data"]["results"] == [
        {"externalDealId": "deal-1", "status": "upserted", "isNew": False}
    ]
    row = deals_by_id(api)["deal-1"]
    assert row["name"] == "Deal 1b"
    assert row["amount"] == 75000.5
    assert row["ownerId"] is None  # sent as null: cleared
    assert row["stageLabel"] == "Negotiation"  # omitted: kept
    assert row["ownerEmail"] == "jane@us.com"
    assert row["startDate"] == "2026-04-01"
    assert row["dealCurrencyCode"] == "USD"
    assert row["stageCategory"] == "open"


def test_repeated_deal_in_one_request_fails_the_later_one(ws):
    data = ws.post("/deals", {"deals": [deal(1), deal(1, name="again"), deal(2)]}).json()["data"]
    assert [r["status"] for r in data["results"]] == ["upserted", "failed", "upserted"]
    assert "isNew" not in data["results"][1]  # nothing was stored for it
    assert data["results"][1]["error"] == "externalDealId 'deal-1' appears earlier in this request"
    assert data["summary"] == {"total": 3, "upserted": 2, "failed": 1}


@pytest.mark.parametrize(
    ("override", "prop", "text"),
    [
        ({"externalDealId": ""}, "externalDealId", "externalDealId should not be empty"),
        ({"externalDealId": None}, "externalDealId", "externalDealId should not be empty"),
        ({"ownerEmail": "not-an-email"}, "ownerEmail", "ownerEmail must be an email"),
        ({"startDate": "yesterday"}, "startDate", "startDate must be a valid ISO 8601 date string"),
        (
            {"closedDate": "31/12/2026"},
            "closedDate",
            "closedDate must be a valid ISO 8601 date string",
        ),
        ({"name": ""}, "name", "name should not be empty"),
        (
            {"amount": "100"},
            "amount",
            "amount must be a number conforming to the specified constraints",
        ),
    ],
)
def test_deal_validation_texts(ws, override, prop, text):
    response = ws.post("/deals", {"deals": [deal(1), deal(2, **override)]})
    assert response.status_code == 400
    messages = [
        m
        for e in response.json()["data"]
        if e["property"] == prop
        for m in e["constraints"].values()
    ]
    assert text in messages
    assert deals_by_id(ws) == {}


def test_more_than_100_deals_is_400(ws):
    response = ws.post("/deals", {"deals": [deal(i) for i in range(101)]})
    assert response.json()["data"][0]["constraints"] == {
        "arrayMaxSize": "deals must contain no more than 100 elements"
    }


def test_associated_accounts_link_by_external_id_then_domain(ws):
    acme = ws.push(account(1, domain="acme.com"))["results"][0]["rtp_aid"]
    globex = ws.push(account(2, domain="globex.com"))["results"][0]["rtp_aid"]
    ws.post(
        "/deals",
        {
            "deals": [
                deal(
                    1,
                    associatedAccounts=[
                        {
                            "externalId": "crm-1",
                            "domain": "globex.com",
                            "name": "Acme",
                        },  # externalId wins
                        {"domain": "https://www.globex.com/", "name": "Globex"},
                        {"domain": "nobody.com", "name": "Nobody"},
                    ],
                )
            ]
        },
    )
    links = deals_by_id(ws)["deal-1"]["associatedAccounts"]
    assert links == [
        {"externalId": "crm-1", "domain": "globex.com", "name": "Acme", "rtp_aid": acme},
        {"externalId": None, "domain": "globex.com", "name": "Globex", "rtp_aid": globex},
        {"externalId": None, "domain": "nobody.com", "name": "Nobody", "rtp_aid": None},
    ]


def test_unmatched_account_is_linked_when_it_appears_and_the_deal_moves_into_the_delta(ws):
    ws.post(
        "/deals",
        {"deals": [deal(1, associatedAccounts=[{"domain": "later.com"}, {"externalId": "crm-x"}])]},
    )
    sync = ws.get("/deals").json()["data"]["syncTimestamp"]
    later = ws.push(account(9, domain="later.com"))["results"][0]["rtp_aid"]
    ws.discover("xco.com")
    ws.patch("/accounts/external-ids", {"mappings": [{"domain": "xco.com", "externalId": "crm-x"}]})
    delta = ws.get("/deals", params={"lastSync": sync}).json()["data"]["data"]
    assert [d["externalDealId"] for d in delta] == ["deal-1"]
    links = delta[0]["associatedAccounts"]
    assert links[0]["rtp_aid"] == later
    assert links[1]["rtp_aid"] == ws.get("/accounts/crm-x").json()["data"]["rtp_aid"]


def test_update_without_associated_accounts_keeps_the_links(ws):
    ws.push(account(1))
    ws.post("/deals", {"deals": [deal(1, associatedAccounts=[{"externalId": "crm-1"}])]})
    ws.post("/deals", {"deals": [deal(1, amount=5)]})
    assert len(deals_by_id(ws)["deal-1"]["associatedAccounts"]) == 1
    ws.post("/deals", {"deals": [deal(1, associatedAccounts=[])]})
    assert deals_by_id(ws)["deal-1"]["associatedAccounts"] == []


def test_associated_account_without_id_or_domain_fails_the_item(ws):
    data = ws.post(
        "/deals", {"deals": [deal(1, associatedAccounts=[{"name": "Who"}]), deal(2)]}
    ).json()["data"]
    assert data["results"][0]["status"] == "failed"
    assert data["results"][0]["error"] == "associatedAccounts[0] needs an externalId or a domain"
    assert set(deals_by_id(ws)) == {"deal-2"}


def test_stage_category_comes_from_the_registered_stage_or_the_label(ws):
    ws.post(
        "/deal-stages",
        {
            "pipelines": [
                {
                    "pipelineId": "p",
                    "pipelineLabel": "P",
                    "stages": [{"stageId": "signed", "stageLabel": "Signed"}],
                }
            ]
        },
    )
    ws.patch("/deal-stages/p/stages/signed", {"category": "won"})
    ws.post(
        "/deals",
        {
            "deals": [
                deal(1, pipelineId="p", stageId="signed", stageLabel="Signed"),
                deal(2, stageId="unregistered", stageLabel="Closed Lost"),
                deal(3, stageLabel="Closed Won"),
                deal(4),
            ]
        },
    )
    rows = deals_by_id(ws)
    assert [rows[f"deal-{i}"]["stageCategory"] for i in (1, 2, 3, 4)] == [
        "won",
        "lost",
        "won",
        "open",
    ]


def test_deals_page_like_accounts(ws):
    ws.post("/deals", {"deals": [deal(i) for i in range(25)]})
    first = ws.get("/deals", params={"limit": 10}).json()["data"]
    assert first["hasNextPage"] is True
    second = ws.get("/deals", params={"limit": 10, "cursor": first["nextCursor"]}).json()["data"]
    third = ws.get("/deals", params={"limit": 10, "cursor": "20"}).json()["data"]
    ids = [d["externalDealId"] for page in (first, second, third) for d in page["data"]]
    assert ids == [f"deal-{i}" for i in range(25)]
    assert third["hasNextPage"] is False
    assert ws.get("/deals", params={"lastSync": "nope"}).status_code == 400
    sync = third["syncTimestamp"]
    ws.post("/deals", {"deals": [deal(3, amount=1)]})
    assert [
        d["externalDealId"]
        for d in ws.get("/deals", params={"lastSync": sync}).json()["data"]["data"]
    ] == ["deal-3"]


@pytest.mark.parametrize("base", BASES)
def test_push_answers_in_the_live_services_shape(ws, base):
    api = ws.surface(base)
    api.post("/deals", {"deals": [deal(1)]})
    data = api.post(
        "/deals",
        {"deals": [deal(1, name="renamed"), deal(2), deal(3, associatedAccounts=[{"name": "x"}])]},
    ).json()["data"]
    assert data["results"][:2] == [
        {"externalDealId": "deal-1", "status": "upserted", "isNew": False},
        {"externalDealId": "deal-2", "status": "upserted", "isNew": True},
    ]
    assert data["results"][2]["status"] == "failed"
    assert list(data["summary"]) == ["total", "upserted", "failed"]
    assert data["summary"] == {"total": 3, "upserted": 2, "failed": 1}
    assert DealsCreateResult.model_validate(data).model_dump() == data  # the documented shape


@pytest.mark.parametrize("base", BASES)
def test_amounts_read_back_as_sent(ws, base):
    api = ws.surface(base)
    amounts = {"whole": 50000, "fraction": 1234.56, "tiny": 0.1, "negative": -3, "huge": 1e20}
    api.post("/deals", {"deals": [deal(k, amount=v) for k, v in amounts.items()]})
    rows = deals_by_id(api)
    read = {k: rows[f"deal-{k}"]["amount"] for k in amounts}
    assert read == amounts
    # JSON 50000 parses to int, 50000.0 to float: the type is what a client sees.
    assert {k: type(v) for k, v in read.items()} == {
        "whole": int,
        "fraction": float,
        "tiny": float,
        "negative": int,
        "huge": float,  # past 2**53 a float does not hold every integer: kept as a float
    }
    assert '"amount":50000,' in api.get("/deals").text
    whole = rows["deal-whole"]
    assert type(DealOut.model_validate(whole).model_dump()["amount"]) is int


def register_pipeline(api, pipeline_id="p1", label="Enterprise", stages=(("s1", "Qualified"),)):
    response = api.post(
        "/deal-stages",
        {
            "pipelines": [
                {
                    "pipelineId": pipeline_id,
                    "pipelineLabel": label,
                    "stages": [{"stageId": s, "stageLabel": sl} for s, sl in stages],
                }
            ]
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("base", BASES)
def test_registered_labels_fill_labels_the_deal_did_not_send(ws, base):
    api = ws.surface(base)
    register_pipeline(api)
    register_pipeline(api, "p2", "Renewals", (("s1", "Renewal due"),))
    api.post(
        "/deals",
        {
            "deals": [
                deal("bare", pipelineId="p1", stageId="s1"),
                deal("own", pipelineId="p1", stageId="s1", pipelineLabel="EMEA", stageLabel="SQL"),
                deal("other", pipelineId="p2", stageId="s1"),
                deal("unknown-stage", pipelineId="p1", stageId="s9"),
                deal("no-pipeline", stageId="s1"),
                deal("unknown-pipeline", pipelineId="p9", stageId="s1"),
            ]
        },
    )
    rows = deals_by_id(api)
    labels = {
        k.removeprefix("deal-"): (d["pipelineLabel"], d["stageLabel"]) for k, d in rows.items()
    }
    assert labels == {
        "bare": ("Enterprise", "Qualified"),
        "own": ("EMEA", "SQL"),  # what the deal sent wins
        "other": ("Renewals", "Renewal due"),
        "unknown-stage": ("Enterprise", None),
        "no-pipeline": (None, None),  # s1 is in two pipelines: no label is guessed
        "unknown-pipeline": (None, None),
    }
    # Clearing its own label falls back to the registered one.
    api.post("/deals", {"deals": [deal("own", pipelineLabel=None, stageLabel=None)]})
    own = deals_by_id(api)["deal-own"]
    assert (own["pipelineLabel"], own["stageLabel"]) == ("Enterprise", "Qualified")


def test_registered_labels_of_another_team_are_not_shown(ws, app, database):
    other = create_workspace(app, database)
    try:
        register_pipeline(other)
        ws.post("/deals", {"deals": [deal(1, pipelineId="p1", stageId="s1")]})
        row = deals_by_id(ws)["deal-1"]
        assert (row["pipelineLabel"], row["stageLabel"]) == (None, None)
        register_pipeline(ws, label="Ours")
        assert deals_by_id(ws)["deal-1"]["pipelineLabel"] == "Ours"
        assert len(ws.get("/deals").json()["data"]["data"]) == 1
    finally:
        other.close()
