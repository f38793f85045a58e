"""Show what the API costs on ingest: accounts/s pushed live vs a raw Core insert of the rows."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from _harness import (
    BATCH,
    Bench,
    BenchError,
    add_common_arguments,
    bench_main,
    chunked,
    core_insert,
    count_accounts,
    make_team,
    payloads,
    print_table,
    push_accounts,
    rate,
    service_row,
)
from sqlalchemy import func, select

from intentsync.db.engine import Database
from intentsync.db.models import WebhookEvent
from intentsync.kit.clock import now_ms
from intentsync.webhooks.events import EVENT_TYPES

TARGET_RATE = 10_000
TARGET_RATIO = 0.3
SINK = "http://127.0.0.1:9/outbox-bench"  # never called: nothing delivers during the bench


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Push accounts through POST /api/v1/crm/accounts on a live server and compare with "
            "a Core insert of the same rows in transactions of 100. Targets (SQLite): "
            f">= {TARGET_RATE:,} accounts/s and API/baseline >= {TARGET_RATIO}."
        )
    )
    add_common_arguments(parser)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="API push and baselines repeated this many times; the median ratio is reported",
    )
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when a SQLite target is missed"
    )
    parser.add_argument(
        "--with-subscription",
        action="store_true",
        help=(
            "instead of the baselines, push the same accounts into a team without webhook "
            "subscriptions and into one subscribed to every event (the outbox's added cost)"
        ),
    )
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.clients < 1 or args.rounds < 1:
        parser.error("--accounts, --clients and --rounds must be positive")
    return args


def baseline_rows(team_id: int, items: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """Service-shaped rows in chunks of 100, each chunk stamped like one API request."""
    chunks: list[list[dict[str, object]]] = []
    for chunk in chunked(items, BATCH):
        stamp = now_ms()
        chunks.append([service_row(p, team_id=team_id, stamp=stamp) for p in chunk])
    return chunks


@dataclass(frozen=True)
class Round:
    """One push through the API and the baselines measured right after it."""

    api: float
    batched: float
    plain: float
    single: float

    @property
    def ratio(self) -> float:
        return self.batched / self.api


def timed_baseline(
    bench: Bench,
    args: argparse.Namespace,
    label: str,
    rows_for_team: Callable[[int], Sequence[Sequence[dict[str, object]]]],
    *,
    positional: bool = False,
) -> float:
    """Insert one baseline's rows into a fresh database, check they all landed; return seconds."""
    bench.deadline.check(f"{label} baseline")
    url = bench.fresh(f"baseline-{label}")
    team_id = make_team(url, f"bench baseline {label}")
    seconds = core_insert(url, rows_for_team(team_id), positional=positional)
    if count_accounts(url, team_id) != args.accounts:
        raise BenchError(f"{label} baseline stored the wrong number of rows")
    return seconds


def one_transaction(team_id: int, items: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """Service-shaped rows, all in one transaction with one stamp."""
    stamp = now_ms()
    return [[service_row(p, team_id=team_id, stamp=stamp) for p in items]]


def measure_round(bench: Bench, args: argparse.Namespace, items: list[dict[str, object]]) -> Round:
    """One API push, then each baseline on a fresh database of its own.

    The API gets a fresh database too, unless --database-url names one: then every round adds
    a new team to it.
    """
    main_url = bench.main_url()
    ws = bench.provision(main_url, "bench ingest")
    print(f"pushing {args.accounts:,} accounts from {args.clients} clients ...", flush=True)
    with bench.server(ws) as server:
        api_seconds = push_accounts(server, items, clients=args.clients, deadline=bench.deadline)
    stored = count_accounts(main_url, ws.team_id)
    if stored != args.accounts:
        raise BenchError(f"server stored {stored} accounts, expected {args.accounts}")

    print("baseline: Core insert, transactions of 100 rows ...", flush=True)
    batched = timed_baseline(bench, args, "batched", lambda team: baseline_rows(team, items))
    print("info: the API's own SQLite insert path, transactions of 100 rows ...", flush=True)
    plain = timed_baseline(
        bench, args, "insert_rows", lambda team: baseline_rows(team, items), positional=True
    )
    print("baseline: Core insert, one transaction ...", flush=True)
    single = timed_baseline(
        bench, args, "single-transaction", lambda team: one_transaction(team, items)
    )
    return Round(api=api_seconds, batched=batched, plain=plain, single=single)


def timed_push(
    bench: Bench, args: argparse.Namespace, items: list[dict[str, object]], *, subscribed: bool
) -> float:
    """Seconds to push items into a fresh team, subscribed to every event or not."""
    url = bench.main_url()
    ws = bench.provision(url, "bench outbox" if subscribed else "bench no outbox")
    if subscribed:
        every = ",".join(EVENT_TYPES)
        team = str(ws.team_id)
        bench.cli(url, "webhook", "add", "--team", team, "--url", SINK, "--events", every)
    label = "one subscription to every event" if subscribed else "no subscription"
    print(f"pushing {args.accounts:,} accounts, {label} ...", flush=True)
    with bench.server(ws) as server:
        seconds = push_accounts(server, items, clients=args.clients, deadline=bench.deadline)
    if count_accounts(url, ws.team_id) != args.accounts:
        raise BenchError("the server stored the wrong number of accounts")
    if outbox_events(url, ws.team_id) != (args.accounts if subscribed else 0):
        raise BenchError("the outbox does not hold one account.created per new account")
    return seconds


def outbox_events(url: str, team_id: int) -> int:
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            return int(
                session.scalar(select(func.count()).where(WebhookEvent.team_id == team_id)) or 0
            )
    finally:
        db.dispose()


def run_outbox(args: argparse.Namespace) -> bool:
    """The same push without and with a subscription, alternating which goes first per round."""
    items = payloads(args.accounts)
    pairs: list[tuple[float, float]] = []
    with Bench(args) as bench:
        for number in range(args.rounds):
            order = (False, True) if number % 2 == 0 else (True, False)
            seconds = {s: timed_push(bench, args, items, subscribed=s) for s in order}
            pairs.append((seconds[False], seconds[True]))
        backend = bench.describe()
    without, with_sub = sorted(pairs, key=lambda p: p[1] / p[0])[len(pairs) // 2]
    print_table(
        "ingest_accounts outbox cost",
        [
            ("backend", backend),
            ("accounts", f"{args.accounts:,} in batches of {BATCH}"),
            ("clients", str(args.clients)),
            ("no subscription", f"{without:.2f} s, {rate(args.accounts, without)} accounts"),
            (
                "one subscription (every event)",
                f"{with_sub:.2f} s, {rate(args.accounts, with_sub)} accounts",
            ),
            ("time with / without", f"{with_sub / without:.2f}"),
            ("rounds (ratio of each)", ", ".join(f"{w / o:.2f}" for o, w in pairs)),
        ],
    )
    return True


def run(args: argparse.Namespace) -> bool:
    """Run every measurement; return whether the stated targets were met by the median round."""
    if args.with_subscription:
        return run_outbox(args)
    items = payloads(args.accounts)
    with Bench(args) as bench:
        rounds: list[Round] = []
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            rounds.append(measure_round(bench, args, items))
        backend = bench.describe()
        kind = bench.kind
    median = sorted(rounds, key=lambda r: r.ratio)[len(rounds) // 2]
    api_seconds, batched_seconds = median.api, median.batched
    plain_seconds, single_seconds = median.plain, median.single
    api_rate = args.accounts / api_seconds
    batched_rate = args.accounts / batched_seconds
    single_rate = args.accounts / single_seconds
    ratio = api_rate / batched_rate
    met = api_rate >= TARGET_RATE and ratio >= TARGET_RATIO
    if kind == "sqlite":
        verdict = "met" if met else "NOT met"
        target = f"{verdict} (>= {TARGET_RATE:,}/s and ratio >= {TARGET_RATIO})"
    else:
        target = "n/a (targets are stated for SQLite)"
    print_table(
        "ingest_accounts results",
        [
            ("backend", backend),
            ("accounts", f"{args.accounts:,} in batches of {BATCH}"),
            ("clients", str(args.clients)),
            ("API wall time", f"{api_seconds:.2f} s"),
            ("API accounts/s", rate(args.accounts, api_seconds)),
            ("baseline rows/s (tx of 100 rows)", rate(args.accounts, batched_seconds)),
            ("ratio API / baseline (tx of 100)", f"{ratio:.2f}"),
            ("baseline rows/s (one tx, info)", rate(args.accounts, single_seconds)),
            ("ratio API / one-tx baseline (info)", f"{api_rate / single_rate:.2f}"),
            ("rows/s via insert_rows, tx of 100 (info)", rate(args.accounts, plain_seconds)),
            ("ratio API / insert_rows (info)", f"{plain_seconds / api_seconds:.2f}"),
            ("rounds (ratio of each)", ", ".join(f"{r.ratio:.2f}" for r in rounds)),
            ("target", target),
        ],
    )
    return met or kind != "sqlite"


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
