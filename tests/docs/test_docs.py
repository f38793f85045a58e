"""Every ```sh block of README.md and docs/ runs, in order, against a live server on a fresh
database (SQLite and PostgreSQL), and prints what the doc says it prints.

Examples run from a temporary directory that holds a copy of `examples/`, so files they write
stay there. Each document runs in its own bash; a document other than the README first runs
the README block that sets `$BASE`, `$KEY` and `$TEAM`, as a reader would.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from tests.conftest import BACKENDS, _postgres_database
from tests.docs.blocks import ROOT, Block, documents, output_matches, parse
from tests.live import live_server

BIN = Path(sys.executable).parent
DOC_TIMEOUT = 900
SETUP = re.compile(r"^export BASE=", re.MULTILINE)


@dataclass(frozen=True)
class Workspace:
    """What `make run` gives a reader: a migrated database, the demo team and key, a server."""

    address: str  # host:port of the live server
    team: int
    key: str
    env: dict[str, str]


def placeholders(ws: Workspace) -> dict[str, str]:
    """The documented placeholders and what the docs test puts in their place: the only ones."""
    return {
        "127.0.0.1:8000": ws.address,
        "isk_...": ws.key,
        "TEAM=1 ": f"TEAM={ws.team} ",
    }


def substitute(text: str, ws: Workspace) -> str:
    for placeholder, value in placeholders(ws).items():
        text = text.replace(placeholder, value)
    return text


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "intentsync"), *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"intentsync {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _printed(stdout: str, label: str) -> str | None:
    for line in stdout.splitlines():
        if line.startswith(f"{label}:"):
            return line.split(":", 1)[1].strip()
    return None


def _team_id(stdout: str, database_url: str) -> int:
    """The `Team id:` line of `intentsync demo`, else the one team a fresh database holds."""
    printed = _printed(stdout, "Team id")
    if printed is not None:
        return int(printed)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            ids = conn.execute(sa.text("SELECT id FROM teams")).scalars().all()
    finally:
        engine.dispose()
    assert len(ids) == 1, f"a fresh database after the demo should hold one team, not {ids}"
    return int(ids[0])


def _fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'intentsync.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    tmp = tmp_path_factory.mktemp(f"docs-{request.param}")
    for url in _fresh_database(request.param, tmp):
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTENTSYNC_")}
        for name in ("BASE", "KEY", "TEAM"):
            env.pop(name, None)
        env |= {
            "INTENTSYNC_DATABASE_URL": url,
            "INTENTSYNC_SCORING_INTERVAL": "0",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
        _cli(env, "db", "upgrade")
        database = Database(url, pool_size=5)
        app = create_app(Settings(database_url=url, scoring_interval=0), database)
        try:
            with live_server(app) as base:
                address = base.removeprefix("http://")
                host, port = address.split(":")
                env |= {"INTENTSYNC_HOST": host, "INTENTSYNC_PORT": port}
                demo = _cli(env, "demo")
                key = _printed(demo, "API key")
                assert key, f"intentsync demo printed no API key line:\n{demo}"
                yield Workspace(address, _team_id(demo, url), key, env)
        finally:
            database.dispose()


def _setup_block(ws: Workspace) -> str:
    """The README block a reader runs to set $BASE, $KEY and $TEAM from what `make run` printed."""
    found = [b for b in parse(ROOT / "README.md") if SETUP.search(b.code)]
    assert found, "README.md has no ```sh block that runs `export BASE=… TEAM=1 KEY=isk_...`"
    return substitute(found[0].code, ws)


def _script(blocks: list[Block], ws: Workspace, state: Path, setup: str | None) -> Path:
    lines = ["set -euo pipefail"]
    if setup is not None:
        (state / "setup.sh").write_text(setup)
        lines.append(f"source {state / 'setup.sh'} > /dev/null")
    for number, block in enumerate(blocks):
        (state / f"{number}.sh").write_text(substitute(block.code, ws))
        lines += [
            f"echo {number} > {state / 'current'}",
            f"{{ source {state / f'{number}.sh'}; }} > {state / f'{number}.out'}"
            f" 2> {state / f'{number}.err'} < /dev/null",
        ]
    lines.append(f"echo done > {state / 'current'}")
    script = state / "doc.sh"
    script.write_text("\n".join(lines) + "\n")
    return script


def _report(block: Block, problem: str, state: Path, number: int) -> str:
    out = (state / f"{number}.out").read_text() if (state / f"{number}.out").exists() else ""
    err = (state / f"{number}.err").read_text() if (state / f"{number}.err").exists() else ""
    return (
        f"{block.where}: {problem}\n--- block ---\n{block.code}--- stdout ---\n{out}"
        f"--- stderr ---\n{err}"
    )


def run_document(doc: Path, ws: Workspace, workdir: Path) -> str | None:
    """Run a document's blocks in one bash, in order; what went wrong first, or None."""
    blocks = [b for b in parse(doc) if b.skip_reason is None]
    cwd, state = workdir / "repo", workdir / "state"
    state.mkdir()
    cwd.mkdir()
    shutil.copytree(ROOT / "examples", cwd / "examples")
    setup = None if doc == ROOT / "README.md" else _setup_block(ws)
    script = _script(blocks, ws, state, setup)
    done = subprocess.run(
        ["bash", str(script)],
        cwd=cwd,
        env=ws.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DOC_TIMEOUT,
    )
    reached = (state / "current").read_text().strip() if (state / "current").exists() else ""
    if not reached:
        return f"{doc}: the README setup block failed\n{done.stdout}{done.stderr}"
    last = len(blocks) if reached == "done" else int(reached)
    for number, block in enumerate(blocks[:last]):
        expected = None if block.expected is None else substitute(block.expected, ws)
        actual = (state / f"{number}.out").read_text()
        if expected is not None and not output_matches(expected, actual):
            return _report(block, f"printed other than documented:\n{expected}", state, number)
    if reached != "done":
        return _report(blocks[last], f"exited {done.returncode}", state, last)
    return None


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shell_example_runs_and_prints_what_the_doc_says(
    doc: Path, workspace: Workspace, tmp_path: Path
) -> None:
    problem = run_document(doc, workspace, tmp_path)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
