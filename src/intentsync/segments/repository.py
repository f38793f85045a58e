"""SQL for segments and their members."""

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from intentsync.db import account_keys
from intentsync.db.dialect import in_bound_list, insert_ignore
from intentsync.db.live import LIVE_ACCOUNT
from intentsync.db.models import Account, Segment, SegmentMember
from intentsync.db.paging import one_page
from intentsync.kit.pagination import PageRequest


def add(session: Session, segment: Segment) -> None:
    session.add(segment)
    session.flush()


def find(session: Session, *, team_id: int, segment_id: str) -> Segment | None:
    return session.scalar(
        select(Segment).where(Segment.team_id == team_id, Segment.segment_id == segment_id)
    )


def visible_names(session: Session, *, team_id: int) -> list[tuple[int, str]]:
    """(key, name) of the team's segments that are not archived."""
    rows = session.execute(
        select(Segment.id, Segment.name).where(
            Segment.team_id == team_id, Segment.status != "archived"
        )
    )
    return [(pk, name) for pk, name in rows]


def list_static_page(
    session: Session, *, team_id: int, page: PageRequest
) -> list[tuple[int, str, str, str]]:
    query = select(Segment.id, Segment.segment_id, Segment.name, Segment.status).where(
        Segment.team_id == team_id,
        Segment.type == "static",
        Segment.status.in_(("active", "draft")),
    )
    query = one_page(query, id_column=Segment.id, changed_column=Segment.changed_ms, page=page)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def add_members(
    session: Session, *, team_id: int, segment_pk: int, account_ids: Iterable[int], at_ms: int
) -> None:
    rows = [
        {"segment_pk": segment_pk, "account_id": aid, "team_id": team_id, "added_ms": at_ms}
        for aid in account_ids
    ]
    if rows:
        insert_ignore(session, SegmentMember, rows, ["segment_pk", "account_id"])


@functools.cache
def _memberships_statement(dialect: str) -> Select[int, str, str]:
    """Built once per database kind: a page asks it with up to 1,000 ids, bound as one list."""
    return (
        select(SegmentMember.account_id, Segment.segment_id, Segment.name)
        .join(Segment, Segment.id == SegmentMember.segment_pk)
        .where(
            in_bound_list(SegmentMember.account_id, "account_ids", dialect),  # type: ignore[arg-type]
            Segment.status != "archived",
        )
        .order_by(SegmentMember.account_id, Segment.id)
    )


def memberships(session: Session, account_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Visible (not archived) segments per account, oldest segment first."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not account_ids:
        return found
    connection = session.connection()
    statement = _memberships_statement(connection.dialect.name)
    rows = connection.execute(statement, {"account_ids": list(account_ids)})
    for account_id, segment_id, name in rows:
        found[account_id].append((segment_id, name))
    return found


_CHUNK = 5000  # bound parameters per statement stay far below SQLite's and PostgreSQL's limits


def chunks(ids: Collection[int]) -> Iterator[list[int]]:
    """Sorted slices small enough for one IN list."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def dynamic_to_refresh(
    session: Session, *, team_id: int, segment_pks: Collection[int] | None = None
) -> list[tuple[int, dict[str, Any] | None]]:
    """(key, rules) of the team's dynamic segments that are not archived, oldest first."""
    query = select(Segment.id, Segment.rules).where(
        Segment.team_id == team_id, Segment.type == "dynamic", Segment.status != "archived"
    )
    if segment_pks is not None:
        if not segment_pks:
            return []
        query = query.where(Segment.id.in_(list(segment_pks)))
    return [(pk, rules) for pk, rules in session.execute(query.order_by(Segment.id))]


def member_ids(
    session: Session, *, segment_pk: int, account_ids: Collection[int] | None = None
) -> set[int]:
    """Members of a segment, or those of the given accounts that are members."""
    query = select(SegmentMember.account_id).where(SegmentMember.segment_pk == segment_pk)
    if account_ids is None:
        return set(session.scalars(query))
    found: set[int] = set()
    for part in chunks(account_ids):
        found.update(session.scalars(query.where(SegmentMember.account_id.in_(part))))
    return found


def remove_from_every_segment(session: Session, *, account_id: int) -> list[int]:
    """An archived account leaves every segment, static and dynamic; returns which it left."""
    left = session.scalars(
        delete(SegmentMember)
        .where(SegmentMember.account_id == account_id)
        .returning(SegmentMember.segment_pk)
    ).all()
    return sorted(left)


def remove_members(session: Session, *, segment_pk: int, account_ids: Collection[int]) -> None:
    for part in chunks(account_ids):
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_pk == segment_pk, SegmentMember.account_id.in_(part)
            )
        )


def mark_members_changed(session: Session, *, segment_pk: int, at_ms: int) -> None:
    """Stamp every member account, so a renamed or (un)archived segment reaches the delta."""
    members = select(SegmentMember.account_id).where(SegmentMember.segment_pk == segment_pk)
    session.execute(update(Account).where(Account.id.in_(members)).values(changed_ms=at_ms))


def summaries(session: Session, *, team_id: int) -> list[tuple[str, str, str, str, int]]:
    """(segmentId, name, type, status, member count) of every segment, oldest first."""
    counts = (
        select(SegmentMember.segment_pk, func.count().label("members"))
        .where(SegmentMember.team_id == team_id)
        .group_by(SegmentMember.segment_pk)
        .subquery()
    )
    rows = session.execute(
        select(
            Segment.segment_id,
            Segment.name,
            Segment.type,
            Segment.status,
            func.coalesce(counts.c.members, 0),
        )
        .outerjoin(counts, counts.c.segment_pk == Segment.id)
        .where(Segment.team_id == team_id)
        .order_by(Segment.id)
    )
    return [(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


# Segments read and flag accounts through the shared table rather than the accounts feature,
# which sits above segments (an account push joins a segment).
account_ids_by_external_id = account_keys.ids_by_external_id
account_ids_by_domain = account_keys.ids_by_domain


def mark_accounts_changed(session: Session, account_ids: Collection[int], *, at_ms: int) -> None:
    if account_ids:
        session.execute(
            update(Account).where(Account.id.in_(list(account_ids))).values(changed_ms=at_ms)
        )


def team_account_columns(
    session: Session,
    *,
    team_id: int,
    columns: Collection[str],
    account_ids: Sequence[int] | None = None,
) -> Sequence[Any]:
    """Accounts of a team (all, or these ids) as (id, *columns): rules read what they use."""
    table = Account.__table__
    wanted = [table.c[c] for c in sorted(set(columns) - {"id"})]
    query = (
        select(table.c.id, *wanted)
        .where(table.c.team_id == team_id, LIVE_ACCOUNT)
        .order_by(table.c.id)
    )
    if account_ids is None:
        return session.execute(query).all()
    return [
        row
        for start in range(0, len(account_ids), 5000)
        for row in session.execute(
            query.where(table.c.id.in_(account_ids[start : start + 5000]))
        ).all()
    ]


def listing(session: Session, *, team_id: int) -> list[tuple[str, str, str, str, int, int]]:
    """(segmentId, name, type, status, changed ms, member count) of every segment, newest first.

    Each count walks only its own segment's primary-key range, never other teams' members.
    """
    members = (
        select(func.count())
        .select_from(SegmentMember)
        .where(SegmentMember.segment_pk == Segment.id)
        .correlate(Segment)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Segment.segment_id,
            Segment.name,
            Segment.type,
            Segment.status,
            Segment.changed_ms,
            members,
        )
        .where(Segment.team_id == team_id)
        .order_by(Segment.id.desc())
    )
    return [(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]


def member_count(session: Session, *, segment_pk: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(SegmentMember)
            .where(SegmentMember.segment_pk == segment_pk)
        )
        or 0
    )


_MEMBER_COLUMNS = (
    Account.id,
    Account.rtp_aid,
    Account.external_id,
    Account.name,
    Account.domain,
    Account.linkedin_url,
    Account.account_score,
    Account.journey_stage,
    SegmentMember.added_ms,
)


def members_after(
    session: Session, *, team_id: int, segment_pk: int, after_id: int, limit: int
) -> Sequence[Any]:
    """Up to `limit` members with an account id above `after_id`, in id order (keyset)."""
    return session.execute(
        select(*_MEMBER_COLUMNS)
        .join(Account, Account.id == SegmentMember.account_id)
        .where(
            SegmentMember.segment_pk == segment_pk,
            SegmentMember.account_id > after_id,
            Account.team_id == team_id,
            LIVE_ACCOUNT,
        )
        .order_by(SegmentMember.account_id)
        .limit(limit)
    ).all()


def accounts_by_ids(session: Session, *, team_id: int, account_ids: Sequence[int]) -> Sequence[Any]:
    """Rows shaped like members_after's (no join date) for a few accounts, in id order."""
    if not account_ids:
        return []
    return session.execute(
        select(*_MEMBER_COLUMNS[:-1])
        .where(Account.team_id == team_id, Account.id.in_(list(account_ids)), LIVE_ACCOUNT)
        .order_by(Account.id)
    ).all()


def refs(session: Session, *, segment_pks: Collection[int]) -> dict[int, tuple[str, str, str]]:
    """(segmentId, name, type) by key, for the events that name a segment."""
    rows = session.execute(
        select(Segment.id, Segment.segment_id, Segment.name, Segment.type).where(
            Segment.id.in_(sorted(set(segment_pks)))
        )
    )
    return {pk: (segment_id, name, type_) for pk, segment_id, name, type_ in rows}


def member_ids_page(session: Session, *, segment_pk: int, page: PageRequest) -> list[int]:
    """Account keys of one page of members in key order, one past the limit."""
    query = select(SegmentMember.account_id).where(SegmentMember.segment_pk == segment_pk)
    query = one_page(
        query, id_column=SegmentMember.account_id, changed_column=SegmentMember.added_ms, page=page
    )
    return list(session.scalars(query))
