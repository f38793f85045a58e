"""What an Idempotency-Key costs: keyed pushes and replays against the same run without keys."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
from _harness import (
    CRM,
    Bench,
    BenchError,
    Server,
    add_common_arguments,
    bench_main,
    count_accounts,
    payloads,
    print_table,
)

MODES = ("no key", "key", "replay")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Push accounts through POST /api/v1/crm/accounts on one live server, in rounds that "
            "alternate requests without a key, with a fresh Idempotency-Key each, and the same "
            "keyed requests again (replays); print each rate and its ratio to the keyless one."
        )
    )
    add_common_arguments(parser, accounts=10_000, accounts_help="accounts per mode and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--batch", type=int, default=100, help="accounts per request (1-100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.clients < 1 or args.rounds < 1 or not 1 <= args.batch <= 100:
        parser.error("--accounts, --clients and --rounds must be positive, --batch 1 to 100")
    return args


def timed_posts(
    server: Server, bodies: Sequence[bytes], keys: Sequence[str | None], *, clients: int
) -> tuple[float, list[httpx.Response]]:
    """Send every body once from `clients` threads; return the seconds and the answers."""
    answers: list[httpx.Response | None] = [None] * len(bodies)
    cursor = iter(range(len(bodies)))
    lock = threading.Lock()

    def work(client: httpx.Client) -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            headers = {"Content-Type": "application/json"}
            key = keys[index]
            if key is not None:
                headers["Idempotency-Key"] = key
            answers[index] = client.post(f"{CRM}/accounts", content=bodies[index], headers=headers)

    pool = [server.client() for _ in range(clients)]
    try:
        threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in pool]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        for client in pool:
            client.close()
    done = [a for a in answers if a is not None]
    if len(done) != len(bodies):
        raise BenchError("a request got no answer")
    return elapsed, done


def check(mode: str, answers: list[httpx.Response], batch: int) -> None:
    for answer in answers:
        if answer.status_code != 200:
            raise BenchError(f"{mode}: HTTP {answer.status_code}: {answer.text[:300]}")
        if answer.json()["data"]["summary"]["created"] != batch:
            raise BenchError(f"{mode}: not every account was created: {answer.text[:300]}")
        if (answer.headers.get("Idempotent-Replayed") == "true") != (mode == "replay"):
            raise BenchError(f"{mode}: the Idempotent-Replayed header is wrong")


def bodies_of(items: Sequence[dict[str, Any]], batch: int) -> list[bytes]:
    return [
        json.dumps({"accounts": list(items[i : i + batch])}, separators=(",", ":")).encode()
        for i in range(0, len(items), batch)
    ]


def run(args: argparse.Namespace) -> None:
    per_round = args.accounts
    items = payloads(per_round * 2 * args.rounds)
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    with Bench(args) as bench:
        url = bench.main_url()
        ws = bench.provision(url, "bench idempotency")
        with bench.server(ws) as server:
            for number in range(args.rounds):
                bench.deadline.check(f"round {number + 1}")
                start = number * 2 * per_round
                plain = bodies_of(items[start : start + per_round], args.batch)
                keyed = bodies_of(items[start + per_round : start + 2 * per_round], args.batch)
                keys = [secrets.token_hex(16) for _ in keyed]
                print(f"round {number + 1} of {args.rounds} ...", flush=True)
                for mode, bodies, mode_keys in (
                    ("no key", plain, [None] * len(plain)),
                    ("key", keyed, keys),
                    ("replay", keyed, keys),
                ):
                    elapsed, answers = timed_posts(server, bodies, mode_keys, clients=args.clients)
                    check(mode, answers, args.batch)
                    seconds[mode].append(elapsed)
        stored = count_accounts(url, ws.team_id)
        if stored != len(items):
            raise BenchError(f"server stored {stored} accounts, expected {len(items)}")
        backend = bench.describe()
    median = {mode: sorted(values)[len(values) // 2] for mode, values in seconds.items()}
    requests = -(-per_round // args.batch)
    rows = [
        ("backend", backend),
        ("per mode and round", f"{per_round:,} accounts in {requests:,} requests"),
        ("clients, rounds", f"{args.clients}, {args.rounds} (median shown)"),
    ]
    for mode in MODES:
        rate = requests / median[mode]
        ratio = median["no key"] / median[mode]
        rows.append((f"{mode}: requests/s", f"{rate:,.0f} ({ratio:.2f} x no key)"))
    rows.append(
        (
            "wall time added per keyed request",
            f"{(median['key'] - median['no key']) / requests * 1e3:+.2f} ms",
        )
    )
    print_table("idempotency results", rows)


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
