"""Show how fast webhooks leave: N events delivered to a local receiver, against a baseline.

The receiver runs in its own process (as a customer's endpoint would) and answers 200. The
events are written to the outbox first; then one delivery job, the `webhooks.deliver` job that
`serve` and `worker` run for a subscription with due deliveries, sends them all, signed, and
records each result. The baseline is the same number of signed POSTs of the same bodies sent
one after another by one httpx client, without the database.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
from _harness import HOST, Bench, BenchError, add_common_arguments, bench_main, free_port, rate
from _harness import print_table as table
from sqlalchemy import func, select

from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.models import WebhookDelivery, WebhookSubscription
from intentsync.kit.clock import now_ms
from intentsync.scheduler import DELIVERY_LANES, Background
from intentsync.webhooks import service
from intentsync.webhooks.events import SCORING_RUN_COMPLETED, Event
from intentsync.webhooks.job import USER_AGENT
from intentsync.webhooks.signing import new_secret, signature_headers

EMIT_BATCH = 2000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, accounts=0, accounts_help="unused")
    parser.add_argument("--events", type=int, default=10_000, help="events to deliver")
    parser.add_argument("--receive", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be positive")
    return args


def receive(port: int) -> None:
    """The receiver process: answers every POST 200 and GET with how many it received."""
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            count[0] += 1
            self._answer(b"ok")

        def do_GET(self) -> None:
            self._answer(str(count[0]).encode())

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    server.serve_forever()


def received(url: str) -> int:
    return int(httpx.get(url + "/count", trust_env=False).text)


def baseline(url: str, bodies: list[bytes], secret: str) -> float:
    started = time.perf_counter()
    with httpx.Client(trust_env=False, headers={"user-agent": USER_AGENT}) as client:
        for i, body in enumerate(bodies):
            headers = {"content-type": "application/json"} | signature_headers(
                secret=secret, msg_id=f"msg_{i}", timestamp_ms=now_ms(), body=body
            )
            if client.post(url + "/baseline", content=body, headers=headers).status_code != 200:
                raise BenchError("the receiver refused a baseline POST")
    return time.perf_counter() - started


def deliver(bench: Bench, url: str, receiver: str, events: int) -> float:
    db = Database(url, pool_size=4)
    try:
        with db.transaction() as session:
            at = now_ms()
            sub = WebhookSubscription(
                team_id=bench.provision(url, "Webhook bench").team_id,
                webhook_id=f"{at:024x}"[-24:],
                kind="webhook",
                url=receiver + "/hook",
                events=[SCORING_RUN_COMPLETED],
                segment_ids=[],
                min_score_change=5,
                active=True,
                secret=new_secret(),
                created_ms=at,
                changed_ms=at,
            )
            session.add(sub)
        for start in range(0, events, EMIT_BATCH):
            with db.transaction() as session:
                service.emit(
                    session,
                    team_id=sub.team_id,
                    events=[
                        Event(SCORING_RUN_COMPLETED, {"n": n, "note": "x" * 200})
                        for n in range(start, min(events, start + EMIT_BATCH))
                    ],
                )
        # The job's handler, as the queue calls it: it delivers until nothing of sub is due.
        background = Background(Settings(database_url=url), db, score=False)
        try:
            started = time.perf_counter()
            background.deliver_subscription(sub.id)
            elapsed = time.perf_counter() - started
        finally:
            background.stop()  # closes the job's shared HTTP client
        with db.transaction(write=False) as session:
            done = session.scalar(
                select(func.count()).where(
                    WebhookDelivery.subscription_pk == sub.id,
                    WebhookDelivery.status == "delivered",
                )
            )
        if done != events:
            raise BenchError(f"the delivery job delivered {done} of {events} events")
        return elapsed
    finally:
        db.dispose()


def run(args: argparse.Namespace) -> None:
    port = free_port()
    receiver_url = f"http://{HOST}:{port}"
    process = subprocess.Popen([sys.executable, __file__, "--receive", str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                received(receiver_url)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise BenchError("the receiver did not start") from None
                time.sleep(0.05)
        with Bench(args) as bench:
            url = bench.main_url()
            before = received(receiver_url)
            seconds = deliver(bench, url, receiver_url, args.events)
            arrived = received(receiver_url) - before
            if arrived < args.events:
                raise BenchError(f"{args.events - arrived} deliveries were recorded, not received")
            bodies = [
                orjson.dumps({"id": f"msg_{n}", "data": {"n": n, "note": "x" * 200}})
                for n in range(args.events)
            ]
            base = baseline(receiver_url, bodies, new_secret())
            table(
                f"webhooks: {args.events:,} events, {bench.describe()}",
                [
                    (
                        f"one delivery job ({DELIVERY_LANES} in flight, db)",
                        f"{seconds:.2f}s  {rate(args.events, seconds)}",
                    ),
                    ("baseline (1 client, no db)", f"{base:.2f}s  {rate(args.events, base)}"),
                    ("ratio job / baseline", f"{base / seconds:.2f}"),
                    ("received (duplicates included)", f"{arrived:,}"),
                ],
            )
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    options = parse_args()
    if options.receive is not None:
        receive(options.receive)
    else:
        sys.exit(bench_main(lambda: options, run))
