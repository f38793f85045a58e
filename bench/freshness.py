"""Show how fresh scores are: from POST /signals to the new score in GET /accounts and a webhook.

A live `intentsync serve` holds --accounts accounts (one Core insert of the rows the service
writes) and scores them on its own: a first full round soon after start, then incremental
rounds INTENTSYNC_SCORING_DEBOUNCE seconds after new inputs. Once that first round is done, a
background client streams website page views to random accounts at --stream-rate, and every
--probe-interval a probe sends one G2 pricing signal to an account of its own that has no
signals (score 0; three G2 pricing views make its G2 sub-score 70 and its overall score 14, so
the signal must move it), polls GET /accounts/{externalId} every --poll seconds until the
score moved, and waits for the account.score_changed webhook at a receiver in this process.
Each probe is timed on its own from just before its POST. The same run reports what the
server's incremental rounds took meanwhile, the floor under any freshness the debounce allows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from _harness import (
    CRM,
    HOST,
    Bench,
    BenchError,
    Server,
    add_common_arguments,
    bench_main,
    core_insert,
    count_accounts,
    payloads,
    print_table,
    service_row,
    team_clock,
)
from sqlalchemy import select, text

from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.models import ScoringRun
from intentsync.kit.clock import now_ms
from intentsync.webhooks.events import ACCOUNT_SCORE_CHANGED
from scoring import Workload, account_ids, bulk_chunk, bulk_loader, check_row_shape

TARGET_DEFAULT_P95 = 60.0  # seconds, with the server's default settings
TARGET_TUNED_P95 = 10.0  # seconds, with a shorter debounce
PROBE_QUANTITY = 3.0  # G2 pricing views per probe: G2 sub-score 70, overall score 14
PROBE_SCORE = 14
HISTORY_EVENTS = 1_000_000
HISTORY_BATCH = 100_000  # events per Core transaction while loading history
STREAM_TICK = 0.1  # seconds between the stream's requests
STREAM_TYPES = ("content", "product", "pricing", "comparison", "demo")
DEFAULT_DEBOUNCE = float(Settings.model_fields["scoring_debounce"].default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Time, on a live server scoring on its own, how long a new signal takes to change "
            "an account's score in GET /accounts/{externalId} and to arrive as an "
            "account.score_changed webhook, while other signals stream in. Targets: p95 <= "
            f"{TARGET_DEFAULT_P95:.0f} s with default settings, <= {TARGET_TUNED_P95:.0f} s "
            "with a shorter --debounce."
        )
    )
    add_common_arguments(parser, accounts_help="accounts in the team")
    parser.set_defaults(timeout=1200.0)
    parser.add_argument("--probes", type=int, default=200, help="probes (default 200)")
    parser.add_argument(
        "--probe-interval",
        type=float,
        default=1.0,
        help="seconds between probe starts; probes overlap, each on its own account (default 1)",
    )
    parser.add_argument(
        "--poll", type=float, default=0.1, help="seconds between a probe's GETs (default 0.1)"
    )
    parser.add_argument(
        "--probe-timeout",
        type=float,
        default=180.0,
        help="seconds after which a probe not yet seen counts as missed (default 180)",
    )
    parser.add_argument(
        "--stream-rate",
        type=float,
        default=50.0,
        help="signals per second the background client sends to other accounts (default 50)",
    )
    parser.add_argument(
        "--debounce",
        type=float,
        default=None,
        help="INTENTSYNC_SCORING_DEBOUNCE for the server (default: the server's own setting)",
    )
    parser.add_argument(
        "--first-delay",
        type=int,
        default=None,
        help="INTENTSYNC_SCORING_FIRST_DELAY for the server (default: the server's own setting)",
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        default=None,
        help="seconds of stream before the first probe (default twice the debounce, >= 5)",
    )
    parser.add_argument(
        "--min-score-change",
        type=int,
        default=1,
        help=f"minScoreChange of the webhook subscription (default 1; at most {PROBE_SCORE})",
    )
    parser.add_argument(
        "--history-events",
        type=int,
        default=HISTORY_EVENTS,
        help=(
            "signals of the last 90 days loaded with Core before the server starts, spread "
            "like bench/scoring.py's (a quarter of accounts gets none; probes use those); "
            f"default {HISTORY_EVENTS:,}"
        ),
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for accounts and signal types")
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when the p95 target is missed"
    )
    args = parser.parse_args(argv)
    if args.accounts < 4 * (args.probes + 10):
        parser.error("--accounts must be at least four times --probes + 10")
    if args.history_events < 0:
        parser.error("--history-events must not be negative")
    if args.probes < 1 or args.probe_interval <= 0 or args.poll <= 0 or args.stream_rate < 0:
        parser.error("--probes, --probe-interval and --poll must be positive")
    if not 0 <= args.min_score_change <= PROBE_SCORE:
        parser.error(f"--min-score-change must be between 0 and {PROBE_SCORE}")
    return args


# ---------------------------------------------------------------------------- the receiver


class Receiver:
    """A webhook endpoint in this process: notes when each account's score_changed arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.received = 0
        self._waiting: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.note(body, time.monotonic())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self.url = f"http://{HOST}:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def note(self, body: bytes, at: float) -> None:
        try:
            event = json.loads(body)
            if event.get("type") != ACCOUNT_SCORE_CHANGED:
                return
            external_id = event["data"]["account"]["externalId"]
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self.received += 1
            if external_id is None or external_id in self.arrived:
                return
            self.arrived[external_id] = at
            waiting = self._waiting.get(external_id)
        if waiting is not None:
            waiting.set()

    def wait(self, external_id: str, seconds: float) -> float | None:
        """When external_id's score_changed arrived, waiting up to seconds for it."""
        with self._lock:
            if external_id in self.arrived:
                return self.arrived[external_id]
            event = self._waiting.setdefault(external_id, threading.Event())
        event.wait(max(0.0, seconds))
        with self._lock:
            return self.arrived.get(external_id)


# ---------------------------------------------------------------------------- probes and stream


@dataclass
class Probe:
    external_id: str
    domain: str
    sent: float = 0.0  # monotonic, just before the POST
    answered: float | None = None  # the POST's answer
    visible: float | None = None  # the first GET showing the changed score
    hooked: float | None = None  # the webhook's arrival
    before: int | None = None
    after: int | None = None
    error: str | None = None


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))


def probe_body(probe: Probe) -> dict[str, Any]:
    return {
        "signals": [
            {
                "source": "g2",
                "domain": probe.domain,
                "occurredAt": iso_now(),
                "type": "pricing",
                "quantity": PROBE_QUANTITY,
                "attributes": {"product": "freshness-probe"},
            }
        ]
    }


def score_of(client: httpx.Client, external_id: str) -> int:
    response = client.get(f"{CRM}/accounts/{external_id}")
    if response.status_code != 200:
        raise BenchError(f"GET {external_id}: HTTP {response.status_code}: {response.text[:300]}")
    return int(response.json()["data"]["rtp_account_score"])


def run_probe(
    client: httpx.Client, probe: Probe, receiver: Receiver, *, poll: float, timeout: float
) -> None:
    """Send the probe's signal, then poll until its score moved and wait for its webhook."""
    try:
        probe.before = score_of(client, probe.external_id)
        probe.sent = time.monotonic()
        response = client.post(f"{CRM}/signals", json=probe_body(probe))
        probe.answered = time.monotonic()
        if response.status_code != 200:
            raise BenchError(f"HTTP {response.status_code}: {response.text[:300]}")
        status = response.json()["data"]["results"][0]["status"]
        if status != "created":
            raise BenchError(f"the probe signal came back {status}, not created")
        give_up = probe.sent + timeout
        tick = probe.sent
        while time.monotonic() < give_up:
            score = score_of(client, probe.external_id)
            if score != probe.before:
                probe.visible = time.monotonic()
                probe.after = score
                break
            tick += poll
            time.sleep(max(0.0, tick - time.monotonic()))
        probe.hooked = receiver.wait(probe.external_id, give_up - time.monotonic())
    except (BenchError, httpx.HTTPError, KeyError, ValueError) as exc:
        probe.error = f"{type(exc).__name__}: {exc}"


class Stream:
    """Website page views to random accounts at a steady rate, from one client thread."""

    def __init__(self, server: Server, domains: Sequence[str], rate: float, seed: int) -> None:
        self.server = server
        self.domains = domains
        self.rate = rate
        self.rng = random.Random(seed)
        self.tag = secrets.token_hex(3)
        self.sent = 0
        self.latencies: list[float] = []
        self.error: str | None = None
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream", daemon=True)

    def start(self) -> None:
        if self.rate > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60)

    def _items(self, count: int) -> list[dict[str, Any]]:
        at = iso_now()
        return [
            {
                "source": "website",
                "domain": self.rng.choice(self.domains),
                "occurredAt": at,
                "type": self.rng.choice(STREAM_TYPES),
                "attributes": {
                    "pageViewId": f"stream-{self.tag}-{self.sent + n}",
                    "visitorId": f"visitor-{self.rng.randrange(1000)}",
                },
            }
            for n in range(count)
        ]

    def _run(self) -> None:
        started = time.monotonic()
        with self.server.client() as client:
            while not self._stop.is_set():
                due = min(1000, int((time.monotonic() - started) * self.rate) - self.sent)
                if due > 0:
                    body = {"signals": self._items(due)}
                    before = time.monotonic()
                    try:
                        response = client.post(f"{CRM}/signals", json=body)
                    except httpx.HTTPError as exc:
                        self.error = f"{type(exc).__name__}: {exc}"
                        return
                    self.latencies.append(time.monotonic() - before)
                    if response.status_code != 200:
                        self.error = f"HTTP {response.status_code}: {response.text[:300]}"
                        return
                    created = response.json()["data"]["summary"]["created"]
                    if created != due:
                        self.error = f"{created} of {due} streamed signals were created"
                        return
                    self.sent += due
                self._stop.wait(STREAM_TICK)
        self.seconds = time.monotonic() - started


# ---------------------------------------------------------------------------- the database side


@dataclass(frozen=True)
class Round:
    kind: str
    status: str
    started_ms: int
    finished_ms: int | None
    scored: int

    @property
    def seconds(self) -> float:
        return ((self.finished_ms or self.started_ms) - self.started_ms) / 1000


def rounds(db: Database, team_id: int, *, since_ms: int = 0) -> list[Round]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(
                ScoringRun.kind,
                ScoringRun.status,
                ScoringRun.started_ms,
                ScoringRun.finished_ms,
                ScoringRun.accounts_scored,
            )
            .where(ScoringRun.team_id == team_id, ScoringRun.started_ms >= since_ms)
            .order_by(ScoringRun.started_ms)
        )
        return [Round(*row) for row in rows]


def wait_first_round(bench: Bench, db: Database, team_id: int) -> Round:
    """The team's first scoring round, once finished; the server starts it on its own."""
    while True:
        bench.deadline.check("waiting for the first scoring round")
        done = [r for r in rounds(db, team_id) if r.status != "running"]
        if done:
            first = done[0]
            if first.status != "succeeded":
                raise BenchError(f"the first scoring round {first.status}")
            return first
        time.sleep(0.25)


def load_history(
    bench: Bench, url: str, team_id: int, work: Workload, domains: Sequence[str], count: int
) -> float:
    """Past signals of random accounts, written as the ingest service writes them; seconds."""
    started = time.perf_counter()
    loader = bulk_loader(url)
    try:
        ids = account_ids(loader, team_id, domains)
        for chunk in work.stream(count, HISTORY_BATCH):
            bench.deadline.check("loading signal history")
            bulk_chunk(loader, team_id, chunk, ids, domains)
    finally:
        loader.dispose()
    return time.perf_counter() - started


def analyze_all(url: str) -> None:
    """Planner statistics for every table, as autovacuum would make some time after a load.

    Without them PostgreSQL guesses a team's signal_events rows are few, and the generic plan
    of the ingest's natural-key lookup filters every row of the team instead of probing keys.
    """
    db = Database(url, pool_size=1)
    try:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        db.dispose()


def load_accounts(url: str, team_id: int, count: int) -> list[str]:
    """Accounts shaped exactly like the service writes them, in one Core insert."""
    items = payloads(count)
    stamp = team_clock(url, team_id)
    core_insert(url, [[service_row(p, team_id=team_id, stamp=stamp) for p in items]])
    stored = count_accounts(url, team_id)
    if stored != count:
        raise BenchError(f"loaded {stored} accounts, expected {count}")
    return [p["domain"] for p in items]


# ---------------------------------------------------------------------------- the run


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def spread(samples: Sequence[float], unit: str = "s") -> str:
    if not samples:
        return "none"
    return (
        f"p50 {statistics.median(samples):.2f}{unit}  p95 {percentile(samples, 0.95):.2f}{unit}  "
        f"max {max(samples):.2f}{unit}  (n={len(samples)})"
    )


def subscribe(server: Server, receiver: Receiver, min_change: int) -> str:
    with server.client() as client:
        response = client.post(
            f"{CRM}/webhooks",
            json={
                "url": receiver.url,
                "events": [ACCOUNT_SCORE_CHANGED],
                "minScoreChange": min_change,
                "description": "freshness bench",
            },
        )
    if response.status_code != 201:
        raise BenchError(f"POST /webhooks: HTTP {response.status_code}: {response.text[:300]}")
    return str(response.json()["data"]["webhookId"])


def server_environment(args: argparse.Namespace) -> Settings:
    """Pass the tuned settings to the server through its environment; return what it reads."""
    if args.debounce is not None:
        os.environ["INTENTSYNC_SCORING_DEBOUNCE"] = f"{args.debounce:g}"
    if args.first_delay is not None:
        os.environ["INTENTSYNC_SCORING_FIRST_DELAY"] = str(args.first_delay)
    settings = Settings()
    if not settings.serve_jobs or settings.scoring_interval <= 0:
        raise BenchError(
            "the server would not score on its own: unset INTENTSYNC_SERVE_JOBS=false and "
            "INTENTSYNC_SCORING_INTERVAL=0 for this benchmark"
        )
    if not settings.serve_webhooks:
        raise BenchError("the server would deliver no webhooks: unset INTENTSYNC_SERVE_WEBHOOKS")
    return settings


def run(args: argparse.Namespace) -> bool:
    settings = server_environment(args)
    warm_up = args.warm_up if args.warm_up is not None else max(5.0, 2 * settings.scoring_debounce)
    check_row_shape()
    work = Workload(accounts=args.accounts, seed=args.seed, now_s=int(time.time()))
    with Bench(args) as bench, Receiver() as receiver:
        main_url = bench.main_url()
        ws = bench.provision(main_url, "bench freshness")
        print(f"loading {args.accounts:,} accounts with a Core insert ...", flush=True)
        domains = load_accounts(main_url, ws.team_id, args.accounts)
        history_seconds = 0.0
        if args.history_events:
            print(f"loading {args.history_events:,} past signals with Core ...", flush=True)
            history_seconds = load_history(
                bench, main_url, ws.team_id, work, domains, args.history_events
            )
        if bench.kind == "postgresql":
            analyze_all(main_url)
        # Probes go to accounts without signals: score 0, so their one signal must move it.
        silent = [i for i, n in enumerate(work.per_account) if n == 0]
        if len(silent) < args.probes:
            raise BenchError(f"only {len(silent)} accounts have no signals; lower --probes")
        chosen = random.Random(args.seed).sample(silent, args.probes)
        taken = set(chosen)
        probes = [Probe(f"bench-{i:07d}", domains[i]) for i in chosen]
        others = [d for i, d in enumerate(domains) if i not in taken]
        loaded = (
            f"{args.accounts:,} accounts, {args.history_events:,} past signals "
            f"(loaded in {history_seconds:.0f}s), {len(silent):,} accounts without signals"
        )
        db = Database(main_url, pool_size=1)
        try:
            with bench.server(ws) as server:
                ready_ms = now_ms()
                print("waiting for the server's first scoring round ...", flush=True)
                first = wait_first_round(bench, db, ws.team_id)
                first_done_s = ((first.finished_ms or ready_ms) - ready_ms) / 1000
                print(
                    f"  {first.kind} round of {first.scored:,} accounts took {first.seconds:.1f}s, "
                    f"done {first_done_s:.1f}s after the server was ready",
                    flush=True,
                )
                # Subscribed now: the first round's changes would be a backlog, not freshness.
                subscribe(server, receiver, args.min_score_change)
                stream = Stream(server, others, args.stream_rate, args.seed + 1)
                stream.start()
                print(f"streaming {args.stream_rate:g} signals/s; warming up {warm_up:g}s ...")
                time.sleep(warm_up)
                window_ms = now_ms()
                print(f"{args.probes} probes, one every {args.probe_interval:g}s ...", flush=True)
                threads = run_probes(bench, server, probes, receiver, args)
                stream.stop()
                late = [t for t in threads if t.is_alive()]
                if late:
                    raise BenchError(f"{len(late)} probes did not finish")
                window = rounds(db, ws.team_id, since_ms=window_ms)
        finally:
            db.dispose()
        if stream.error is not None:
            raise BenchError(f"the signal stream failed: {stream.error}")
        failed = [p for p in probes if p.error is not None]
        if failed:
            raise BenchError(
                f"{len(failed)} probes failed: "
                + "; ".join(f"{p.external_id}: {p.error}" for p in failed[:5])
            )
        return report(
            args, bench, settings, loaded, first, first_done_s, probes, stream, window, receiver
        )


def run_probes(
    bench: Bench,
    server: Server,
    probes: Sequence[Probe],
    receiver: Receiver,
    args: argparse.Namespace,
) -> list[threading.Thread]:
    """Start one probe every --probe-interval, each on its thread; wait for all of them."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    client = httpx.Client(
        base_url=server.base_url,
        headers={"X-Api-Key": server.key},
        timeout=60.0,
        limits=limits,
        trust_env=False,
    )
    threads: list[threading.Thread] = []
    try:
        started = time.monotonic()
        for n, probe in enumerate(probes):
            bench.deadline.check("probing")
            time.sleep(max(0.0, started + n * args.probe_interval - time.monotonic()))
            thread = threading.Thread(
                target=run_probe,
                args=(client, probe, receiver),
                kwargs={"poll": args.poll, "timeout": args.probe_timeout},
                daemon=True,
            )
            thread.start()
            threads.append(thread)
            if n and n % 50 == 0:
                seen = sum(1 for p in probes[:n] if p.visible is not None)
                print(f"  {n} probes started, {seen} seen", flush=True)
        for thread in threads:
            thread.join(max(1.0, args.probe_timeout + 60))
    finally:
        client.close()
    return threads


def report(
    args: argparse.Namespace,
    bench: Bench,
    settings: Settings,
    loaded: str,
    first: Round,
    first_done_s: float,
    probes: Sequence[Probe],
    stream: Stream,
    window: Sequence[Round],
    receiver: Receiver,
) -> bool:
    visible = [p.visible - p.sent for p in probes if p.visible is not None]
    hooked = [p.hooked - p.sent for p in probes if p.hooked is not None]
    posts = [p.answered - p.sent for p in probes if p.answered is not None]
    unmoved = [p for p in probes if p.after is not None and p.after - (p.before or 0) <= 0]
    if unmoved:
        raise BenchError(f"{len(unmoved)} probe scores went down instead of up")
    done = [r for r in window if r.status == "succeeded"]
    incremental = [r for r in done if r.kind == "incremental"]
    missed_get = len(probes) - len(visible)
    missed_hook = len(probes) - len(hooked)
    tuned = settings.scoring_debounce != DEFAULT_DEBOUNCE
    target = TARGET_TUNED_P95 if tuned else TARGET_DEFAULT_P95
    p95_get = percentile(visible, 0.95) if visible and not missed_get else float("inf")
    p95_hook = percentile(hooked, 0.95) if hooked and not missed_hook else float("inf")
    met = max(p95_get, p95_hook) <= target
    stream_rate = stream.sent / stream.seconds if stream.seconds else 0.0
    rows = [
        ("backend", bench.describe()),
        ("data", loaded),
        (
            "server settings",
            f"debounce {settings.scoring_debounce:g}s, first delay "
            f"{settings.scoring_first_delay}s, job concurrency {settings.job_concurrency}"
            + (" (tuned)" if tuned else " (defaults)"),
        ),
        (
            "first round",
            f"{first.kind}, {first.scored:,} accounts in {first.seconds:.1f}s, "
            f"done {first_done_s:.1f}s after the server was ready",
        ),
        (
            "stream",
            f"{stream.sent:,} signals at {stream_rate:.1f}/s; POST {spread(stream.latencies)}",
        ),
        ("probe POST /signals answered", spread(posts)),
        ("POST -> score in GET /accounts/{id}", spread(visible)),
        ("POST -> account.score_changed webhook", spread(hooked)),
        ("probes missed (GET, webhook)", f"{missed_get}, {missed_hook}"),
        (
            "incremental rounds meanwhile",
            f"{len(incremental)}; duration {spread([r.seconds for r in incremental])}",
        ),
        (
            "accounts per incremental round",
            spread([float(r.scored) for r in incremental], unit=""),
        ),
        (
            "other rounds meanwhile",
            ", ".join(
                f"{r.kind} {r.status} {r.seconds:.1f}s" for r in window if r not in incremental
            )
            or "none",
        ),
        ("score_changed webhooks received", f"{receiver.received:,}"),
        (
            f"target p95 <= {target:.0f}s",
            f"{'met' if met else 'MISSED'} (GET {p95_get:.2f}s, webhook {p95_hook:.2f}s)",
        ),
    ]
    print_table(
        f"freshness: {args.probes} probes every {args.probe_interval:g}s, poll {args.poll:g}s",
        rows,
    )
    return met


if __name__ == "__main__":
    sys.exit(bench_main(parse_args, run))
