"""Sales activity rules: create-only; calls and emails are kept, other types are skipped."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from intentsync.activities import repository
from intentsync.activities.schemas import (
    PROCESSED_TYPES,
    ActivitiesCreate,
    ActivitiesCreateResult,
    ActivitiesSummary,
    ActivityIn,
    ActivityOut,
    ActivityResult,
    ContactOut,
    SenderOut,
)
from intentsync.kit.clock import format_ms, parse_iso8601, to_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest
from intentsync.kit.pagination import PageRequest, decode_cursor, encode_cursor
from intentsync.kit.schemas import Page, count_statuses
from intentsync.teams.service import change_stamp, sync_watermark


def _row(
    item: ActivityIn, *, team_id: int, domain: str, account_id: int | None, stamp: int
) -> dict[str, Any]:
    occurred = parse_iso8601(item.occurred_at)
    assert occurred is not None  # validated by the schema
    is_call = item.activity_type == "call"
    return {
        "team_id": team_id,
        "external_activity_id": item.external_activity_id,
        "activity_type": item.activity_type,
        "occurred_at": item.occurred_at,
        "occurred_ms": to_ms(occurred),
        "domain": domain,
        "account_id": account_id,
        "account_name": item.account_name,
        "owner_email": item.owner_email,
        "owner_name": item.owner_name,
        "owner_id": item.owner_id,
        "subject": item.subject,
        "from_name": item.sender.name if item.sender else None,
        "from_email": item.sender.email if item.sender else None,
        "call_title": item.call_title if is_call else None,
        "duration_minutes": item.duration_minutes if is_call else None,
        "outcome": item.outcome if is_call else None,
        "direction": item.direction,
        "open_count": None if is_call else item.open_count,
        "click_count": None if is_call else item.click_count,
        "created_ms": stamp,
        "changed_ms": stamp,
    }


def create_activities(
    session: Session, *, team_id: int, body: ActivitiesCreate
) -> ActivitiesCreateResult:
    stamp = change_stamp(session, team_id=team_id)
    known = repository.existing_ids(
        session, team_id=team_id, external_ids={a.external_activity_id for a in body.activities}
    )
    domains = [clean_domain(a.domain) for a in body.activities]
    accounts = repository.account_ids_by_domain(
        session, team_id=team_id, domains={d for d in domains if d}, archived=True
    )
    results: list[ActivityResult] = []
    kept: list[ActivityIn] = []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item, domain in zip(body.activities, domains, strict=True):
        ext = item.external_activity_id
        error = None
        if ext in known:
            error = f"Activity with externalActivityId '{ext}' already exists"
        elif ext in seen:
            error = f"externalActivityId '{ext}' appears earlier in this request"
        elif item.activity_type not in PROCESSED_TYPES:
            seen.add(ext)
            results.append(
                ActivityResult(
                    external_activity_id=ext,
                    status="skipped",
                    error=(
                        f"activityType '{item.activity_type}' is not processed; "
                        "only call and email are"
                    ),
                )
            )
            continue
        elif not domain:
            error = f"domain '{item.domain}' is not a valid domain"
        seen.add(ext)
        if error:
            results.append(ActivityResult(external_activity_id=ext, status="failed", error=error))
            continue
        rows.append(
            _row(
                item,
                team_id=team_id,
                domain=domain,
                account_id=accounts.get(domain),
                stamp=stamp,
            )
        )
        kept.append(item)
        results.append(ActivityResult(external_activity_id=ext, status="created"))

    contacts: dict[str, dict[str, Any]] = {}
    for item in kept:
        for contact in item.contacts:
            email = contact.email.strip().lower()
            details = contact.model_dump(exclude={"email"})
            merged = contacts.get(email, {})
            contacts[email] = {**merged, **{k: v for k, v in details.items() if v is not None}}
    contact_ids = repository.upsert_contacts(
        session,
        [
            {
                "team_id": team_id,
                "email": email,
                **{k: d.get(k) for k in repository.CONTACT_DETAILS},
                "changed_ms": stamp,
            }
            for email, d in contacts.items()
        ],
    )
    activity_pks = repository.insert_activities(session, rows)
    repository.mark_accounts_for_rescoring(
        session, {row["account_id"] for row in rows if row["account_id"] is not None}, at_ms=stamp
    )
    repository.insert_contact_links(
        session,
        [
            {"activity_pk": pk, "contact_pk": contact_pk, "team_id": team_id}
            for pk, item in zip(activity_pks, kept, strict=True)
            for contact_pk in dict.fromkeys(
                contact_ids[c.email.strip().lower()] for c in item.contacts
            )
        ],
    )
    counts = count_statuses(results, ("created", "failed", "skipped"))
    return ActivitiesCreateResult(
        results=results, summary=ActivitiesSummary(total=len(results), **counts)
    )


def link_waiting_activities(
    session: Session, *, team_id: int, accounts: list[tuple[int, str | None, str]], at_ms: int
) -> None:
    """Attach activities that arrived before their account existed."""
    if not accounts:
        return
    by_domain = {domain: pk for pk, _, domain in accounts}
    rows = [
        {"b_id": pk, "b_account": by_domain[domain], "b_changed": at_ms}
        for pk, domain in repository.pending_by_domain(
            session, team_id=team_id, domains=set(by_domain)
        )
    ]
    repository.set_accounts(session, rows)
    repository.mark_accounts_for_rescoring(session, {row["b_account"] for row in rows}, at_ms=at_ms)


def _activities_out(session: Session, rows: Sequence[repository.ActivityRow]) -> list[ActivityOut]:
    contacts = repository.contacts_for(session, [r.id for r in rows])
    return [
        ActivityOut(
            external_activity_id=r.external_activity_id,
            activity_type=r.activity_type,
            occurred_at=r.occurred_at,
            domain=r.domain,
            rtp_aid=r.rtp_aid,
            # The name sent with the activity wins; else the linked account's.
            account_name=r.account_name if r.account_name is not None else r.linked_account_name,
            owner_email=r.owner_email,
            owner_name=r.owner_name,
            owner_id=r.owner_id,
            subject=r.subject,
            sender=SenderOut(name=r.from_name, email=r.from_email)
            if (r.from_name or r.from_email)
            else None,
            call_title=r.call_title,
            duration_minutes=r.duration_minutes,
            outcome=r.outcome,
            direction=r.direction,
            open_count=r.open_count,
            click_count=r.click_count,
            contacts=[
                ContactOut(
                    email=c.email,
                    external_contact_id=c.external_contact_id,
                    name=c.name,
                    title=c.title,
                    department=c.department,
                    seniority=c.seniority,
                    phone=c.phone,
                    linkedin_url=c.linkedin_url,
                )
                for c in contacts.get(r.id, [])
            ],
            updated_at=format_ms(r.changed_ms),
        )
        for r in rows
    ]


def list_activities(session: Session, *, team_id: int, page: PageRequest) -> Page[ActivityOut]:
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(repository.page(session, team_id=team_id, page=page))
    data = _activities_out(session, rows)
    return Page[ActivityOut](
        data=data,
        next_cursor=page.next_cursor(has_next, rows[-1].id if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )


def account_activities(
    session: Session, *, team_id: int, account_id: int, limit: int, cursor: str | None
) -> tuple[list[ActivityOut], str | None]:
    """An account's activities newest first, a keyset page at a time; the cursor of the next."""
    before = None
    if cursor:
        decoded = decode_cursor(cursor.strip())
        if decoded is None:
            raise BadRequest("The activities cursor is not valid; start again from the newest")
        row_id, occurred_ms = decoded
        before = (occurred_ms, row_id)
    rows = repository.for_account(
        session, team_id=team_id, account_id=account_id, before=before, limit=limit + 1
    )
    shown = rows[:limit]
    more = len(rows) > limit and shown
    next_cursor = encode_cursor(shown[-1].id, shown[-1].occurred_ms) if more else None
    return _activities_out(session, shown), next_cursor
