"""GET /accounts: paging in both cursor styles, lastSync deltas, limits."""

import pytest

from tests.factories import account


def load(ws, count):
    for start in range(0, count, 100):
        ws.push(*[account(i) for i in range(start, min(count, start + 100))])


def walk_keyset(ws, limit, **params):
    seen, cursor, pages, stamps = [], None, 0, set()
    while True:
        query = {"limit": limit, **params}
        if cursor is not None:
            query["cursor"] = cursor
        data = ws.get("/accounts", params=query).json()["data"]
        seen += [row["externalId"] for row in data["data"]]
        stamps.add(data["syncTimestamp"])
        pages += 1
        if not data["hasNextPage"]:
            assert data["nextCursor"] is None
            return seen, pages, stamps
        cursor = data["nextCursor"]


def walk_offset(ws, limit, **params):
    seen, offset = [], 0
    while True:
        data = ws.get("/accounts", params={"limit": limit, "cursor": offset, **params}).json()[
            "data"
        ]
        seen += [row["externalId"] for row in data["data"]]
        if not data["hasNextPage"]:
            return seen
        offset += limit


def test_keyset_walk_sees_every_account_once(ws):
    load(ws, 250)
    seen, pages, stamps = walk_keyset(ws, 60)
    assert sorted(seen) == sorted(f"crm-{i}" for i in range(250))
    assert len(seen) == len(set(seen)) == 250
    assert pages == 5
    assert len(stamps) == 1  # the walk keeps the first page's syncTimestamp


def test_offset_walk_sees_every_account_once(ws):
    load(ws, 250)
    seen = walk_offset(ws, 100)
    assert len(seen) == len(set(seen)) == 250


def test_offset_and_keyset_pages_share_one_order(ws):
    load(ws, 30)
    first = ws.get("/accounts", params={"limit": 10}).json()["data"]
    second = ws.get("/accounts", params={"limit": 10, "cursor": "10"}).json()["data"]
    via_cursor = ws.get("/accounts", params={"limit": 10, "cursor": first["nextCursor"]}).json()[
        "data"
    ]
    assert second["data"] == via_cursor["data"]
    assert second["nextCursor"] == "20"


def test_default_limit_is_100(ws):
    load(ws, 101)
    data = ws.get("/accounts").json()["data"]
    assert len(data["data"]) == 100
    assert data["hasNextPage"] is True


def test_exact_multiple_of_limit_ends_without_an_empty_page(ws):
    load(ws, 20)
    data = ws.get("/accounts", params={"limit": 20}).json()["data"]
    assert len(data["data"]) == 20
    assert data["hasNextPage"] is False
    assert data["nextCursor"] is None


@pytest.mark.parametrize(
    ("limit", "rule", "text"),
    [
        ("0", "min", "limit must not be less than 1"),
        ("1001", "max", "limit must not be greater than 1000"),
        ("-5", "min", "limit must not be less than 1"),
        ("ten", "isInt", "limit must be an integer number"),
        ("1.5", "isInt", "limit must be an integer number"),
    ],
)
def test_bad_limit_is_400(ws, limit, rule, text):
    response = ws.get("/accounts", params={"limit": limit})
    body = response.json()
    assert response.status_code == 400
    assert body["data"][0]["property"] == "limit"
    assert body["data"][0]["constraints"] == {rule: text}


def test_limit_1000_is_allowed(ws):
    assert ws.get("/accounts", params={"limit": 1000}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "-1", "c123", "1e3"])
def test_bad_cursor_is_400(ws, cursor):
    response = ws.get("/accounts", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["data"][0]["property"] == "cursor"


def test_bad_last_sync_is_400(ws):
    response = ws.get("/accounts", params={"lastSync": "last tuesday"})
    body = response.json()
    assert response.status_code == 400
    assert body["data"] == [
        {
            "property": "lastSync",
            "constraints": {"isISO8601": "lastSync must be a valid ISO 8601 date string"},
            "path": "lastSync",
        }
    ]


def test_last_sync_returns_only_changes_after_the_stamp(ws):
    load(ws, 50)
    sync = ws.get("/accounts", params={"limit": 1000}).json()["data"]["syncTimestamp"]
    assert ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"] == []
    key = ws.custom_field("Stage", "singleLineText")
    assert ws.put("/accounts/crm-7", {"customFields": {key: "POC"}}).status_code == 200
    ws.push(account(99))
    delta = ws.get("/accounts", params={"lastSync": sync}).json()["data"]
    assert [row["externalId"] for row in delta["data"]] == ["crm-7", "crm-99"]
    assert delta["data"][0]["customFields"] == {key: "POC"}
    assert delta["syncTimestamp"] > sync
    again = ws.get("/accounts", params={"lastSync": delta["syncTimestamp"]}).json()["data"]
    assert again["data"] == []


def test_delta_walk_pages_with_cursor(ws):
    load(ws, 40)
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    ws.patch(
        "/accounts/external-ids",
        {
            "mappings": [
                {"domain": f"company{i}.com", "externalId": f"new-{i}"} for i in range(0, 40, 2)
            ]
        },
    )
    seen, _, _ = walk_keyset(ws, 7, lastSync=sync)
    assert sorted(seen) == sorted(f"new-{i}" for i in range(0, 40, 2))
    assert walk_offset(ws, 7, lastSync=sync) == seen


def test_unchanged_put_does_not_move_the_account_into_the_delta(ws):
    key = ws.custom_field("Stage", "singleLineText")
    ws.push(account(1, customFields={key: "POC"}))
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    assert ws.put("/accounts/crm-1", {"customFields": {key: "POC"}}).status_code == 200
    assert ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"] == []


def test_last_sync_without_offset_is_utc(ws):
    ws.push(account(1))
    assert (
        len(ws.get("/accounts", params={"lastSync": "2000-01-01T00:00:00"}).json()["data"]["data"])
        == 1
    )
    assert ws.get("/accounts", params={"lastSync": "2999-01-01"}).json()["data"]["data"] == []


def test_get_one_account_404_in_the_envelope(ws):
    response = ws.get("/accounts/nope")
    body = response.json()
    assert response.status_code == 404
    assert body["message"] == "Not Found"
    assert body["customMessage"] == "Account with externalId 'nope' not found"
    assert body["data"] is None


def test_wire_rows_match_the_documented_model(ws):
    from intentsync.accounts.schemas import AccountOut

    segment = ws.segment(name="S")
    key = ws.custom_field("Tier", "number")
    ws.push(account(1, shortName="C1", tags=["x"], customFields={key: 2}), segmentId=segment)
    row = ws.get("/accounts").json()["data"]["data"][0]
    aliases = {f.serialization_alias or f.alias for f in AccountOut.model_fields.values()}
    assert list(row) == [f.serialization_alias or f.alias for f in AccountOut.model_fields.values()]
    assert set(row) == aliases
    assert AccountOut.model_validate(row).model_dump() == row


def test_json_values_read_back_exactly_as_they_were_pushed(ws):
    """Tags, custom fields and intent signals pass through as stored JSON: nothing is lost."""
    notes = ws.custom_field("Notes", "multiLineText")
    score = ws.custom_field("Score", "number")
    regions = ws.custom_field("Regions", "multiSelection", options=["EMEA", 'Ü "quoted"'])
    text = 'Line one\nline two with "quotes", \\ backslash, emoji \U0001f680 and \u00e9'
    values = {notes: text, score: 12.5, regions: ['Ü "quoted"', "EMEA"]}
    tags = ["ünïcode", 'a "b"', "x\\y"]
    ws.push(account(1, tags=tags, customFields=values))
    for got in (
        ws.get("/accounts/crm-1").json()["data"],
        ws.get("/accounts").json()["data"]["data"][0],
    ):
        assert got["tags"] == tags
        assert got["customFields"] == values
        assert got["rtp_intent_signals"] == []
