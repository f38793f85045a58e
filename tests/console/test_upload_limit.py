"""An upload over the body limit: a console page for a browser, the envelope for the API."""

import pytest

from intentsync.db.engine import Database
from intentsync.kit.body_limit import too_large_message
from intentsync.segments.service import member_count
from tests.console.conftest import ConsoleClient
from tests.factories import CRM, Workspace, account

LIMIT = 256 * 1024  # the test app's INTENTSYNC_MAX_BODY_BYTES
TOO_BIG = b"cidr,domain\n" + b"10.0.0.0/8,acme.com\n" * (LIMIT // 16)


def _upload(admin: ConsoleClient, path: str, token_from: str) -> tuple[int, str, dict[str, str]]:
    answer = admin.client.post(
        path,
        data={"csrf_token": admin.csrf(token_from), "action": "add"},
        files={"file": ("big.csv", TOO_BIG, "text/csv")},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    return answer.status_code, answer.text, dict(answer.headers)


def _assert_console_page(status: int, text: str, headers: dict[str, str]) -> None:
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "<h1>Too large</h1>" in text
    assert "larger than this server&#39;s limit of 0.25 MB per request" in text
    assert "Split the file into smaller files" in text
    assert "INTENTSYNC_MAX_BODY_BYTES" in text
    assert "customMessage" not in text


def test_an_ip_ranges_upload_over_the_limit_is_a_console_page(
    admin: ConsoleClient, ws: Workspace
) -> None:
    _assert_console_page(*_upload(admin, "/settings/ip-ranges", "/settings/ip-ranges"))
    assert 'has <strong id="range-count">0</strong>' in admin.get("/settings/ip-ranges").text


def test_a_segment_upload_over_the_limit_is_a_console_page(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    ws.push(account(1, domain="acme.com"))
    segment = ws.segment()
    path = f"/segments/{segment}"
    _assert_console_page(*_upload(admin, f"{path}/members/upload", path))
    with database.transaction(write=False) as session:
        assert member_count(session, team_id=ws.team_id, segment_id=segment) == 0


@pytest.mark.parametrize("path", [f"{CRM}/accounts", "/track"])
def test_the_api_keeps_its_envelope_even_for_a_browser(ws: Workspace, path: str) -> None:
    answer = ws.client.post(
        path,
        content=b" " * (LIMIT + 1),
        headers={"Content-Type": "application/json", "Accept": "text/html"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["statusCode"] == 413
    assert body["message"] == "Content Too Large"
    assert body["customMessage"] == too_large_message(LIMIT)
    assert body["data"] is None
