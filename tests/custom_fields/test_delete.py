"""DELETE /accounts/custom-fields/{key} archives a field: values kept, the key free again."""

import pytest

from intentsync.segments.service import rule_fields
from tests.factories import CRM, V1, account


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_deleted_field_leaves_the_lists_keeps_its_values_and_frees_its_key(ws, base):
    key = ws.custom_field("Region", "singleLineText")
    other = ws.custom_field("Tier", "number")
    ws.push(account(1, customFields={key: "EMEA"}))
    surface = ws.surface(base)
    response = surface.delete(f"/accounts/custom-fields/{key}")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"message": "Custom field deleted successfully"}
    assert [f["key"] for f in surface.get("/accounts/custom-fields").json()["data"]] == [other]
    with ws.db.transaction() as session:
        names = {f.name for f in rule_fields(session, team_id=ws.team_id)}
    assert f"customFields.{key}" not in names
    assert f"customFields.{other}" in names
    # Stored values stay on the account; pushes that send the key fail as for any unknown key.
    assert ws.get("/accounts/crm-1").json()["data"]["customFields"] == {key: "EMEA"}
    failed = ws.push(account(2, customFields={key: "APAC"}))["results"][0]
    assert failed["status"] == "failed"
    assert key in failed["error"]
    again = surface.delete(f"/accounts/custom-fields/{key}")
    assert again.status_code == 404
    assert again.json()["customMessage"] == f"Custom field '{key}' is already deleted (archived)"
    # The key is free: the same label makes a new active field, which reads the kept values.
    assert ws.custom_field("Region", "singleLineText") == key
    assert ws.put("/accounts/crm-1", {"customFields": {key: "AMER"}}).status_code == 200


def test_an_unknown_key_is_a_404_naming_where_keys_are_listed(ws):
    response = ws.delete("/accounts/custom-fields/NOPE_C")
    assert response.status_code == 404
    assert response.json()["customMessage"] == (
        "No custom field with key 'NOPE_C'; GET /accounts/custom-fields lists the keys"
    )


def test_a_key_with_a_slash_is_addressable(ws):
    key = ws.custom_field("In/Out", "singleLineText")
    assert key == "IN/OUT_C"
    assert ws.delete(f"/accounts/custom-fields/{key}").status_code == 200
    assert ws.get("/accounts/custom-fields").json()["data"] == []
