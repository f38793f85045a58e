"""Every command, walked from the Typer app itself, fails in one line and never with a traceback.

A command added later is picked up by the walk; the test fails until ARGS says how to run it.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from intentsync.cli import app
from tests.conftest import BACKENDS, _postgres_database
from tests.live import free_port

UNKNOWN_TEAM = "987654"
TEAM = "{team}"  # replaced by a real team where a case needs one
NOT_APPLICABLE = None

# For each command: arguments that would work on a good database, and arguments naming an
# unknown team, user or id (NOT_APPLICABLE where the command takes none).
ARGS: dict[str, tuple[list[str], list[str] | None]] = {
    "team create": (["Acme"], NOT_APPLICABLE),
    "team list": ([], NOT_APPLICABLE),
    "user create": (
        ["--team", "1", "--email", "a@b.co"],
        ["--team", UNKNOWN_TEAM, "--email", "a@b.co"],
    ),
    "user set-password": (
        ["--email", "a@b.co", "--password-stdin"],
        ["--email", "nobody@nowhere.example", "--password-stdin"],
    ),
    "user set-role": (
        ["--email", "a@b.co", "--role", "member"],
        ["--email", "nobody@nowhere.example", "--role", "member"],
    ),
    "key generate": (["--email", "a@b.co"], ["--email", "nobody@nowhere.example"]),
    "segment create": (["--team", "1", "--name", "S"], ["--team", UNKNOWN_TEAM, "--name", "S"]),
    "segment update": (
        ["--team", "1", "--segment", "abc", "--name", "T"],
        ["--team", UNKNOWN_TEAM, "--segment", "abc", "--name", "T"],
    ),
    "segment add": (
        ["--team", "1", "--segment", "abc", "acme.com"],
        ["--team", UNKNOWN_TEAM, "--segment", "abc", "acme.com"],
    ),
    "segment remove": (
        ["--team", "1", "--segment", "abc", "acme.com"],
        ["--team", UNKNOWN_TEAM, "--segment", "abc", "acme.com"],
    ),
    "segment refresh": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "segment list": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "segment show": (
        ["--team", "1", "--segment", "abc"],
        ["--team", UNKNOWN_TEAM, "--segment", "abc"],
    ),
    "db upgrade": ([], NOT_APPLICABLE),  # it is the fix: tested on its own below
    "db analyze": ([], NOT_APPLICABLE),
    "pipeline stage-category": (
        ["--team", "1", "p", "s", "won"],
        ["--team", UNKNOWN_TEAM, "p", "s", "won"],
    ),
    "signals import": (
        ["--team", "1", "--source", "g2", "{signals}"],
        ["--team", UNKNOWN_TEAM, "--source", "g2", "{signals}"],
    ),
    "tracking key": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "tracking patterns": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "ip-ranges import": (["{ranges}", "--team", "1"], ["{ranges}", "--team", UNKNOWN_TEAM]),
    "score run": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "score runs": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "score config show": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "score config set": (
        ["--team", "1", "weights.website", "10"],
        ["--team", UNKNOWN_TEAM, "weights.website", "10"],
    ),
    "score config reset": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "webhook add": (
        ["--team", "1", "--url", "https://example.com/h", "--events", "account.created"],
        ["--team", UNKNOWN_TEAM, "--url", "https://example.com/h", "--events", "account.created"],
    ),
    "webhook list": (["--team", "1"], ["--team", UNKNOWN_TEAM]),
    "webhook disable": (
        ["--team", "1", "--webhook", "abc"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc"],
    ),
    "webhook enable": (
        ["--team", "1", "--webhook", "abc"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc"],
    ),
    "webhook remove": (
        ["--team", "1", "--webhook", "abc"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc"],
    ),
    "webhook rotate-secret": (
        ["--team", "1", "--webhook", "abc"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc"],
    ),
    "webhook deliveries": (
        ["--team", "1", "--webhook", "abc"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc"],
    ),
    "webhook redeliver": (
        ["--team", "1", "--webhook", "abc", "--event", "msg_x"],
        ["--team", UNKNOWN_TEAM, "--webhook", "abc", "--event", "msg_x"],
    ),
    "demo": ([], NOT_APPLICABLE),
    "serve": (["--port", "{port}"], NOT_APPLICABLE),
    "worker": (["--interval", "60"], NOT_APPLICABLE),
}


def leaf_commands(command: typer.core.TyperCommand | TyperGroup, path: str = "") -> Iterator[str]:
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from leaf_commands(sub, f"{path} {name}".strip())
    else:
        yield path


COMMANDS = sorted(leaf_commands(typer.main.get_command(app)))


def test_every_command_has_arguments_for_these_tests():
    missing = sorted(set(COMMANDS) - set(ARGS))
    assert not missing, f"give ARGS for the new command(s): {', '.join(missing)}"
    assert not set(ARGS) - set(COMMANDS), "ARGS names a command that no longer exists"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("inputs")
    signals = folder / "g2.csv"
    signals.write_text("date,domain,signal\n2026-01-05,acme.com,pricing\n", encoding="utf-8")
    ranges = folder / "ranges.csv"
    ranges.write_text("cidr,domain,kind\n10.1.0.0/16,acme.com,company\n", encoding="utf-8")
    return {"signals": str(signals), "ranges": str(ranges)}


def run_cli(url: str, args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": url, "XDG_STATE_HOME": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "intentsync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # a server that starts instead of refusing ends the test here
        stdin=subprocess.DEVNULL,
    )


def run_all(
    url: str, cases: dict[str, list[str]], fill: dict[str, str], state: Path
) -> dict[str, subprocess.CompletedProcess[str]]:
    def one(name: str) -> subprocess.CompletedProcess[str]:
        args = [a.format(**fill, port=free_port()) for a in cases[name]]
        return run_cli(url, [*name.split(), *args], state)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(cases, pool.map(one, cases), strict=True))


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 1, shown
    assert len(result.stderr.strip().splitlines()) == 1, shown
    assert result.stdout.strip() == "", shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    for text in expected:
        assert text in result.stderr, shown


def _empty_databases(tmp: Path) -> Iterator[tuple[str, str]]:
    """(backend, url) of a database with no tables: an empty SQLite file, an empty PG database."""
    if "sqlite" in BACKENDS:
        path = tmp / "empty.db"
        path.touch()
        yield "sqlite", f"sqlite:///{path}"
    if "postgresql" in BACKENDS:
        for url in _postgres_database():
            yield "postgresql", url


@pytest.fixture(scope="module")
def unmigrated_results(
    tmp_path_factory: pytest.TempPathFactory, inputs: dict[str, str]
) -> dict[tuple[str, str], tuple[str, subprocess.CompletedProcess[str]]]:
    tmp = tmp_path_factory.mktemp("unmigrated")
    cases = {name: ARGS[name][0] for name in COMMANDS if name != "db upgrade"}
    found = {}
    for backend, url in _empty_databases(tmp):
        for name, result in run_all(url, cases, inputs, tmp / "state").items():
            found[(backend, name)] = (url, result)
    return found


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", [c for c in COMMANDS if c != "db upgrade"])
def test_an_unmigrated_database_is_one_line_naming_it_and_the_fix(
    unmigrated_results, backend, name
):
    url, result = unmigrated_results[(backend, name)]
    database = url.rsplit("/", 1)[-1]
    assert_one_line_failure(result, database, "not set up", "run: intentsync db upgrade")


@pytest.fixture(scope="module")
def unknown_results(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, inputs: dict[str, str]
) -> dict[str, subprocess.CompletedProcess[str]]:
    cases = {name: ARGS[name][1] for name in COMMANDS if ARGS[name][1] is not None}
    state = tmp_path_factory.mktemp("state")
    return run_all(database_url, cases, inputs, state)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [c for c in COMMANDS if ARGS.get(c, ([], None))[1] is not None])
def test_an_unknown_team_or_user_is_one_line(unknown_results, name):
    result = unknown_results[name]
    if name in ("key generate", "user set-password", "user set-role"):
        assert_one_line_failure(result, "No user with email 'nobody@nowhere.example'")
    else:
        assert_one_line_failure(result, f"No team with id {UNKNOWN_TEAM}")
