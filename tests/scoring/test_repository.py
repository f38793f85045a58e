"""A scoring chunk's writes store the same on both databases, and refuse a row named twice."""

from typing import Any

import orjson
import pytest
from sqlalchemy import select

from intentsync.db.models import Account, AccountScore, ScoreHistory
from intentsync.scoring import repository
from tests.factories import account

DAY = 20_000


def _account_ids(ws: Any, *external_ids: str) -> list[int]:
    ws.push(*(account(e, externalId=e, domain=f"{e}.example.com") for e in external_ids))
    with ws.db.transaction(write=False) as session:
        found = dict(
            session.execute(
                select(Account.external_id, Account.id).where(Account.team_id == ws.team_id)
            ).all()
        )
    return [found[e] for e in external_ids]


def _explanation(ws: Any, pk: int, reason: str) -> dict[str, Any]:
    return {
        "account_id": pk,
        "team_id": ws.team_id,
        "as_of_day": DAY,
        "config_version": 1,
        "breakdown": orjson.dumps({"overall": 7, "reason": reason}),
        "stage_reason": reason,
        "pending_stage": None,
        "pending_since_day": None,
        "scored_ms": 1,
        "not_a_column": "left out",  # a row may carry more than is written
    }


def _history(ws: Any, pk: int, score: int) -> dict[str, Any]:
    scores = dict.fromkeys(repository.HISTORY_SCORES, score)
    return {"account_id": pk, "day": DAY, "team_id": ws.team_id, **scores, "extra": 1}


def test_explanations_and_history_are_inserted_then_replaced(ws):
    first, second = _account_ids(ws, "one", "two")
    for reason, score in (("first run", 10), ("second run", 20)):
        with ws.db.transaction() as session:
            repository.write_explanations(
                session, [_explanation(ws, first, reason), _explanation(ws, second, reason)]
            )
            repository.write_history(session, [_history(ws, first, score)])
    with ws.db.transaction(write=False) as session:
        stored = session.execute(
            select(
                AccountScore.account_id, AccountScore.stage_reason, AccountScore.breakdown
            ).filter_by(team_id=ws.team_id)
        ).all()
        history = session.execute(
            select(ScoreHistory.account_id, ScoreHistory.g2_score).filter_by(team_id=ws.team_id)
        ).all()
    assert sorted(stored) == [
        (first, "second run", {"overall": 7, "reason": "second run"}),
        (second, "second run", {"overall": 7, "reason": "second run"}),
    ]
    assert history == [(first, 20)]


def test_a_row_named_twice_is_refused_and_nothing_is_written(ws):
    (pk,) = _account_ids(ws, "twice")
    with ws.db.transaction() as session, pytest.raises(ValueError, match="twice"):
        repository.write_explanations(
            session, [_explanation(ws, pk, "one"), _explanation(ws, pk, "two")]
        )
    with ws.db.transaction() as session, pytest.raises(ValueError, match="twice"):
        repository.write_history(session, [_history(ws, pk, 1), _history(ws, pk, 2)])
    with ws.db.transaction(write=False) as session:
        assert session.scalar(select(AccountScore.account_id).filter_by(account_id=pk)) is None
        assert session.scalar(select(ScoreHistory.account_id).filter_by(account_id=pk)) is None
