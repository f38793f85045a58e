"""Deal rules: upsert on externalDealId; associated accounts link by externalId, then domain."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.deals import repository
from intentsync.deals.schemas import (
    AssociatedAccountOut,
    DealIn,
    DealOut,
    DealResult,
    DealsCreate,
    DealsCreateResult,
    DealsSummary,
    all_values,
    sent_values,
)
from intentsync.kit.clock import format_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import NotFound
from intentsync.kit.pagination import PageRequest
from intentsync.kit.schemas import Page, count_statuses
from intentsync.pipelines.categories import category_for_label
from intentsync.pipelines.service import category_lookup
from intentsync.teams.service import change_stamp, sync_watermark


def _links(deal: DealIn) -> tuple[list[tuple[str | None, str | None, str | None]], str | None]:
    """The deal's (externalId, cleaned domain, name) entries, or why they cannot be used."""
    links = []
    for index, entry in enumerate(deal.associated_accounts or []):
        domain = clean_domain(entry.domain) if entry.domain else None
        if entry.domain and not domain:
            return [], f"associatedAccounts[{index}].domain '{entry.domain}' is not a valid domain"
        if not entry.external_id and not domain:
            return [], f"associatedAccounts[{index}] needs an externalId or a domain"
        links.append((entry.external_id, domain, entry.name))
    return links, None


def upsert_deals(session: Session, *, team_id: int, body: DealsCreate) -> DealsCreateResult:
    stamp = change_stamp(session, team_id=team_id)
    existing = repository.find_ids(
        session, team_id=team_id, external_ids={d.external_deal_id for d in body.deals}
    )
    planned: list[tuple[DealIn, list[tuple[str | None, str | None, str | None]]]] = []
    results: list[DealResult] = []
    seen: set[str] = set()
    for deal in body.deals:
        links, problem = _links(deal)
        if deal.external_deal_id in seen:
            problem = f"externalDealId '{deal.external_deal_id}' appears earlier in this request"
        seen.add(deal.external_deal_id)
        if problem:
            results.append(
                DealResult(external_deal_id=deal.external_deal_id, status="failed", error=problem)
            )
            continue
        results.append(
            DealResult(
                external_deal_id=deal.external_deal_id,
                status="upserted",
                is_new=deal.external_deal_id not in existing,
            )
        )
        planned.append((deal, links))

    all_links = [link for _, links in planned for link in links]
    by_ext = repository.account_ids_by_external_id(
        session, team_id=team_id, external_ids={e for e, _, _ in all_links if e}, archived=True
    )
    by_domain = repository.account_ids_by_domain(
        session, team_id=team_id, domains={d for _, d, _ in all_links if d}, archived=True
    )

    new_rows = [
        {
            "team_id": team_id,
            "external_deal_id": deal.external_deal_id,
            **all_values(deal),
            "created_ms": stamp,
            "changed_ms": stamp,
        }
        for deal, _ in planned
        if deal.external_deal_id not in existing
    ]
    new_pks = iter(repository.insert_deals(session, new_rows))
    link_rows: list[dict[str, Any]] = []
    relinked: list[int] = []
    for deal, links in planned:
        if deal.external_deal_id in existing:
            pk = existing[deal.external_deal_id]
            repository.update_deal(
                session, deal_pk=pk, values={**sent_values(deal), "changed_ms": stamp}
            )
            if "associated_accounts" not in deal.model_fields_set:
                continue
        else:
            pk = next(new_pks)
        relinked.append(pk)
        for position, (ext, domain, name) in enumerate(links):
            account = (by_ext.get(ext) if ext else None) or (
                by_domain.get(domain) if domain else None
            )
            link_rows.append(
                {
                    "deal_pk": pk,
                    "position": position,
                    "team_id": team_id,
                    "external_id": ext,
                    "domain": domain,
                    "name": name,
                    "account_id": account,
                }
            )
    # Old and new linked accounts both re-score: a stage or an association may have changed.
    scored = repository.linked_account_ids(session, [*existing.values(), *relinked])
    repository.replace_links(session, deal_pks=relinked, rows=link_rows)
    scored |= {row["account_id"] for row in link_rows if row["account_id"] is not None}
    repository.mark_accounts_for_rescoring(session, scored, at_ms=stamp)
    counts = count_statuses(results, ("upserted", "failed"))
    return DealsCreateResult(results=results, summary=DealsSummary(total=len(results), **counts))


def delete_deal(session: Session, *, team_id: int, external_deal_id: str) -> None:
    """Delete a deal outright; the accounts it named re-score without it on the next run.

    A deal is the CRM's record, not ours to keep: nothing links to it, so no archive is
    needed, and a second DELETE of the same id is a 404 like any unknown deal.
    """
    stamp = change_stamp(session, team_id=team_id)
    pk = repository.find_ids(session, team_id=team_id, external_ids={external_deal_id}).get(
        external_deal_id
    )
    if pk is None:
        raise NotFound(
            f"Deal with externalDealId '{external_deal_id}' not found; it may already be deleted"
        )
    scored = repository.linked_account_ids(session, [pk])
    repository.delete_deal(session, deal_pk=pk)
    repository.mark_accounts_for_rescoring(session, scored, at_ms=stamp)


def has_waiting_deals(session: Session, *, team_id: int) -> bool:
    return repository.has_pending(session, team_id=team_id)


def link_waiting_deals(
    session: Session, *, team_id: int, accounts: list[tuple[int, str | None, str]], at_ms: int
) -> None:
    """Attach deals that named these accounts before they existed (externalId wins over domain)."""
    if not accounts:
        return
    by_ext = {ext: pk for pk, ext, _ in accounts if ext}
    by_domain = {domain: pk for pk, _, domain in accounts}
    rows = []
    touched = set()
    for deal_pk, position, ext, domain in repository.pending_links(
        session, team_id=team_id, external_ids=set(by_ext), domains=set(by_domain)
    ):
        account = (by_ext.get(ext) if ext else None) or (by_domain.get(domain) if domain else None)
        if account is not None:
            rows.append({"b_deal": deal_pk, "b_pos": position, "b_account": account})
            touched.add(deal_pk)
    repository.set_link_accounts(session, rows)
    repository.touch(session, touched, at_ms=at_ms)
    repository.mark_accounts_for_rescoring(session, {row["b_account"] for row in rows}, at_ms=at_ms)


def _category(row: repository.DealRow, categories: dict[tuple[str, str], str]) -> str:
    if row.stage_id:
        if row.pipeline_id and (row.pipeline_id, row.stage_id) in categories:
            return categories[(row.pipeline_id, row.stage_id)]
        if not row.pipeline_id:
            for (_, stage), category in categories.items():
                if stage == row.stage_id:
                    return category
    return category_for_label(row.stage_label)


@dataclass
class DealFacts:
    """What an account's deals say for journey stages and segment rules."""

    open_count: int = 0
    open_amount: float = 0.0
    won_count: int = 0


def account_deal_facts(
    session: Session, *, team_id: int, account_ids: Collection[int] | None = None
) -> dict[int, DealFacts]:
    """Deal facts per account (all accounts of the team when account_ids is None)."""
    categories = category_lookup(session, team_id=team_id)
    facts: dict[int, DealFacts] = {}
    for row in repository.linked_deal_stages(session, team_id=team_id, account_ids=account_ids):
        fact = facts.setdefault(row.account_id, DealFacts())
        category = _category(row, categories)
        if category == "open":
            fact.open_count += 1
            fact.open_amount += row.amount or 0.0
        elif category == "won":
            fact.won_count += 1
    return facts


def _label(sent: str | None, registered: str | None) -> str | None:
    """The deal's own label wins: it is what the client last said about this deal."""
    return sent if sent is not None else registered


def _deals_out(
    session: Session, *, team_id: int, rows: Sequence[repository.DealRow]
) -> list[DealOut]:
    links = repository.links_for(session, [r.id for r in rows])
    categories = category_lookup(session, team_id=team_id)
    return [
        DealOut(
            external_deal_id=r.external_deal_id,
            name=r.name,
            amount=r.amount,
            stage_id=r.stage_id,
            stage_label=_label(r.stage_label, r.registered_stage_label),
            stage_category=_category(r, categories),
            pipeline_id=r.pipeline_id,
            pipeline_label=_label(r.pipeline_label, r.registered_pipeline_label),
            start_date=r.start_date,
            closed_date=r.closed_date,
            owner_name=r.owner_name,
            owner_email=r.owner_email,
            owner_id=r.owner_id,
            deal_currency_code=r.currency,
            associated_accounts=[
                AssociatedAccountOut(external_id=e, domain=d, name=n, rtp_aid=a)
                for e, d, n, a in links.get(r.id, [])
            ],
            updated_at=format_ms(r.changed_ms),
        )
        for r in rows
    ]


def list_deals(session: Session, *, team_id: int, page: PageRequest) -> Page[DealOut]:
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(repository.page(session, team_id=team_id, page=page))
    data = _deals_out(session, team_id=team_id, rows=rows)
    return Page[DealOut](
        data=data,
        next_cursor=page.next_cursor(has_next, rows[-1].id if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )


def account_deals(
    session: Session, *, team_id: int, account_id: int, limit: int
) -> tuple[list[DealOut], bool]:
    """An account's deals, most recently changed first: at most `limit`, and whether more exist."""
    rows = repository.for_account(session, team_id=team_id, account_id=account_id, limit=limit + 1)
    return _deals_out(session, team_id=team_id, rows=rows[:limit]), len(rows) > limit
