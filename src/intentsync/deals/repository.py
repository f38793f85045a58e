"""SQL for deals and the accounts they name."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import (
    Exists,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from intentsync.db import account_keys
from intentsync.db.dialect import insert_rows
from intentsync.db.live import live_account
from intentsync.db.models import Account, Deal, DealAccount, Pipeline, PipelineStage
from intentsync.db.paging import one_page
from intentsync.kit.pagination import PageRequest

_DEALS = cast(Table, Deal.__table__)
_LINKS = cast(Table, DealAccount.__table__)
_ACCOUNTS = cast(Table, Account.__table__)

DealRow = Row[*tuple[Any, ...]]


def find_ids(session: Session, *, team_id: int, external_ids: Collection[str]) -> dict[str, int]:
    if not external_ids:
        return {}
    rows = session.execute(
        select(Deal.external_deal_id, Deal.id).where(
            Deal.team_id == team_id, Deal.external_deal_id.in_(list(external_ids))
        )
    )
    return {row[0]: row[1] for row in rows}


def insert_deals(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = session.execute(
        _DEALS.insert().returning(_DEALS.c.id, sort_by_parameter_order=True), list(rows)
    )
    return [r[0] for r in result.all()]


def update_deal(session: Session, *, deal_pk: int, values: dict[str, Any]) -> None:
    session.execute(update(_DEALS).where(_DEALS.c.id == deal_pk).values(**values))


def replace_links(
    session: Session, *, deal_pks: Collection[int], rows: Sequence[dict[str, Any]]
) -> None:
    if deal_pks:
        session.execute(delete(_LINKS).where(_LINKS.c.deal_pk.in_(list(deal_pks))))
    insert_rows(session, _LINKS, rows)


def _labelled() -> Select[Any]:
    """Deal rows plus the labels registered for their pipeline and (pipeline, stage), if any."""
    return (
        select(
            _DEALS,
            Pipeline.label.label("registered_pipeline_label"),
            PipelineStage.label.label("registered_stage_label"),
        )
        .outerjoin(
            Pipeline,
            and_(
                Pipeline.team_id == _DEALS.c.team_id, Pipeline.pipeline_id == _DEALS.c.pipeline_id
            ),
        )
        .outerjoin(
            PipelineStage,
            and_(
                PipelineStage.pipeline_pk == Pipeline.id,
                PipelineStage.stage_id == _DEALS.c.stage_id,
            ),
        )
    )


def page(session: Session, *, team_id: int, page: PageRequest) -> Sequence[DealRow]:
    query = _labelled().where(_DEALS.c.team_id == team_id)
    query = one_page(query, id_column=_DEALS.c.id, changed_column=_DEALS.c.changed_ms, page=page)
    return session.execute(query).all()


def for_account(
    session: Session, *, team_id: int, account_id: int, limit: int
) -> Sequence[DealRow]:
    """The deals linked to one account, most recently changed first, at most `limit`."""
    linked = select(_LINKS.c.deal_pk).where(_LINKS.c.account_id == account_id)
    query = (
        _labelled()
        .where(_DEALS.c.team_id == team_id, _DEALS.c.id.in_(linked))
        .order_by(_DEALS.c.changed_ms.desc(), _DEALS.c.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()


def delete_deal(session: Session, *, deal_pk: int) -> None:
    """Remove a deal and the accounts it names: a push of the same id creates it anew."""
    session.execute(delete(_LINKS).where(_LINKS.c.deal_pk == deal_pk))
    session.execute(delete(_DEALS).where(_DEALS.c.id == deal_pk))


def links_for(session: Session, deal_pks: Sequence[int]) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    if not deal_pks:
        return found
    rows = session.execute(
        select(
            _LINKS.c.deal_pk, _LINKS.c.external_id, _LINKS.c.domain, _LINKS.c.name, Account.rtp_aid
        )
        .outerjoin(Account, live_account(_LINKS.c.account_id))  # none while it is deleted
        .where(_LINKS.c.deal_pk.in_(list(deal_pks)))
        .order_by(_LINKS.c.deal_pk, _LINKS.c.position)
    )
    for deal_pk, ext, domain, name, rtp_aid in rows:
        found[deal_pk].append((ext, domain, name, rtp_aid))
    return found


def pending_links(
    session: Session, *, team_id: int, external_ids: Collection[str], domains: Collection[str]
) -> Sequence[Row[Any, Any, Any, Any]]:
    """Links still waiting for their account that one of these ids or domains could fill."""
    conditions = []
    if external_ids:
        conditions.append(_LINKS.c.external_id.in_(list(external_ids)))
    if domains:
        conditions.append(_LINKS.c.domain.in_(list(domains)))
    if not conditions:
        return []
    return session.execute(
        select(_LINKS.c.deal_pk, _LINKS.c.position, _LINKS.c.external_id, _LINKS.c.domain).where(
            and_(_LINKS.c.team_id == team_id, _LINKS.c.account_id.is_(None), or_(*conditions))
        )
    ).all()


def set_link_accounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(
            update(_LINKS)
            .where(_LINKS.c.deal_pk == bindparam("b_deal"), _LINKS.c.position == bindparam("b_pos"))
            .values(account_id=bindparam("b_account")),
            list(rows),
        )


def touch(session: Session, deal_pks: Collection[int], *, at_ms: int) -> None:
    if deal_pks:
        session.execute(
            update(_DEALS).where(_DEALS.c.id.in_(list(deal_pks))).values(changed_ms=at_ms)
        )


# True while a row of the team bound as :team_id still waits for its account.
PENDING: Exists = exists().where(
    _LINKS.c.team_id == bindparam("team_id"), _LINKS.c.account_id.is_(None)
)
_HAS_PENDING = select(PENDING)


def has_pending(session: Session, *, team_id: int) -> bool:
    return bool(session.connection().execute(_HAS_PENDING, {"team_id": team_id}).scalar())


def linked_deal_stages(
    session: Session, *, team_id: int, account_ids: Collection[int] | None
) -> Sequence[DealRow]:
    """(account_id, amount, stage_id, stage_label, pipeline_id) for every linked deal."""
    query = (
        select(
            _LINKS.c.account_id,
            _DEALS.c.amount,
            _DEALS.c.stage_id,
            _DEALS.c.stage_label,
            _DEALS.c.pipeline_id,
        )
        .join(_DEALS, _DEALS.c.id == _LINKS.c.deal_pk)
        .where(_LINKS.c.team_id == team_id, _LINKS.c.account_id.is_not(None))
    )
    if account_ids is not None:
        if not account_ids:
            return []
        query = query.where(_LINKS.c.account_id.in_(list(account_ids)))
    return session.execute(query).all()


def linked_account_ids(session: Session, deal_pks: Collection[int]) -> set[int]:
    if not deal_pks:
        return set()
    rows = session.execute(
        select(_LINKS.c.account_id).where(
            _LINKS.c.deal_pk.in_(list(deal_pks)), _LINKS.c.account_id.is_not(None)
        )
    )
    return {row[0] for row in rows}


# Deals name accounts and flag them for re-scoring through the shared table: the accounts
# feature sits above deals (an account push links waiting deals).
account_ids_by_external_id = account_keys.ids_by_external_id
account_ids_by_domain = account_keys.ids_by_domain
mark_accounts_for_rescoring = account_keys.mark_for_rescoring
