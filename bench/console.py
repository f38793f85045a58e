"""Time the console's pages against the API reads that give the same data, on one live server.

The team gets the scoring bench's data (--accounts accounts, --events signals over 90 days,
loaded with Core bulk inserts), scored as of three weeks ago, two weeks ago, a week ago and
today, so score history, stage transitions and 7-day trends exist. Then a live `intentsync
serve` answers --requests sequential requests per page, signed in with a session cookie, and as
many of the equivalent API reads with the API key; p50 and p95 of the wall time on loopback
are printed side by side. Targets (SQLite): every page p95 <= 150 ms and <= 3x its API
equivalent. With --database-url, a later run finds the team an earlier run loaded there and
measures again without loading.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from _harness import (
    CRM,
    Bench,
    BenchError,
    Server,
    Workspace,
    add_common_arguments,
    bench_main,
    print_table,
)
from sqlalchemy import func, select

from intentsync.auth.service import generate_key, set_password
from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from intentsync.db.models import Account, Team, User
from scoring import Workload, account_ids, load_accounts, load_rest, timed_run

TEAM_NAME = "bench console"
TARGET_P95_MS = 150.0
TARGET_RATIO = 3.0
PASSWORD = "bench console password"
WARM_UP = 5
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, accounts_help="accounts in the team")
    parser.set_defaults(timeout=3600.0)
    parser.add_argument(
        "--events", type=int, default=5_000_000, help="signal events in all (default 5000000)"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per page (200)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated signals")
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when a SQLite target is missed"
    )
    args = parser.parse_args(argv)
    if min(args.accounts, args.events, args.requests) < 1:
        parser.error("--accounts, --events and --requests must be positive")
    # What scoring.load_rest reads: every event goes in with Core bulk inserts.
    args.http_events = 0
    args.load = "core"
    args.service_budget = 0.0
    return args


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(label: str, requests: int, call: Callable[[], None]) -> Timing:
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    timing = Timing(statistics.median(samples), percentile(samples, 0.95))
    print(f"  {label}: p50 {timing.p50_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms", flush=True)
    return timing


def expect(response: httpx.Response, marker: str) -> None:
    if response.status_code != 200 or marker not in response.text:
        raise BenchError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:300]}"
        )


def signed_in(server: Server, email: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=60.0, trust_env=False)
    form = client.get("/sign-in")
    token = CSRF.search(form.text)
    if token is None:
        raise BenchError("the sign-in page has no CSRF token")
    done = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    )
    if done.status_code != 303:
        raise BenchError(f"sign-in answered {done.status_code}: {done.text[:300]}")
    return client


def top_account(db: Database, team_id: int) -> tuple[str, str]:
    """(rtp_aid, externalId) of the highest-scored account: the one with most to show."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Account.rtp_aid, Account.external_id)
            .where(Account.team_id == team_id)
            .order_by(Account.account_score.desc(), Account.id)
            .limit(1)
        ).one()
    return row[0], row[1]


def loaded_team(url: str, accounts: int) -> Workspace | None:
    """A team an earlier run loaded into --database-url, with its user and a fresh key."""
    upgrade(url)  # a new file, or one an older version loaded
    db = Database(url, pool_size=1)
    try:
        with db.transaction() as session:
            team = session.scalar(
                select(Team.id).where(Team.name == TEAM_NAME).order_by(Team.id.desc()).limit(1)
            )
            if team is None:
                return None
            count = session.scalar(select(func.count()).where(Account.team_id == team))
            email = session.scalar(select(User.email).where(User.team_id == team).limit(1))
            if count != accounts or email is None:
                return None
            key = generate_key(session, email=email)
        return Workspace(url=url, team_id=team, email=email, key=key)
    finally:
        db.dispose()


def run(args: argparse.Namespace) -> bool:
    figures: list[tuple[str, str]] = []
    with Bench(args) as bench:
        figures.append(("backend", bench.describe()))
        url = bench.main_url()
        reused = loaded_team(url, args.accounts) if args.database_url else None
        if reused is not None:
            print(f"reusing team {reused.team_id} loaded by an earlier run", flush=True)
            ws = reused
        else:
            ws = bench.provision(url, TEAM_NAME)
        db = Database(url, pool_size=2)
        if reused is None:
            print(f"loading {args.accounts:,} accounts and {args.events:,} signals ...", flush=True)
            domains = load_accounts(url, ws.team_id, args.accounts)
        try:
            work = Workload(accounts=args.accounts, seed=args.seed, now_s=int(time.time()))
            if reused is None:
                ids = account_ids(db, ws.team_id, domains)
                load_rest(args, bench, db, ws.team_id, work, ids, domains)
            for weeks_ago in () if reused is not None else (3, 2, 1, 0):
                print(f"full scoring run as of {weeks_ago} week(s) ago ...", flush=True)
                report, seconds, _ = timed_run(
                    db, ws.team_id, full=True, as_of=work.as_of - 7 * weeks_ago
                )
                if report.status != "succeeded":
                    raise BenchError(f"scoring run: {report.status} {report.errors[:3]}")
                print(f"  {seconds:.1f} s, {report.accounts_scored:,} accounts", flush=True)
            with db.transaction() as session:
                set_password(session, email=ws.email, password=PASSWORD)
            rtp_aid, external_id = top_account(db, ws.team_id)
        finally:
            db.dispose()

        pages = {
            "overview": ("/", "Overview"),
            "accounts, 2 filters + sort": (
                "/accounts?stage=Aware&score_min=10&sort=score&dir=desc",
                "<table",
            ),
            "account page": (f"/accounts/{rtp_aid}", "Score history"),
        }
        api_reads: dict[str, list[str]] = {
            "overview": [f"{CRM}/accounts?limit=50"],
            "accounts, 2 filters + sort": [f"{CRM}/accounts?limit=50"],
            "account page": [
                f"{CRM}/accounts/{external_id}/score",
                f"{CRM}/accounts/{external_id}/score/history?days=90",
                f"{CRM}/accounts/{external_id}/stages",
                f"{CRM}/accounts/{external_id}/signals?limit=20",
            ],
        }
        met = True
        with bench.server(ws) as server:
            console = signed_in(server, ws.email)
            api = server.client()
            try:
                for name, (path, marker) in pages.items():
                    print(f"{name}: {path}", flush=True)

                    def page_call(path: str = path, marker: str = marker) -> None:
                        expect(console.get(path), marker)

                    def api_call(paths: list[str] = api_reads[name]) -> None:
                        for each in paths:
                            expect(api.get(each), '"data"')

                    page = measure("page", args.requests, page_call)
                    equivalent = measure(
                        f"API ({len(api_reads[name])} read(s))", args.requests, api_call
                    )
                    ratio = page.p95_ms / equivalent.p95_ms
                    ok = ratio <= TARGET_RATIO and (
                        bench.kind != "sqlite" or page.p95_ms <= TARGET_P95_MS
                    )
                    met = met and ok
                    figures.append(
                        (
                            name,
                            f"p50 {page.p50_ms:.1f} ms, p95 {page.p95_ms:.1f} ms; API p50 "
                            f"{equivalent.p50_ms:.1f} ms, p95 {equivalent.p95_ms:.1f} ms; "
                            f"p95 ratio {ratio:.2f} ({'met' if ok else 'MISSED'})",
                        )
                    )
            finally:
                console.close()
                api.close()
    figures.append(
        (
            "targets",
            f"page p95 <= {TARGET_P95_MS:.0f} ms (SQLite), p95 <= {TARGET_RATIO:.0f}x the API's",
        )
    )
    print_table(f"console pages, {args.accounts:,} accounts, {args.events:,} signals", figures)
    return met


if __name__ == "__main__":
    raise SystemExit(bench_main(parse_args, run))
