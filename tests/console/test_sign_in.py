"""Sign-in, sessions, CSRF and throttling through the real HTTP stack, on both databases."""

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from intentsync.auth.service import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_EMAIL,
    MAX_FAILURES_PER_EMAIL_AND_ADDRESS,
)
from intentsync.console.routing import SESSION_COOKIE, ConsoleRoute
from intentsync.db.engine import Database
from tests.console.conftest import PASSWORD, ConsoleClient, add_user, csrf_of, sign_in
from tests.factories import Workspace


def _anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False, raise_server_exceptions=False)


def _try(client: TestClient, email: str, password: str) -> object:
    form = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
    )


def test_root_sends_a_signed_out_visitor_to_sign_in(app: FastAPI) -> None:
    with _anonymous(app) as client:
        answer = client.get("/")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in"
        deep = client.get("/accounts?stage=Awareness")
        if deep.status_code == 303:  # a deep link comes back after sign-in
            assert deep.headers["location"] == "/sign-in?next=/accounts%3Fstage%3DAwareness"
        page = client.get("/sign-in")
        assert page.status_code == 200
        assert '<input id="password" name="password" type="password"' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-frame-options"] == "DENY"


def test_the_right_password_opens_a_session_cookie_that_is_httponly_and_samesite(
    app: FastAPI, admin: ConsoleClient
) -> None:
    cookie = admin.client.cookies.get(SESSION_COOKIE)
    assert cookie
    assert len(cookie) >= 40
    with _anonymous(app) as client:
        form = client.get("/sign-in")
        from tests.console.conftest import PASSWORD as good

        answer = client.post(
            "/sign-in",
            data={"csrf_token": csrf_of(form.text), "email": admin.email, "password": good},
        )
        header = answer.headers["set-cookie"]
        assert f"{SESSION_COOKIE}=" in header
        assert "HttpOnly" in header
        assert "SameSite=lax" in header or "SameSite=Lax" in header
        assert "Path=/" in header
    overview = admin.get("/")
    assert overview.status_code == 200
    assert admin.email in overview.text


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    app: FastAPI, admin: ConsoleClient
) -> None:
    with _anonymous(app) as client:
        wrong = _try(client, admin.email, "not the password at all")
        unknown = _try(client, "nobody@example.com", "not the password at all")
    for answer in (wrong, unknown):
        assert answer.status_code == 401  # type: ignore[attr-defined]
        assert "Wrong email or password" in answer.text  # type: ignore[attr-defined]
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_a_user_without_a_password_cannot_sign_in(
    app: FastAPI, database: Database, ws: Workspace
) -> None:
    email = add_user(database, ws.team_id, role="member", password=None)
    with _anonymous(app) as client:
        answer = _try(client, email, "")
        assert answer.status_code == 401  # type: ignore[attr-defined]


def test_sign_in_without_its_form_token_is_refused(app: FastAPI, admin: ConsoleClient) -> None:
    with _anonymous(app) as client:
        client.get("/sign-in")
        answer = client.post(
            "/sign-in", data={"csrf_token": "forged", "email": admin.email, "password": PASSWORD}
        )
        assert answer.status_code == 403
        assert "Reload the page" in answer.text


def test_a_form_from_another_site_is_refused_even_with_a_token(admin: ConsoleClient) -> None:
    token = admin.csrf()
    answer = admin.client.post(
        "/sign-out", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert admin.get("/").status_code == 200  # still signed in


def test_sign_out_ends_the_session_on_the_server(app: FastAPI, admin: ConsoleClient) -> None:
    stolen = admin.client.cookies.get(SESSION_COOKIE)
    answer = admin.post("/sign-out")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?signed_out=1"
    with _anonymous(app) as other:
        other.cookies.set(SESSION_COOKIE, stolen or "")
        assert other.get("/").status_code == 303  # the old cookie is dead, not just deleted


def test_sign_out_without_the_csrf_token_is_refused(admin: ConsoleClient) -> None:
    answer = admin.client.post("/sign-out", data={"csrf_token": "x" * 43})
    assert answer.status_code == 403
    assert admin.get("/").status_code == 200


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(
        app, follow_redirects=False, raise_server_exceptions=False, client=(address, 50000)
    )


def test_one_address_guessing_one_email_is_stopped_but_the_user_is_not_locked_out(
    app: FastAPI, admin: ConsoleClient
) -> None:
    with _from(app, "203.0.113.7") as guesser:
        for _ in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
            assert _try(guesser, admin.email, "guess-guess-guess").status_code == 401  # type: ignore[attr-defined]
        assert _try(guesser, admin.email, PASSWORD).status_code == 429  # type: ignore[attr-defined]
    with _from(app, "198.51.100.20") as owner:  # the real user, elsewhere, still gets in
        assert _try(owner, admin.email, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_many_addresses_guessing_one_email_are_stopped_at_the_email_limit(
    app: FastAPI, admin: ConsoleClient
) -> None:
    for n in range(MAX_FAILURES_PER_EMAIL):
        with _from(app, f"10.0.{n // 250}.{n % 250}") as guesser:
            assert _try(guesser, admin.email, "guess-guess-guess").status_code == 401  # type: ignore[attr-defined]
    with _from(app, "10.9.9.9") as fresh:
        assert _try(fresh, admin.email, PASSWORD).status_code == 429  # type: ignore[attr-defined]


def test_one_address_guessing_many_emails_is_stopped(app: FastAPI, admin: ConsoleClient) -> None:
    with _from(app, "192.0.2.55") as guesser:
        for n in range(MAX_FAILURES_PER_ADDRESS):
            assert _try(guesser, f"user{n}@example.com", "guess-guess").status_code == 401  # type: ignore[attr-defined]
        assert _try(guesser, admin.email, PASSWORD).status_code == 429  # type: ignore[attr-defined]


def test_parallel_guesses_cannot_pass_the_limit(app: FastAPI, admin: ConsoleClient) -> None:
    """The count is taken again under a lock before a failure is stored, on both databases."""

    def guess(_: int) -> int:
        with _from(app, "203.0.113.99") as guesser:
            return _try(guesser, admin.email, "guess-guess-guess").status_code  # type: ignore[attr-defined,no-any-return]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(guess, range(16)))
    assert answers.count(401) == MAX_FAILURES_PER_EMAIL_AND_ADDRESS
    assert answers.count(429) == 16 - MAX_FAILURES_PER_EMAIL_AND_ADDRESS


def test_the_password_check_holds_no_write_transaction(app: FastAPI) -> None:
    """argon2 takes about 0.1 s: on SQLite a write transaction would stall every writer."""
    found = [
        c.original_route
        for c in iter_route_contexts(app.router.routes)
        if c.path == "/sign-in" and "POST" in (c.methods or set())
    ]
    assert len(found) == 1
    assert isinstance(found[0], ConsoleRoute)
    assert found[0].write is False


def test_failed_sign_ins_are_throttled_per_email(app: FastAPI, admin: ConsoleClient) -> None:
    with _anonymous(app) as client:
        for _ in range(MAX_FAILURES_PER_EMAIL_AND_ADDRESS):
            assert _try(client, admin.email, "guess-guess-guess").status_code == 401  # type: ignore[attr-defined]
        blocked = _try(client, admin.email, PASSWORD)  # even the right password waits
        assert blocked.status_code == 429  # type: ignore[attr-defined]
        assert re.search(r"try again in \d+ minute", blocked.text)  # type: ignore[attr-defined]
        assert int(blocked.headers["retry-after"]) > 0  # type: ignore[attr-defined]


def test_changing_the_password_signs_out_every_browser(
    app: FastAPI, database: Database, admin: ConsoleClient
) -> None:
    from intentsync.auth.service import set_password

    with database.transaction() as session:
        set_password(session, email=admin.email, password="another long password")
    assert admin.get("/").status_code == 303
    again = sign_in(app, admin.email, "another long password")
    assert again.get("/").status_code == 200
    again.close()


def test_next_only_leads_to_this_site(app: FastAPI, admin: ConsoleClient) -> None:
    with _anonymous(app) as client:
        form = client.get("/sign-in?next=//evil.example/x")
        answer = client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(form.text),
                "email": admin.email,
                "password": PASSWORD,
                "next": "https://evil.example/",
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


def test_an_unknown_console_page_is_an_html_404_and_the_api_keeps_json(
    admin: ConsoleClient,
) -> None:
    page = admin.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no page at this address" in page.text
    api = admin.client.get("/api/v1/crm/nothing-here", headers={"Accept": "application/json"})
    assert api.status_code in (401, 404)
    assert api.headers["content-type"].startswith("application/json")


def test_a_non_ascii_token_is_refused_not_a_crash(app: FastAPI, admin: ConsoleClient) -> None:
    with _anonymous(app) as client:
        client.get("/sign-in")
        answer = client.post(
            "/sign-in", data={"csrf_token": "ü", "email": "a@b.c", "password": "x"}
        )
        assert answer.status_code == 403
    assert admin.client.post("/sign-out", data={"csrf_token": "ü"}).status_code == 403
