"""On SQLite a process runs one API write at a time; its body arrives before it takes the turn."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar, cast

import httpx
import orjson
import pytest
from sqlalchemy.exc import OperationalError

from intentsync.db.writers import WriterQueue
from intentsync.signals import endpoints as signal_endpoints
from tests.factories import CRM, Workspace

T = TypeVar("T")


def in_own_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run main in a fresh event loop on its own thread, as a server process runs one.

    The browser tests' synchronous driver keeps a loop running on the main thread.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="test-event-loop")
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the scenario did not finish within 60 s"
    if "error" in outcome:
        raise outcome["error"]
    return cast(T, outcome["value"])


def _signals(key: str) -> bytes:
    signal = {"source": "g2", "domain": "acme.com", "type": "pricing", "key": key}
    return orjson.dumps({"signals": [{**signal, "occurredAt": "2026-11-20"}]})


def _client(ws: Workspace) -> httpx.AsyncClient:
    """One event loop for every request, as in a server process."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ws.app),
        base_url="http://test",
        headers={"X-Api-Key": ws.key, "Content-Type": "application/json"},
    )


def test_writes_of_one_process_take_turns_on_sqlite_and_overlap_on_postgresql(ws, monkeypatch):
    inside = peak = 0
    counting = threading.Lock()
    second_arrived = threading.Event()
    real = signal_endpoints.ingest_signals

    def watched(session: Any, **kwargs: Any) -> Any:
        nonlocal inside, peak
        with counting:
            inside += 1
            peak = max(peak, inside)
            if inside == 2:
                second_arrived.set()
        try:
            second_arrived.wait(1.0)  # room for a second write to come in, if it may
            return real(session, **kwargs)
        finally:
            with counting:
                inside -= 1

    monkeypatch.setattr(signal_endpoints, "ingest_signals", watched)

    async def push_two() -> list[int]:
        async with _client(ws) as client:
            replies = await asyncio.gather(
                client.post(f"{CRM}/signals", content=_signals("one")),
                client.post(f"{CRM}/signals", content=_signals("two")),
            )
        return [reply.status_code for reply in replies]

    assert in_own_loop(push_two) == [200, 200]
    sqlite = ws.db.writers is not None
    assert peak == (1 if sqlite else 2)


def test_a_slowly_sent_body_holds_no_turn(ws):
    """A write whose body is still arriving does not keep another write of its process waiting."""
    finished: dict[str, float] = {}

    async def trickle() -> AsyncIterator[bytes]:
        body = _signals("slow")
        yield body[:10]
        await asyncio.sleep(1.0)
        yield body[10:]

    async def push(client: httpx.AsyncClient, name: str, content: Any) -> int:
        reply = await client.post(f"{CRM}/signals", content=content)
        finished[name] = time.monotonic()
        return reply.status_code

    async def both() -> list[int]:
        async with _client(ws) as client:
            slow = asyncio.create_task(push(client, "slow", trickle()))
            await asyncio.sleep(0.2)  # the slow one is in, waiting for the rest of its body
            quick = await push(client, "quick", _signals("quick"))
            return [await slow, quick]

    assert in_own_loop(both) == [200, 200]
    assert finished["quick"] < finished["slow"]


def test_a_body_that_is_not_json_is_refused_before_it_arrives(ws):
    """The 415 needs only the headers: the request is answered before its body has come in."""

    async def trickle() -> AsyncIterator[bytes]:
        yield b"name,domain\n"
        await asyncio.sleep(2.0)
        yield b"Acme,acme.com\n"

    async def send() -> tuple[int, float]:
        async with _client(ws) as client:
            started = time.monotonic()
            reply = await client.post(
                f"{CRM}/signals", content=trickle(), headers={"Content-Type": "text/csv"}
            )
            return reply.status_code, time.monotonic() - started

    status, seconds = in_own_loop(send)
    assert status == 415
    assert seconds < 1.5


def test_a_refused_write_gives_its_turn_back(ws):
    """After a 400 and a 422 of the same process, the next write goes through at once."""

    async def three() -> list[int]:
        async with _client(ws) as client:
            broken = await client.post(f"{CRM}/signals", content=b"{not json")
            invalid = await client.post(f"{CRM}/signals", content=b'{"signals": []}')
            fine = await asyncio.wait_for(
                client.post(f"{CRM}/signals", content=_signals("after")), timeout=10
            )
            return [broken.status_code, invalid.status_code, fine.status_code]

    statuses = in_own_loop(three)
    assert statuses[0] == 400
    assert statuses[1] in (400, 422)
    assert statuses[2] == 200


def test_a_write_that_waits_past_the_timeout_gets_the_busy_database_error():
    queue = WriterQueue(None, timeout=0.05)

    async def scenario() -> None:
        held = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> None:
            async with queue.turn():
                held.set()
                await release.wait()

        task = asyncio.create_task(holder())
        await held.wait()
        with pytest.raises(OperationalError, match="database is locked"):
            async with queue.turn():
                pass
        release.set()
        await task
        async with queue.turn():  # free again: the timed-out wait left nothing held
            pass

    in_own_loop(scenario)


def test_a_database_wait_inside_the_turn_ends_at_the_turns_deadline(tmp_path):
    """The turn and the writer queue share one busy timeout instead of adding theirs up."""
    path = str(tmp_path / "turns.db")
    holder = WriterQueue(path, timeout=5)  # as another process writing meanwhile
    queue = WriterQueue(path, timeout=0.5)

    async def scenario() -> float:
        async with queue.turn():
            await asyncio.sleep(0.3)  # the turn's budget is 0.5 s: about 0.2 s is left
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                queue.acquire()
            return time.monotonic() - started

    holder.acquire()
    try:
        waited = in_own_loop(scenario)
    finally:
        holder.release()
        holder.close()
        queue.close()
    assert 0.1 < waited < 0.4  # the turn's remaining 0.2 s, not a fresh 0.5 s
