"""Show how fast a CRM pulls accounts out: full cursor syncs, and delta syncs that use the index."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
from _harness import (
    CRM,
    Bench,
    BenchError,
    Server,
    Workspace,
    account_payload,
    add_common_arguments,
    analyze,
    bench_main,
    core_insert,
    count_accounts,
    payloads,
    print_table,
    push_accounts,
    rate,
    service_row,
    team_clock,
)

TARGET_RATE = 20_000
FIELD_LABEL = "Bench Note"
FIELD_KEY = "BENCH_NOTE_C"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Load accounts, time full syncs through GET /api/v1/crm/accounts at each limit, then "
            f"time a delta sync on the big database vs a small one. Target: >= {TARGET_RATE:,} "
            "accounts/s at limit 1000; delta ratio about 1."
        )
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--limits", default="100,1000", help="comma-separated page sizes for the full sync"
    )
    parser.add_argument("--small-accounts", type=int, default=1_000, help="size of the small db")
    parser.add_argument("--changed", type=int, default=100, help="accounts updated before delta")
    parser.add_argument("--repeats", type=int, default=50, help="timed delta syncs per database")
    parser.add_argument(
        "--load",
        choices=("core", "api"),
        default="core",
        help="load accounts with a Core insert of service-shaped rows (fast) or through the API",
    )
    parser.add_argument("--clients", type=int, default=4, help="HTTP clients for --load api")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE accounts after loading (default: measure the freshly loaded state)",
    )
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when the limit-1000 target is missed"
    )
    args = parser.parse_args(argv)
    args.limit_list = [int(part) for part in args.limits.split(",") if part.strip()]
    if any(not 1 <= limit <= 1000 for limit in args.limit_list):
        parser.error("--limits must be between 1 and 1000")
    if not 1 <= args.changed <= min(args.accounts, args.small_accounts, 1000):
        parser.error("--changed must be 1..min(accounts, small accounts, 1000)")
    if args.repeats < 1:
        parser.error("--repeats must be positive")
    return args


def load(bench: Bench, ws: Workspace, count: int, how: str, clients: int, *, stats: bool) -> None:
    """Fill the team with count accounts shaped exactly like the service writes them."""
    items = payloads(count)
    if how == "api":
        with bench.server(ws) as server:
            push_accounts(server, items, clients=clients, deadline=bench.deadline)
    else:
        # One fixed stamp equal to the team clock, so the sync watermark already covers it.
        stamp = team_clock(ws.url, ws.team_id)
        rows = [service_row(p, team_id=ws.team_id, stamp=stamp) for p in items]
        core_insert(ws.url, [rows])
    stored = count_accounts(ws.url, ws.team_id)
    if stored != count:
        raise BenchError(f"loaded {stored} accounts, expected {count}")
    if stats:
        analyze(ws.url)


def get_page(client: httpx.Client, params: dict[str, Any]) -> dict[str, Any]:
    """One GET /accounts page; anything but 200 stops the run rather than skew a figure."""
    response = client.get(f"{CRM}/accounts", params=params)
    if response.status_code != 200:
        raise BenchError(f"GET /accounts {params}: HTTP {response.status_code}: {response.text}")
    page: dict[str, Any] = response.json()["data"]
    return page


def full_sync(bench: Bench, server: Server, limit: int, expected: set[str]) -> float:
    """Walk every page with nextCursor and check each account arrives exactly once."""
    seen: list[str] = []
    sync_stamps: set[str] = set()
    with server.client() as client:
        started = time.perf_counter()
        params: dict[str, Any] = {"limit": limit}
        while True:
            bench.deadline.check(f"full sync at limit {limit}")
            page = get_page(client, params)
            seen.extend(account["externalId"] for account in page["data"])
            sync_stamps.add(page["syncTimestamp"])
            if not page["hasNextPage"]:
                break
            if not page["nextCursor"] or len(page["data"]) != limit:
                raise BenchError(f"page with hasNextPage but {len(page['data'])} rows or no cursor")
            params = {"limit": limit, "cursor": page["nextCursor"]}
        elapsed = time.perf_counter() - started
    if len(seen) != len(set(seen)):
        raise BenchError(f"limit {limit}: {len(seen) - len(set(seen))} accounts came twice")
    if set(seen) != expected:
        missing = len(expected - set(seen))
        extra = len(set(seen) - expected)
        raise BenchError(f"limit {limit}: {missing} accounts missing, {extra} unexpected")
    if len(sync_stamps) != 1:
        raise BenchError(f"limit {limit}: syncTimestamp changed during the walk: {sync_stamps}")
    return elapsed


def create_field(client: httpx.Client) -> None:
    response = client.post(
        f"{CRM}/accounts/custom-field", json={"label": FIELD_LABEL, "labelType": "singleLineText"}
    )
    if response.status_code != 201:
        raise BenchError(f"creating the custom field: HTTP {response.status_code}: {response.text}")
    key = response.json()["data"][0]["key"]
    if key != FIELD_KEY:
        raise BenchError(f"custom field key is {key}, expected {FIELD_KEY}")


@dataclass
class Delta:
    """One database's delta sync: its client, the request and the accounts it must return."""

    client: httpx.Client
    params: dict[str, Any]
    chosen: set[str]
    timings: list[float] = field(default_factory=list)


def prepare_delta(bench: Bench, client: httpx.Client, total: int, changed: int) -> Delta:
    """Note syncTimestamp, then update `changed` accounts spread over the whole id range."""
    create_field(client)
    step = total // changed
    chosen = {account_payload(i * step + step // 2)["externalId"] for i in range(changed)}
    since = get_page(client, {"limit": 1})["syncTimestamp"]
    for n, external_id in enumerate(sorted(chosen)):
        bench.deadline.check("delta updates")
        response = client.put(
            f"{CRM}/accounts/{external_id}", json={"customFields": {FIELD_KEY: f"note {n}"}}
        )
        if response.status_code != 200:
            raise BenchError(f"PUT {external_id}: HTTP {response.status_code}: {response.text}")
    return Delta(client=client, params={"lastSync": since, "limit": 1000}, chosen=chosen)


def delta_once(bench: Bench, delta: Delta) -> float:
    """One delta sync, checked to return exactly the changed accounts; returns seconds."""
    bench.deadline.check("delta sync")
    started = time.perf_counter()
    page = get_page(delta.client, delta.params)
    elapsed = time.perf_counter() - started
    got = [account["externalId"] for account in page["data"]]
    if page["hasNextPage"] or len(got) != len(delta.chosen) or set(got) != delta.chosen:
        raise BenchError(f"delta sync returned {len(got)} accounts, expected {len(delta.chosen)}")
    return elapsed


def run(args: argparse.Namespace) -> bool:
    """Run every measurement; return whether the stated target was met."""
    figures: list[tuple[str, str]] = []
    sync_rates: dict[int, float] = {}
    with Bench(args) as bench:
        figures.append(("backend", bench.describe()))
        stats = ", then ANALYZE" if args.analyze else ", no ANALYZE"
        figures.append(("accounts (big db)", f"{args.accounts:,}, loaded via {args.load}{stats}"))
        ws = bench.provision(bench.main_url(), "bench export")
        print(f"loading {args.accounts:,} accounts via {args.load} ...", flush=True)
        load(bench, ws, args.accounts, args.load, args.clients, stats=args.analyze)
        small_ws = bench.provision(bench.fresh("small"), "bench export small")
        load(bench, small_ws, args.small_accounts, args.load, args.clients, stats=args.analyze)
        expected = {p["externalId"] for p in payloads(args.accounts)}
        with ExitStack() as stack:
            server = stack.enter_context(bench.server(ws))
            small_server = stack.enter_context(bench.server(small_ws))
            for limit in args.limit_list:
                print(f"full sync at limit={limit} ...", flush=True)
                seconds = full_sync(bench, server, limit, expected)
                sync_rates[limit] = args.accounts / seconds
                figures.append(
                    (f"full sync limit={limit}", f"{seconds:.2f} s, {rate(args.accounts, seconds)}")
                )
            print(
                f"delta sync on {args.accounts:,} vs {args.small_accounts:,} accounts ...",
                flush=True,
            )
            big = prepare_delta(
                bench, stack.enter_context(server.client()), args.accounts, args.changed
            )
            small = prepare_delta(
                bench, stack.enter_context(small_server.client()), args.small_accounts, args.changed
            )
            delta_once(bench, big)  # warm both servers' caches; not counted
            delta_once(bench, small)
            for attempt in range(args.repeats):
                # Alternate so drift in machine load falls on both databases alike.
                pair = (big, small) if attempt % 2 == 0 else (small, big)
                for delta in pair:
                    delta.timings.append(delta_once(bench, delta))

    big_median = statistics.median(big.timings)
    small_median = statistics.median(small.timings)
    for label, count, delta in (
        ("big", args.accounts, big),
        ("small", args.small_accounts, small),
    ):
        figures.append(
            (
                f"delta median, {count:,} accounts ({label})",
                f"{statistics.median(delta.timings) * 1000:.2f} ms "
                f"(min {min(delta.timings) * 1000:.2f}; {args.changed} changed, "
                f"{args.repeats} runs)",
            )
        )
    figures.append(
        (
            "delta ratio big / small",
            f"{big_median / small_median:.2f} (about 1 when the index is used)",
        )
    )
    met = sync_rates.get(1000, TARGET_RATE) >= TARGET_RATE
    if 1000 in sync_rates:
        verdict = "met" if met else "NOT met"
        figures.append(("target", f"{verdict} (>= {TARGET_RATE:,}/s at limit=1000)"))
    print_table("export_accounts results", figures)
    return met


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
