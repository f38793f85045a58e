"""POST/GET /deals: upsert, validation, account links (also late ones), stage categories."""

import pytest

from tests.factories import CRM, V1, account

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
        "results": [{"externalDealId": "deal-1", "status": "created"}],
        "summary": {"total": 1, "created": 1, "updated": 0, "failed": 0},
    }
    update = api.post(
        "/deals",
        {
            "deals": [
                {"externalDealId": "deal-1", "name": "Deal 1b", "amount": 75000.5, "ownerId": None}
            ]
        },
    )
    assert update.json()["data"]["results"] == [{"externalDealId": "deal-1", "status": "updated"}]
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
    assert [r["status"] for r in data["results"]] == ["created", "failed", "created"]
    assert data["results"][1]["error"] == "externalDealId 'deal-1' appears earlier in this request"
    assert data["summary"] == {"total": 3, "created": 2, "updated": 0, "failed": 1}


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
