"""A real HTTP receiver on localhost that records every request and answers as it is told."""

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


class Receiver:
    """Answers 200 unless told otherwise per path: answer(path, ...) queues answers in order."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.planned: dict[str, list[Answer]] = defaultdict(list)
        self.default: dict[str, Answer] = {}
        self.in_flight: dict[str, int] = defaultdict(int)
        self.most_in_flight: dict[str, int] = defaultdict(int)
        self.url = ""

    def answer(self, path: str, *answers: Answer, always: Answer | None = None) -> None:
        with self.lock:
            self.planned[path] += answers
            if always is not None:
                self.default[path] = always

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def next_answer(self, path: str) -> Answer:
        with self.lock:
            if self.planned[path]:
                return self.planned[path].pop(0)
            return self.default.get(path, Answer())


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits 40 ms for a delayed ACK

        def do_POST(self) -> None:
            expected = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(expected)
            if len(body) < expected:
                return  # the sender died mid-request (a SIGKILL test): nothing was delivered
            with receiver.lock:
                receiver.in_flight[self.path] += 1
                receiver.most_in_flight[self.path] = max(
                    receiver.most_in_flight[self.path], receiver.in_flight[self.path]
                )
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            answer = receiver.next_answer(self.path)
            if answer.delay:
                time.sleep(answer.delay)
            with receiver.lock:  # before answering: the client cannot start another one first
                receiver.in_flight[self.path] -= 1
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client killed mid-request (the SIGKILL test) is expected


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    server = QuietServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
