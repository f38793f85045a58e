"""Show what the API costs on signal ingest: signals/s pushed live vs a raw insert of the rows."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from _harness import (
    ACCOUNTS_TABLE,
    CRM,
    Batches,
    Bench,
    BenchError,
    add_common_arguments,
    bench_main,
    core_insert,
    make_team,
    payloads,
    print_table,
    push_batches,
    rate,
    service_row,
)
from sqlalchemy import Table, func, select

from intentsync.db.engine import Database
from intentsync.db.models import SignalDaily, SignalEvent
from intentsync.kit.clock import now_ms
from intentsync.scoring.job import fold_signals
from intentsync.signals.schemas import MAX_SIGNALS
from intentsync.signals.types import SIGNAL_TYPES, day_of, week_start

EVENTS = cast(Table, SignalEvent.__table__)
DAILY = cast(Table, SignalDaily.__table__)
TARGET_RATIO = 0.5
SPAN_DAYS = 90
VISITORS_PER_ACCOUNT = 20
# Shares of the stream by source, as vendors send them: mostly page views.
SOURCES = (("website", 0.6), ("g2", 0.2), ("linkedin", 0.15), ("bombora", 0.05))
TOPICS = ("CRM", "Intent Data", "Sales Analytics", "ABM", "Data Warehousing")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            f"Load accounts, then push intent signals through POST {CRM}/signals on a live "
            "server and compare with a Core insert of the same signal_events rows in "
            "transactions of one request's size. The API also looks up repeats, finds or "
            "creates each signal's account; the scoring round then folds the signals into the "
            "daily roll-up and marks their accounts for rescoring, timed after the push and "
            f"reported beside it. Target: API/baseline >= {TARGET_RATIO}."
        )
    )
    add_common_arguments(
        parser, accounts=5_000, accounts_help="accounts loaded first; signals name their domains"
    )
    parser.add_argument(
        "--signals", type=int, default=20_000, help="signals to push (default 20000)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=MAX_SIGNALS,
        help=f"signals per request and per baseline transaction (default {MAX_SIGNALS})",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="API push and baseline repeated this many times; the median ratio is reported",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated signals")
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when the ratio target is missed"
    )
    args = parser.parse_args(argv)
    if min(args.accounts, args.signals, args.clients, args.rounds) < 1:
        parser.error("--accounts, --signals, --clients and --rounds must be positive")
    if not 1 <= args.batch <= MAX_SIGNALS:
        parser.error(f"--batch must be from 1 to {MAX_SIGNALS}")
    return args


@dataclass(frozen=True)
class Signal:
    """One generated signal: its wire item and what signal_events stores for it."""

    account: int
    item: dict[str, Any]
    natural_key: str
    occurred_ms: int
    day: int
    quantity: float


def generate(args: argparse.Namespace, domains: Sequence[str]) -> list[Signal]:
    """Every signal new (its key unique), spread over accounts and the last SPAN_DAYS days."""
    rng = random.Random(args.seed)
    now_s = int(time.time())
    cuts: list[tuple[str, float]] = []
    total = 0.0
    for source, share in SOURCES:
        total += share
        cuts.append((source, total))
    out: list[Signal] = []
    for n in range(args.signals):
        account = rng.randrange(len(domains))
        roll = rng.random() * total
        source = next(s for s, cut in cuts if roll < cut)
        occurred_s = now_s - rng.randrange(SPAN_DAYS * 86_400)
        kind = rng.choice(SIGNAL_TYPES[source])
        quantity = 1.0
        attributes: dict[str, Any] = {}
        if source == "website":
            attributes = {
                "pageViewId": f"pv-{n:09d}",
                "visitorId": f"v{account}-{rng.randrange(VISITORS_PER_ACCOUNT)}",
                "path": f"/{kind}",
            }
        elif source == "bombora":
            attributes = {"topic": rng.choice(TOPICS), "compositeScore": rng.randrange(40, 100)}
        else:
            quantity = float(rng.randrange(1, 6))
            attributes = {"product" if source == "g2" else "campaign": f"item-{n % 7}"}
        item: dict[str, Any] = {
            "source": source,
            "domain": domains[account],
            "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(occurred_s)),
            "type": kind,
            "attributes": attributes,
        }
        if source == "website":
            key = f"pv:{attributes['pageViewId']}"
        else:
            item["key"] = f"sig-{n:09d}"
            key = "key:" + item["key"]
        if source in ("g2", "linkedin"):
            item["quantity"] = quantity
        day = day_of(occurred_s * 1000)
        if source == "bombora":
            day = week_start(day)
        out.append(Signal(account, item, key, occurred_s * 1000, day, quantity))
    return out


def event_row(signal: Signal, *, team_id: int, account_id: int, stamp: int) -> dict[str, Any]:
    """The signal_events row signals.service inserts for a new signal."""
    return {
        "team_id": team_id,
        "account_id": account_id,
        "source": signal.item["source"],
        "type": signal.item["type"],
        "natural_key": signal.natural_key,
        "occurred_ms": signal.occurred_ms,
        "day": signal.day,
        "quantity": signal.quantity,
        "attributes": signal.item["attributes"],
        "created_ms": stamp,
    }


def check_row_shape() -> None:
    """Fail early if signal_events gained a column the baseline rows would silently leave out."""
    sample = Signal(0, {"source": "g2", "type": "pricing", "attributes": {}}, "k", 0, 0, 1.0)
    got = set(event_row(sample, team_id=1, account_id=1, stamp=0))
    columns = {c.name for c in EVENTS.columns} - {"id"}
    if got != columns:
        raise BenchError(f"baseline rows differ from signal_events: {got ^ columns}")


def load_accounts(url: str, team_id: int, count: int) -> dict[str, int]:
    """Accounts shaped as the service writes them, in one Core insert; id by domain."""
    stamp = now_ms()
    core_insert(url, [[service_row(p, team_id=team_id, stamp=stamp) for p in payloads(count)]])
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            rows = session.execute(
                select(ACCOUNTS_TABLE.c.domain, ACCOUNTS_TABLE.c.id).where(
                    ACCOUNTS_TABLE.c.team_id == team_id
                )
            )
            found = {row[0]: row[1] for row in rows}
    finally:
        db.dispose()
    if len(found) != count:
        raise BenchError(f"loaded {len(found)} accounts, expected {count}")
    return found


def counts(url: str, team_id: int) -> tuple[int, int, float]:
    """(signal_events rows, signal_daily rows, summed daily quantity) of a team."""
    db = Database(url, pool_size=1)
    try:
        with db.transaction(write=False) as session:
            events = session.scalar(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.team_id == team_id)
            )
            daily, quantity = session.execute(
                select(func.count(), func.coalesce(func.sum(DAILY.c.quantity), 0.0)).where(
                    DAILY.c.team_id == team_id
                )
            ).one()
            return int(events or 0), int(daily or 0), float(quantity)
    finally:
        db.dispose()


def timed_fold(url: str, team_id: int) -> float:
    """Seconds the scoring round spends folding the pushed signals into the daily roll-up."""
    db = Database(url, pool_size=1)
    try:
        started = time.perf_counter()
        fold_signals(db, team_id=team_id)  # what the round runs first, batch by batch
        return time.perf_counter() - started
    finally:
        db.dispose()


def timed_api(
    bench: Bench, args: argparse.Namespace, domains: list[str], signals: list[Signal]
) -> tuple[float, float]:
    """Seconds to push every signal into a fresh team holding the accounts, then to fold them."""
    url = bench.main_url()
    ws = bench.provision(url, "bench signals")
    load_accounts(url, ws.team_id, len(domains))
    spec = Batches(path=f"{CRM}/signals", list_key="signals", id_key="type", size=args.batch)
    print(f"pushing {len(signals):,} signals from {args.clients} clients ...", flush=True)
    with bench.server(ws) as server:
        seconds = push_batches(
            server, spec, [s.item for s in signals], clients=args.clients, deadline=bench.deadline
        )
    events, daily, _ = counts(url, ws.team_id)
    if daily:
        raise BenchError(f"ingest wrote {daily:,} roll-up rows; the scoring round folds them")
    fold = timed_fold(url, ws.team_id)
    events, daily, quantity = counts(url, ws.team_id)
    if events != len(signals):
        raise BenchError(f"server stored {events:,} signals, expected {len(signals):,}")
    visitors = sum(
        1 for s in signals if s.item["source"] == "website" and s.item["type"] != "ignored"
    )
    expected = sum(s.quantity for s in signals) + visitors
    if daily == 0 or abs(quantity - expected) > 1e-6 * expected:
        raise BenchError(f"the daily roll-up sums {quantity}, expected {expected}")
    return seconds, fold


def timed_baseline(
    bench: Bench, args: argparse.Namespace, domains: list[str], signals: list[Signal]
) -> float:
    """Accounts untimed; then timed: the signal_events rows, one transaction per batch."""
    bench.deadline.check("baseline")
    url = bench.fresh("baseline")
    team_id = make_team(url, "bench signals baseline")
    ids = load_accounts(url, team_id, len(domains))
    chunks: list[list[dict[str, Any]]] = []
    for start in range(0, len(signals), args.batch):
        stamp = now_ms()
        chunks.append(
            [
                event_row(s, team_id=team_id, account_id=ids[domains[s.account]], stamp=stamp)
                for s in signals[start : start + args.batch]
            ]
        )
    statement = EVENTS.insert()
    db = Database(url, pool_size=1)
    try:
        started = time.perf_counter()
        for rows in chunks:
            with db.transaction() as session:
                session.connection().execute(statement, rows)
        seconds = time.perf_counter() - started
    finally:
        db.dispose()
    if counts(url, team_id)[0] != len(signals):
        raise BenchError("the baseline stored the wrong number of signals")
    return seconds


def run(args: argparse.Namespace) -> bool:
    """Alternate which goes first in each round; report the median round by ratio."""
    check_row_shape()
    domains = [p["domain"] for p in payloads(args.accounts)]
    signals = generate(args, domains)
    pairs: list[tuple[float, float]] = []
    folds: list[float] = []
    with Bench(args) as bench:
        for number in range(args.rounds):
            if args.rounds > 1:
                print(f"round {number + 1} of {args.rounds}", flush=True)
            if number % 2 == 0:
                api, fold = timed_api(bench, args, domains, signals)
                print(f"baseline: Core insert, transactions of {args.batch:,} ...", flush=True)
                base = timed_baseline(bench, args, domains, signals)
            else:
                print(f"baseline: Core insert, transactions of {args.batch:,} ...", flush=True)
                base = timed_baseline(bench, args, domains, signals)
                api, fold = timed_api(bench, args, domains, signals)
            pairs.append((api, base))
            folds.append(fold)
        backend = bench.describe()
    api, base = sorted(pairs, key=lambda p: p[1] / p[0])[len(pairs) // 2]
    ratio = base / api
    met = ratio >= TARGET_RATIO
    fold = sorted(folds)[len(folds) // 2]
    folded = rate(args.signals, fold)
    print_table(
        "ingest_signals results",
        [
            ("backend", backend),
            ("signals", f"{args.signals:,} in batches of {args.batch:,}"),
            ("accounts", f"{args.accounts:,}"),
            ("clients", str(args.clients)),
            ("API wall time", f"{api:.2f} s"),
            ("API signals/s", rate(args.signals, api)),
            (f"baseline rows/s (tx of {args.batch:,})", rate(args.signals, base)),
            ("ratio API / baseline", f"{ratio:.2f}"),
            ("roll-up fold, later in the scoring round", f"{fold:.2f} s ({folded}, median)"),
            ("rounds (ratio of each)", ", ".join(f"{b / a:.2f}" for a, b in pairs)),
            ("target", f"{'met' if met else 'NOT met'} (ratio >= {TARGET_RATIO})"),
        ],
    )
    return met


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
