"""How the CLI fails: one line a person can act on, the exit code scripts rely on, no traceback."""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, text

from intentsync.cli import app
from intentsync.commands import EXIT_BUG, run
from intentsync.config import get_settings
from intentsync.db.migrate import upgrade
from tests.live import free_port
from tests.test_cli_every_command import COMMANDS

INCIDENT = re.compile(r"incident ([0-9a-f]{8}); the traceback is in (\S+\.log);")


def cli(url, *args, state=None, stdin=None):
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": url}
    if state is not None:
        env["XDG_STATE_HOME"] = str(state)
    return subprocess.run(
        [sys.executable, "-m", "intentsync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def one_line(result, code=1):
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == code, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, shown
    return lines[0]


def team_of(url):
    return cli(url, "team", "create", "Errors").stdout.strip().splitlines()[-1]


# The database: missing, elsewhere, behind, ahead, unreachable.


def test_db_upgrade_sets_up_an_empty_database_and_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = cli(url, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "database is up to date"
    assert f"database {url} migrated from empty to revision 0006" in first.stderr
    again = cli(url, "db", "upgrade")
    assert f"database {url} was already at revision 0006" in again.stderr
    assert team_of(url).isdigit()


def test_db_upgrade_on_the_shared_database_leaves_it_at_head(database_url):
    result = cli(database_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "was already at revision 0006" in result.stderr


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path):
    path = tmp_path / "typo.db"
    line = one_line(cli(f"sqlite:///{path}", "segment", "list", "--team", "1"))
    assert line == (
        f"error: database sqlite:///{path} does not exist; create it with: intentsync db upgrade"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_relative_sqlite_path_says_which_directory_it_was_looked_for_in(tmp_path):
    elsewhere = tmp_path / "docs"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "intentsync", "segment", "list", "--team", "1"],
        env={**os.environ, "INTENTSYNC_DATABASE_URL": "sqlite:///./intentsync.db"},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert one_line(result) == (
        "error: database sqlite:///./intentsync.db does not exist in this directory "
        f"({elsewhere / 'intentsync.db'}); run intentsync where the database is, or set "
        "INTENTSYNC_DATABASE_URL, or create it here with: intentsync db upgrade"
    )
    assert list(elsewhere.iterdir()) == []


def test_a_sqlite_path_in_a_missing_directory_is_one_line_even_for_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"
    for args in (("team", "create", "X"), ("db", "upgrade")):
        line = one_line(cli(url, *args))
        assert line == f"error: cannot open database {url}: directory '{tmp_path / 'nowhere'}' " + (
            "does not exist"
        )


def test_a_database_behind_the_code_names_how_far_and_the_fix(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    line = one_line(cli(url, "team", "create", "X"))
    assert line == (
        f"error: database {url} is 5 migration(s) behind this version of intentsync; "
        "run: intentsync db upgrade"
    )
    result = cli(url, "db", "upgrade")
    assert "migrated from 0001 to revision 0006" in result.stderr
    assert team_of(url).isdigit()


def test_a_database_ahead_of_the_code_says_a_newer_intentsync_migrated_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    line = one_line(cli(url, "segment", "list", "--team", "1"))
    assert "is at revision 0099, which this version of intentsync does not know" in line
    assert "newer intentsync" in line
    upgraded = one_line(cli(url, "db", "upgrade"))
    assert upgraded.startswith(f"error: cannot upgrade database {url}:")


def test_an_unreachable_server_is_one_line_with_the_password_hidden():
    url = f"postgresql://intentsync:s3cret@127.0.0.1:{free_port()}/intentsync"
    for args in (("team", "create", "X"), ("db", "upgrade"), ("serve",)):
        line = one_line(cli(url, *args))
        assert line.startswith(
            "error: cannot reach database postgresql://intentsync:***@127.0.0.1:"
        ), line
        assert "s3cret" not in line
        assert "Connection refused" in line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "error: the database URL 'not a url' is not a URL"),
        ("mysql://u:pw@localhost/x", "error: cannot use database mysql://u:***@localhost/x"),
    ],
)
def test_a_database_url_intentsync_cannot_use_is_one_line(url, expected):
    assert one_line(cli(url, "team", "create", "X")).startswith(expected)


# Unknown ids other than the team.


def test_unknown_segment_pipeline_and_stage_ids_are_one_line(database_url):
    team = team_of(database_url)
    for args in (
        ("segment", "show", "--team", team, "--segment", "nope"),
        ("segment", "update", "--team", team, "--segment", "nope", "--name", "N"),
        ("segment", "add", "--team", team, "--segment", "nope", "acme.com"),
        ("segment", "refresh", "--team", team, "--segment", "nope"),
    ):
        assert "Segment 'nope' does not exist" in one_line(cli(database_url, *args)), args
    line = one_line(
        cli(database_url, "pipeline", "stage-category", "--team", team, "p", "s", "won")
    )
    assert line == "error: Stage 's' of pipeline 'p' not found"


# Negative numbers are values.


def test_a_negative_number_reaches_the_config_validation(database_url):
    team = team_of(database_url)
    line = one_line(
        cli(database_url, "score", "config", "set", "--team", team, "weights.website", "-5")
    )
    assert line == "error: weights.website must be a whole number from 0 to 1000"
    assert "No such option" not in line
    accepted = cli(database_url, "score", "config", "set", "--team", team, "weights.website", "7")
    assert accepted.returncode == 0, accepted.stderr


def test_negative_ids_and_counts_are_refused_in_one_line_with_exit_1(database_url):
    assert one_line(cli(database_url, "segment", "list", "--team", "-5")) == (
        "error: No team with id -5"
    )
    line = one_line(cli(database_url, "score", "runs", "--team", "1", "--limit", "-5"))
    assert line.startswith("error: Invalid value for '--limit'")
    assert one_line(cli(database_url, "worker", "--interval", "-1")).startswith(
        "error: Invalid value for '--interval'"
    )
    assert one_line(cli(database_url, "serve", "--port", "-1")).startswith(
        "error: Invalid value for '--port'"
    )


# Files.


def test_unreadable_rules_and_patterns_files_are_one_line_with_exit_1(database_url, tmp_path):
    team = team_of(database_url)
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"name": "Caf\xe9"}'.encode("latin-1"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"all": [', encoding="utf-8")
    missing = tmp_path / "none.json"
    create = ("segment", "create", "--team", team, "--name", "D", "--type", "dynamic", "--rules")
    cases = {
        (*create, str(missing)): f"cannot read rules file '{missing}': no such file",
        (*create, str(tmp_path)): "it is a directory",
        (*create, str(latin1)): "is not UTF-8 text (byte 0xe9 at offset 13); save it as UTF-8",
        (*create, str(broken)): "is not valid JSON",
        ("tracking", "patterns", "--team", team, "--file", str(tmp_path / "p.json")): (
            f"cannot read patterns file '{tmp_path / 'p.json'}': no such file"
        ),
        ("tracking", "patterns", "--team", team, "--file", str(latin1)): "is not UTF-8 text",
    }
    for args, expected in cases.items():
        line = one_line(cli(database_url, *args))
        assert expected in line, (args, line)
        assert "Invalid value" not in line
        assert "Errno" not in line


def test_rules_can_come_from_stdin(database_url):
    team = team_of(database_url)
    create = ("segment", "create", "--team", team, "--name", "D", "--type", "dynamic")
    rules = '{"field": "domain", "operator": "contains", "value": "acme"}'
    result = cli(database_url, *create, "--rules", "-", stdin=rules)
    assert result.returncode == 0, result.stderr
    segment = result.stdout.strip().splitlines()[-1]
    shown = cli(database_url, "segment", "show", "--team", team, "--segment", segment)
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == json.loads(rules)


def test_a_bad_byte_on_stdin_is_one_line_like_in_a_file(database_url):
    team = team_of(database_url)
    create = ("segment", "create", "--team", team, "--name", "D", "--type", "dynamic")
    result = subprocess.run(
        [sys.executable, "-m", "intentsync", *create, "--rules", "-"],
        env={**os.environ, "INTENTSYNC_DATABASE_URL": database_url, "LC_ALL": "C"},
        input=b'{"field": "name", "operator": "eq", "value": "caf' + b'\xe9"}',
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.decode().strip().splitlines() == [
        "error: rules file '-' is not UTF-8 text (byte 0xe9 at offset 49); save it as UTF-8"
    ]


# The command line itself.


def test_usage_errors_are_one_line_and_keep_exit_2(database_url):
    assert one_line(cli(database_url, "segment", "list"), code=2) == (
        "error: Missing option '--team'; see: intentsync segment list --help"
    )
    assert one_line(cli(database_url, "segment", "list", "--team", "1", "--bogus"), code=2) == (
        "error: No such option: --bogus; see: intentsync segment list --help"
    )
    assert one_line(cli(database_url, "nosuchcommand"), code=2).startswith(
        "error: No such command 'nosuchcommand'"
    )


def test_a_value_of_the_wrong_type_is_one_line_with_exit_1(database_url):
    line = one_line(cli(database_url, "segment", "list", "--team", "abc"))
    assert line.startswith("error: Invalid value for '--team': Input should be a valid integer")


@pytest.mark.parametrize("name", ["", *COMMANDS, "segment", "score", "score config"])
def test_help_reads_without_placeholders_for_flags(name, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["intentsync", *name.split(), "--help"])
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exited:
        run(app)
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "Usage: intentsync" in shown
    assert "--help" in shown
    assert "<bool>" not in shown
    assert "Show this message and exit." in shown


def test_every_command_and_parameter_says_what_it_is_for():
    root = typer.main.get_command(app)
    undocumented = []
    for name in COMMANDS:
        command = root
        for part in name.split():
            command = command.commands[part]
        if not (command.help or "").strip():
            undocumented.append(name)
        for param in command.params:
            if not (getattr(param, "help", None) or "").strip():
                undocumented.append(f"{name} {param.opts[0]}")
    assert undocumented == []


# Bugs: an incident id on the terminal, the traceback in a file.


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database, whatever its name says" * 100)
    line = one_line(cli(f"sqlite:///{path}", "segment", "list", "--team", "1"))
    assert line == f"error: cannot use database sqlite:///{path}: file is not a database"


def test_corrupt_data_is_an_incident_with_the_traceback_in_a_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'intentsync.db'}"
    assert cli(url, "db", "upgrade").returncode == 0
    team = team_of(url)
    rules = tmp_path / "rules.json"
    rules.write_text('{"field": "domain", "operator": "contains", "value": "acme"}')
    created = cli(
        url,
        "segment",
        "create",
        "--team",
        team,
        "--name",
        "S",
        "--type",
        "dynamic",
        "--rules",
        str(rules),
    )
    segment = created.stdout.strip().splitlines()[-1]
    with sqlite3.connect(tmp_path / "intentsync.db") as connection:
        connection.execute("UPDATE segments SET rules = '{broken'")  # what a bad disk leaves
    state = tmp_path / "state"
    result = cli(url, "segment", "show", "--team", team, "--segment", segment, state=state)
    line = one_line(result, code=EXIT_BUG)
    found = INCIDENT.search(line)
    assert found, line
    log = Path(found.group(2))
    assert log == state / "intentsync" / "incidents" / f"{found.group(1)}.log"
    written = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "JSONDecodeError" in written
    assert f"command: intentsync segment show --team {team} --segment {segment}" in written


def test_an_unexpected_exception_in_a_command_is_an_incident(
    database_url, tmp_path, monkeypatch, capsys
):
    import intentsync.teams.service as teams

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug the user cannot fix")

    monkeypatch.setattr(teams, "create_team", broken)
    monkeypatch.setenv("INTENTSYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["intentsync", "team", "create", "X"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            run(app)
    finally:
        get_settings.cache_clear()
    assert exited.value.code == EXIT_BUG
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "unexpected failure (ZeroDivisionError)" in lines[0]
    found = INCIDENT.search(lines[0])
    assert found, lines[0]
    written = Path(found.group(2)).read_text(encoding="utf-8")
    assert "ZeroDivisionError: a bug the user cannot fix" in written
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_before_any_process_starts(database_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(cli(database_url, "serve", "--port", str(port)))
    assert line == (
        f"error: cannot listen on 127.0.0.1:{port}: address already in use; stop the other "
        "server or choose another port with --port or INTENTSYNC_PORT"
    )
