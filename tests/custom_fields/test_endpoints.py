"""GET /accounts/custom-fields and POST /accounts/custom-field."""

import pytest

from intentsync.custom_fields.values import MAX_KEY_LENGTH
from intentsync.db.models import CustomField
from tests.factories import CRM, V1


def test_create_returns_an_array_with_the_field_and_it_is_listed(ws):
    response = ws.post(
        "/accounts/custom-field",
        {
            "label": "Contract Value",
            "labelType": "number",
            "description": "Total contract value in USD",
        },
    )
    assert response.status_code == 201
    created = {
        "key": "CONTRACT_VALUE_C",
        "label": "Contract Value",
        "labelType": "number",
        "description": "Total contract value in USD",
        "options": [],
        "objectType": "accounts",
        "status": "active",
    }
    assert response.json()["data"] == [created]
    assert ws.get("/accounts/custom-fields").json()["data"] == [created]


def test_selection_field_keeps_options_and_description_defaults_to_null(ws):
    data = ws.post(
        "/accounts/custom-field",
        {
            "label": "Deal Source",
            "labelType": "singleSelection",
            "options": ["inbound", "outbound", "partner"],
        },
    ).json()["data"][0]
    assert data["key"] == "DEAL_SOURCE_C"
    assert data["description"] is None
    assert data["options"] == ["inbound", "outbound", "partner"]


@pytest.mark.parametrize(
    ("label", "key"), [("Net-Revenue", "NET-REVENUE_C"), ("Revenue (USD)", "REVENUE_(USD)_C")]
)
def test_key_is_derived_from_the_label(ws, label, key):
    assert ws.custom_field(label, "singleLineText") == key


def test_duplicate_active_key_is_409(ws):
    ws.custom_field("Contract Value", "number")
    response = ws.post("/accounts/custom-field", {"label": "contract value", "labelType": "date"})
    body = response.json()
    assert response.status_code == 409
    assert body["message"] == "Conflict"
    assert (
        body["customMessage"] == "An active custom field with key 'CONTRACT_VALUE_C' already exists"
    )
    assert len(ws.get("/accounts/custom-fields").json()["data"]) == 1


@pytest.mark.parametrize("label_type", ["singleSelection", "multiSelection"])
def test_selection_types_require_options(ws, label_type):
    for body in (
        {"label": "X", "labelType": label_type},
        {"label": "X", "labelType": label_type, "options": []},
    ):
        response = ws.post("/accounts/custom-field", body)
        assert response.status_code == 400
        assert response.json()["data"][0]["property"] == "options"


def test_options_are_rejected_for_other_types(ws):
    response = ws.post(
        "/accounts/custom-field", {"label": "X", "labelType": "number", "options": ["a"]}
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "isEmpty": "options are only allowed when labelType is singleSelection or multiSelection"
    }
    ok = ws.post("/accounts/custom-field", {"label": "Y", "labelType": "number", "options": []})
    assert ok.status_code == 201


def test_duplicate_options_are_rejected(ws):
    response = ws.post(
        "/accounts/custom-field",
        {"label": "X", "labelType": "multiSelection", "options": ["a", "a"]},
    )
    assert response.status_code == 400


def test_label_type_must_be_one_of_six(ws):
    response = ws.post("/accounts/custom-field", {"label": "X", "labelType": "boolean"})
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "isIn": "labelType must be one of the following values: singleLineText, multiLineText, "
        "singleSelection, multiSelection, number, date"
    }


def test_label_is_required(ws):
    response = ws.post("/accounts/custom-field", {"labelType": "number"})
    assert response.json()["data"][0]["constraints"]["isNotEmpty"] == "label should not be empty"


def test_every_label_type_can_be_created(ws):
    for n, label_type in enumerate(["singleLineText", "multiLineText", "number", "date"]):
        assert ws.custom_field(f"Field {n}", label_type) == f"FIELD_{n}_C"
    assert [f["labelType"] for f in ws.get("/accounts/custom-fields").json()["data"]] == [
        "singleLineText",
        "multiLineText",
        "number",
        "date",
    ]


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_label_whose_key_outgrows_the_key_column_is_refused(ws, base):
    # "ß" upper-cases to "SS": 150 characters make a key of 302, over the 300 limit.
    response = ws.surface(base).post(
        "/accounts/custom-field", {"label": "ß" * 150, "labelType": "number"}
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "maxLength": "label makes a key of 302 characters, over the 300-character limit "
        "for custom field keys; use a shorter label"
    }
    assert ws.get("/accounts/custom-fields").json()["data"] == []


def test_a_key_of_exactly_300_characters_is_stored(ws):
    key = ws.custom_field("ß" * 149, "number")
    assert key == "SS" * 149 + "_C"
    assert [f["key"] for f in ws.get("/accounts/custom-fields").json()["data"]] == [key]


def test_the_key_limit_matches_the_column():
    assert CustomField.__table__.c.key.type.length == MAX_KEY_LENGTH
