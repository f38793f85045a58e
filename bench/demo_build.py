"""How long `intentsync demo` takes on an empty database: the wait `make run` adds.

Each round migrates a fresh database, then times the command end to end (process start,
build, scoring runs, output) and the in-process build alone; the median of the rounds is shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from _harness import Bench, BenchError, add_common_arguments, bench_main, print_table

from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from intentsync.demo.job import build
from intentsync.kit.clock import day_of, now_ms


def _command_seconds(bench: Bench) -> float:
    url = bench.fresh("demo-cli")
    upgrade(url)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "intentsync", "demo"],
        env={**os.environ, "INTENTSYNC_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=bench.deadline.remaining(),
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or "API key:  isk_" not in done.stdout:
        raise BenchError(f"intentsync demo failed: {done.stderr.strip()[-500:]}")
    return seconds


def _build_seconds(bench: Bench) -> tuple[float, float, float]:
    """The in-process build and, of it, the weekly runs as of past days and today's run."""
    url = bench.fresh("demo-job")
    upgrade(url)
    db = Database(url, pool_size=2)
    try:
        started = time.perf_counter()
        demo = build(db, today=day_of(now_ms()))
        seconds = time.perf_counter() - started
    finally:
        db.dispose()
    if demo.scoring.status != "succeeded":
        raise BenchError(f"the demo scoring run failed: {demo.scoring.errors}")
    return seconds, demo.past_seconds, demo.scoring.seconds


def run(args: argparse.Namespace) -> None:
    with Bench(args) as bench:
        commands: list[float] = []
        builds: list[float] = []
        pasts: list[float] = []
        scorings: list[float] = []
        for _ in range(args.rounds):
            commands.append(_command_seconds(bench))
            whole, past, scoring = _build_seconds(bench)
            builds.append(whole)
            pasts.append(past)
            scorings.append(scoring)
        print_table(
            f"intentsync demo on {bench.describe()}: seconds, median of {args.rounds} rounds",
            [
                ("intentsync demo (whole command)", f"{statistics.median(commands):.2f}"),
                ("build in-process", f"{statistics.median(builds):.2f}"),
                ("  of which the weekly runs as of past days", f"{statistics.median(pasts):.2f}"),
                ("  and today's scoring run", f"{statistics.median(scorings):.2f}"),
            ],
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add_common_arguments(parser, accounts=300, accounts_help="(fixed by the demo plan)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases to time")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
