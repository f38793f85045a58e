"""One scoring run in a process of its own, so its peak memory and its workers' are its alone.

bench/scoring.py starts this with the interpreter under test, reads the JSON line it prints
last: the run's report, its wall time and the peak resident memory of this process and of
each worker process it started (VmHWM from /proc, polled while they live).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.05


def children_of(root: int) -> list[int]:
    """Every live descendant of root, found by the parent pid in /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields follow the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def rss_bytes(pid: int) -> int | None:
    """The process's peak resident memory so far (VmHWM: exact, not the sampled current RSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return None
    return None


class Sampler(threading.Thread):
    """Peak RSS of this process and every descendant, polled until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()
        self.samples = 0

    def run(self) -> None:
        me = os.getpid()
        scan_every = 10  # a /proc scan for new workers every 10 samples, RSS reads in between
        known: list[int] = []
        while not self.stop.is_set():
            if self.samples % scan_every == 0:
                known = children_of(me)
            for pid in (me, *known):
                rss = rss_bytes(pid)
                if rss is not None and rss > self.peaks.get(pid, 0):
                    self.peaks[pid] = rss
            self.samples += 1
            self.stop.wait(SAMPLE_SECONDS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--team", type=int, required=True)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--as-of", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args()

    from intentsync.db.engine import Database
    from intentsync.scoring.job import run_team

    db = Database(args.url, pool_size=2)
    sampler = Sampler()
    sampler.start()
    started = time.perf_counter()
    report = run_team(
        db,
        team_id=args.team,
        full=args.full,
        as_of=args.as_of,
        processes=args.processes,
        history=not args.no_history,
    )
    seconds = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    me = os.getpid()
    sampler.peaks[me] = max(sampler.peaks.get(me, 0), rss_bytes(me) or 0)
    db.dispose()
    out = {
        "seconds": seconds,
        "status": report.status,
        "kind": report.kind,
        "scored": report.accounts_scored,
        "changed": report.accounts_changed,
        "processes": report.processes,
        "errors": report.errors[:3],
        "parent_peak": sampler.peaks.get(me, 0),
        "worker_peaks": sorted(v for pid, v in sampler.peaks.items() if pid != me),
        # The largest peak among reaped children (KiB on Linux); a check on the sampled ones.
        "children_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "samples": sampler.samples,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
