"""A client that delta-syncs while others write never misses a change.

Writers push new accounts and change existing ones through the live server while a client
pages through deltas with a small limit, passing each sync's syncTimestamp back as lastSync.
At the end the client's copy must equal the database.
"""

import random
import threading

import httpx
import pytest

from tests.factories import CRM, account
from tests.live import live_server

WRITER_ROUNDS = 40


def fetch_all(client, params):
    """One sync: walk every page, return the rows and the syncTimestamp to store."""
    rows, stamp = [], None
    cursor = None
    offset = 0
    mode = params.pop("mode")
    while True:
        query = dict(params)
        if mode == "keyset" and cursor is not None:
            query["cursor"] = cursor
        if mode == "offset":
            query["cursor"] = offset
        response = client.get(CRM + "/accounts", params=query)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        if stamp is None:
            stamp = data["syncTimestamp"]  # offset walks keep the first page's stamp
        if mode == "keyset":
            assert data["syncTimestamp"] == stamp
        rows += data["data"]
        if not data["hasNextPage"]:
            return rows, stamp
        cursor = data["nextCursor"]
        offset += params["limit"]


def writer(base, key, field_key, worker, errors):
    rng = random.Random(worker)
    with httpx.Client(base_url=base, headers={"X-Api-Key": key}, timeout=30) as client:
        for round_ in range(WRITER_ROUNDS):
            try:
                batch = [account(f"w{worker}-{round_}-{i}") for i in range(3)]
                response = client.post(CRM + "/accounts", json={"accounts": batch})
                assert response.status_code == 200, response.text
                for _ in range(3):
                    target = f"crm-{rng.randrange(60)}"
                    value = f"{worker}-{round_}-{rng.random()}"
                    response = client.put(
                        CRM + f"/accounts/{target}", json={"customFields": {field_key: value}}
                    )
                    assert response.status_code == 200, response.text
            except Exception as exc:  # surfaced by the main thread
                errors.append(exc)
                return


@pytest.mark.parametrize("mode", ["keyset", "offset"])
def test_delta_sync_during_concurrent_writes_misses_nothing(ws, app, mode):
    field_key = ws.custom_field("Sync Probe", "singleLineText")
    ws.push(*[account(i) for i in range(60)])
    errors: list[Exception] = []
    with (
        live_server(app) as base,
        httpx.Client(base_url=base, headers={"X-Api-Key": ws.key}, timeout=30) as client,
    ):
        replica = {}
        rows, stamp = fetch_all(client, {"limit": 7, "mode": mode})
        replica.update({row["rtp_aid"]: row for row in rows})
        threads = [
            threading.Thread(target=writer, args=(base, ws.key, field_key, n, errors))
            for n in range(2)
        ]
        for thread in threads:
            thread.start()
        syncs = 0
        while any(t.is_alive() for t in threads) or syncs < 3:
            rows, stamp = fetch_all(client, {"limit": 7, "lastSync": stamp, "mode": mode})
            replica.update({row["rtp_aid"]: row for row in rows})
            syncs += 1
        for thread in threads:
            thread.join()
        rows, stamp = fetch_all(client, {"limit": 7, "lastSync": stamp, "mode": mode})
        replica.update({row["rtp_aid"]: row for row in rows})
        truth, _ = fetch_all(client, {"limit": 1000, "mode": "keyset"})

    assert errors == []
    assert syncs >= 3
    assert len(truth) == 60 + 2 * WRITER_ROUNDS * 3
    assert {row["rtp_aid"]: row for row in truth} == replica
