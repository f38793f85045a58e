"""PUT /accounts/{externalId}: customFields only, merged per key."""

from tests.factories import account


def test_put_merges_custom_fields_per_key_and_null_clears(ws):
    stage = ws.custom_field("CRM Stage", "singleLineText")
    renewal = ws.custom_field("Renewal Date", "date")
    ws.push(account(1, customFields={stage: "POC"}))
    response = ws.put("/accounts/crm-1", {"customFields": {renewal: "2026-09-01"}})
    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Account updated successfully"}
    row = ws.get("/accounts/crm-1").json()["data"]
    assert row["customFields"] == {stage: "POC", renewal: "2026-09-01"}
    ws.put("/accounts/crm-1", {"customFields": {stage: None}})
    assert ws.get("/accounts/crm-1").json()["data"]["customFields"] == {
        stage: None,
        renewal: "2026-09-01",
    }


def test_put_bumps_last_account_date(ws):
    key = ws.custom_field("Note", "singleLineText")
    ws.push(account(1))
    before = ws.get("/accounts/crm-1").json()["data"]["rtp_last_account_date"]
    ws.put("/accounts/crm-1", {"customFields": {key: "x"}})
    after = ws.get("/accounts/crm-1").json()["data"]["rtp_last_account_date"]
    assert after > before


def test_put_with_any_other_property_is_400_and_changes_nothing(ws):
    key = ws.custom_field("Note", "singleLineText")
    ws.push(account(1))
    response = ws.put("/accounts/crm-1", {"customFields": {key: "x"}, "name": "Renamed"})
    body = response.json()
    assert response.status_code == 400
    assert body["data"][0]["property"] == "name"
    assert body["data"][0]["constraints"] == {
        "whitelistValidation": "property name should not exist"
    }
    row = ws.get("/accounts/crm-1").json()["data"]
    assert row["name"] == "Company 1"
    assert row["customFields"] == {}
    assert ws.put("/accounts/crm-1", {"domain": "x.com"}).status_code == 400


def test_put_unknown_custom_field_key_is_400(ws):
    ws.push(account(1))
    response = ws.put("/accounts/crm-1", {"customFields": {"NOPE_C": 1}})
    assert response.status_code == 400
    assert response.json()["customMessage"] == "Custom field key(s) not found: NOPE_C"


def test_put_value_of_wrong_type_is_400(ws):
    key = ws.custom_field("ARR", "number")
    ws.push(account(1))
    response = ws.put("/accounts/crm-1", {"customFields": {key: "many"}})
    assert response.status_code == 400
    assert response.json()["customMessage"] == "Custom field 'ARR_C' expects a number, got 'many'"


def test_put_unknown_account_is_404(ws):
    response = ws.put("/accounts/ghost", {"customFields": {}})
    assert response.status_code == 404
    assert response.json()["customMessage"] == "Account with externalId 'ghost' not found"


def test_put_custom_fields_must_be_an_object(ws):
    ws.push(account(1))
    response = ws.put("/accounts/crm-1", {"customFields": "x"})
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "isObject": "customFields must be an object"
    }


def test_external_ids_with_slashes_are_addressable(ws):
    key = ws.custom_field("Note", "singleLineText")
    ws.push(account(1, externalId="ACC/2026/001"))
    assert ws.put("/accounts/ACC%2F2026%2F001", {"customFields": {key: "x"}}).status_code == 200
    row = ws.get("/accounts/ACC/2026/001").json()["data"]
    assert row["externalId"] == "ACC/2026/001"
    assert row["customFields"] == {key: "x"}
