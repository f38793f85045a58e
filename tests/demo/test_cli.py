"""`intentsync demo` through the real command and the API it points at, on both databases."""

import re
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intentsync.app import create_app
from intentsync.auth.service import generate_key
from intentsync.config import Settings
from intentsync.db.base import Base
from intentsync.db.engine import Database
from intentsync.demo.plan import generate
from intentsync.kit.clock import day_of, now_ms
from intentsync.teams.service import create_team, create_user
from tests.demo.conftest import api, run_demo

LINKS = [
    "Console:  http://127.0.0.1:8000/",
    "Base URL: http://127.0.0.1:8000/api/v1/crm",
    "Docs:     http://127.0.0.1:8000/docs",
]
PASSWORD_LINE = re.compile(r"Password: ([A-Za-z0-9_-]{16})")
KEY_LINE = re.compile(r"API key:  (isk_[A-Za-z0-9_-]{43})")
TEAM_LINE = re.compile(r"Team id:  ([0-9]+)")


def _built(url: str, *args: str) -> tuple[int, str, str]:
    """Run demo expecting a build: the team id, the key and stderr."""
    result = run_demo(url, *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert lines[:3] == LINKS
    team = TEAM_LINE.fullmatch(lines[3])
    assert lines[4] == "Email:    demo@example.com"
    assert PASSWORD_LINE.fullmatch(lines[5]), lines[5]
    key = KEY_LINE.fullmatch(lines[6])
    assert len(lines) == 7, result.stdout
    assert team, lines[3]
    assert key, lines[6]
    return int(team.group(1)), key.group(1), result.stderr


def test_the_printed_demo_password_signs_in_to_the_console(fresh_url, fresh_db):
    result = run_demo(fresh_url)
    assert result.returncode == 0, result.stderr
    password = PASSWORD_LINE.search(result.stdout)
    assert password
    app = create_app(Settings(database_url=fresh_db.url, scoring_interval=0), fresh_db)
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        done = client.post(
            "/sign-in",
            data={
                "csrf_token": token.group(1),
                "email": "demo@example.com",
                "password": password.group(1),
            },
        )
        assert done.status_code == 303
        overview = client.get("/")
        assert overview.status_code == 200
        assert "demo@example.com" in overview.text


def _all(client: TestClient, path: str) -> list[dict[str, Any]]:
    """Every item of a paged list, following nextCursor."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()["data"]
        found += page["data"]
        cursor = page["nextCursor"]
        if cursor is None:
            return found


def _rows(db: Database, team_id: int | None = None) -> dict[str, int]:
    """Rows per team-owned table (and teams): all of them, or those naming one team."""
    with db.transaction(write=False) as session:
        counts: dict[str, int] = {}
        for table in Base.metadata.sorted_tables:
            if table.name != "teams" and "team_id" not in table.c:
                continue
            query = select(func.count()).select_from(table)
            if team_id is not None:
                owner = table.c.id if table.name == "teams" else table.c.team_id
                query = query.where(owner == team_id)
            counts[table.name] = session.execute(query).scalar_one()
        return counts


def test_demo_prints_links_key_and_next_steps_for_a_scored_workspace(fresh_url, fresh_db):
    team, key, stderr = _built(fresh_url)
    assert f"intentsync score runs --team {team}" in stderr
    assert "scored weekly as of the past 12 weeks, then today" in stderr
    assert f"intentsync segment list --team {team}" in stderr
    curl = re.search(r"curl -s -H 'X-Api-Key: (\S+)' (\S+)/accounts/(\S+)/score", stderr)
    assert curl
    assert curl.group(1) == key
    assert curl.group(2) == LINKS[1].split()[-1]
    plan = generate(today=day_of(now_ms()))
    with api(fresh_db, key) as client:
        accounts = _all(client, "/accounts")
        pushed = {a["externalId"] for a in plan.account_bodies}
        assert {a["externalId"] for a in accounts if a["externalId"]} == pushed
        discovered = client.get("/accounts/missing-external-ids").json()["data"]
        assert len(accounts) == len(pushed) + len(discovered)
        assert discovered
        scores = sorted((a["rtp_account_score"] for a in accounts), reverse=True)
        surging = [a for a in plan.accounts if a.profile == "surging"]
        assert all(s >= 60 for s in scores[: len(surging)])
        assert sum(s < 20 for s in scores) > 0.8 * len(scores)
        stages = Counter(a["rtp_journey_stage"] for a in accounts)
        assert set(stages) == {"Unaware", "Aware", "Consideration", "Opportunity", "Customer"}
        assert stages["Customer"] == sum(a.customer for a in plan.accounts)
        top = curl.group(3)
        explained = client.get(f"/accounts/{top}/score").json()["data"]
        assert explained["rtp_account_score"] == scores[0]
        assert explained["asOf"] is not None
        assert explained["topSignals"]
        assert {s["source"] for s in explained["sources"] if s["score"] > 0} >= {
            "website",
            "g2",
            "bombora",
        }
        deals = _all(client, "/deals")
        wanted = Counter(
            {"closed-won": "won", "closed-lost": "lost"}.get(d["stageId"], "open")
            for d in plan.deals
        )
        assert Counter(d["stageCategory"] for d in deals) == wanted
        assert wanted["open"]
        assert wanted["won"]
        assert wanted["lost"]
        activities = _all(client, "/sales-activities")
        assert len(activities) == len(plan.activities)
        assert {a["activityType"] for a in activities} == {"call", "email"}
        segments = {s["name"]: s["segmentId"] for s in _all(client, "/segments")}
        assert set(segments) == {s.name for s in plan.static_segments}
        members: Counter[str] = Counter(ref["name"] for a in accounts for ref in a["rtp_segments"])
        for static in plan.static_segments:
            assert members[static.name] == len(static.members)
        hot = {a["externalId"] for a in accounts if a["rtp_account_score"] >= 50}
        in_hot = {
            a["externalId"]
            for a in accounts
            if any(ref["name"] == "Hot accounts" for ref in a["rtp_segments"])
        }
        assert hot == in_hot
        assert len(hot) >= len(surging)
        assert client.get("/journey-stages").status_code == 200
        assert client.get("/deal-stages").json()["data"]


def test_demo_again_changes_nothing_and_says_how_to_get_a_key(fresh_url, fresh_db):
    team, key, _ = _built(fresh_url)
    with api(fresh_db, key) as client:
        before = _all(client, "/accounts")
    again = run_demo(fresh_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [*LINKS, f"Team id:  {team}"]
    assert "isk_" not in again.stdout + again.stderr
    assert "intentsync key generate --email demo@example.com" in again.stderr
    assert "intentsync user set-password --email demo@example.com" in again.stderr
    with api(fresh_db, key) as client:
        assert _all(client, "/accounts") == before


def test_reset_replaces_the_demo_and_leaves_other_teams_alone(fresh_url, fresh_db):
    with fresh_db.transaction() as session:
        other = create_team(session, name="Acme marketing").id
        create_user(session, team_id=other, email="ops@acme.example")
        other_key = generate_key(session, email="ops@acme.example")
    with api(fresh_db, other_key) as client:
        body = {"accounts": [{"externalId": "a-1", "domain": "acme.example", "name": "Acme"}]}
        assert client.post("/accounts", json=body).status_code == 200
    # The demo is built beside an existing team rather than refused.
    team, key, _ = _built(fresh_url)
    assert team != other
    other_rows, demo_rows = _rows(fresh_db, other), _rows(fresh_db, team)
    assert other_rows["accounts"] == 1
    assert demo_rows["signal_events"] > 0
    assert _rows(fresh_db) == {t: other_rows[t] + demo_rows[t] for t in demo_rows}
    new_team, new_key, _ = _built(fresh_url, "--reset")
    assert new_key != key
    assert new_team != other
    # The same plan again, and nothing of the old workspace left (SQLite may reuse its id).
    assert _rows(fresh_db, new_team) == demo_rows
    assert _rows(fresh_db, other) == other_rows
    assert _rows(fresh_db) == {t: other_rows[t] + demo_rows[t] for t in demo_rows}
    with api(fresh_db, key) as client:
        assert client.get("/accounts").status_code == 401
    with api(fresh_db, other_key) as client:
        assert [a["domain"] for a in _all(client, "/accounts")] == ["acme.example"]
    with api(fresh_db, new_key) as client:
        assert len(_all(client, "/accounts")) == len(generate(today=0).account_bodies) + len(
            client.get("/accounts/missing-external-ids").json()["data"]
        )


def test_a_team_of_its_own_holding_the_demo_address_is_never_reset(fresh_url, fresh_db):
    with fresh_db.transaction() as session:
        team = create_team(session, name="Acme marketing").id
        create_user(session, team_id=team, email="demo@example.com")
    before = _rows(fresh_db)
    for args in ((), ("--reset",)):
        result = run_demo(fresh_url, *args)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.strip() == (
            f"error: demo@example.com is a user of team {team} ('Acme marketing'), not of a "
            "demo workspace; the demo needs that address to itself, so it is not built here"
        )
    assert _rows(fresh_db) == before
