"""insert_rows and rows bound ahead store exactly what a Core insert stores, on both databases."""

from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import DBAPIError

from intentsync.accounts.service import new_account_row
from intentsync.db.dialect import (
    bind_rows,
    in_bound_list,
    insert_bound,
    insert_rows,
    update_unnest,
)
from intentsync.db.models import Account, SignalEvent

ACCOUNTS = cast(Table, Account.__table__)
UNIQUE = ("id", "rtp_aid", "external_id", "domain")


def _rows(ws: Any, prefix: str) -> list[dict[str, Any]]:
    rows = []
    for n, signals in enumerate([[], [{"source": "g2", "quantity": 2, "topic": None}]]):
        row = new_account_row(
            team_id=ws.team_id,
            external_id=f"{prefix}-{n}",
            domain=f"{prefix}{n}.example",
            name=f"Name {n} \u2013 ü",
            short_name=None if n else "short",
            linkedin_url=None,
            tags=["a", "b"],
            custom_fields={"K_C": n, "L_C": ["x", "é"], "M_C": None, "N_C": 1.5},
            stamp=1_700_000_000_000 + n,
        )
        row["intent_signals"] = signals
        row["stage_entered_ms"] = None if n else 5
        rows.append(row)
    return rows


def _stored(ws: Any, prefix: str) -> list[dict[str, Any]]:
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(*ACCOUNTS.c)
            .where(ACCOUNTS.c.team_id == ws.team_id, ACCOUNTS.c.external_id.like(f"{prefix}-%"))
            .order_by(ACCOUNTS.c.external_id)
        ).all()
    return [{k: v for k, v in r._mapping.items() if k not in UNIQUE} for r in rows]


def test_rows_read_back_exactly_like_a_core_insert(ws):
    with ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, _rows(ws, "plain"))
        session.connection().execute(ACCOUNTS.insert(), _rows(ws, "core"))
    plain, core = _stored(ws, "plain"), _stored(ws, "core")
    assert len(plain) == 2
    assert plain == core
    assert plain[1]["intent_signals"] == [{"source": "g2", "quantity": 2, "topic": None}]
    assert plain[0]["custom_fields"] == {"K_C": 0, "L_C": ["x", "é"], "M_C": None, "N_C": 1.5}


def test_rows_bound_ahead_get_their_late_values_when_inserted(ws):
    """Bound before the transaction, stamped inside it: the same as a Core insert of the rows."""
    late = ("created_ms", "changed_ms", "inputs_ms")
    rows = _rows(ws, "late") + _rows(ws, "skipped")
    with ws.db.transaction() as session:
        bound = bind_rows(session.get_bind().dialect, ACCOUNTS, rows, late=late)
        assert not session.in_transaction()  # binding runs no SQL
        insert_bound(session, bound, (7, 8, 9), only=[0, 1])
        core = _rows(ws, "core-late")
        for row in core:
            row.update(created_ms=7, changed_ms=8, inputs_ms=9)
        session.connection().execute(ACCOUNTS.insert(), core)
    assert _stored(ws, "skipped") == []
    stored = _stored(ws, "late")
    assert [(r["created_ms"], r["changed_ms"], r["inputs_ms"]) for r in stored] == [(7, 8, 9)] * 2
    assert stored == _stored(ws, "core-late")


def test_late_values_must_match_the_late_columns(ws):
    with ws.db.transaction() as session:
        bound = bind_rows(
            session.get_bind().dialect, ACCOUNTS, _rows(ws, "x"), late=("created_ms",)
        )
        with pytest.raises(ValueError, match="one value for each"):
            insert_bound(session, bound, (1, 2))
    assert _stored(ws, "x") == []


def test_rows_with_different_columns_are_refused_and_nothing_is_stored(ws):
    first, second = _rows(ws, "mixed")
    del second["stage_entered_ms"]
    with pytest.raises(ValueError, match="same columns"), ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, [first, second])
    assert _stored(ws, "mixed") == []


@pytest.mark.parametrize("size", [0, 1, 1000])
def test_a_list_bound_as_one_parameter_matches_like_an_in_list(ws, size):
    rows = _rows(ws, "listed")
    rows[0]["domain"] = "o'brien.example"
    rows[1]["domain"] = "bücher.example"
    with ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, rows)
    wanted = ["o'brien.example", "bücher.example", "absent.example"]
    values = (wanted + [f"filler-{i}" for i in range(size)])[:size]
    with ws.db.transaction(write=False) as session:
        dialect = session.connection().dialect.name
        query = select(ACCOUNTS.c.domain).where(
            ACCOUNTS.c.team_id == ws.team_id,
            in_bound_list(ACCOUNTS.c.domain, "values", dialect),
        )
        found = session.execute(query, {"values": values}).scalars().all()
    assert sorted(found) == sorted(d for d in values if d in {r["domain"] for r in rows})


SIGNAL_EVENTS = cast(Table, SignalEvent.__table__)
# What the model gives every column a row may leave out (a default, or nullable).
ACCOUNT_DEFAULTS = {
    "external_id": None,
    "short_name": None,
    "linkedin_url": None,
    "account_score": 0,
    "advertising_score": 0,
    "website_score": 0,
    "g2_score": 0,
    "bombora_score": 0,
    "stage_entered_ms": None,
    "inputs_ms": 0,
    "intent_signals": [],
    "score_change_7d": 0,
    "score_change_30d": 0,
    "deleted_ms": None,
}


def _optional(table: Table) -> set[str]:
    return {
        c.key
        for c in table.c
        if c.default is not None or c.server_default is not None or c.nullable
    }


def _bare_account(ws: Any, prefix: str, n: int) -> dict[str, Any]:
    """An account row with only the columns nothing can fill (the key is the database's)."""
    return {
        "team_id": ws.team_id,
        "rtp_aid": f"{prefix[:8]:0>8}{n:016x}",
        "domain": f"{prefix}{n}.example",
        "name": f"Name {n}",
        "tags": [],
        "custom_fields": {},
        "journey_stage": "unaware",
        "created_ms": 1,
        "changed_ms": 2,
    }


def test_the_bare_rows_leave_out_every_optional_column():
    required = {"id", *_bare_account(SimpleNamespace(team_id=1), "x", 0)}
    assert _optional(ACCOUNTS) == set(ACCOUNT_DEFAULTS)
    assert set(ACCOUNTS.c.keys()) - required == set(ACCOUNT_DEFAULTS)
    assert _optional(SIGNAL_EVENTS) == set()  # every column but the key must be given


@pytest.mark.parametrize("how", ["insert_rows", "bound_ahead"])
def test_omitted_columns_take_the_model_defaults_on_both_databases(ws, how):
    rows = [_bare_account(ws, f"bare{how[:1]}", n) for n in range(3)]
    with ws.db.transaction() as session:
        if how == "insert_rows":
            insert_rows(session, ACCOUNTS, rows)
        else:
            late = ("created_ms", "changed_ms")
            bound = bind_rows(session.get_bind().dialect, ACCOUNTS, rows, late=late)
            insert_bound(session, bound, (1, 2))
        session.connection().execute(
            ACCOUNTS.insert(), [_bare_account(ws, f"core{how[:1]}", n) for n in range(3)]
        )
    stored = _stored_by_domain(ws, f"bare{how[:1]}")
    assert len(stored) == 3
    for row in stored:
        assert {k: row[k] for k in ACCOUNT_DEFAULTS} == ACCOUNT_DEFAULTS
        assert (row["created_ms"], row["changed_ms"]) == (1, 2)
    core = _stored_by_domain(ws, f"core{how[:1]}")
    strip = {"rtp_aid", "domain"}
    assert [_without(r, strip) for r in stored] == [_without(r, strip) for r in core]


def _stored_by_domain(ws: Any, prefix: str) -> list[dict[str, Any]]:
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(*ACCOUNTS.c)
            .where(ACCOUNTS.c.team_id == ws.team_id, ACCOUNTS.c.domain.like(f"{prefix}%"))
            .order_by(ACCOUNTS.c.domain)
        ).all()
    return [{k: v for k, v in r._mapping.items() if k != "id"} for r in rows]


def _without(row: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def test_signal_events_with_only_their_required_columns_read_back_the_same(ws):
    with ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, [_bare_account(ws, "sig", 0)])
    (account,) = _stored_by_domain(ws, "sig")
    with ws.db.transaction(write=False) as session:
        account_id = session.execute(
            select(ACCOUNTS.c.id).where(ACCOUNTS.c.rtp_aid == account["rtp_aid"])
        ).scalar_one()
    event = {
        "team_id": ws.team_id,
        "account_id": account_id,
        "source": "g2",
        "type": "page_view",
        "natural_key": "k-1",
        "occurred_ms": 5,
        "day": 19000,
        "quantity": 1.5,
        "attributes": {"a": ["é"]},
        "created_ms": 6,
    }
    with ws.db.transaction() as session:
        insert_rows(session, SIGNAL_EVENTS, [event])
    with ws.db.transaction(write=False) as session:
        stored = session.execute(
            select(*SIGNAL_EVENTS.c).where(SIGNAL_EVENTS.c.account_id == account_id)
        ).one()
    assert {k: v for k, v in stored._mapping.items() if k != "id"} == event


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda row: row.pop("journey_stage"), "lack journey_stage, which have no default"),
        (lambda row: row.update(colour="red"), "has no column colour"),
    ],
    ids=["lacking", "unknown"],
)
def test_rows_nothing_can_complete_are_refused_on_both_databases(ws, change, message):
    rows = [_bare_account(ws, "refused", n) for n in range(2)]
    for row in rows:
        change(row)
    with pytest.raises(ValueError, match=message), ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, rows)
    assert _stored_by_domain(ws, "refused") == []


def _scores(ws: Any, prefix: str) -> list[dict[str, Any]]:
    """What a scoring write sets on each of the prefix's accounts, by a value of its own."""
    stored = _stored(ws, prefix)
    with ws.db.transaction(write=False) as session:
        ids = session.scalars(
            select(ACCOUNTS.c.id)
            .where(ACCOUNTS.c.team_id == ws.team_id, ACCOUNTS.c.external_id.like(f"{prefix}-%"))
            .order_by(ACCOUNTS.c.external_id)
        ).all()
    assert len(ids) == len(stored) == 2
    return [
        {
            "pk": pk,
            "account_score": 40 + n,
            "journey_stage": "Consideration" if n else "Aware",
            "intent_signals": [{"source": "g2", "type": "pricing", "quantity": 1.5 + n}],
            "stage_entered_ms": None if n else 7,
        }
        for n, pk in enumerate(ids)
    ]


def _postgresql(ws: Any) -> bool:
    return bool(ws.db.engine.dialect.name == "postgresql")


def test_an_unnest_update_sets_what_a_row_by_row_update_sets(ws):
    """PostgreSQL's one-statement UPDATE against Core's executemany of the same values."""
    if not _postgresql(ws):
        with ws.db.transaction() as session, pytest.raises(ValueError, match="PostgreSQL"):
            update_unnest(session, ACCOUNTS, [{"pk": 1}], key="id", given_as="pk")
        return
    with ws.db.transaction() as session:
        for prefix in ("unnest", "core", "kept"):
            insert_rows(session, ACCOUNTS, _rows(ws, prefix))
    kept = _stored(ws, "kept")
    with ws.db.transaction() as session:
        update_unnest(session, ACCOUNTS, _scores(ws, "unnest"), key="id", given_as="pk")
        core = [{"id_": r.pop("pk"), **r} for r in _scores(ws, "core")]
        statement = ACCOUNTS.update().where(ACCOUNTS.c.id == bindparam("id_"))
        session.connection().execute(statement, core)
    unnest = _stored(ws, "unnest")
    assert [r["account_score"] for r in unnest] == [40, 41]
    assert [r["stage_entered_ms"] for r in unnest] == [7, None]
    assert unnest[1]["intent_signals"] == [{"source": "g2", "type": "pricing", "quantity": 2.5}]
    assert unnest == _stored(ws, "core")
    assert _stored(ws, "kept") == kept  # rows not named are left alone


def test_an_unnest_update_refuses_a_key_twice_and_a_value_too_long_changing_nothing(ws):
    if not _postgresql(ws):
        pytest.skip("update_unnest is PostgreSQL's; SQLite's refusal is tested above")
    with ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, _rows(ws, "refused"))
    before = _stored(ws, "refused")
    twice = _scores(ws, "refused")
    twice[1]["pk"] = twice[0]["pk"]
    with ws.db.transaction() as session, pytest.raises(ValueError, match="twice"):
        update_unnest(session, ACCOUNTS, twice, key="id", given_as="pk")
    too_long = _scores(ws, "refused")
    too_long[1]["journey_stage"] = "x" * 65  # journey_stage is VARCHAR(64)
    with pytest.raises(DBAPIError, match="too long"), ws.db.transaction() as session:
        update_unnest(session, ACCOUNTS, too_long, key="id", given_as="pk")
    for wrong, message in (
        ({"pk": 1, "no_such_column": 2}, "no column no_such_column"),
        ({"pk": 1}, "columns to set"),
        ({"pk": 1, "id": 2, "account_score": 3}, "other than the key"),
    ):
        with ws.db.transaction() as session, pytest.raises(ValueError, match=message):
            update_unnest(session, ACCOUNTS, [wrong], key="id", given_as="pk")
    assert _stored(ws, "refused") == before
