"""POST/GET /sales-activities: create-only, skipped types, validation, contacts, late links."""

import pytest

from tests.factories import CRM, V1, account

BASES = [CRM, V1]


def activity(n, **extra):
    body = {
        "externalActivityId": f"act-{n}",
        "activityType": "call",
        "occurredAt": "2026-04-22T10:30:00Z",
        "domain": "acme.com",
        "ownerEmail": "jane@yourcompany.com",
        "contacts": [{"email": "john@acme.com"}],
    }
    body.update(extra)
    return body


CALL = activity(
    "call",
    accountName="Acme Corp",
    ownerName="Jane Smith",
    ownerId="rep-123",
    callTitle="Discovery call",
    durationMinutes=30,
    outcome="Connected",
    direction="outbound",
    subject="Intro",
    **{"from": {"name": "Jane Smith", "email": "jane@yourcompany.com"}},
    contacts=[
        {
            "email": "John@Acme.com",
            "externalContactId": "contact-456",
            "name": "John Doe",
            "title": "VP of Engineering",
            "department": "Engineering",
            "seniority": "VP",
            "phone": "+1 415 555 0101",
            "linkedinUrl": "https://linkedin.com/in/johndoe",
        }
    ],
)


def listed(api):
    return {
        a["externalActivityId"]: a
        for a in api.get("/sales-activities", params={"limit": 1000}).json()["data"]["data"]
    }


@pytest.mark.parametrize("base", BASES)
def test_call_and_email_are_stored_with_their_fields(ws, base):
    api = ws.surface(base)
    rtp_aid = ws.push(account(1, domain="acme.com"))["results"][0]["rtp_aid"]
    email = activity(
        "mail",
        activityType="email",
        subject="Pricing",
        openCount=3,
        clickCount=1,
        direction="inbound",
        domain="https://www.acme.com/",
        callTitle="ignored on email",
    )
    response = api.post("/sales-activities", {"activities": [CALL, email]})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "results": [
            {"externalActivityId": "act-call", "status": "created"},
            {"externalActivityId": "act-mail", "status": "created"},
        ],
        "summary": {"total": 2, "created": 2, "failed": 0, "skipped": 0},
    }
    rows = listed(api)
    call = rows["act-call"]
    assert call["rtp_aid"] == rtp_aid
    assert call["callTitle"] == "Discovery call"
    assert call["durationMinutes"] == 30
    assert call["outcome"] == "Connected"
    assert call["direction"] == "outbound"
    assert call["from"] == {"name": "Jane Smith", "email": "jane@yourcompany.com"}
    assert call["contacts"] == [
        {
            "email": "john@acme.com",
            "externalContactId": "contact-456",
            "name": "John Doe",
            "title": "VP of Engineering",
            "department": "Engineering",
            "seniority": "VP",
            "phone": "+1 415 555 0101",
            "linkedinUrl": "https://linkedin.com/in/johndoe",
        }
    ]
    mail = rows["act-mail"]
    assert mail["domain"] == "acme.com"
    assert (mail["openCount"], mail["clickCount"], mail["direction"]) == (3, 1, "inbound")
    assert "callTitle" not in mail
    # the same person on both activities is one contact, with the details sent so far
    assert mail["contacts"][0]["name"] == "John Doe"


def test_other_types_are_skipped_and_repeats_fail(ws):
    ws.post("/sales-activities", {"activities": [activity(1)]})
    data = ws.post(
        "/sales-activities",
        {
            "activities": [
                activity(1),
                activity(2, activityType="meeting"),
                activity(3),
                activity(3, activityType="email"),
            ]
        },
    ).json()["data"]
    assert [r["status"] for r in data["results"]] == ["failed", "skipped", "created", "failed"]
    assert data["results"][0]["error"] == "Activity with externalActivityId 'act-1' already exists"
    assert (
        data["results"][1]["error"]
        == "activityType 'meeting' is not processed; only call and email are"
    )
    assert (
        data["results"][3]["error"] == "externalActivityId 'act-3' appears earlier in this request"
    )
    assert data["summary"] == {"total": 4, "created": 1, "failed": 2, "skipped": 1}
    assert set(listed(ws)) == {"act-1", "act-3"}


@pytest.mark.parametrize(
    ("override", "prop", "text"),
    [
        (
            {"occurredAt": "last week"},
            "occurredAt",
            "occurredAt must be a valid ISO 8601 date string",
        ),
        ({"occurredAt": None}, "occurredAt", "occurredAt must be a valid ISO 8601 date string"),
        ({"domain": ""}, "domain", "domain should not be empty"),
        ({"ownerEmail": "jane"}, "ownerEmail", "ownerEmail must be an email"),
        ({"contacts": []}, "contacts", "contacts must contain at least 1 elements"),
        ({"contacts": None}, "contacts", "contacts must contain at least 1 elements"),
        (
            {"direction": "sideways"},
            "direction",
            "direction must be one of the following values: inbound, outbound",
        ),
        ({"contacts": [{"name": "No email"}]}, "email", "email must be an email"),
        (
            {"externalActivityId": ""},
            "externalActivityId",
            "externalActivityId should not be empty",
        ),
    ],
)
def test_activity_validation_texts(ws, override, prop, text):
    body = activity(2, **override)
    if override.get("occurredAt", 1) is None:
        del body["occurredAt"]
    if "contacts" in override and override["contacts"] is None:
        del body["contacts"]
    response = ws.post("/sales-activities", {"activities": [activity(1), body]})
    assert response.status_code == 400
    messages = [
        m
        for e in response.json()["data"]
        if e["property"] == prop
        for m in e["constraints"].values()
    ]
    assert text in messages
    assert listed(ws) == {}


def test_more_than_50_activities_is_400(ws):
    response = ws.post("/sales-activities", {"activities": [activity(i) for i in range(51)]})
    assert response.json()["data"][0]["constraints"] == {
        "arrayMaxSize": "activities must contain no more than 50 elements"
    }


def test_activity_for_an_unknown_domain_links_when_the_account_appears(ws):
    ws.post("/sales-activities", {"activities": [activity(1, domain="later.io")]})
    assert listed(ws)["act-1"]["rtp_aid"] is None
    sync = ws.get("/sales-activities").json()["data"]["syncTimestamp"]
    rtp_aid = ws.push(account(1, domain="www.later.io"))["results"][0]["rtp_aid"]
    delta = ws.get("/sales-activities", params={"lastSync": sync}).json()["data"]["data"]
    assert [a["externalActivityId"] for a in delta] == ["act-1"]
    assert delta[0]["rtp_aid"] == rtp_aid


def test_invalid_domain_fails_the_item(ws):
    data = ws.post("/sales-activities", {"activities": [activity(1, domain="https://")]}).json()[
        "data"
    ]
    assert data["results"][0]["status"] == "failed"


def test_activities_page_like_accounts(ws):
    ws.post("/sales-activities", {"activities": [activity(i) for i in range(12)]})
    first = ws.get("/sales-activities", params={"limit": 5}).json()["data"]
    second = ws.get("/sales-activities", params={"limit": 5, "cursor": first["nextCursor"]}).json()[
        "data"
    ]
    third = ws.get("/sales-activities", params={"limit": 5, "cursor": 10}).json()["data"]
    ids = [a["externalActivityId"] for p in (first, second, third) for a in p["data"]]
    assert ids == [f"act-{i}" for i in range(12)]
    assert third["hasNextPage"] is False


def test_counts_beyond_32_bits_are_a_validation_error(ws):
    response = ws.post(
        "/sales-activities",
        {"activities": [activity(1, activityType="email", openCount=3_000_000_000)]},
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "max": "openCount must not be greater than 2147483647"
    }


@pytest.mark.parametrize("base", BASES)
def test_account_name_falls_back_to_the_linked_account(ws, base):
    api = ws.surface(base)
    ws.push(account(1, domain="acme.com", name="Acme Inc"))
    api.post(
        "/sales-activities",
        {
            "activities": [
                activity("bare"),
                activity("named", accountName="ACME (EMEA)"),
                activity("unlinked", domain="later.io"),
            ]
        },
    )
    names = {k: a["accountName"] for k, a in listed(api).items()}
    assert names == {"act-bare": "Acme Inc", "act-named": "ACME (EMEA)", "act-unlinked": None}
    ws.push(account(2, domain="later.io", name="Later Ltd"))
    assert listed(api)["act-unlinked"]["accountName"] == "Later Ltd"


@pytest.mark.parametrize("base", BASES)
def test_call_duration_reads_back_as_sent(ws, base):
    api = ws.surface(base)
    api.post(
        "/sales-activities",
        {
            "activities": [
                activity("whole", durationMinutes=30),
                activity("half", durationMinutes=2.5),
            ]
        },
    )
    rows = listed(api)
    whole, half = rows["act-whole"]["durationMinutes"], rows["act-half"]["durationMinutes"]
    assert (whole, type(whole)) == (30, int)
    assert (half, type(half)) == (2.5, float)
