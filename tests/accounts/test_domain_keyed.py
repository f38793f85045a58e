"""The /api/v1 accounts surface: domain is the key, upsert, rtp_aid addressing, domains filter."""

import json

import pytest


def acct(domain, **extra):
    body = {"domain": domain, "name": domain.split(".")[0].title()}
    body.update(extra)
    return body


def push(ws, *accounts, **extra):
    response = ws.v1.post("/accounts", {"accounts": list(accounts), **extra})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_external_id_is_optional_and_results_carry_rtp_aid(ws):
    data = push(ws, acct("acme.com"), acct("globex.com", externalId="crm-g"))
    assert [r["status"] for r in data["results"]] == ["created", "created"]
    assert all(len(r["rtp_aid"]) == 24 for r in data["results"])
    assert data["results"][0]["externalId"] is None
    missing = ws.v1.get("/accounts/missing-external-ids").json()["data"]
    assert missing == [{"name": "Acme", "domain": "acme.com"}]
    # the same store: the CRM surface sees the account by its externalId
    assert ws.get("/accounts/crm-g").json()["data"]["domain"] == "globex.com"


def test_known_domain_fails_without_upsert(ws):
    rtp_aid = push(ws, acct("acme.com"))["results"][0]["rtp_aid"]
    data = push(ws, acct("https://www.ACME.com/x"))
    assert data["results"][0] == {
        "externalId": None,
        "rtp_aid": rtp_aid,
        "domain": "acme.com",
        "status": "failed",
        "error": (
            f"Account with domain 'acme.com' already exists. "
            f"Use PUT /accounts/{rtp_aid} to update it."
        ),
    }


def test_upsert_updates_the_supplied_fields(ws):
    key = ws.custom_field("Tier", "number")
    rtp_aid = push(ws, acct("acme.com", shortName="AC", tags=["a"], customFields={key: 1}))[
        "results"
    ][0]["rtp_aid"]
    data = push(
        ws,
        acct("acme.com", name="Acme Inc", externalId="crm-a", tags=["b"]),
        acct("new.com"),
        upsert=True,
    )
    assert [r["status"] for r in data["results"]] == ["updated", "created"]
    assert data["summary"] == {"total": 2, "created": 1, "updated": 1, "failed": 0}
    row = ws.v1.get(f"/accounts/{rtp_aid}").json()["data"]
    assert row["name"] == "Acme Inc"
    assert row["externalId"] == "crm-a"
    assert row["tags"] == ["b"]
    assert row["shortName"] == "AC"  # not sent: kept
    assert row["customFields"] == {key: 1}


def test_external_id_of_another_account_fails_the_item(ws):
    push(ws, acct("acme.com", externalId="crm-1"))
    data = push(ws, acct("globex.com", externalId="crm-1"))
    assert (
        data["results"][0]["error"]
        == "externalId 'crm-1' already belongs to the account with domain 'acme.com'"
    )


def test_segment_membership_for_created_and_updated(ws):
    segment = ws.segment(name="Targets")
    push(ws, acct("acme.com"))
    push(ws, acct("acme.com"), acct("new.com"), upsert=True, segmentId=segment)
    rows = ws.v1.get("/accounts").json()["data"]["data"]
    assert all(r["rtp_segments"] == [{"segmentId": segment, "name": "Targets"}] for r in rows)


def test_put_by_rtp_aid_accepts_profile_fields_and_custom_fields(ws):
    key = ws.custom_field("Stage", "singleLineText")
    rtp_aid = push(ws, acct("acme.com", tags=["x"]))["results"][0]["rtp_aid"]
    response = ws.v1.put(
        f"/accounts/{rtp_aid}",
        {
            "name": "Acme Corp",
            "shortName": "Acme",
            "linkedinUrl": "https://linkedin.com/company/acme",
            "tags": ["tier1", "tier1"],
            "customFields": {key: "POC"},
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Account updated successfully"}
    row = ws.v1.get(f"/accounts/{rtp_aid}").json()["data"]
    assert (row["name"], row["shortName"], row["tags"], row["customFields"]) == (
        "Acme Corp",
        "Acme",
        ["tier1"],
        {key: "POC"},
    )


def test_put_by_rtp_aid_rejects_domain_and_unknown_properties(ws):
    rtp_aid = push(ws, acct("acme.com"))["results"][0]["rtp_aid"]
    for body in ({"domain": "x.com"}, {"rtp_account_score": 99}):
        response = ws.v1.put(f"/accounts/{rtp_aid}", body)
        assert response.status_code == 400
        assert next(iter(response.json()["data"][0]["constraints"])) == "whitelistValidation"
    assert ws.v1.get(f"/accounts/{rtp_aid}").json()["data"]["domain"] == "acme.com"


def test_put_by_rtp_aid_errors(ws):
    response = ws.v1.put("/accounts/not-an-id", {"customFields": {}})
    assert response.status_code == 400
    assert "not a valid rtp_aid" in response.json()["customMessage"]
    response = ws.v1.put("/accounts/0123456789abcdef01234567", {"customFields": {}})
    assert response.status_code == 404
    assert (
        response.json()["customMessage"]
        == "Account with rtp_aid '0123456789abcdef01234567' not found"
    )
    assert ws.v1.get("/accounts/0123456789abcdef01234567").status_code == 404


def test_crm_put_stays_strict(ws):
    ws.push({"externalId": "crm-1", "domain": "acme.com", "name": "Acme"})
    assert ws.put("/accounts/crm-1", {"name": "x"}).status_code == 400


def test_domains_filter_cleans_each_entry(ws):
    push(ws, acct("acme.com"), acct("hubspot.com"), acct("globex.com"))
    domains = json.dumps(["https://www.acme.com/path", "www.hubspot.com", "unknown.com"])
    rows = ws.v1.get("/accounts", params={"domains": domains}).json()["data"]["data"]
    assert sorted(r["domain"] for r in rows) == ["acme.com", "hubspot.com"]


@pytest.mark.parametrize("value", ["acme.com", "[1, 2]", '{"a": 1}', '["a.com"'])
def test_malformed_domains_filter_is_400(ws, value):
    response = ws.v1.get("/accounts", params={"domains": value})
    assert response.status_code == 400
    assert response.json()["data"][0]["property"] == "domains"


def test_more_than_100_domains_is_400(ws):
    response = ws.v1.get(
        "/accounts", params={"domains": json.dumps([f"d{i}.com" for i in range(101)])}
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "arrayMaxSize": "domains must contain no more than 100 elements"
    }


def test_upsert_must_be_a_boolean(ws):
    response = ws.v1.post("/accounts", {"accounts": [acct("a.com")], "upsert": "yes"})
    assert response.json()["data"][0]["constraints"] == {
        "isBoolean": "upsert must be a boolean value"
    }
