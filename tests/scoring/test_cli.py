"""`intentsync score …`: run now, history, configuration versions."""

import json
from datetime import UTC, datetime, timedelta

from tests.factories import account
from tests.test_cli import last_line, run_cli


def recent() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_score_run_for_one_team_then_history(ws, database_url):
    ws.push(account(1, domain="acme.com"))
    signal = {"source": "g2", "domain": "acme.com", "type": "pricing", "occurredAt": recent()}
    assert ws.post("/signals", {"signals": [signal]}).status_code == 200
    result = run_cli(database_url, "score", "run", "--team", str(ws.team_id))
    assert last_line(result) == "scored 1 of 1 accounts, 1 changed"
    assert "succeeded full run, 1 accounts, 1 scored, 1 changed" in result.stderr
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_g2_intent_score"] > 0
    history = run_cli(database_url, "score", "runs", "--team", str(ws.team_id))
    assert last_line(history) == "1 runs"
    assert "succeeded" in history.stdout


def test_score_run_refuses_an_unknown_team(database_url):
    result = run_cli(database_url, "score", "run", "--team", "999999", check=False)
    assert result.returncode == 1
    assert "No team with id 999999" in result.stderr


def test_config_show_set_reset(ws, database_url):
    team = str(ws.team_id)
    shown = run_cli(database_url, "score", "config", "show", "--team", team)
    assert json.loads(shown.stdout)["weights"]["website"] == 30
    assert "config version 1" in shown.stderr
    assert (
        last_line(
            run_cli(database_url, "score", "config", "set", "--team", team, "weights.website", "40")
        )
        == "2"
    )
    assert (
        json.loads(run_cli(database_url, "score", "config", "show", "--team", team).stdout)[
            "weights"
        ]["website"]
        == 40
    )
    bad = run_cli(
        database_url, "score", "config", "set", "--team", team, "weights.webseite", "1", check=False
    )
    assert bad.returncode == 1
    assert "webseite" in bad.stderr
    assert last_line(run_cli(database_url, "score", "config", "reset", "--team", team)) == "3"
    assert (
        json.loads(run_cli(database_url, "score", "config", "show", "--team", team).stdout)[
            "weights"
        ]["website"]
        == 30
    )
