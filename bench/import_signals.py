"""Show what a vendor-file import costs: rows/s of `intentsync signals import` on a large G2 file.

With --baseline REV the same file is also imported by the code of REV (its src/ tree taken
from git), each into a fresh database, so a change to the reader is measured before and after
in one run.
"""

from __future__ import annotations

import argparse
import codecs
import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from _harness import (
    Bench,
    BenchError,
    add_common_arguments,
    bench_main,
    make_team,
    print_table,
    rate,
)

ROOT = Path(__file__).resolve().parents[1]
TYPES = ("Pricing Page", "Profile", "Comparison", "Alternatives", "Category")
SPAN_DAYS = 90


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Generate a G2 Buyer Intent export and time `intentsync signals import` on it, "
            "each run into a fresh team in a fresh database."
        )
    )
    add_common_arguments(
        parser, accounts=5_000, accounts_help="distinct company domains in the file"
    )
    parser.add_argument(
        "--rows", type=int, default=200_000, help="rows in the file (default 200000)"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="git revision whose code imports the same file first, for a before/after figure",
    )
    args = parser.parse_args(argv)
    if min(args.rows, args.accounts) < 1:
        parser.error("--rows and --accounts must be positive")
    return args


def g2_lines(rows: int, accounts: int) -> list[list[str]]:
    """Header and rows; every row is a new signal (its product is unique), quoted cells included."""
    lines = [
        [
            "company_name",
            "company_domain",
            "day",
            "signal_type",
            "product_name",
            "total_activity",
            "location",
        ]
    ]
    for n in range(rows):
        company = n % accounts
        day = 1 + n % 28
        month = 9 + (n // 28) % 3
        lines.append(
            [
                f"Company {company}",
                f"c{company:05d}.example",
                f"2026-{month:02d}-{day:02d}",
                TYPES[n % len(TYPES)],
                f"Product {n}",
                str(1 + n % 7),
                "Seattle, US",
            ]
        )
    return lines


def write_comma_utf8(path: Path, lines: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        for cells in lines:
            out.write(",".join(f'"{c}"' if "," in c else c for c in cells) + "\n")


def write_tab_utf16(path: Path, lines: list[list[str]]) -> None:
    """Campaign Manager's layout: BOM, UTF-16LE, tabs, CRLF, report lines above the header."""
    text = io.StringIO()
    text.write("G2 Buyer Intent export\r\nGenerated: 2026-12-01\r\n\r\n")
    for cells in lines:
        text.write("\t".join(cells) + "\r\n")
    path.write_bytes(codecs.BOM_UTF16_LE + text.getvalue().encode("utf-16-le"))


def baseline_tree(bench: Bench, revision: str) -> Path:
    """The src/ tree of a revision, unpacked in the run's temp dir."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise BenchError(f"git archive {revision} failed: {archive.stderr.decode()[-500:]}")
    target = bench.workdir / "baseline"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def timed_import(bench: Bench, path: Path, *, rows: int, src: Path | None, label: str) -> float:
    """Seconds the CLI takes to import the file into a fresh team; checks every row was stored."""
    url = bench.fresh(label)
    team = make_team(url, f"import-{label}")
    env = {**os.environ, "INTENTSYNC_DATABASE_URL": url}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    args = ["signals", "import", "--team", str(team), "--source", "g2", str(path)]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "intentsync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=max(5.0, bench.deadline.remaining()),
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"{label} import exited {done.returncode}: {done.stderr[-1000:]}")
    created = done.stdout.strip().splitlines()[-1]
    if created != str(rows):
        raise BenchError(f"{label} import created {created} signals, expected {rows}")
    return elapsed


# Reads and parses every row in a child process and prints the seconds; both APIs are tried
# so a revision from before the shared reader is measured the same way.
PARSE_ONLY = """
import sys, time
from pathlib import Path
from intentsync.signals.importers import service
path = Path(sys.argv[1])
started = time.perf_counter()
if hasattr(service, "open_export"):
    with service.open_export(path, source="g2") as table:
        count = sum(1 for _ in service.read_items(table))
else:
    from intentsync.signals.importers.csvfile import open_csv
    with open_csv(path) as table:
        count = sum(1 for _ in service.read_items(table, source="g2"))
print(count, time.perf_counter() - started)
"""


def parse_only(path: Path, *, rows: int, src: Path | None) -> float:
    """Seconds to read and parse every row, without a database."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PARSE_ONLY, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"parsing {path.name} failed: {done.stderr[-1000:]}")
    count, seconds = done.stdout.split()
    if int(count) != rows:
        raise BenchError(f"parsed {count} rows of {path.name}, expected {rows}")
    return float(seconds)


def run(args: argparse.Namespace) -> None:
    figures: list[tuple[str, str]] = []
    with Bench(args) as bench:
        figures.append(("backend", bench.describe()))
        lines = g2_lines(args.rows, args.accounts)
        comma = bench.workdir / "g2-comma-utf8.csv"
        tab16 = bench.workdir / "g2-tab-utf16le.csv"
        write_comma_utf8(comma, lines)
        write_tab_utf16(tab16, lines)
        figures.append(("file", f"{args.rows:,} rows, {comma.stat().st_size / 1e6:.1f} MB UTF-8"))
        src = baseline_tree(bench, args.baseline) if args.baseline else None
        if src is not None:
            seconds = parse_only(comma, rows=args.rows, src=src)
            figures.append(
                (f"parse only at {args.baseline} (comma, UTF-8)", rate(args.rows, seconds))
            )
        seconds = parse_only(comma, rows=args.rows, src=None)
        figures.append(("parse only now (comma, UTF-8)", rate(args.rows, seconds)))
        seconds = parse_only(tab16, rows=args.rows, src=None)
        figures.append(("parse only now (tab, UTF-16LE, report lines)", rate(args.rows, seconds)))
        if src is not None:
            seconds = timed_import(bench, comma, rows=args.rows, src=src, label="baseline")
            figures.append((f"import at {args.baseline} (comma, UTF-8)", rate(args.rows, seconds)))
        seconds = timed_import(bench, comma, rows=args.rows, src=None, label="current")
        figures.append(("import now (comma, UTF-8)", rate(args.rows, seconds)))
        seconds = timed_import(bench, tab16, rows=args.rows, src=None, label="utf16")
        figures.append(("import now (tab, UTF-16LE, report lines)", rate(args.rows, seconds)))
    print_table("signals import, rows per second", figures)


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
