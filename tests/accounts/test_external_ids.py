"""GET /accounts/missing-external-ids and PATCH /accounts/external-ids."""

from tests.factories import account


def test_missing_external_ids_lists_unmapped_accounts_as_a_plain_array(ws):
    ws.push(account(1))
    ws.discover("acme.com", "globex.com", "initech.com")
    response = ws.get("/accounts/missing-external-ids")
    assert response.status_code == 200
    assert response.json()["data"] == [
        {"name": "acme", "domain": "acme.com"},
        {"name": "globex", "domain": "globex.com"},
        {"name": "initech", "domain": "initech.com"},
    ]
    assert len(ws.get("/accounts/missing-external-ids", params={"limit": 2}).json()["data"]) == 2
    assert ws.get("/accounts/missing-external-ids", params={"limit": 0}).status_code == 400


def test_mapping_writes_external_ids_by_cleaned_domain(ws):
    ws.discover("acme.com", "globex.com")
    response = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "https://www.ACME.com/about", "externalId": "crm-a"},
                {"domain": "globex.com", "externalId": "crm-g"},
                {"domain": "unknown.com", "externalId": "crm-u"},
            ]
        },
    )
    assert response.status_code == 200
    assert response.json()["data"] == {
        "matched": 2,
        "updated": 2,
        "notFound": ["unknown.com"],
        "conflicts": [],
    }
    assert ws.get("/accounts/crm-a").json()["data"]["domain"] == "acme.com"
    assert ws.get("/accounts/missing-external-ids").json()["data"] == []


def test_last_mapping_for_a_domain_wins(ws):
    ws.discover("acme.com")
    data = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "acme.com", "externalId": "first"},
                {"domain": "www.acme.com", "externalId": "second"},
            ]
        },
    ).json()["data"]
    assert data["matched"] == 1
    assert data["updated"] == 1
    assert ws.get("/accounts/second").status_code == 200
    assert ws.get("/accounts/first").status_code == 404


def test_existing_external_id_is_overwritten(ws):
    ws.push(account(1, domain="acme.com"))
    ws.patch(
        "/accounts/external-ids", {"mappings": [{"domain": "acme.com", "externalId": "crm-new"}]}
    )
    assert ws.get("/accounts/crm-1").status_code == 404
    assert ws.get("/accounts/crm-new").json()["data"]["domain"] == "acme.com"


def test_external_id_held_by_another_account_is_a_reported_conflict(ws):
    ws.push(account(1, domain="held.com"))
    ws.discover("acme.com", "globex.com")
    data = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "acme.com", "externalId": "crm-1"},
                {"domain": "globex.com", "externalId": "crm-g"},
            ]
        },
    ).json()["data"]
    assert data["matched"] == 2
    assert data["updated"] == 1
    assert data["conflicts"] == [
        {
            "domain": "acme.com",
            "externalId": "crm-1",
            "error": "externalId 'crm-1' already belongs to the account with domain 'held.com'",
        }
    ]
    assert ws.get("/accounts/crm-1").json()["data"]["domain"] == "held.com"
    assert ws.get("/accounts/crm-g").json()["data"]["domain"] == "globex.com"


def test_swapping_external_ids_in_one_request_works(ws):
    ws.push(account("a", domain="a.com"), account("b", domain="b.com"))
    data = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "a.com", "externalId": "crm-b"},
                {"domain": "b.com", "externalId": "crm-a"},
            ]
        },
    ).json()["data"]
    assert data == {"matched": 2, "updated": 2, "notFound": [], "conflicts": []}
    assert ws.get("/accounts/crm-b").json()["data"]["domain"] == "a.com"
    assert ws.get("/accounts/crm-a").json()["data"]["domain"] == "b.com"


def test_same_external_id_for_two_domains_keeps_the_first(ws):
    ws.discover("a.com", "b.com")
    data = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "a.com", "externalId": "dup"},
                {"domain": "b.com", "externalId": "dup"},
            ]
        },
    ).json()["data"]
    assert data["updated"] == 1
    assert data["conflicts"][0]["domain"] == "b.com"
    assert ws.get("/accounts/dup").json()["data"]["domain"] == "a.com"


def test_mapping_validation(ws):
    response = ws.patch("/accounts/external-ids", {"mappings": []})
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "arrayMinSize": "mappings must contain at least 1 elements"
    }
    too_many = {"mappings": [{"domain": f"d{i}.com", "externalId": str(i)} for i in range(101)]}
    assert ws.patch("/accounts/external-ids", too_many).json()["data"][0]["constraints"] == {
        "arrayMaxSize": "mappings must contain no more than 100 elements"
    }
    response = ws.patch("/accounts/external-ids", {"mappings": [{"domain": "a.com"}]})
    assert response.json()["data"][0]["property"] == "externalId"


def test_mapping_moves_the_account_into_the_next_delta(ws):
    ws.discover("acme.com")
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    ws.patch(
        "/accounts/external-ids", {"mappings": [{"domain": "acme.com", "externalId": "crm-a"}]}
    )
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"]
    assert [row["externalId"] for row in delta] == ["crm-a"]


def test_a_mapping_the_account_already_has_is_matched_not_updated(ws):
    ws.push(account(1, domain="acme.com"))
    ws.discover("globex.com")
    before = ws.get("/accounts/crm-1").json()["data"]["rtp_last_account_date"]
    data = ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": "acme.com", "externalId": "crm-1"},
                {"domain": "globex.com", "externalId": "crm-g"},
            ]
        },
    ).json()["data"]
    assert data == {"matched": 2, "updated": 1, "notFound": [], "conflicts": []}
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_last_account_date"] == before
    again = ws.v1.patch(
        "/accounts/external-ids",
        {"mappings": [{"domain": "www.globex.com", "externalId": "crm-g"}]},
    ).json()["data"]
    assert again == {"matched": 1, "updated": 0, "notFound": [], "conflicts": []}
