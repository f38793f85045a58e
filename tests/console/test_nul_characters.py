"""A NUL character (which PostgreSQL text cannot hold) is refused or harmless on every page."""

import html
import re

import httpx
import pytest
from fastapi import FastAPI

from intentsync.console.routing import console_pages
from intentsync.db.engine import Database
from intentsync.signals.importers.service import NUL_IN_ROW
from tests.console.conftest import ConsoleClient
from tests.console.test_imports import record, start, wait
from tests.factories import Workspace, account


def _said(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_page_refuses_a_nul_in_the_address_or_a_form_field(
    admin: ConsoleClient, app: FastAPI
) -> None:
    pages = list(console_pages(app))
    gets = [p for p in pages if p.method == "GET"]
    posts = [p for p in pages if p.method == "POST"]
    assert len(gets) >= 10
    assert len(posts) >= 10
    for page in gets:
        for query in ({"q": "a\x00b"}, {"a\x00b": "1"}):
            answer = admin.get(_concrete(page.path), params=query)
            assert answer.status_code == 400, f"GET {page.path} {query}: {answer.text[:300]}"
            assert "contains a NUL character" in _said(answer)
    token = admin.csrf()
    for page in posts:  # signing out comes last, so the admin stays signed in for the rest
        for form in ({"name": "a\x00b"}, {"email": "x\x00@example.com", "password": "p"}):
            answer = admin.client.post(_concrete(page.path), data={"csrf_token": token, **form})
            assert answer.status_code == 400, f"POST {page.path} {form}: {answer.text[:300]}"
            assert "contains a NUL character" in _said(answer)
    assert admin.get("/").status_code == 200


def test_a_nul_in_a_path_value_is_refused(admin: ConsoleClient) -> None:
    for path in ("/accounts/%00", "/segments/%00", "/segments/a%00b/members.csv"):
        answer = admin.get(path)
        assert answer.status_code == 400, path
        assert "The page address contains a NUL character" in _said(answer)


def test_the_account_list_and_its_export_refuse_a_nul_in_a_filter(admin: ConsoleClient) -> None:
    for name in ("q", "tag", "segment"):
        page = admin.get("/accounts", params={name: "\x00"})
        assert page.status_code == 400
        assert f"The address parameter '{name}' contains a NUL character" in _said(page)
    export = admin.get("/accounts.csv", params={"q": "\x00"})
    assert export.status_code == 400
    assert "text/html" in export.headers["content-type"]


def test_forms_refuse_a_nul_and_keep_nothing(admin: ConsoleClient) -> None:
    created = admin.post("/segments", {"name": "a\x00b", "type": "static"})
    assert created.status_code == 400
    assert "The field 'name' contains a NUL character" in _said(created)
    user = admin.post("/settings/users", {"email": "n\x00ul@example.com", "role": "member"})
    assert user.status_code == 400
    assert "n\x00ul" not in admin.get("/settings/users").text


def test_an_anonymous_sign_in_with_a_nul_is_refused(app: FastAPI, ws: Workspace) -> None:
    from fastapi.testclient import TestClient

    from tests.console.conftest import csrf_of

    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        form = client.get("/sign-in")
        answer = client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(form.text),
                "email": ws.email + "\x00",
                "password": "whatever it is",
                "next": "/",
            },
        )
        assert answer.status_code == 400
        assert "The field 'email' contains a NUL character" in _said(answer)


def test_a_file_name_with_a_nul_is_refused(admin: ConsoleClient) -> None:
    """Sent as raw multipart: a client library would percent-encode the NUL."""
    body = (
        f'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{admin.csrf()}\r\n'
        '--B\r\nContent-Disposition: form-data; name="source"\r\n\r\ng2\r\n'
        '--B\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.csv"\r\n'
        "Content-Type: text/csv\r\n\r\ncompany_domain\r\n--B--\r\n"
    )
    answer = admin.client.post(
        "/imports",
        content=body.encode(),
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )
    assert answer.status_code == 400
    assert "The file name of 'file' contains a NUL character" in _said(answer)


def test_a_member_upload_cell_with_a_nul_matches_nothing(
    admin: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1), account(2))
    created = admin.post("/segments", {"name": "Nul upload", "type": "static"})
    assert created.status_code == 303
    segment = created.headers["location"].split("?")[0]
    data = b"externalId,domain\ncrm-1,\ncrm\x00-2,\n,company2.com\x00\n"
    answer = admin.client.post(
        f"{segment}/members/upload",
        data={"csrf_token": admin.csrf(), "action": "add"},
        files={"file": ("accounts.csv", data, "text/csv")},
    )
    assert answer.status_code == 200, answer.text[:800]
    text = _said(answer)
    assert "<strong>1</strong> added" in text
    assert "<strong>2</strong> no account matches" in text
    assert "Rows that matched no account: 3, 4" in text


@pytest.mark.usefixtures("import_jobs")
def test_an_import_keeps_a_bad_line_holding_a_nul_after_the_first_4_kb(
    admin: ConsoleClient, database: Database
) -> None:
    """The first 4 KB are checked for UTF-16 text; a NUL after them is one bad line."""
    good = "acme.example;2026-11-17;Pricing Page;3;Widget\n"
    lines = ["Company Domain;Day;Signal Type;Total Activity;Product\n", *[good] * 100]
    lines.append("acme.example;2026-11-17;Rev\x00iews;1;Widget\n")  # a bad value anyway
    lines.append("acme.example;2026-11-17;Profile;1;Wid\x00get\n")  # good but for the NUL
    content = "".join(lines).encode()
    assert content.index(b"\x00") > 4096
    import_id = start(admin, "g2", content)
    state = wait(admin, import_id)
    assert state["status"] == "done", state
    done = record(database, import_id)
    assert (done.rows_read, done.rows_failed, done.errors_total) == (102, 2, 2)
    page = _said(admin.get(f"/imports/{import_id}"))
    assert page.count(NUL_IN_ROW) == 2
    assert "acme.example;2026-11-17;Rev\ufffdiews;1;Widget" in page
    assert "acme.example;2026-11-17;Profile;1;Wid\ufffdget" in page
