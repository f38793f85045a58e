"""Account ids by key, and the re-score flag, for the features below accounts that name them.

Deals and activities name accounts by externalId or domain and flag them for re-scoring, but the
accounts feature sits above them (an account push links waiting deals and activities), so they
reach the shared table here: one set of statements, built once per database kind.
"""

import functools
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from intentsync.db.dialect import in_bound_list
from intentsync.db.live import LIVE_ACCOUNT
from intentsync.db.models import Account

_ACCOUNTS = cast(Table, Account.__table__)
KEY_COLUMNS = ("external_id", "domain")


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Lookups and the flag over lists bound as one parameter."""
    team = _ACCOUNTS.c.team_id == bindparam("team_id")
    statements: dict[str, Any] = {}
    for column in KEY_COLUMNS:
        every = select(_ACCOUNTS.c[column], _ACCOUNTS.c.id).where(
            team, in_bound_list(_ACCOUNTS.c[column], "keys", dialect)
        )
        statements[column] = every.where(LIVE_ACCOUNT)
        statements[column + "+archived"] = every
    statements["rescore"] = (
        update(_ACCOUNTS)
        .where(in_bound_list(_ACCOUNTS.c.id, "keys", dialect))
        .values(inputs_ms=bindparam("at_ms"))
    )
    return statements


def account_ids(
    session: Session, *, column: str, team_id: int, keys: Collection[str], archived: bool = False
) -> dict[str, int]:
    """Account id per key of the team, for keys in `column` (externalId or domain).

    Live accounts only, unless `archived`: deals and activities stay linked to an archived
    account (a push restores it with them), segments never take one in.
    """
    if not keys:
        return {}
    connection = session.connection()
    statement = _statements(connection.dialect.name)[column + ("+archived" if archived else "")]
    rows = connection.execute(statement, {"team_id": team_id, "keys": list(keys)})
    return {row[0]: row[1] for row in rows}


def ids_by_external_id(
    session: Session, *, team_id: int, external_ids: Collection[str], archived: bool = False
) -> dict[str, int]:
    return account_ids(
        session, column="external_id", team_id=team_id, keys=external_ids, archived=archived
    )


def ids_by_domain(
    session: Session, *, team_id: int, domains: Collection[str], archived: bool = False
) -> dict[str, int]:
    return account_ids(session, column="domain", team_id=team_id, keys=domains, archived=archived)


def mark_for_rescoring(session: Session, account_ids: Collection[int], *, at_ms: int) -> None:
    """Flag accounts whose score inputs changed so the next incremental run re-scores them."""
    if account_ids:
        connection = session.connection()
        connection.execute(
            _statements(connection.dialect.name)["rescore"],
            {"keys": list(account_ids), "at_ms": at_ms},
        )
