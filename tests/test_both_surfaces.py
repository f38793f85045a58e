"""Behaviour shared by /api/v1/crm and /api/v1 runs against both, over one store."""

import pytest

from tests.factories import CRM, V1

BASES = [CRM, V1]


@pytest.mark.parametrize("base", BASES)
def test_auth_and_envelope(ws, base):
    response = ws.client.get(base + "/segments", headers={"X-Api-Key": "bad"})
    body = response.json()
    assert response.status_code == 401
    assert body["customMessage"] == "Invalid API key"
    assert body["path"] == base + "/segments"
    assert ws.client.get(base + "/nope").json()["customMessage"] == f"Cannot GET {base}/nope"


@pytest.mark.parametrize("base", BASES)
def test_custom_fields_are_shared(ws, base):
    other = V1 if base == CRM else CRM
    created = ws.surface(base).post(
        "/accounts/custom-field", {"label": "Region", "labelType": "singleLineText"}
    )
    assert created.status_code == 201
    assert [f["key"] for f in ws.surface(other).get("/accounts/custom-fields").json()["data"]] == [
        "REGION_C"
    ]
    again = ws.surface(other).post(
        "/accounts/custom-field", {"label": "Region", "labelType": "number"}
    )
    assert again.status_code == 409


@pytest.mark.parametrize("base", BASES)
def test_segments_and_journey_stages(ws, base):
    segment = ws.segment(name="Shared")
    assert ws.surface(base).get("/segments").json()["data"]["data"][0]["segmentId"] == segment
    assert ws.surface(base).get("/journey-stages").json()["data"][0] == "Unaware"


@pytest.mark.parametrize("base", BASES)
def test_mapping_and_missing_external_ids(ws, base):
    api = ws.surface(base)
    ws.discover("acme.com")
    assert api.get("/accounts/missing-external-ids").json()["data"] == [
        {"name": "acme", "domain": "acme.com"}
    ]
    data = api.patch(
        "/accounts/external-ids", {"mappings": [{"domain": "acme.com", "externalId": "crm-a"}]}
    ).json()["data"]
    assert data["updated"] == 1
    assert api.get("/accounts/missing-external-ids").json()["data"] == []


@pytest.mark.parametrize("base", BASES)
def test_account_listing_and_validation_are_identical(ws, base):
    ws.push(*[{"externalId": f"e{i}", "domain": f"d{i}.com", "name": "N"} for i in range(5)])
    api = ws.surface(base)
    page = api.get("/accounts", params={"limit": 2}).json()["data"]
    assert page["hasNextPage"] is True
    assert len(page["data"]) == 2
    assert api.get("/accounts", params={"limit": 0}).status_code == 400
    assert api.get("/accounts", params={"lastSync": "x"}).status_code == 400
    too_many = {
        "accounts": [{"externalId": str(i), "domain": f"x{i}.com", "name": "N"} for i in range(101)]
    }
    assert api.post("/accounts", too_many).json()["data"][0]["constraints"] == {
        "arrayMaxSize": "accounts must contain no more than 100 elements"
    }
