"""POST /track and GET /track.js: public write key, CORS, company from domain or IP.

`browser` is a visitor's browser (write key only); `server` is a server-side sender that
also holds the team's secret API key and so may name the company with ip or domain.
"""

import uuid

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intentsync.db.models import Account, SignalDaily, SignalEvent
from intentsync.ip_ranges.parsing import parse_row
from intentsync.ip_ranges.service import import_ranges
from intentsync.signals.service import fold_new_signals
from intentsync.tracking.service import (
    FOREIGN_KEY,
    SERVER_ONLY,
    ensure_write_key,
    rotate_write_key,
    set_page_patterns,
)
from tests.factories import create_workspace

CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "Content-Type, X-Write-Key",
    "access-control-max-age": "86400",
}


@pytest.fixture
def key(ws):
    with ws.db.transaction() as session:
        return ensure_write_key(session, team_id=ws.team_id)


@pytest.fixture
def browser(ws):
    """No X-Api-Key: the tracker is public and authorised by the write key alone."""
    client = TestClient(ws.app, raise_server_exceptions=False, client=("192.0.2.10", 50000))
    yield client
    client.close()


@pytest.fixture
def server(ws):
    """A server-side sender: the team's API key lets it name the company of each visit."""
    client = TestClient(
        ws.app,
        raise_server_exceptions=False,
        client=("198.51.100.200", 40000),
        headers={"X-Api-Key": ws.key},
    )
    yield client
    client.close()


def beacon(key, **extra):
    body = {
        "writeKey": key,
        "url": "https://www.example.org/pricing?utm_source=ads",
        "visitorId": "v-1",
        "pageViewId": str(uuid.uuid4()),
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def ranges(ws, *rows):
    with ws.db.transaction() as session:
        import_ranges(session, team_id=ws.team_id, ranges=[parse_row(*row) for row in rows])


def events(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(Account.domain, SignalEvent.source, SignalEvent.type, SignalEvent.attributes)
            .join(Account, Account.id == SignalEvent.account_id)
            .where(SignalEvent.team_id == ws.team_id)
            .order_by(SignalEvent.id)
        )
        return [tuple(r) for r in rows]


def assert_cors(response):
    for name, value in CORS.items():
        assert response.headers[name] == value, name


def test_a_page_view_with_a_domain_is_recorded(ws, key, server):
    body = beacon(key, domain="https://www.Acme.com", occurredAt="2026-11-20T10:00:00Z")
    response = server.post("/track", json=body)
    assert response.status_code == 202, response.text
    envelope = response.json()
    assert envelope["statusCode"] == 202
    assert envelope["path"] == "/track"
    assert envelope["data"] == {"accepted": True, "category": "pricing", "domain": "acme.com"}
    assert_cors(response)
    assert events(ws) == [
        (
            "acme.com",
            "website",
            "pricing",
            {
                "pageViewId": body["pageViewId"],
                "visitorId": "v-1",
                "url": "https://www.example.org/pricing?utm_source=ads",
            },
        )
    ]
    with ws.db.transaction(write=False) as session:
        assert (
            session.scalar(select(SignalEvent.day).where(SignalEvent.team_id == ws.team_id))
            == 20777
        )  # 2026-11-20


def test_the_company_comes_from_the_visitor_address(ws, key, browser, server):
    ranges(
        ws,
        ("192.0.2.0/24", "acme.com", "company"),
        ("198.51.100.0/24", "globex.com", "company"),
        ("2001:db8:1000::/36", "initech.com", "company"),
    )
    # request.client.host is 192.0.2.10 here
    response = browser.post("/track", json=beacon(key, url="https://example.org/docs/setup"))
    assert response.status_code == 202
    # The domain stays private: the write key is public and must not reveal the IP list.
    assert response.json()["data"] == {"accepted": True, "category": "content", "domain": None}
    # A server-side sender names each visitor's address; its own address does not count.
    explicit = server.post("/track", json=beacon(key, ip="198.51.100.77"))
    assert explicit.json()["data"]["accepted"] is True
    v6 = server.post("/track", json=beacon(key, ip="2001:db8:1abc::9", url="https://x.io/demo"))
    assert v6.json()["data"] == {"accepted": True, "category": "demo", "domain": None}
    assert [(e[0], e[2]) for e in events(ws)] == [
        ("acme.com", "content"),
        ("globex.com", "pricing"),
        ("initech.com", "demo"),
    ]


@pytest.mark.parametrize("kind", ["isp", "hosting"])
def test_isp_and_hosting_ranges_are_dropped(ws, key, browser, kind):
    ranges(ws, ("192.0.2.0/24", "example-broadband.net", kind))
    response = browser.post("/track", json=beacon(key))
    assert response.status_code == 202
    data = response.json()["data"]
    assert data["accepted"] is False
    assert data["category"] == "pricing"
    assert data["domain"] is None
    assert f"marked {kind}" in data["reason"]
    assert "example-broadband.net" not in response.text
    assert events(ws) == []


def test_an_unknown_visitor_is_not_an_error(ws, key, browser):
    ranges(ws, ("198.51.100.0/24", "globex.com", "company"))  # not the browser's address
    response = browser.post("/track", json=beacon(key))
    assert response.status_code == 202
    assert response.json()["data"] == {
        "accepted": False,
        "category": "pricing",
        "domain": None,
        "reason": "no imported IP range covers the visitor's address",
    }
    unknown_client = TestClient(ws.app)  # its address is "testclient", not an IP
    response = unknown_client.post("/track", json=beacon(key))
    assert response.status_code == 202
    assert response.json()["data"]["accepted"] is False
    assert events(ws) == []


def test_missing_or_unknown_write_key_is_401_in_the_envelope(ws, key, browser):
    response = browser.post("/track", json=beacon("wk_" + "x" * 32, domain="acme.com"))
    assert response.status_code == 401
    body = response.json()
    assert body["message"] == "Unauthorized"
    assert body["customMessage"] == "Invalid write key"
    assert_cors(response)
    missing = browser.post("/track", json=beacon(None, domain="acme.com"))
    assert missing.status_code == 401
    assert "Missing write key" in missing.json()["customMessage"]
    assert events(ws) == []


def test_the_write_key_may_come_in_a_header(ws, key, server):
    response = server.post(
        "/track", json=beacon(None, domain="acme.com"), headers={"X-Write-Key": key}
    )
    assert response.status_code == 202
    both = server.post(
        "/track", json=beacon("wk_other", domain="acme.com"), headers={"X-Write-Key": key}
    )
    assert both.status_code == 400
    assert "different keys" in both.json()["customMessage"]


def test_a_rotated_key_replaces_the_old_one(ws, key, server):
    with ws.db.transaction() as session:
        newer = rotate_write_key(session, team_id=ws.team_id)
    assert newer != key
    assert server.post("/track", json=beacon(key, domain="acme.com")).status_code == 401
    assert server.post("/track", json=beacon(newer, domain="acme.com")).status_code == 202
    with ws.db.transaction() as session:
        assert ensure_write_key(session, team_id=ws.team_id) == newer


def test_cors_preflight_is_answered(browser):
    response = browser.options(
        "/track",
        headers={
            "Origin": "https://www.acme.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_cors(response)


def test_a_text_plain_body_is_read_as_json(ws, key, server):
    """navigator.sendBeacon sends a string as text/plain;charset=UTF-8."""
    response = server.post(
        "/track",
        content=orjson.dumps(beacon(key, domain="acme.com")),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert response.status_code == 202
    assert response.json()["data"]["accepted"] is True
    form = server.post(
        "/track",
        content=orjson.dumps(beacon(key, domain="acme.com")),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    assert_cors(form)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty; send a JSON object"),
        (b"{not json", "Request body is not valid JSON"),
        (b"[]", "Request body must be a JSON object"),
        (b'{"url": "https://a.io/", "visitorId": "v"}', None),
    ],
)
def test_bodies_that_are_not_a_json_object_are_400(ws, key, browser, body, message):
    response = browser.post(
        "/track", content=body, headers={"Content-Type": "text/plain", "X-Write-Key": key}
    )
    if message is None:  # the control: the same route accepts a good body
        assert response.status_code == 202
        return
    assert response.status_code == 400
    assert response.json()["customMessage"].startswith(message)
    assert_cors(response)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": None}, "url should not be empty"),
        ({"url": "/pricing"}, "url: must be an absolute http(s) URL"),
        ({"url": "javascript:alert(1)"}, "url: must be an absolute http(s) URL"),
        ({"visitorId": ""}, "visitorId should not be empty"),
        ({"visitorId": 7}, "visitorId must be a string"),
        ({"ip": "999.1.1.1"}, "ip: must be an IPv4 or IPv6 address"),
        ({"occurredAt": "yesterday"}, "occurredAt must be a valid ISO 8601 date string"),
        ({"referrer": "https://google.com"}, "property referrer should not exist"),
        ({"visitorId": "a\x00b"}, "visitorId must not contain NUL characters"),
        ({"domain": "not a domain"}, "domain 'not a domain' is not a valid domain"),
        ({"occurredAt": "2999-01-01T00:00:00Z"}, "occurredAt is more than a day in the future"),
    ],
)
def test_a_bad_page_view_is_400_with_a_clear_message(ws, key, server, change, message):
    body = {**beacon(key, domain="acme.com"), **change}
    response = server.post("/track", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.text
    envelope = response.json()
    assert envelope["message"] == "Bad Request"
    assert message in envelope["customMessage"]
    assert_cors(response)
    assert events(ws) == []


def test_a_repeated_page_view_is_stored_once(ws, key, server):
    body = beacon(key, domain="acme.com", url="https://acme.com/demo", visitorId="v-9")
    for _ in range(3):
        response = server.post("/track", json=body)
        assert response.status_code == 202
        assert response.json()["data"]["accepted"] is True
    with ws.db.transaction() as session:
        fold_new_signals(session, team_id=ws.team_id)  # as the next scoring round does
        count = session.scalar(
            select(func.count()).select_from(SignalEvent).where(SignalEvent.team_id == ws.team_id)
        )
        daily = session.execute(
            select(SignalDaily.type, SignalDaily.detail, SignalDaily.quantity)
            .where(SignalDaily.team_id == ws.team_id)
            .order_by(SignalDaily.type)
        ).all()
    assert count == 1
    assert [tuple(r) for r in daily] == [("demo", "", 1.0), ("visitor", "v-9", 1.0)]


def test_without_a_page_view_id_each_beacon_counts(ws, key, server):
    body = beacon(key, domain="acme.com", pageViewId=None)
    assert "pageViewId" not in body
    server.post("/track", json=body)
    server.post("/track", json=body)
    recorded = events(ws)
    assert len(recorded) == 2
    assert all(e[3]["pageViewId"].startswith("srv-") for e in recorded)


def test_the_team_patterns_name_the_category(ws, key, server):
    with ws.db.transaction() as session:
        set_page_patterns(
            session, team_id=ws.team_id, patterns=[["demo", "^/talk-to-us"], ["ignored", "."]]
        )
    talk = server.post("/track", json=beacon(key, domain="a.com", url="https://a.com/Talk-To-Us"))
    assert talk.json()["data"]["category"] == "demo"
    other = server.post("/track", json=beacon(key, domain="a.com", url="https://a.com/pricing"))
    assert other.json()["data"]["category"] == "ignored"


def test_the_snippet_is_served_and_cacheable(browser):
    response = browser.get("/track.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "public, max-age=3600"
    script = response.text
    for needle in (
        'getAttribute("data-write-key")',
        "localStorage",
        "d.cookie",
        "randomUUID",
        "navigator.sendBeacon(endpoint, body)",
        "keepalive: true",
        "history.pushState",
        '"popstate"',
        "pageViewId: uuid()",
        "visitorId: visitor",
        "occurredAt: new Date().toISOString()",
        'src.slice(0, -3) : new URL(src).origin + "/track"',
    ):
        assert needle in script, needle
    assert "import " not in script
    assert "domain" not in script  # a browser cannot name the company: the server refuses it


def test_the_tracker_is_in_the_openapi_document(app):
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert "/track" in paths
    assert "/track.js" in paths
    assert "/api/v1/track" not in paths


def test_an_unexpected_failure_is_a_500_envelope_with_cors(ws, key, server, monkeypatch):
    from intentsync.tracking import service

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "record", explode)
    response = server.post("/track", json=beacon(key, domain="acme.com"))
    assert response.status_code == 500
    assert response.json()["customMessage"].startswith("An unexpected error occurred")
    assert_cors(response)


@pytest.mark.parametrize(
    "forged",
    [{"ip": "198.51.100.77"}, {"domain": "globex.com"}, {"ip": "192.0.2.10", "domain": "a.io"}],
)
def test_a_browser_cannot_name_the_company(ws, key, browser, forged):
    ranges(
        ws, ("198.51.100.0/24", "globex.com", "company"), ("192.0.2.0/24", "acme.com", "company")
    )
    response = browser.post("/track", json=beacon(key, **forged))
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["message"] == "Unauthorized"
    assert body["customMessage"] == SERVER_ONLY
    assert_cors(response)
    header = browser.post("/track", json=beacon(None, **forged), headers={"X-Write-Key": key})
    assert header.status_code == 401
    assert events(ws) == []
    honest = browser.post("/track", json=beacon(key))  # the control: its own address counts
    assert honest.json()["data"]["accepted"] is True
    assert [e[0] for e in events(ws)] == ["acme.com"]


def test_browsers_are_never_invited_to_send_the_api_key(browser):
    preflight = browser.options(
        "/track",
        headers={
            "Origin": "https://www.acme.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    allowed = [
        h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
    ]
    assert "content-type" in allowed
    assert "x-api-key" not in allowed


def test_the_team_api_key_names_the_company_with_or_without_the_write_key(ws, key, server):
    with_key = server.post("/track", json=beacon(key, domain="acme.com"))
    assert with_key.status_code == 202, with_key.text
    assert with_key.json()["data"] == {
        "accepted": True,
        "category": "pricing",
        "domain": "acme.com",
    }
    alone = server.post("/track", json=beacon(None, domain="globex.com", url="https://x.io/demo"))
    assert alone.status_code == 202, alone.text
    assert [(e[0], e[2]) for e in events(ws)] == [("acme.com", "pricing"), ("globex.com", "demo")]


def test_the_api_key_alone_works_before_the_team_has_a_write_key(ws, server):
    response = server.post("/track", json=beacon(None, ip="198.51.100.77"))
    assert response.status_code == 202, response.text
    assert response.json()["data"]["accepted"] is False  # no ranges yet: nothing to credit
    ranges(ws, ("198.51.100.0/24", "globex.com", "company"))
    again = server.post("/track", json=beacon(None, ip="198.51.100.77"))
    assert again.json()["data"]["accepted"] is True
    assert [e[0] for e in events(ws)] == ["globex.com"]


def test_another_teams_api_key_is_refused(ws, key, app, database):
    other = create_workspace(app, database, name="Other team")
    try:
        response = other.client.post("/track", json=beacon(key, domain="acme.com"))
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["message"] == "Forbidden"
        assert body["customMessage"] == FOREIGN_KEY
        assert_cors(response)
        plain = other.client.post("/track", json=beacon(key))  # no ip/domain: still refused
        assert plain.status_code == 403
        assert events(ws) == []
        assert events(other) == []
    finally:
        other.close()


def test_an_invalid_api_key_is_401_like_on_the_api(ws, key, browser):
    response = browser.post(
        "/track", json=beacon(key, domain="acme.com"), headers={"X-Api-Key": "isk_not-a-key"}
    )
    assert response.status_code == 401
    assert response.json()["customMessage"] == "Invalid API key"
    assert_cors(response)
    assert events(ws) == []
