"""`intentsync tracking key` and `intentsync tracking patterns`."""

import json
import re

from fastapi.testclient import TestClient

from intentsync.tracking.patterns import DEFAULT_PATTERNS
from tests.test_cli import last_line, run_cli


def test_key_is_created_once_and_rotation_replaces_it(ws, database_url):
    team = str(ws.team_id)
    first = run_cli(database_url, "tracking", "key", "--team", team)
    key = last_line(first)
    assert re.fullmatch(r"wk_[A-Za-z0-9_-]{32}", key)
    assert f'/track.js" data-write-key="{key}"></script>' in first.stderr
    assert last_line(run_cli(database_url, "tracking", "key", "--team", team)) == key

    rotated = run_cli(database_url, "tracking", "key", "--team", team, "--rotate")
    newer = last_line(rotated)
    assert newer != key
    assert "no longer works" in rotated.stderr
    client = TestClient(ws.app, headers={"X-Api-Key": ws.key})  # a domain needs the API key
    page = {"url": "https://acme.com/", "visitorId": "v", "domain": "acme.com"}
    assert client.post("/track", json={**page, "writeKey": key}).status_code == 401
    assert client.post("/track", json={**page, "writeKey": newer}).status_code == 202


def test_patterns_are_shown_set_from_a_file_and_reset(ws, database_url, tmp_path):
    team = str(ws.team_id)
    shown = run_cli(database_url, "tracking", "patterns", "--team", team)
    assert json.loads(last_line(shown)) == [list(p) for p in DEFAULT_PATTERNS]
    assert "built-in default patterns" in shown.stderr

    path = tmp_path / "patterns.json"
    path.write_text(json.dumps([["pricing", "^/tarifs"], ["demo", "^/rdv"]], indent=2))
    updated = run_cli(database_url, "tracking", "patterns", "--team", team, "--file", str(path))
    assert json.loads(last_line(updated)) == [["pricing", "^/tarifs"], ["demo", "^/rdv"]]
    again = run_cli(database_url, "tracking", "patterns", "--team", team)
    assert json.loads(last_line(again)) == [["pricing", "^/tarifs"], ["demo", "^/rdv"]]
    assert "the team's own patterns (2)" in again.stderr

    reset = run_cli(database_url, "tracking", "patterns", "--team", team, "--reset")
    assert json.loads(last_line(reset)) == [list(p) for p in DEFAULT_PATTERNS]


def test_bad_patterns_exit_1_with_the_reason(ws, database_url, tmp_path):
    team = str(ws.team_id)
    path = tmp_path / "patterns.json"
    cases = [
        ('[["pricing", "^/pricing"], ["sales", "^/x"]]', "pattern 2: category 'sales' is not"),
        ('[["demo", "(unclosed"]]', "pattern 1: '(unclosed' is not a valid regex"),
        ('{"demo": "^/demo"}', "patterns must be a JSON array"),
        ("[[", "is not valid JSON"),
    ]
    for text, reason in cases:
        path.write_text(text)
        result = run_cli(
            database_url, "tracking", "patterns", "--team", team, "--file", str(path), check=False
        )
        assert result.returncode == 1, text
        assert reason in result.stderr, result.stderr
    both = run_cli(
        database_url,
        "tracking",
        "patterns",
        "--team",
        team,
        "--file",
        str(path),
        "--reset",
        check=False,
    )
    assert both.returncode == 1
    assert "not both" in both.stderr
    shown = run_cli(database_url, "tracking", "patterns", "--team", team)
    assert json.loads(last_line(shown)) == [list(p) for p in DEFAULT_PATTERNS]


def test_unknown_team_exits_1(database_url):
    result = run_cli(database_url, "tracking", "key", "--team", "999999", check=False)
    assert result.returncode == 1
    assert "No team with id 999999" in result.stderr
