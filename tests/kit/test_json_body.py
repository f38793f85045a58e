"""Deeply nested JSON gets one 400 wherever it is sent, before validation or storage."""

import orjson
import pytest

from tests.factories import CRM, V1

DEPTHS = [33, 254, 1_000, 100_000]
TOO_DEEP = (
    "Request body is too deeply nested: "
    "JSON must not nest arrays and objects more than 32 levels deep"
)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def raw(ws, method, path, text, **headers):
    headers = {"content-type": "application/json", **headers}
    return ws.client.request(method, path, content=text.encode(), headers=headers)


@pytest.mark.parametrize("levels", DEPTHS)
@pytest.mark.parametrize("base", [CRM, V1])
def test_deep_custom_fields_on_a_push_are_refused_and_nothing_is_stored(ws, base, levels):
    key = ws.custom_field("Note", "singleLineText")
    body = (
        '{"accounts":[{"externalId":"e1","domain":"deep.com","name":"Deep",'
        f'"customFields":{{"{key}":{deep(levels)}}}}}]}}'
    )
    response = raw(ws, "POST", base + "/accounts", body)
    assert response.status_code == 400
    assert response.json()["customMessage"] == TOO_DEEP
    assert ws.get("/accounts").json()["data"]["data"] == []


@pytest.mark.parametrize("levels", DEPTHS)
def test_deep_custom_fields_on_an_update_are_refused_on_both_surfaces(ws, levels):
    key = ws.custom_field("Note", "singleLineText")
    pushed = ws.push({"externalId": "crm-1", "domain": "seed.com", "name": "Seed"})
    body = f'{{"customFields":{{"{key}":{deep(levels)}}}}}'
    rtp_aid = pushed["results"][0]["rtp_aid"]
    for path in (CRM + "/accounts/crm-1", V1 + "/accounts/" + rtp_aid):
        response = raw(ws, "PUT", path, body)
        assert response.status_code == 400
        assert response.json()["customMessage"] == TOO_DEEP


@pytest.mark.parametrize("levels", DEPTHS)
def test_deep_signal_attributes_are_refused_and_nothing_is_stored(ws, levels):
    body = (
        '{"signals":[{"source":"g2","domain":"acme.com","type":"pricing",'
        f'"occurredAt":"2026-01-01T00:00:00Z","attributes":{{"x":{deep(levels)}}}}}]}}'
    )
    response = raw(ws, "POST", CRM + "/signals", body)
    assert response.status_code == 400
    assert response.json()["customMessage"] == TOO_DEEP
    assert ws.get("/accounts").json()["data"]["data"] == []


def test_nesting_up_to_the_limit_is_accepted_and_stored_as_sent(ws):
    # Level 1 is the body, 2 "signals", 3 the signal, 4 "attributes": 28 more levels fit.
    value = orjson.loads(deep(28))
    body = {
        "signals": [
            {
                "source": "g2",
                "domain": "acme.com",
                "type": "pricing",
                "occurredAt": "2026-01-01T00:00:00Z",
                "attributes": {"x": value},
            }
        ]
    }
    response = ws.post("/signals", body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["summary"]["created"] == 1
    body["signals"][0]["attributes"]["x"] = [value]
    assert ws.post("/signals", body).json()["customMessage"] == TOO_DEEP


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_deep_tracking_beacon_is_refused(ws, levels):
    body = f'{{"writeKey":"k","url":"https://a.example/","visitorId":{deep(levels)}}}'
    response = raw(ws, "POST", "/track", body)
    assert response.status_code == 400
    assert response.json()["customMessage"] == TOO_DEEP
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("levels", [2, 33, 1_000, 10_000])
def test_deep_domains_filter_is_refused(ws, levels):
    response = ws.v1.get("/accounts", params={"domains": f'["a.com",{deep(levels)}]'})
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "isJsonArray": 'domains must be a JSON array of strings, e.g. ["acme.com"]'
    }


def test_nul_deep_inside_a_body_is_found_and_named(ws):
    body = {"signals": [{"attributes": {"a": [{"b": ["ok", "x\x00"]}]}}]}
    response = ws.post("/signals", body)
    assert response.status_code == 400
    assert response.json()["data"] == [
        {
            "property": "b",
            "constraints": {"noNulCharacters": "b must not contain NUL characters"},
            "path": "signals[0].attributes.a[0].b[1]",
        }
    ]
