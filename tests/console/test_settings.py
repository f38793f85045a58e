"""The settings pages through the real HTTP stack, on both databases."""

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Select, select

from intentsync.app import create_app
from intentsync.auth.job import NOTE_EVERY_MS, KeyUseRecorder
from intentsync.auth.service import team_keys
from intentsync.config import Settings
from intentsync.console.routing import Access, console_pages
from intentsync.db.engine import Database
from intentsync.db.models import ApiKey
from intentsync.scoring.service import current_document
from intentsync.teams.service import find_user
from intentsync.tracking.service import find_write_key
from tests.console.conftest import PASSWORD, ConsoleClient, add_user, csrf_of, sign_in
from tests.factories import Workspace, create_workspace

API = "/api/v1/journey-stages"
NEW_KEY = re.compile(r'id="new-key"[^>]*value="(isk_[A-Za-z0-9_-]+)"')


def _api_no_lifespan(app: FastAPI, key: str) -> int:
    client = TestClient(app, raise_server_exceptions=False)
    return client.get(API, headers={"X-Api-Key": key}).status_code


def _issue_form(admin: ConsoleClient, user_id: int) -> dict[str, str]:
    """The hidden fields of one user's Issue key form, as the keys page renders them."""
    page = admin.get("/settings/keys")
    assert page.status_code == 200
    found = re.search(
        rf'action="/settings/keys/{user_id}/issue".*?name="nonce" value="([^"]+)"', page.text, re.S
    )
    assert found, "the issue form carries no nonce"
    return {"csrf_token": csrf_of(page.text), "nonce": found.group(1)}


def _post_issue(admin: ConsoleClient, user_id: int, form: dict[str, str]) -> httpx.Response:
    return admin.client.post(
        f"/settings/keys/{user_id}/issue", data=form, headers={"Accept": "text/html"}
    )


def _issue(admin: ConsoleClient, user_id: int) -> str:
    answer = _post_issue(admin, user_id, _issue_form(admin, user_id))
    assert answer.status_code == 200, answer.text[:500]
    found = NEW_KEY.search(answer.text)
    assert found, "the new key is not on the page"
    assert "location" not in answer.headers
    assert found.group(1) not in answer.headers.get("set-cookie", "")
    return found.group(1)


def test_an_issued_key_is_shown_once_and_works_on_the_api(
    admin: ConsoleClient, app: FastAPI, ws: Workspace
) -> None:
    page = admin.get("/settings/keys")
    assert page.status_code == 200
    assert "issuing a new key revokes the user" in page.text
    assert 'data-copy="new-key"' not in page.text
    key = _issue(admin, ws.user_id)
    assert key != ws.key
    assert _api_no_lifespan(app, key) == 200
    assert _api_no_lifespan(app, ws.key) == 401  # one active key per user: the old one is gone
    again = admin.get("/settings/keys")
    assert key not in again.text
    assert key[:10] in again.text  # its prefix is listed
    issued = _post_issue(admin, ws.user_id, _issue_form(admin, ws.user_id))
    assert 'data-copy="new-key"' in issued.text
    assert "shown this once" in issued.text


def test_sending_the_issue_form_again_issues_nothing(
    admin: ConsoleClient, app: FastAPI, database: Database, ws: Workspace
) -> None:
    form = _issue_form(admin, ws.user_id)
    first = _post_issue(admin, ws.user_id, form)
    assert first.status_code == 200, first.text[:500]
    found = NEW_KEY.search(first.text)
    assert found
    key = found.group(1)
    again = _post_issue(admin, ws.user_id, form)  # what a reload of the answer sends
    assert again.status_code == 409
    assert (
        "This key was already issued from this form; it is shown only once — issue a new one "
        "if you did not copy it" in again.text
    )
    assert NEW_KEY.search(again.text) is None
    assert 'name="nonce"' in again.text  # fresh forms to issue another key on purpose
    assert _api_no_lifespan(app, key) == 200
    assert _api_no_lifespan(app, ws.key) == 401
    with database.transaction(write=False) as session:
        stored = session.scalars(select(ApiKey).where(ApiKey.user_id == ws.user_id)).all()
    assert len(stored) == 2  # the workspace's first key and the one issued once
    assert all(row.key_hash != key for row in stored)  # stored hashed, never in plain text
    assert [row.revoked_ms is None for row in stored].count(True) == 1
    fresh = _post_issue(admin, ws.user_id, _issue_form(admin, ws.user_id))
    assert fresh.status_code == 200
    assert _api_no_lifespan(app, key) == 401  # a new form issues a new key as asked


@pytest.mark.parametrize("nonce", ["", "short", "x" * 65, "not a nonce at all!"])
def test_an_issue_form_without_a_good_nonce_issues_nothing(
    admin: ConsoleClient, app: FastAPI, ws: Workspace, nonce: str
) -> None:
    form = {**_issue_form(admin, ws.user_id), "nonce": nonce}
    answer = _post_issue(admin, ws.user_id, form)
    assert answer.status_code == 400
    assert "This form is out of date" in answer.text
    assert _api_no_lifespan(app, ws.key) == 200


def test_a_revoked_key_gets_401_at_once(admin: ConsoleClient, app: FastAPI, ws: Workspace) -> None:
    assert _api_no_lifespan(app, ws.key) == 200
    answer = admin.post(f"/settings/keys/{ws.user_id}/revoke", token_from="/settings/keys")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/settings/keys?done=revoked"
    assert _api_no_lifespan(app, ws.key) == 401
    page = admin.get("/settings/keys?done=revoked")
    assert "The key was revoked" in page.text
    assert (
        "no active API key"
        in admin.post(f"/settings/keys/{ws.user_id}/revoke", token_from="/settings/keys").text
    )


def test_last_used_is_written_in_a_batch_not_by_the_request(
    admin: ConsoleClient, settings: Settings, database: Database, ws: Workspace
) -> None:
    # An app of its own whose lifespan never runs: no thread flushes behind the test's back.
    app = create_app(settings, database)

    def last_used() -> int | None:
        with database.transaction(write=False) as session:
            rows = team_keys(session, team_id=ws.team_id)
        return next(r.last_used_ms for r in rows if r.user_id == ws.user_id)

    assert last_used() is None
    assert _api_no_lifespan(app, ws.key) == 200
    assert last_used() is None  # the request only noted it
    recorder: KeyUseRecorder = app.state.key_uses
    assert recorder.pending() >= 1
    recorder.flush()
    assert recorder.pending() == 0
    used = last_used()
    assert used is not None
    page = admin.get("/settings/keys")
    assert page.status_code == 200
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", page.text)
    # within the next minute a use is not noted again, so nothing waits to be written
    assert _api_no_lifespan(app, ws.key) == 200
    assert recorder.pending() == 0


def test_the_recorder_throttles_per_key_and_never_moves_last_used_back(
    database: Database, ws: Workspace
) -> None:
    recorder = KeyUseRecorder(database)
    with database.transaction(write=False) as session:
        key_id = next(iter(session.execute(_key_id_query(ws.user_id))))[0]
    recorder.note(key_id, 10_000_000)
    recorder.note(key_id, 10_000_000 + NOTE_EVERY_MS - 1)
    assert recorder.pending() == 1
    assert recorder.flush() == 1
    recorder.note(key_id, 10_000_000 + NOTE_EVERY_MS)
    assert recorder.pending() == 1
    recorder.flush()
    late = KeyUseRecorder(database)
    late.note(key_id, 5_000_000)  # an older time from another process
    late.flush()
    with database.transaction(write=False) as session:
        rows = team_keys(session, team_id=ws.team_id)
    assert next(r.last_used_ms for r in rows if r.user_id == ws.user_id) == (
        10_000_000 + NOTE_EVERY_MS
    )


def _key_id_query(user_id: int) -> Select[tuple[int]]:
    return select(ApiKey.id).where(ApiKey.user_id == user_id, ApiKey.revoked_ms.is_(None))


def test_a_served_app_records_last_use_on_its_own(
    app: FastAPI, database: Database, ws: Workspace
) -> None:
    """With the lifespan running, the recorder's thread and its shutdown write the use."""
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(API, headers={"X-Api-Key": ws.key}).status_code == 200
    with database.transaction(write=False) as session:
        rows = team_keys(session, team_id=ws.team_id)
    assert next(r.last_used_ms for r in rows if r.user_id == ws.user_id) is not None


def test_users_are_created_and_roles_changed_but_the_last_admin_stays(
    admin: ConsoleClient, app: FastAPI, database: Database, ws: Workspace
) -> None:
    created = admin.post(
        "/settings/users",
        {"email": "New.Person@Example.com", "role": "member", "password": PASSWORD},
        token_from="/settings/users",
    )
    assert created.status_code == 200, created.text[:500]
    assert "new.person@example.com was added as member" in created.text
    newcomer = sign_in(app, "new.person@example.com")
    assert newcomer.get("/settings").status_code == 403
    with database.transaction(write=False) as session:
        user = find_user(session, email="new.person@example.com")
        assert user is not None
        assert user.team_id == ws.team_id
        new_id = user.id
    duplicate = admin.post(
        "/settings/users",
        {"email": "new.person@example.com", "role": "member"},
        token_from="/settings/users",
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text
    short = admin.post(
        "/settings/users",
        {"email": "other@example.com", "role": "member", "password": "short"},
        token_from="/settings/users",
    )
    assert short.status_code == 400
    assert "at least 12 characters" in short.text
    assert 'value="other@example.com"' in short.text  # the form keeps what was typed

    promoted = admin.post(
        f"/settings/users/{new_id}/role", {"role": "admin"}, token_from="/settings/users"
    )
    assert promoted.status_code == 303
    assert newcomer.get("/settings").status_code == 200
    demoted = newcomer.post(
        f"/settings/users/{ws.user_id}/role", {"role": "member"}, token_from="/settings/users"
    )
    assert demoted.status_code == 303  # another admin may change it
    newcomer.close()


def test_an_admin_cannot_change_their_own_role(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    add_user(database, ws.team_id, role="admin")  # so the only-admin rule is not what refuses
    page = admin.get("/settings/users")
    assert f'action="/settings/users/{ws.user_id}/role"' not in page.text
    assert "another admin can change your role" in page.text
    own = admin.post(
        f"/settings/users/{ws.user_id}/role", {"role": "member"}, token_from="/settings/users"
    )
    assert own.status_code == 409
    assert "You cannot change your own role; ask another admin to do it" in own.text
    with database.transaction(write=False) as session:
        user = find_user(session, email=ws.email)
        assert user is not None
        assert user.role == "admin"
    assert admin.get("/settings").status_code == 200


def test_removing_a_password_ends_console_access(
    admin: ConsoleClient, app: FastAPI, database: Database, ws: Workspace
) -> None:
    email = add_user(database, ws.team_id, role="member")
    other = sign_in(app, email)
    with database.transaction(write=False) as session:
        user = find_user(session, email=email)
        assert user is not None
        user_id = user.id
    done = admin.post(f"/settings/users/{user_id}/remove-password", token_from="/settings/users")
    assert done.status_code == 303
    assert other.get("/").status_code == 303  # signed out
    listing = admin.get("/settings/users?done=password-removed")
    assert "no (no password)" in listing.text
    own = admin.post(f"/settings/users/{ws.user_id}/remove-password", token_from="/settings/users")
    assert own.status_code == 409
    assert "your own password" in own.text
    other.close()


def test_the_snippet_carries_the_teams_public_key(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    before = admin.get("/settings/tracking")
    assert before.status_code == 200
    assert "no write key yet" in before.text
    with database.transaction(write=False) as session:
        assert find_write_key(session, team_id=ws.team_id) is None  # a GET wrote nothing
    made = admin.post("/settings/tracking/key", token_from="/settings/tracking")
    assert made.status_code == 303
    with database.transaction(write=False) as session:
        key = find_write_key(session, team_id=ws.team_id)
    assert key is not None
    assert key.startswith("wk_")
    page = admin.get("/settings/tracking")
    assert f'data-write-key="{key}"' in page.text.replace("&#34;", '"')
    assert 'data-copy="snippet"' in page.text
    assert '<textarea id="snippet" readonly' in page.text
    assert "pricing" in page.text  # the default URL patterns are listed
    assert ws.key not in page.text


def test_ip_ranges_upload_with_the_cli_messages(admin: ConsoleClient, ws: Workspace) -> None:
    assert 'has <strong id="range-count">0</strong>' in admin.get("/settings/ip-ranges").text
    csv = (
        b"cidr,domain,kind\n10.0.0.0/8,acme.com,company\n"
        b"192.168.1.1/24,x.com,\n2001:db8::/32,b.io,isp\n"
    )
    answer = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("ranges.csv", csv, "text/csv")},
    )
    assert answer.status_code == 200, answer.text[:500]
    assert "2 ranges imported (2 new, 0 updated); 0 already present; 1 bad line skipped" in (
        answer.text
    )
    assert "line 3: &#39;192.168.1.1/24&#39; has host bits set; did you mean 192.168.1.0/24?" in (
        answer.text
    )
    assert 'has <strong id="range-count">2</strong>' in answer.text
    again = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("ranges.csv", csv, "text/csv")},
    )
    assert "0 ranges imported (0 new, 0 updated); 2 already present" in again.text
    no_header = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("bad.csv", b"ip,company\n1.2.3.4,x.com\n", "text/csv")},
    )
    assert no_header.status_code == 400
    assert "the header must name the columns cidr (or network), domain" in no_header.text
    missing = admin.post("/settings/ip-ranges", token_from="/settings/ip-ranges")
    assert missing.status_code == 400
    assert "Choose a CSV file" in missing.text


def test_an_upload_with_a_line_over_the_csv_field_limit_above_its_header(
    admin: ConsoleClient,
) -> None:
    long = b"x" * 140_000 + b"\n"
    answer = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("ranges.csv", long + b"cidr,domain\n10.0.0.0/8,acme.com\n", "text/csv")},
    )
    assert answer.status_code == 200, answer.text[:500]
    assert "1 range imported (1 new, 0 updated)" in answer.text
    only_long = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("long.csv", long, "text/csv")},
    )
    assert only_long.status_code == 400, only_long.text[:500]
    assert "long.csv line 1 cannot be a header: field larger than field limit" in only_long.text
    assert 'has <strong id="range-count">1</strong>' in only_long.text


def test_a_refused_user_is_not_listed_on_the_error_page(admin: ConsoleClient) -> None:
    answer = admin.post(
        "/settings/users",
        {"email": "ghost@example.com", "role": "member", "password": "short"},
        token_from="/settings/users",
    )
    assert answer.status_code == 400, answer.text[:500]
    assert 'value="ghost@example.com"' in answer.text  # the form keeps what was typed
    assert "<td>ghost@example.com</td>" not in answer.text
    assert "ghost@example.com" not in admin.get("/settings/users").text


def test_an_upload_failing_after_a_batch_shows_the_count_that_was_kept(
    admin: ConsoleClient,
) -> None:
    lines = [f"10.{i // 256}.{i % 256}.0/24,acme.com" for i in range(1200)]
    content = ("cidr,domain\n" + "\n".join(lines) + "\n").encode() + b"10.255.0.0/16,b\xff.com\n"
    answer = admin.post(
        "/settings/ip-ranges",
        token_from="/settings/ip-ranges",
        files={"file": ("ranges.csv", content, "text/csv")},
    )
    assert answer.status_code == 400, answer.text[:500]
    assert "the file is not UTF-8 text" in answer.text
    assert "Nothing was imported." in answer.text
    assert 'has <strong id="range-count">0</strong>' in answer.text
    assert 'has <strong id="range-count">0</strong>' in admin.get("/settings/ip-ranges").text


def _scoring_form(**overrides: str) -> dict[str, str]:
    form = {
        "weights.website": "30",
        "weights.g2": "20",
        "weights.bombora": "20",
        "weights.linkedin": "15",
        "weights.sales": "15",
    }
    form.update({f"enabled.{s}": "1" for s in ("website", "g2", "bombora", "linkedin", "sales")})
    form.update(overrides)
    return {k: v for k, v in form.items() if v != ""}


def test_saving_scoring_makes_a_version_and_the_diff_shows_the_changed_weights(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    page = admin.get("/settings/scoring")
    assert page.status_code == 200
    assert "Version 1 is in force" in page.text
    same = admin.post("/settings/scoring", _scoring_form(), token_from="/settings/scoring")
    assert "Nothing changed" in same.text
    saved = admin.post(
        "/settings/scoring",
        _scoring_form(**{"weights.website": "45", "enabled.g2": ""}),
        token_from="/settings/scoring",
    )
    assert saved.status_code == 200, saved.text[:500]
    assert "Saved as version 2" in saved.text
    with database.transaction(write=False) as session:
        version, doc = current_document(session, team_id=ws.team_id)
    assert version == 2
    assert doc["weights"]["website"] == 45
    assert doc["enabled"]["g2"] is False

    bad = admin.post(
        "/settings/scoring",
        _scoring_form(**{"weights.sales": "5000"}),
        token_from="/settings/scoring",
    )
    assert bad.status_code == 400
    assert "Sales weight must be a whole number from 0 to 1000" in bad.text
    assert "weights.sales" not in bad.text.split("<form")[0]  # the message names the label
    assert 'value="5000"' in bad.text
    off = {f"enabled.{s}": "" for s in ("website", "g2", "bombora", "linkedin", "sales")}
    none = admin.post("/settings/scoring", _scoring_form(**off), token_from="/settings/scoring")
    assert "At least one source must be enabled" in none.text

    diff = admin.get("/settings/scoring/diff?from=1&to=2")
    assert diff.status_code == 200
    rows = re.findall(
        r"<code>([\w.]+)</code></td>\s*<td class=\"old\">([^<]*)</td>\s*<td class=\"new\">([^<]*)",
        diff.text,
    )
    assert rows == [("enabled.g2", "true", "false"), ("weights.website", "30", "45")]
    missing = admin.get("/settings/scoring/diff?from=1&to=99")
    assert missing.status_code == 404
    assert "no scoring config version 99" in missing.text


SHARE = re.compile(r'<th scope="row">([^<]+)</th>.*?<span class="share">([^<]*)</span>', re.S)


def test_scoring_says_weights_are_relative_and_shows_each_share(
    admin: ConsoleClient, ws: Workspace
) -> None:
    page = admin.get("/settings/scoring")
    assert "Weights are relative" in page.text
    assert "add up to 100" not in page.text
    assert SHARE.findall(page.text) == [
        ("Website", "30%"),
        ("G2", "20%"),
        ("Bombora", "20%"),
        ("LinkedIn ads", "15%"),
        ("Sales", "15%"),
    ]
    assert "weights sum to 100; each share is weight ÷ 100" in page.text
    saved = admin.post(
        "/settings/scoring",
        _scoring_form(**{"weights.website": "1000", "enabled.g2": ""}),
        token_from="/settings/scoring",
    )
    assert saved.status_code == 200, saved.text[:500]
    assert SHARE.findall(saved.text) == [
        ("Website", "95.2%"),  # 1000 / 1050
        ("G2", "off"),
        ("Bombora", "1.9%"),
        ("LinkedIn ads", "1.4%"),
        ("Sales", "1.4%"),
    ]
    assert "weights sum to 1050; each share is weight ÷ 1050" in saved.text
    bad = admin.post(
        "/settings/scoring",
        _scoring_form(**{"weights.website": "abc"}),
        token_from="/settings/scoring",
    )
    assert bad.status_code == 400
    assert "Website weight must be a whole number from 0 to 1000" in bad.text
    assert ("Website", "—") in SHARE.findall(bad.text)  # no share for a weight it refuses


def test_scoring_shows_the_stage_thresholds_the_stages_page_points_to(
    admin: ConsoleClient, ws: Workspace
) -> None:
    stages = admin.get("/settings/stages")
    assert 'href="/settings/scoring#thresholds"' in stages.text
    page = admin.get("/settings/scoring")
    assert 'id="thresholds"' in page.text
    rows = re.findall(
        r'<tr><td>([^<]+)</td><td class="num">([^<]+)</td><td><code>(stages\.\w+)</code>',
        page.text,
    )
    assert [(value, path) for _, value, path in rows] == [
        ("40", "stages.consideration_overall"),
        ("50", "stages.consideration_sub_score"),
        ("14 days", "stages.consideration_days"),
        ("10", "stages.aware_overall"),
        ("30 days", "stages.aware_days"),
        ("7 days", "stages.downgrade_days"),
    ]
    assert rows[0][0] == "Consideration: overall score at least"
    renamed = admin.post(
        "/settings/stages/names",
        {"name.Consideration": "Evaluating"},
        token_from="/settings/stages",
    )
    assert renamed.status_code == 303, renamed.text[:500]
    page = admin.get("/settings/scoring")
    assert "<tr><td>Evaluating: overall score at least</td>" in page.text  # the team's names


def test_stages_show_the_journey_and_deal_stage_categories_change(
    admin: ConsoleClient, ws: Workspace
) -> None:
    created = ws.post(
        "/deal-stages",
        {
            "pipelines": [
                {
                    "pipelineId": "sales",
                    "pipelineLabel": "Sales",
                    "stages": [
                        {"stageId": "s1", "stageLabel": "Qualified"},
                        {"stageId": "s9", "stageLabel": "Signed"},
                    ],
                }
            ]
        },
    )
    assert created.status_code in (200, 201), created.text
    page = admin.get("/settings/stages")
    assert page.status_code == 200
    for stage in ("Unaware", "Aware", "Consideration", "Opportunity", "Customer"):
        assert f'<th scope="row">{stage}</th>' in page.text
    assert "CSV exports and segment rules keep" in page.text  # renaming is for the console
    changed = admin.post(
        "/settings/stages/category",
        {"pipeline_id": "sales", "stage_id": "s9", "category": "won"},
        token_from="/settings/stages",
    )
    assert changed.status_code == 303
    listed = ws.get("/deal-stages").json()["data"][0]["stages"]
    assert [s["category"] for s in listed] == ["open", "won"]
    unknown = admin.post(
        "/settings/stages/category",
        {"pipeline_id": "sales", "stage_id": "nope", "category": "won"},
        token_from="/settings/stages",
    )
    assert unknown.status_code == 404


def _settings_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = [
        (p.method, re.sub(r"\{[^}]+\}", "1", p.path))
        for p in console_pages(app)
        if p.path.startswith("/settings")
    ]
    assert len(found) >= 14
    return found


def test_every_settings_route_is_admin_only(
    app: FastAPI, member: ConsoleClient, admin: ConsoleClient
) -> None:
    assert all(
        p.access is Access.ADMIN for p in console_pages(app) if p.path.startswith("/settings")
    )
    token = member.csrf()
    for method, path in _settings_routes(app):
        answer = member.client.request(method, path, data={"csrf_token": token})
        assert answer.status_code == 403, f"{method} {path}"
        assert "Only a team admin" in answer.text
    assert admin.get("/settings").status_code == 200


def test_teams_never_see_or_touch_each_other(
    app: FastAPI, database: Database, admin: ConsoleClient, ws: Workspace
) -> None:
    other = create_workspace(app, database, name="Other team")
    try:
        outsider_email = add_user(database, other.team_id, role="admin")
        outsider = sign_in(app, outsider_email)
        keys = outsider.get("/settings/keys")
        users = outsider.get("/settings/users")
        assert ws.email not in keys.text
        assert ws.email not in users.text
        assert other.email in keys.text
        for path in (
            f"/settings/keys/{ws.user_id}/issue",
            f"/settings/keys/{ws.user_id}/revoke",
            f"/settings/users/{ws.user_id}/remove-password",
        ):
            answer = outsider.post(path, {"nonce": "n" * 32}, token_from="/settings")
            assert answer.status_code == 404, path
        role = outsider.post(
            f"/settings/users/{ws.user_id}/role", {"role": "member"}, token_from="/settings"
        )
        assert role.status_code == 404
        assert _api_no_lifespan(app, ws.key) == 200  # the other team's admin revoked nothing
        assert other.email not in admin.get("/settings/keys").text
        outsider.close()
    finally:
        other.close()


@pytest.mark.parametrize("path", ["/settings/keys/abc/issue", "/settings/users/99999999999/role"])
def test_a_malformed_user_id_is_a_400(admin: ConsoleClient, path: str) -> None:
    answer = admin.post(path, {"role": "admin"}, token_from="/settings")
    assert answer.status_code == 400
    assert "is not a user id" in answer.text
