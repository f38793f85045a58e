"""insert_rows stores exactly what a Core insert of the same rows stores, on both databases."""

from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from intentsync.accounts.service import new_account_row
from intentsync.db.dialect import insert_rows
from intentsync.db.models import Account

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


def test_rows_with_different_columns_are_refused_and_nothing_is_stored(ws):
    first, second = _rows(ws, "mixed")
    del second["stage_entered_ms"]
    with pytest.raises(ValueError, match="same columns"), ws.db.transaction() as session:
        insert_rows(session, ACCOUNTS, [first, second])
    assert _stored(ws, "mixed") == []
