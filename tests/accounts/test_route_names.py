"""Route names never shadow data: every externalId an account can have is addressable."""

import pytest
from fastapi.routing import iter_route_contexts

from intentsync.accounts.service import (
    RESERVED_EXTERNAL_IDS,
    RESERVED_PREFIXES,
    RESERVED_SUFFIXES,
)
from tests.factories import CRM, account

RESERVED = ["custom-fields", "missing-external-ids", "q2/score", "deleted", "custom-fields/A_C"]
ACCOUNT_METHODS = {"GET", "PUT", "DELETE"}  # what GET/PUT/DELETE /accounts/{externalId} answer


def test_the_reserved_names_are_exactly_the_routes_beside_an_account(app):
    """Enumerates every route under /accounts/: a new one must be added to the reserved names."""
    fixed, suffixes, prefixes = set(), set(), set()
    for context in iter_route_contexts(app.router.routes):
        path = context.path or ""
        if not path.startswith(CRM + "/accounts/"):
            continue
        if not set(context.methods or ()) & ACCOUNT_METHODS:
            continue  # another method never shadows an account (PATCH /accounts/external-ids)
        rest = path[len(CRM + "/accounts/") :]
        if rest.startswith("{external_id:path}"):
            suffix = rest[len("{external_id:path}") :]
            if suffix:
                suffixes.add(suffix)
        elif rest.endswith(":path}"):
            prefixes.add(rest[: rest.index("{")])
        else:
            assert "{" not in rest, path
            fixed.add(rest)
    assert fixed == RESERVED_EXTERNAL_IDS
    assert suffixes == set(RESERVED_SUFFIXES)
    assert prefixes == set(RESERVED_PREFIXES)


@pytest.mark.parametrize("external_id", ["custom-field", "external-ids"])
def test_names_of_routes_for_other_methods_are_ordinary_external_ids(ws, external_id):
    key = ws.custom_field("Stage", "singleLineText")
    assert ws.push(account(1, externalId=external_id))["results"][0]["status"] == "created"
    assert ws.get(f"/accounts/{external_id}").json()["data"]["externalId"] == external_id
    response = ws.put(f"/accounts/{external_id}", {"customFields": {key: "POC"}})
    assert response.status_code == 200, response.text


def test_an_external_id_ending_in_a_slash_is_refused(ws):
    item = ws.push(account(1, externalId="eu/7/"))["results"][0]
    assert item["status"] == "failed"
    assert item["error"] == (
        "externalId 'eu/7/' ends with '/', which request paths drop; choose another externalId"
    )


@pytest.mark.parametrize("external_id", RESERVED)
def test_a_reserved_external_id_is_refused_on_push(ws, external_id):
    result = ws.push(account(1, externalId=external_id))
    item = result["results"][0]
    assert item["status"] == "failed"
    assert item["error"] == (
        f"externalId '{external_id}' is reserved: /accounts/{external_id} is another route of "
        "this API; choose another externalId"
    )
    assert ws.get("/accounts").json()["data"]["data"] == []


@pytest.mark.parametrize("upsert", [False, True])
def test_a_reserved_external_id_is_refused_on_the_domain_keyed_push(ws, upsert):
    ws.v1.post("/accounts", {"accounts": [{"domain": "acme.com", "name": "Acme"}]})
    response = ws.v1.post(
        "/accounts",
        {
            "accounts": [
                {"domain": "acme.com", "name": "Acme", "externalId": "custom-fields"},
                {"domain": "globex.com", "name": "Globex", "externalId": "x/score"},
            ],
            "upsert": upsert,
        },
    )
    results = response.json()["data"]["results"]
    assert [r["status"] for r in results] == ["failed", "failed"]
    if upsert:
        assert "is reserved" in results[0]["error"]
    assert "is reserved" in results[1]["error"]
    listed = ws.v1.get("/accounts").json()["data"]["data"]
    assert [(a["domain"], a["externalId"]) for a in listed] == [("acme.com", None)]


def test_a_reserved_external_id_is_a_conflict_when_mapping(ws):
    ws.discover("acme.com")
    response = ws.patch(
        "/accounts/external-ids", {"mappings": [{"domain": "acme.com", "externalId": "a/score"}]}
    )
    data = response.json()["data"]
    assert data["updated"] == 0
    assert data["conflicts"][0]["domain"] == "acme.com"
    assert "is reserved" in data["conflicts"][0]["error"]
    assert ws.get("/accounts/missing-external-ids").json()["data"] == [
        {"name": "acme", "domain": "acme.com"}
    ]


def test_an_external_id_with_slashes_is_read_updated_and_explained_by_its_path(ws):
    key = ws.custom_field("Stage", "singleLineText")
    ws.push(account(1, externalId="eu/accounts/7"))
    assert ws.get("/accounts/eu/accounts/7").json()["data"]["externalId"] == "eu/accounts/7"
    response = ws.put("/accounts/eu/accounts/7", {"customFields": {key: "POC"}})
    assert response.status_code == 200, response.text
    assert ws.get("/accounts/eu/accounts/7").json()["data"]["customFields"] == {key: "POC"}
    explained = ws.get("/accounts/eu/accounts/7/score").json()["data"]
    assert explained["externalId"] == "eu/accounts/7"


def test_put_on_a_score_path_updates_no_account(ws):
    ws.push(account(1, externalId="crm-1"))
    response = ws.put("/accounts/crm-1/score", {"customFields": {}})
    assert response.status_code == 404
    assert response.json()["customMessage"] == "Account with externalId 'crm-1/score' not found"
