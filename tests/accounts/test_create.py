"""POST /accounts on the CRM surface."""

import re

import pytest

from tests.factories import account


def test_created_account_reads_back_with_default_rtp_fields(ws):
    result = ws.push(
        account(
            1,
            domain="https://www.Acme.com/foo",
            name="Acme Corp",
            shortName="Acme",
            linkedinUrl="https://linkedin.com/company/acme",
            tags=["tier1", "emea", "tier1"],
        )
    )
    item = result["results"][0]
    assert item["status"] == "created"
    assert item["externalId"] == "crm-1"
    assert item["domain"] == "acme.com"
    assert re.fullmatch(r"[0-9a-f]{24}", item["rtp_aid"])
    assert "error" not in item
    assert result["summary"] == {"total": 1, "created": 1, "updated": 0, "failed": 0}

    row = ws.get("/accounts/crm-1").json()["data"]
    assert row["domain"] == "acme.com"
    assert row["name"] == "Acme Corp"
    assert row["shortName"] == "Acme"
    assert row["linkedinUrl"] == "https://linkedin.com/company/acme"
    assert row["tags"] == ["tier1", "emea"]
    assert row["rtp_aid"] == item["rtp_aid"]
    for score in (
        "rtp_account_score",
        "rtp_advertising_activity_score",
        "rtp_website_intent_score",
        "rtp_g2_intent_score",
        "rtp_bombora_intent_score",
    ):
        assert row[score] == 0
        assert isinstance(row[score], int)
    assert row["rtp_journey_stage"] == "Unaware"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["rtp_last_account_date"])
    assert row["customFields"] == {}
    assert row["rtp_segments"] == []


def test_mixed_batch_is_200_with_per_item_results(ws):
    ws.push(account(1))
    result = ws.push(account(1, domain="other.com"), account(2), account(3, domain="company1.com"))
    assert [r["status"] for r in result["results"]] == ["failed", "created", "failed"]
    assert result["results"][0]["error"] == (
        "Account with externalId 'crm-1' already exists. Use PUT /accounts/crm-1 to update it."
    )
    assert result["results"][0]["rtp_aid"] is None
    assert result["results"][2]["error"] == (
        "Account with domain 'company1.com' already exists with externalId 'crm-1'"
    )
    assert result["summary"] == {"total": 3, "created": 1, "updated": 0, "failed": 2}


def test_repeated_domain_or_external_id_in_one_request_fails_the_later_item(ws):
    result = ws.push(
        account(1),
        account(2, domain="https://company1.com/"),
        account(1, domain="fresh.com"),
    )
    assert [r["status"] for r in result["results"]] == ["created", "failed", "failed"]
    assert result["results"][1]["error"] == "domain 'company1.com' appears earlier in this request"
    assert result["results"][2]["error"] == "externalId 'crm-1' appears earlier in this request"
    assert len(ws.get("/accounts").json()["data"]["data"]) == 1


def test_domain_that_cleans_to_nothing_fails_the_item(ws):
    result = ws.push(account(1, domain="https://"), account(2))
    assert result["results"][0]["status"] == "failed"
    assert result["results"][0]["error"] == "domain 'https://' is not a valid domain"
    assert result["results"][1]["status"] == "created"


def test_account_with_domain_but_no_external_id_is_claimed(ws):
    from sqlalchemy import update

    from intentsync.db.models import Account

    ws.push(account(1, domain="acme.com", name="acme", customFields={}))
    with ws.db.transaction() as session:  # a discovered account: known domain, no externalId yet
        session.execute(
            update(Account).where(Account.team_id == ws.team_id).values(external_id=None)
        )
    key = ws.custom_field("Tier", "number")
    result = ws.push(account("new", domain="www.acme.com", name="Acme Inc", customFields={key: 1}))
    item = result["results"][0]
    assert item["status"] == "updated"
    assert result["summary"] == {"total": 1, "created": 0, "updated": 1, "failed": 0}
    row = ws.get("/accounts/crm-new").json()["data"]
    assert row["name"] == "Acme Inc"
    assert row["rtp_aid"] == item["rtp_aid"]
    assert row["customFields"] == {key: 1}


def test_unknown_custom_field_fails_the_item(ws):
    result = ws.push(account(1, customFields={"SOURCE_C": "x"}), account(2))
    assert result["results"][0] == {
        "externalId": "crm-1",
        "rtp_aid": None,
        "domain": "company1.com",
        "status": "failed",
        "error": "Custom field key(s) not found: SOURCE_C. Unable to add this account.",
    }
    assert result["results"][1]["status"] == "created"


def test_custom_field_value_must_fit_its_type(ws):
    arr = ws.custom_field("ARR", "number")
    source = ws.custom_field("Source", "singleSelection", options=["inbound", "outbound"])
    result = ws.push(
        account(1, customFields={arr: "lots"}),
        account(2, customFields={source: "partner"}),
        account(3, customFields={arr: 1200.5, source: "inbound"}),
    )
    assert [r["status"] for r in result["results"]] == ["failed", "failed", "created"]
    assert "expects a number" in result["results"][0]["error"]
    assert "must be one of: inbound, outbound" in result["results"][1]["error"]
    row = ws.get("/accounts/crm-3").json()["data"]
    assert row["customFields"] == {arr: 1200.5, source: "inbound"}


def test_segment_id_adds_created_and_claimed_accounts(ws):
    segment = ws.segment(name="Q2 Target Accounts")
    result = ws.push(account(1), account(2), segmentId=segment)
    assert result["summary"]["created"] == 2
    row = ws.get("/accounts/crm-1").json()["data"]
    assert row["rtp_segments"] == [{"segmentId": segment, "name": "Q2 Target Accounts"}]


def test_draft_segment_accepts_members(ws):
    segment = ws.segment(status="draft")
    assert ws.push(account(1), segmentId=segment)["summary"]["created"] == 1


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        (
            "static",
            "archived",
            "Segment '{id}' is not active or draft and cannot accept new members",
        ),
        (
            "dynamic",
            "active",
            "Segment '{id}' is a dynamic segment; only static segments accept new members",
        ),
    ],
)
def test_unusable_segment_rejects_the_whole_request(ws, kind, status, message):
    segment = ws.segment(type_=kind, status=status)
    response = ws.post("/accounts", {"accounts": [account(1)], "segmentId": segment})
    body = response.json()
    assert response.status_code == 400
    assert body["message"] == "Bad Request"
    assert body["customMessage"] == message.format(id=segment)
    assert body["data"] is None
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_unknown_segment_rejects_the_whole_request(ws):
    response = ws.post("/accounts", {"accounts": [account(1)], "segmentId": "abc"})
    assert response.status_code == 400
    assert response.json()["customMessage"] == "Segment 'abc' does not exist"
    assert ws.get("/accounts").json()["data"]["data"] == []


def constraints_for(response, prop):
    body = response.json()
    assert response.status_code == 400, response.text
    assert body["message"] == "Bad Request"
    merged = {}
    for entry in body["data"]:
        if entry["property"] == prop:
            merged.update(entry["constraints"])
    return merged


def test_validation_messages_match_the_documented_texts(ws):
    assert (
        constraints_for(ws.post("/accounts", {}), "accounts")["isArray"]
        == "accounts must be an array"
    )
    assert constraints_for(ws.post("/accounts", {"accounts": "x"}), "accounts") == {
        "isArray": "accounts must be an array"
    }
    assert constraints_for(ws.post("/accounts", {"accounts": []}), "accounts") == {
        "arrayMinSize": "accounts must contain at least 1 elements"
    }
    too_many = {"accounts": [account(i) for i in range(101)]}
    assert constraints_for(ws.post("/accounts", too_many), "accounts") == {
        "arrayMaxSize": "accounts must contain no more than 100 elements"
    }
    missing = {"accounts": [{}]}
    response = ws.post("/accounts", missing)
    assert constraints_for(response, "externalId")["isString"] == "externalId must be a string"
    assert constraints_for(response, "domain")["isNotEmpty"] == "domain should not be empty"
    assert constraints_for(response, "name")["isNotEmpty"] == "name should not be empty"
    blank = {"accounts": [account(1, domain="  ", name="")]}
    response = ws.post("/accounts", blank)
    assert constraints_for(response, "domain") == {"isNotEmpty": "domain should not be empty"}
    assert constraints_for(response, "name") == {"isNotEmpty": "name should not be empty"}


def test_validation_entries_say_which_item_is_wrong(ws):
    response = ws.post("/accounts", {"accounts": [account(1), account(2, domain=None)]})
    body = response.json()
    assert body["data"][0]["path"] == "accounts[1].domain"
    assert body["customMessage"].startswith("accounts[1].domain: ")


@pytest.mark.parametrize(
    ("override", "prop", "rule"),
    [
        ({"externalId": 5}, "externalId", "isString"),
        ({"name": ["x"]}, "name", "isString"),
        ({"tags": "a,b"}, "tags", "isArray"),
        ({"tags": [1]}, "tags", "isString"),
        ({"customFields": [1]}, "customFields", "isObject"),
        ({"shortName": 3}, "shortName", "isString"),
        ({"industry": "saas"}, "industry", "whitelistValidation"),
        ({"name": "x" * 256}, "name", "maxLength"),
    ],
)
def test_wrong_types_are_validation_errors_and_nothing_is_written(ws, override, prop, rule):
    response = ws.post("/accounts", {"accounts": [account(1), account(2, **override)]})
    assert rule in constraints_for(response, prop)
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_unknown_top_level_property_is_rejected(ws):
    response = ws.post("/accounts", {"accounts": [account(1)], "upsert": True})
    assert constraints_for(response, "upsert") == {
        "whitelistValidation": "property upsert should not exist"
    }


def test_segment_id_must_be_a_string(ws):
    response = ws.post("/accounts", {"accounts": [account(1)], "segmentId": 7})
    assert constraints_for(response, "segmentId") == {"isString": "segmentId must be a string"}


def test_mixed_batch_reply_matches_the_documented_model_exactly(ws):
    from intentsync.accounts.schemas import AccountsCreateResult

    ws.push(account(1, domain="taken.com"))
    data = ws.push(
        account(2, domain="new.com"),
        account(3, domain="taken.com"),
        account(4, domain="https://"),
    )
    model = AccountsCreateResult.model_validate(data)
    assert model.model_dump() == data
    assert [r["status"] for r in data["results"]] == ["created", "failed", "failed"]
    assert data["summary"] == {"total": 3, "created": 1, "updated": 0, "failed": 2}


def test_a_blank_name_is_refused_as_empty_and_nothing_is_stored(ws):
    response = ws.post("/accounts", {"accounts": [account(1), account(2, name=" \t\u3000")]})
    body = response.json()
    assert response.status_code == 400
    assert body["message"] == "Bad Request"
    assert body["data"] == [
        {
            "property": "name",
            "constraints": {"isNotEmpty": "name should not be empty"},
            "path": "accounts[1].name",
        }
    ]
    assert ws.get("/accounts/crm-1").status_code == 404
