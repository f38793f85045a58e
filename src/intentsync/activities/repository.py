"""SQL for sales activities and contacts."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from intentsync.db import account_keys
from intentsync.db.dialect import insert_rows, insert_unnest
from intentsync.db.live import live_account
from intentsync.db.models import Account, ActivityContact, Contact, SalesActivity
from intentsync.db.paging import one_page
from intentsync.kit.pagination import PageRequest

_ACTS = cast(Table, SalesActivity.__table__)
_CONTACTS = cast(Table, Contact.__table__)
_LINKS = cast(Table, ActivityContact.__table__)
_ACCOUNTS = cast(Table, Account.__table__)
ActivityRow = Row[*tuple[Any, ...]]
CONTACT_DETAILS = (
    "external_contact_id",
    "name",
    "title",
    "department",
    "seniority",
    "phone",
    "linkedin_url",
)


def existing_ids(session: Session, *, team_id: int, external_ids: Collection[str]) -> set[str]:
    if not external_ids:
        return set()
    return set(
        session.scalars(
            select(SalesActivity.external_activity_id).where(
                SalesActivity.team_id == team_id,
                SalesActivity.external_activity_id.in_(list(external_ids)),
            )
        )
    )


# PostgreSQL's upsert of a batch of contacts, as the Core statement below spells it.
_CONTACT_UPSERT = (
    " ON CONFLICT (team_id, email) DO UPDATE SET "
    + ", ".join(f"{c} = coalesce(EXCLUDED.{c}, t.{c})" for c in CONTACT_DETAILS)
    + ", changed_ms = EXCLUDED.changed_ms RETURNING email, id"
)


def upsert_contacts(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """One row per email; details sent now win, details not sent keep what was stored."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement for the batch, which also returns every contact's key.
        found = insert_unnest(session, _CONTACTS, rows, _CONTACT_UPSERT)
        return {row[0]: row[1] for row in found}
    module: Any = sqlite
    stmt = module.insert(_CONTACTS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["team_id", "email"],
        set_={
            **{c: func.coalesce(stmt.excluded[c], _CONTACTS.c[c]) for c in CONTACT_DETAILS},
            "changed_ms": stmt.excluded.changed_ms,
        },
    )
    session.execute(stmt, list(rows))
    team_id = rows[0]["team_id"]
    found = session.execute(
        select(Contact.email, Contact.id).where(
            Contact.team_id == team_id, Contact.email.in_([r["email"] for r in rows])
        )
    )
    return {row[0]: row[1] for row in found}


def insert_activities(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = session.execute(
        _ACTS.insert().returning(_ACTS.c.id, sort_by_parameter_order=True), list(rows)
    )
    return [r[0] for r in result.all()]


def insert_contact_links(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, _LINKS, rows)


def _with_account() -> Select[Any]:
    return select(_ACTS, Account.rtp_aid, Account.name.label("linked_account_name")).outerjoin(
        Account,
        live_account(_ACTS.c.account_id),  # none while it is deleted
    )


def page(session: Session, *, team_id: int, page: PageRequest) -> Sequence[ActivityRow]:
    query = _with_account().where(_ACTS.c.team_id == team_id)
    query = one_page(query, id_column=_ACTS.c.id, changed_column=_ACTS.c.changed_ms, page=page)
    return session.execute(query).all()


def for_account(
    session: Session,
    *,
    team_id: int,
    account_id: int,
    before: tuple[int, int] | None,
    limit: int,
) -> Sequence[ActivityRow]:
    """One account's activities newest first by (occurred_ms, id), after the page before."""
    query = _with_account().where(_ACTS.c.team_id == team_id, _ACTS.c.account_id == account_id)
    if before is not None:
        occurred_ms, row_id = before
        query = query.where(
            (_ACTS.c.occurred_ms < occurred_ms)
            | ((_ACTS.c.occurred_ms == occurred_ms) & (_ACTS.c.id < row_id))
        )
    query = query.order_by(_ACTS.c.occurred_ms.desc(), _ACTS.c.id.desc()).limit(limit)
    return session.execute(query).all()


def contacts_for(session: Session, activity_pks: Sequence[int]) -> dict[int, list[Contact]]:
    found: dict[int, list[Contact]] = defaultdict(list)
    if not activity_pks:
        return found
    rows = session.execute(
        select(_LINKS.c.activity_pk, Contact)
        .join(Contact, Contact.id == _LINKS.c.contact_pk)
        .where(_LINKS.c.activity_pk.in_(list(activity_pks)))
        .order_by(_LINKS.c.activity_pk, Contact.id)
    )
    for activity_pk, contact in rows:
        found[activity_pk].append(contact)
    return found


def pending_by_domain(
    session: Session, *, team_id: int, domains: Collection[str]
) -> Sequence[Row[Any, Any]]:
    if not domains:
        return []
    return session.execute(
        select(_ACTS.c.id, _ACTS.c.domain).where(
            _ACTS.c.team_id == team_id,
            _ACTS.c.account_id.is_(None),
            _ACTS.c.domain.in_(list(domains)),
        )
    ).all()


def set_accounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(
            update(_ACTS)
            .where(_ACTS.c.id == bindparam("b_id"))
            .values(account_id=bindparam("b_account"), changed_ms=bindparam("b_changed")),
            list(rows),
        )


# Activities name accounts and flag them for re-scoring through the shared table: the accounts
# feature sits above activities (an account push links waiting activities).
account_ids_by_domain = account_keys.ids_by_domain
mark_accounts_for_rescoring = account_keys.mark_for_rescoring
