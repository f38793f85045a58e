"""A deleted (archived) account is absent from every GET route of both APIs and the console.

Routes are enumerated from the app, so a new page or endpoint is walked without being listed
here. Two checks: no response names the account, and every SELECT those requests run that
reads the accounts table names deleted_ms (intentsync.db.live), so a query that forgets the
filter fails here even when the data at hand would not have shown it.
"""

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import event

from intentsync.db.engine import Database
from intentsync.scoring.job import run_team
from intentsync.segments.service import create_segment
from tests.console.conftest import add_user, sign_in
from tests.factories import CRM, V1, Workspace, account

GONE = account("vanishing", domain="vanishing-widgets.com", name="Vanishing Widgets")
LIVE = account("steady", domain="steady-co.com", name="Steady Co")
NOT_WALKED = re.compile(r"^(/docs|/redoc|/openapi\.json|/static|/track|/sign-in)")
DELETED_FEED = re.compile(r"/accounts/deleted$")
LIST_QUERIES = ("", "?lastSync=2000-01-01T00:00:00.000Z&limit=1000", "?q=vanish", "?tag=doomed")
ACCOUNTS_READ = re.compile(r"\b(?:FROM|JOIN)\s+accounts\b", re.IGNORECASE)


def _signal(domain: str, days_ago: int, key: str) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return {
        "source": "g2",
        "domain": domain,
        "type": "pricing",
        "occurredAt": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quantity": 3,
        "key": key,
    }


def _signals(ws: Workspace, *signals: dict[str, Any]) -> None:
    response = ws.post("/signals", {"signals": list(signals)})
    assert response.status_code == 200, response.text


@pytest.fixture
def archived(ws: Workspace) -> dict[str, str]:
    """A team whose deleted account had everything: segments, signals, scores, custom fields."""
    key = ws.custom_field("Region", "singleLineText")
    static = ws.segment(name="Hand picked")
    with ws.db.transaction() as session:
        dynamic = create_segment(
            session,
            team_id=ws.team_id,
            name="Tagged",
            type_="dynamic",
            status="active",
            rules={"and": [{"field": "tags", "operator": "contains", "value": "doomed"}]},
        ).segment_id
    gone = {**GONE, "tags": ["doomed"], "customFields": {key: "EMEA"}}
    live = {**LIVE, "tags": ["doomed"]}
    results = ws.push(gone, live, segmentId=static)["results"]
    _signals(
        ws,
        *[_signal(d, n, f"{d}-{n}") for d in (GONE["domain"], LIVE["domain"]) for n in (1, 2, 9)],
    )
    assert run_team(ws.db, team_id=ws.team_id).status != "failed"
    response = ws.post(
        "/deals",
        {
            "deals": [
                {
                    "externalDealId": "d-1",
                    "name": "Steady renewal",
                    "associatedAccounts": [{"externalId": LIVE["externalId"]}],
                }
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert ws.delete(f"/accounts/{GONE['externalId']}").status_code == 200
    _signals(ws, _signal(GONE["domain"], 0, "after"))  # kept, does not restore it
    assert run_team(ws.db, team_id=ws.team_id, full=True).status != "failed"
    return {
        "gone_aid": results[0]["rtp_aid"],
        "live_aid": results[1]["rtp_aid"],
        "static": static,
        "dynamic": dynamic,
    }


def _get_paths(app: FastAPI, values: dict[str, str]) -> Iterator[str]:
    """Every GET path of the app with each parameter filled by every candidate value."""
    for context in iter_route_contexts(app.router.routes):
        path = context.path or ""
        if "GET" not in (context.methods or ()) or NOT_WALKED.match(path):
            continue
        params = re.findall(r"\{[^}]+\}", path)
        if not params:
            for query in LIST_QUERIES:
                yield path + query
            continue
        for chosen in itertools.product(values.values(), repeat=len(params)):
            concrete = path
            for param, value in zip(params, chosen, strict=True):
                concrete = concrete.replace(param, value, 1)
            yield concrete


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine, "before_cursor_execute", record)


def test_no_get_route_shows_a_deleted_account(
    app: FastAPI, database: Database, ws: Workspace, archived: dict[str, str], statements: list[str]
) -> None:
    admin = sign_in(app, add_user(database, ws.team_id, role="admin"))
    values = {
        "gone_ext": GONE["externalId"],
        "gone_aid": archived["gone_aid"],
        "live_ext": LIVE["externalId"],
        "live_aid": archived["live_aid"],
        "static": archived["static"],
        "dynamic": archived["dynamic"],
    }
    gone_keys = (GONE["externalId"], archived["gone_aid"])
    walked = 0
    statements.clear()
    for path in _get_paths(app, values):
        client = ws.client if path.startswith("/api/") else admin.client
        response = client.get(
            path, headers={"Accept": "text/html"} if client is admin.client else {}
        )
        walked += 1
        assert response.status_code < 500, f"{path}: {response.text[:300]}"
        if any(key in path for key in gone_keys):
            assert response.status_code in (400, 404), f"{path} still answers for it"
            continue
        if DELETED_FEED.search(path.split("?")[0]):
            continue
        text = response.text.lower()
        assert "vanishing" not in text, f"{path} shows the deleted account"
        assert archived["gone_aid"] not in text, f"{path} shows the deleted account's rtp_aid"
    assert walked > 100
    assert sum(1 for s in statements if ACCOUNTS_READ.search(s)) > 50  # the statements were seen
    unfiltered = [
        s
        for s in statements
        if s.lstrip().upper().startswith(("SELECT", "WITH"))
        and len(ACCOUNTS_READ.findall(s)) > s.count("deleted_ms")
    ]
    assert unfiltered == []
    admin.close()


def test_the_walk_sees_the_account_before_it_is_deleted(app: FastAPI, ws: Workspace) -> None:
    """The check above can fail: the same walk finds a live account on the lists."""
    ws.push(GONE)
    assert "vanishing" in ws.get("/accounts").text.lower()
    assert "vanishing" in ws.v1.get("/accounts").text.lower()


@pytest.mark.parametrize("base", [CRM, V1])
def test_the_deleted_feed_is_the_one_list_that_names_it(
    ws: Workspace, archived: dict[str, str], base: str
) -> None:
    listed = ws.surface(base).get("/accounts/deleted").json()["data"]["data"]
    assert [a["rtp_aid"] for a in listed] == [archived["gone_aid"]]
