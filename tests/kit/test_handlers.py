"""Errors over a real server: the connection survives them, a vanished client is one line."""

import http.client
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from intentsync.app import create_app
from intentsync.segments import service as segments_service
from tests.factories import CRM
from tests.live import live_server


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@contextmanager
def server(settings, database) -> Iterator[tuple[str, int, Records]]:
    """A live server whose own and uvicorn's log records are collected."""
    records = Records()
    with live_server(create_app(settings, database)) as base:
        loggers = [logging.getLogger(name) for name in ("intentsync", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(records)
        try:
            address = urlsplit(base)
            yield address.hostname or "", address.port or 0, records
        finally:
            for logger in loggers:
                logger.removeHandler(records)


def boom(*_args, **_kwargs):
    raise RuntimeError("a bug")


def test_a_500_and_a_400_keep_the_connection_alive(ws, settings, database, monkeypatch):
    monkeypatch.setattr(segments_service, "list_segments", boom)
    with server(settings, database) as (host, port, records):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        headers = {"X-Api-Key": ws.key}
        connection.request("GET", CRM + "/segments", headers=headers)
        first = connection.getresponse()
        body = first.read()
        sock = connection.sock
        assert first.status == 500
        assert b"An unexpected error occurred (incident " in body
        assert first.getheader("connection") != "close"
        assert sock is not None

        connection.request("GET", CRM + "/segments?cursor=%C2%B2", headers=headers)
        second = connection.getresponse()
        assert second.status == 400
        second.read()
        connection.request("GET", CRM + "/accounts", headers=headers)
        third = connection.getresponse()
        assert third.status == 200
        third.read()
        assert connection.sock is sock  # never reopened: the server kept it open
        connection.close()
    errors = records.lines(logging.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith("unhandled error ")  # ours, and not the server's as well


def test_a_client_that_goes_away_mid_body_is_one_info_line(ws, settings, database):
    with server(settings, database) as (host, port, records):
        with socket.create_connection((host, port), timeout=10) as raw:
            raw.sendall(
                (
                    f"POST {CRM}/accounts HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {ws.key}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                    '{"accounts": ['
                ).encode()
            )
            time.sleep(0.2)  # let the request reach the endpoint before the client vanishes
        deadline = time.monotonic() + 10
        while not records.records and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # anything logged after the first line would show up by now
    assert records.lines() == [f"client went away during POST {CRM}/accounts; nothing was saved"]
    assert records.records[0].levelno == logging.INFO


def huge_key_body(key: str) -> dict[str, object]:
    return {"accounts": [{"externalId": "e1", "domain": "a.com", "name": "A", key: 1}]}


def test_a_huge_unknown_property_is_named_but_not_echoed_in_full(ws):
    response = ws.post("/accounts", huge_key_body("k" * 100_000))
    assert response.status_code == 400
    assert len(response.content) < 4_000
    entry = response.json()["data"][0]
    assert entry["property"] == "k" * 500 + "... (99500 more characters)"
    assert entry["constraints"]["whitelistValidation"].startswith("property kkk")
    assert len(response.json()["customMessage"]) < 1_100


@pytest.mark.parametrize("count", [1, 600])
def test_unknown_custom_field_keys_are_named_briefly(ws, count):
    ws.push({"externalId": "crm-1", "domain": "seed.com", "name": "Seed"})
    values = (
        {f"{'X' * 50_000}{n}": 1 for n in range(count)}
        if count == 1
        else {f"K{n}_C": 1 for n in range(count)}
    )
    response = ws.put("/accounts/crm-1", {"customFields": values})
    assert response.status_code == 400
    assert len(response.content) < 2_000
    if count == 1:
        assert response.json()["customMessage"] == (
            f"Custom field key(s) not found: {'X' * 60}... (49941 more characters)"
        )
    else:
        assert response.json()["customMessage"] == (
            "customFields may set at most 500 fields at once; got 600"
        )
