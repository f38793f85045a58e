"""SQL for accounts. Reads return plain rows; batch writes are single Core statements."""

import functools
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    LargeBinary,
    Row,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from intentsync.accounts.schemas import ACCOUNT_ROW, AccountFilter, ListQuery
from intentsync.db import account_keys
from intentsync.db.dialect import BoundRows, bind_rows, in_bound_list, insert_bound, insert_rows
from intentsync.db.live import ARCHIVED_ACCOUNT, LIVE_ACCOUNT
from intentsync.db.models import Account, DealAccount, SalesActivity, SegmentMember
from intentsync.db.paging import one_page
from intentsync.kit.pagination import PageRequest

_T = cast(Table, Account.__table__)

AccountRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True)
class Existing:
    id: int
    rtp_aid: str
    domain: str
    external_id: str | None
    custom_fields: dict[str, Any]
    deleted_ms: int | None = None  # archived: a push restores it, nothing else sees it


def _existing(rows: Sequence[AccountRow]) -> list[Existing]:
    return [
        Existing(
            id=r.id,
            rtp_aid=r.rtp_aid,
            domain=r.domain,
            external_id=r.external_id,
            custom_fields=dict(r.custom_fields or {}),
            deleted_ms=r.deleted_ms,
        )
        for r in rows
    ]


_EXISTING_COLUMNS = (
    Account.id,
    Account.rtp_aid,
    Account.domain,
    Account.external_id,
    Account.custom_fields,
    Account.deleted_ms,
)


_Lookup = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


class _Statements(NamedTuple):
    """Hot-path statements over bound lists, built once per database kind."""

    by_domains: _Lookup
    by_external_ids: _Lookup
    by_either: _Lookup
    ids_by_rtp_aid: _Lookup
    ids_by_domain: _Lookup


@functools.cache
def _statements(dialect: str) -> _Statements:
    team = _T.c.team_id == bindparam("team_id")
    by_domains = select(*_EXISTING_COLUMNS).where(
        team, in_bound_list(_T.c.domain, "domains", dialect)
    )
    by_external_ids = select(*_EXISTING_COLUMNS).where(
        team, in_bound_list(_T.c.external_id, "external_ids", dialect)
    )
    return _Statements(
        by_domains=by_domains,
        by_external_ids=by_external_ids,
        by_either=union_all(by_domains, by_external_ids),
        ids_by_rtp_aid=select(_T.c.rtp_aid, _T.c.id).where(
            in_bound_list(_T.c.rtp_aid, "keys", dialect)
        ),
        ids_by_domain=select(_T.c.domain, _T.c.id, _T.c.rtp_aid).where(
            team, in_bound_list(_T.c.domain, "keys", dialect)
        ),
    )


def _statements_for(session: Session) -> tuple[Connection, _Statements]:
    connection = session.connection()
    return connection, _statements(connection.dialect.name)


def find_by_domains_and_external_ids(
    session: Session, *, team_id: int, domains: Collection[str], external_ids: Collection[str]
) -> tuple[dict[str, Existing], dict[str, Existing]]:
    """Both lookups of a batch push in one round trip: (by domain, by externalId).

    Archived accounts are found too (their deleted_ms is set): a push restores them, and their
    keys stay taken while they are archived.
    """
    domain_set, external_set = set(domains), set(external_ids)
    if not domain_set and not external_set:
        return {}, {}
    connection, statements = _statements_for(session)
    if domain_set and external_set:
        statement = statements.by_either
    elif domain_set:
        statement = statements.by_domains
    else:
        statement = statements.by_external_ids
    params = {"team_id": team_id, "domains": list(domain_set), "external_ids": list(external_set)}
    found = _existing(connection.execute(statement, params).all())
    by_domain = {e.domain: e for e in found if e.domain in domain_set}
    by_external = {
        e.external_id: e
        for e in found
        if e.external_id is not None and e.external_id in external_set
    }
    return by_domain, by_external


def find_by_domains(
    session: Session, *, team_id: int, domains: Collection[str]
) -> dict[str, Existing]:
    return find_by_domains_and_external_ids(
        session, team_id=team_id, domains=domains, external_ids=()
    )[0]


def find_by_external_ids(
    session: Session, *, team_id: int, external_ids: Collection[str]
) -> dict[str, Existing]:
    return find_by_domains_and_external_ids(
        session, team_id=team_id, domains=(), external_ids=external_ids
    )[1]


def find_one_by_external_id(session: Session, *, team_id: int, external_id: str) -> Existing | None:
    found = find_by_external_ids(session, team_id=team_id, external_ids=[external_id])
    return found.get(external_id)


# Hot-path statements are built once: building one costs more than SQLite running it.
# Asked of the shared tables directly: deals and activities sit below accounts, whose pushes
# link them, so their own features are called only when something is waiting.
_WAITING = select(
    or_(
        exists().where(
            DealAccount.team_id == bindparam("team_id"), DealAccount.account_id.is_(None)
        ),
        exists().where(
            SalesActivity.team_id == bindparam("team_id"), SalesActivity.account_id.is_(None)
        ),
    )
)


def has_waiting_records(session: Session, *, team_id: int) -> bool:
    """Whether deals or activities wait for an account, asked in one round trip."""
    return bool(session.connection().execute(_WAITING, {"team_id": team_id}).scalar())


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert in one executemany round trip (rtp_aid is ours, so no RETURNING is needed)."""
    if rows:
        insert_rows(session, _T, rows)


# Known only inside the write transaction: bound last, one value for every row.
STAMP_COLUMNS = ("created_ms", "changed_ms", "inputs_ms")


def bind_new(session: Session, rows: Sequence[dict[str, Any]]) -> BoundRows:
    """New account rows bound for their insert without touching the database."""
    return bind_rows(session.get_bind().dialect, _T, rows, late=STAMP_COLUMNS)


def insert_new(
    session: Session, bound: BoundRows, *, stamp: int, only: Sequence[int] | None = None
) -> None:
    """Insert bound new accounts (or those at the `only` positions), all stamped `stamp`."""
    insert_bound(session, bound, (stamp,) * len(STAMP_COLUMNS), only=only)


def ids_by_rtp_aid(session: Session, rtp_aids: Sequence[str]) -> list[int]:
    """Account keys in the order of the given rtp_aids."""
    if not rtp_aids:
        return []
    connection, statements = _statements_for(session)
    rows = connection.execute(statements.ids_by_rtp_aid, {"keys": list(rtp_aids)})
    found = {row[0]: row[1] for row in rows}
    return [found[a] for a in rtp_aids]


def ids_by_domain(
    session: Session, *, team_id: int, domains: Collection[str]
) -> dict[str, tuple[int, str]]:
    """(id, rtp_aid) per known domain: what signal ingest needs, without the JSON columns.

    Archived accounts too: a signal for one is kept against it, and does not restore it.
    """
    if not domains:
        return {}
    connection, statements = _statements_for(session)
    result = connection.execute(
        statements.ids_by_domain, {"team_id": team_id, "keys": list(domains)}
    )
    try:  # plain driver rows: two texts and an int need no conversion, and a batch has 1,000
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return {domain: (pk, rtp_aid) for domain, pk, rtp_aid in rows}


def update_many(session: Session, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Apply per-row values in one executemany; each row carries its key as 'pk'."""
    if not rows:
        return
    stmt = update(_T).where(_T.c.id == bindparam("pk")).values({c: bindparam(c) for c in columns})
    session.connection().execute(stmt, list(rows))


def set_external_ids(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    update_many(session, rows, ("external_id", "changed_ms"))


def clear_external_ids(session: Session, account_ids: Collection[int]) -> None:
    if account_ids:
        session.execute(update(_T).where(_T.c.id.in_(list(account_ids))).values(external_id=None))


def page(
    session: Session, *, team_id: int, page: PageRequest, domains: list[str] | None = None
) -> Sequence[AccountRow]:
    query = select(*ACCOUNT_ROW.columns).where(Account.team_id == team_id, LIVE_ACCOUNT)
    if domains is not None:
        query = query.where(Account.domain.in_(domains))
    query = one_page(query, id_column=Account.id, changed_column=Account.changed_ms, page=page)
    return session.connection().execute(query).all()  # Core: no ORM row bookkeeping


def one_for_output(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> AccountRow | None:
    key = Account.external_id == external_id if rtp_aid is None else Account.rtp_aid == rtp_aid
    query = select(*ACCOUNT_ROW.columns).where(Account.team_id == team_id, key, LIVE_ACCOUNT)
    return session.connection().execute(query).first()


def archived_one(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> int | None:
    """When the team's archived account with this key was deleted; None if there is none."""
    key = Account.external_id == external_id if rtp_aid is None else Account.rtp_aid == rtp_aid
    query = select(Account.deleted_ms).where(Account.team_id == team_id, key, ARCHIVED_ACCOUNT)
    return session.connection().execute(query).scalar()


def many_for_output(
    session: Session, *, team_id: int, account_ids: Sequence[int], archived: bool
) -> Sequence[AccountRow]:
    """Accounts by key; archived ones too only when asked (a delete event shows what went)."""
    query = select(*ACCOUNT_ROW.columns).where(
        Account.team_id == team_id, Account.id.in_(account_ids)
    )
    if not archived:
        query = query.where(LIVE_ACCOUNT)
    return session.connection().execute(query).all()


def find_one_by_rtp_aid(session: Session, *, team_id: int, rtp_aid: str) -> Existing | None:
    rows = session.execute(
        select(*_EXISTING_COLUMNS).where(Account.team_id == team_id, Account.rtp_aid == rtp_aid)
    ).all()
    found = _existing(rows)
    return found[0] if found else None


def current_values(session: Session, *, account_id: int, columns: list[str]) -> dict[str, Any]:
    if not columns:
        return {}
    row = session.execute(select(*[_T.c[c] for c in columns]).where(_T.c.id == account_id)).one()
    return dict(zip(columns, row, strict=True))


def update_one(session: Session, *, account_id: int, values: dict[str, Any]) -> None:
    session.execute(update(_T).where(_T.c.id == account_id).values(**values))


def missing_external_ids(session: Session, *, team_id: int, limit: int) -> Sequence[AccountRow]:
    return session.execute(
        select(Account.name, Account.domain)
        .where(Account.team_id == team_id, Account.external_id.is_(None), LIVE_ACCOUNT)
        .order_by(Account.id)
        .limit(limit)
    ).all()


mark_inputs_changed = account_keys.mark_for_rescoring


# --- overview: team-wide aggregates, each one scan of the team's accounts ---


def stage_band_counts(session: Session, *, team_id: int) -> Sequence[AccountRow]:
    """(journey_stage, score // 10, accounts): funnel and distribution from one grouped scan."""
    band = Account.account_score // 10
    query = (
        select(Account.journey_stage, band, func.count())
        .where(Account.team_id == team_id, LIVE_ACCOUNT)
        .group_by(Account.journey_stage, band)
    )
    return session.connection().execute(query).all()


def top_gainers(session: Session, *, team_id: int, limit: int) -> Sequence[AccountRow]:
    """The accounts whose overall score rose most over 7 days, largest gain first."""
    query = (
        select(
            Account.rtp_aid,
            Account.name,
            Account.domain,
            Account.account_score,
            Account.score_change_7d,
            Account.journey_stage,
        )
        .where(Account.team_id == team_id, Account.score_change_7d > 0, LIVE_ACCOUNT)
        .order_by(Account.score_change_7d.desc(), Account.account_score.desc(), Account.id)
        .limit(limit)
    )
    return session.connection().execute(query).all()


# What the console's account page shows of the account itself: identity, tags, custom fields.
_PROFILE_COLUMNS = (
    Account.id,
    Account.rtp_aid,
    Account.external_id,
    Account.name,
    Account.short_name,
    Account.domain,
    Account.linkedin_url,
    Account.tags,
    Account.custom_fields,
    Account.created_ms,
    Account.changed_ms,
)


def profile(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> AccountRow | None:
    """One account of the team by rtp_aid or externalId (both are unique per team)."""
    key = Account.external_id == external_id if rtp_aid is None else Account.rtp_aid == rtp_aid
    query = select(*_PROFILE_COLUMNS).where(Account.team_id == team_id, key, LIVE_ACCOUNT)
    return session.execute(query).first()


# ---------------------------------------------------------------- the console's account list

_RANGE_COLUMNS: dict[str, ColumnElement[Any]] = {
    "score": _T.c.account_score,
    "website": _T.c.website_score,
    "g2": _T.c.g2_score,
    "bombora": _T.c.bombora_score,
    "advertising": _T.c.advertising_score,
}
_SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "name": func.lower(_T.c.name),
    **_RANGE_COLUMNS,
    "change_7d": _T.c.score_change_7d,
    "change_30d": _T.c.score_change_30d,
    "changed": _T.c.changed_ms,
    "key": _T.c.id,  # the export's order: each keyset batch is a range of the primary key
}
_LISTED_COLUMNS = (
    Account.id,
    Account.rtp_aid,
    Account.name,
    Account.domain,
    Account.external_id,
    Account.account_score,
    Account.journey_stage,
    Account.website_score,
    Account.g2_score,
    Account.bombora_score,
    Account.advertising_score,
    Account.score_change_7d,
    Account.score_change_30d,
    Account.changed_ms,
    Account.tags,
)


def _lower(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """lower() of every letter, as Python's: SQLite's own folds ASCII only (see db.engine)."""
    return func.lower(value) if dialect == "postgresql" else func.unicode_lower(value)


def _fragment(column: ColumnElement[Any], text: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive contains, without lowering every row (twice as slow at 100,000).

    SQLite's LIKE ignores ASCII case only: a fragment with other letters ("über") compares
    lower-cased text, as PostgreSQL's ILIKE and the segment rules do.
    """

    def pattern(fragment: str) -> str:
        return "%" + fragment.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"

    if dialect == "postgresql":
        return column.ilike(pattern(text), escape="/")
    if text.isascii():
        return column.like(pattern(text), escape="/")
    # Python's lower() keeps ASCII ASCII, so only a value with other characters can match:
    # one whose length in bytes is not its length in characters. That test is cheap and
    # spares the all-ASCII rows the Python call (a scan of 100,000 names: 345 ms to 96 ms).
    return and_(
        func.length(cast_(column, LargeBinary)) != func.length(column),
        _lower(column, dialect).like(pattern(text.lower()), escape="/"),
    )


def _has_tag(tag: str, dialect: str) -> ColumnElement[bool]:
    """Whether the account's tags hold this one, compared lower-cased as segment rules do.

    A match on the stored JSON text comes first: it rules out most rows for the price of a
    LIKE, and only the rest are unpacked element by element.
    """
    # The stored JSON as text: a cast on PostgreSQL's jsonb, the column itself on SQLite.
    stored: ColumnElement[Any] = (
        cast_(_T.c.tags, Text) if dialect == "postgresql" else type_coerce(_T.c.tags, Text)
    )
    quoted = json.dumps(tag, ensure_ascii=False)
    function = func.jsonb_array_elements_text if dialect == "postgresql" else func.json_each
    tags = function(Account.tags).table_valued("value")
    return and_(
        _fragment(stored, quoted, dialect),
        exists(select(literal(1)).select_from(tags).where(_lower(tags.c.value, dialect) == tag)),
    )


def _conditions(
    f: AccountFilter, *, team_id: int, segment_pk: int | None, dialect: str
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Account.team_id == team_id, LIVE_ACCOUNT]
    if f.search:
        where.append(
            or_(
                _fragment(_T.c.name, f.search, dialect),
                _fragment(_T.c.domain, f.search, dialect),
                _fragment(_T.c.external_id, f.search, dialect),
            )
        )
    if f.stage is not None:
        where.append(Account.journey_stage == f.stage)
    if segment_pk is not None:
        members = select(SegmentMember.account_id).where(SegmentMember.segment_pk == segment_pk)
        where.append(Account.id.in_(members))
    for name, bounds in f.ranges.items():
        column = _RANGE_COLUMNS[name]
        if bounds.low is not None:
            where.append(column >= bounds.low)
        if bounds.high is not None:
            where.append(column <= bounds.high)
    if f.tag:
        where.append(_has_tag(f.tag.lower(), dialect))
    if f.trend == "rising":
        where.append(Account.score_change_7d > 0)
    elif f.trend == "falling":
        where.append(Account.score_change_7d < 0)
    if f.min_change_7d is not None:
        where.append(Account.score_change_7d >= f.min_change_7d)
    return where


def list_page(
    session: Session,
    *,
    team_id: int,
    query: ListQuery,
    segment_pk: int | None,
    count_up_to: int | None,
) -> tuple[list[Row[Any]], int | None]:
    """One page of the filtered, sorted list (one row past the size) and the capped count.

    One statement: the count is an uncorrelated subquery both databases run once, stopping
    at count_up_to + 1 matches when filtered. Going back (query.before), rows come reversed.
    """
    connection = session.connection()
    where = _conditions(
        query.filter, team_id=team_id, segment_pk=segment_pk, dialect=connection.dialect.name
    )
    key = _SORT_COLUMNS[query.sort]
    backwards = query.before is not None
    descending = query.descending != backwards
    columns: list[Any] = [*_LISTED_COLUMNS, key.label("sort_value")]
    if count_up_to is not None:
        matching = select(literal(1)).where(*where)
        if not query.filter.is_empty():  # a team's own count reads an index, so it is exact
            matching = matching.limit(count_up_to + 1)
        counted = select(func.count()).select_from(matching.subquery())
        columns.append(counted.scalar_subquery())
    statement = select(*columns).where(*where)
    cursor = query.before or query.after
    if cursor is not None and query.sort == "key":
        there_id = literal(cursor.account_id)
        statement = statement.where(Account.id < there_id if descending else Account.id > there_id)
    elif cursor is not None:
        here = tuple_(key, Account.id)
        there = tuple_(literal(cursor.value, type_=key.type), literal(cursor.account_id))
        statement = statement.where(here < there if descending else here > there)
    order = (key.desc(), Account.id.desc()) if descending else (key.asc(), Account.id.asc())
    statement = statement.order_by(*order).limit(query.size + 1)
    rows = list(connection.execute(statement).all())
    total = int(rows[0][-1]) if rows and count_up_to is not None else None
    return rows, total


# ---------------------------------------------------------------- archiving and restoring


def archive(session: Session, *, account_id: int, at_ms: int) -> None:
    """Stamp both: the deleted delta reads deleted_ms, a running delta walk changed_ms."""
    session.execute(
        update(_T).where(_T.c.id == account_id).values(deleted_ms=at_ms, changed_ms=at_ms)
    )


def restore(session: Session, account_ids: Collection[int], *, at_ms: int) -> None:
    """Live again, and changed now so the account delta shows it; scoring re-reads it."""
    if account_ids:
        session.execute(
            update(_T)
            .where(_T.c.id.in_(list(account_ids)))
            .values(deleted_ms=None, changed_ms=at_ms, inputs_ms=at_ms)
        )


_DELETED_COLUMNS = (
    Account.id,
    Account.rtp_aid,
    Account.external_id,
    Account.domain,
    Account.name,
    Account.deleted_ms,
)


def deleted_page(session: Session, *, team_id: int, page: PageRequest) -> Sequence[AccountRow]:
    """Archived accounts, by key; lastSync compares the archive's stamp."""
    query = select(*_DELETED_COLUMNS).where(Account.team_id == team_id, ARCHIVED_ACCOUNT)
    stamp = cast(ColumnElement[int], Account.deleted_ms)  # never NULL here
    query = one_page(query, id_column=Account.id, changed_column=stamp, page=page)
    return session.connection().execute(query).all()
