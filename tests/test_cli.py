"""The CLI contract automation depends on: each command's result is the last stdout line."""

import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import text

from intentsync.db.analyze import schema_tables
from tests.factories import CRM, account


def run_cli(database_url, *args, check=True):
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "intentsync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def last_line(result):
    return result.stdout.strip().splitlines()[-1]


def test_bootstrap_team_user_key_and_segment(database_url, app):
    team = last_line(run_cli(database_url, "team", "create", "Globex"))
    assert team.isdigit()
    email = f"ops-{team}@globex.com"
    user = last_line(run_cli(database_url, "user", "create", "--team", team, "--email", email))
    assert user.isdigit()
    key = last_line(run_cli(database_url, "key", "generate", "--email", email))
    assert re.fullmatch(r"isk_[A-Za-z0-9_-]{43}", key)
    segment = last_line(
        run_cli(
            database_url,
            "segment",
            "create",
            "--team",
            team,
            "--name",
            "Q2",
            "--type",
            "static",
            "--status",
            "draft",
        )
    )
    assert re.fullmatch(r"[0-9a-f]{24}", segment)

    client = TestClient(app, headers={"X-Api-Key": key})
    listed = client.get(CRM + "/segments").json()["data"]["data"]
    assert listed == [{"segmentId": segment, "name": "Q2", "status": "draft"}]

    newer = last_line(run_cli(database_url, "key", "generate", "--email", email))
    assert newer != key
    assert client.get(CRM + "/segments").status_code == 401
    assert client.get(CRM + "/segments", headers={"X-Api-Key": newer}).status_code == 200


def test_cli_errors_exit_1_with_a_reason(database_url):
    result = run_cli(
        database_url, "user", "create", "--team", "999999", "--email", "x@y.co", check=False
    )
    assert result.returncode == 1
    assert "No team with id 999999" in result.stderr
    result = run_cli(database_url, "key", "generate", "--email", "nobody@nowhere.co", check=False)
    assert result.returncode == 1
    assert "No user with email" in result.stderr
    result = run_cli(
        database_url,
        "segment",
        "create",
        "--team",
        "1",
        "--name",
        "X",
        "--type",
        "smart",
        check=False,
    )
    assert result.returncode == 1


def test_the_cli_changes_roles_but_keeps_the_teams_only_admin(database_url, ws):
    """The console refuses changing one's own role, so only the CLI reaches the last admin."""
    refused = run_cli(
        database_url, "user", "set-role", "--email", ws.email, "--role", "member", check=False
    )
    assert refused.returncode == 1
    assert "is the team's only admin; make another user admin first" in refused.stderr
    other = f"second-{ws.team_id}@example.com"
    run_cli(database_url, "user", "create", "--team", str(ws.team_id), "--email", other)
    made = run_cli(database_url, "user", "set-role", "--email", other, "--role", "admin")
    assert last_line(made) == "admin"
    demoted = run_cli(database_url, "user", "set-role", "--email", ws.email, "--role", "member")
    assert last_line(demoted) == "member"


def test_db_upgrade_is_idempotent(database_url):
    assert last_line(run_cli(database_url, "db", "upgrade")) == "database is up to date"


def test_demo_creates_a_workspace_once_on_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run_cli(url, "db", "upgrade")
    first = run_cli(url, "demo")
    key = last_line(first).split()[-1]
    assert key.startswith("isk_")
    assert "Base URL: http://127.0.0.1:8000/api/v1/crm" in first.stdout
    second = run_cli(url, "demo")
    assert "isk_" not in second.stdout
    assert "key generate --email demo@example.com" in second.stderr


def test_stage_category_from_the_cli(database_url, ws):
    ws.post(
        "/deal-stages",
        {
            "pipelines": [
                {
                    "pipelineId": "p1",
                    "pipelineLabel": "P",
                    "stages": [{"stageId": "s", "stageLabel": "Signed"}],
                }
            ]
        },
    )
    team = str(ws.team_id)
    assert (
        last_line(
            run_cli(database_url, "pipeline", "stage-category", "--team", team, "p1", "s", "won")
        )
        == "won"
    )
    assert ws.get("/deal-stages").json()["data"][0]["stages"][0]["category"] == "won"
    missing = run_cli(
        database_url, "pipeline", "stage-category", "--team", team, "p1", "zz", "won", check=False
    )
    assert missing.returncode == 1
    assert "not found" in missing.stderr
    bad = run_cli(
        database_url, "pipeline", "stage-category", "--team", team, "p1", "s", "maybe", check=False
    )
    assert bad.returncode == 1


def accounts_statistics(database):
    """What the planner believes about accounts: (rows counted by the last ANALYZE, when)."""
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            found = conn.execute(
                text(
                    "SELECT c.reltuples::bigint, s.last_analyze FROM pg_class c "
                    "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'accounts'"
                )
            ).one()
            return found[0], found[1]
        if not conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).first():
            return None, None  # ANALYZE never ran on this database
        stats = conn.execute(
            text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'accounts' AND idx IS NOT NULL")
        ).scalars()
        counts = {int(stat.split()[0]) for stat in stats}
        assert len(counts) <= 1  # every index of the table counts the same rows
        return (counts.pop() if counts else None), None


def test_db_analyze_refreshes_the_planner_statistics(database_url, database, ws):
    ws.push(*[account(f"an-{i}") for i in range(7)])
    with database.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM accounts")).scalar_one()
        started = conn.execute(text("SELECT CURRENT_TIMESTAMP")).scalar_one()
    postgresql = database.engine.dialect.name == "postgresql"
    if not postgresql:  # (PostgreSQL's autovacuum may count them any time; last_analyze tells)
        assert accounts_statistics(database)[0] != total  # nothing has counted the new rows yet

    result = run_cli(database_url, "db", "analyze")
    assert last_line(result) == f"analyzed {len(schema_tables())} table(s)"
    assert "accounts" in result.stderr
    counted, analyzed_at = accounts_statistics(database)
    assert counted == total
    if postgresql:  # only a manual ANALYZE sets last_analyze
        assert analyzed_at is not None
        assert analyzed_at >= started


def test_db_analyze_takes_chosen_tables_and_refuses_unknown_ones(database_url):
    result = run_cli(database_url, "db", "analyze", "--table", "accounts", "--table", "deals")
    assert last_line(result) == "analyzed 2 table(s)"
    assert "accounts, deals" in result.stderr
    unknown = run_cli(database_url, "db", "analyze", "--table", "acounts", check=False)
    assert unknown.returncode == 1
    assert "no table named acounts" in unknown.stderr


def test_team_list_shows_ids_names_and_users(database_url):
    team = last_line(run_cli(database_url, "team", "create", "Listed Team"))
    run_cli(database_url, "user", "create", "--team", team, "--email", f"a-{team}@listed.example")
    run_cli(database_url, "user", "create", "--team", team, "--email", f"b-{team}@listed.example")
    listed = run_cli(database_url, "team", "list")
    row = next(line for line in listed.stdout.splitlines() if "Listed Team" in line)
    assert re.search(rf"\b{team}\b", row)
    assert f"a-{team}@listed.example, b-{team}@listed.example" in row
    assert re.fullmatch(r"\d+ team\(s\)", last_line(listed))
