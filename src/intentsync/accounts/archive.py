"""Deleting an account archives it: out of every list, segment and scoring run, links kept.

The row stays, so its rtp_aid, signals, deals and sales activities survive; pushing its
externalId or domain again restores it. Signals and tracker hits for an archived account are
stored against it but do not restore it: only the CRM that deleted it can say it is back.
"""

from typing import Any

from sqlalchemy.orm import Session

from intentsync.accounts import repository
from intentsync.kit.clock import format_ms
from intentsync.kit.errors import NotFound
from intentsync.kit.pagination import PageRequest
from intentsync.segments.service import leave_every_segment, memberships
from intentsync.teams.service import change_stamp, sync_watermark
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import ACCOUNT_DELETED, Event


def deleted_message(key: str, deleted_ms: int) -> str:
    """The 404 of an archived account: when it went, and how to bring it back."""
    return (
        f"Account with {key} was deleted at {format_ms(deleted_ms)}. "
        "Push it again with POST /accounts (same externalId or domain) to restore it."
    )


def missing(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> NotFound:
    """The 404 for a key no live account has: deleted (and restorable) or never known."""
    key = f"externalId '{external_id}'" if rtp_aid is None else f"rtp_aid '{rtp_aid}'"
    deleted_ms = repository.archived_one(
        session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid
    )
    if deleted_ms is not None:
        return NotFound(deleted_message(key, deleted_ms))
    return NotFound(f"Account with {key} not found")


def archive_account(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> None:
    """Archive one live account and tell subscribers, all in the caller's transaction.

    A second DELETE answers 404 (saying when it was deleted), as does any other read of it.
    """
    stamp = change_stamp(session, team_id=team_id)
    if rtp_aid is not None:
        found = repository.find_one_by_rtp_aid(session, team_id=team_id, rtp_aid=rtp_aid)
    else:
        assert external_id is not None
        found = repository.find_one_by_external_id(
            session, team_id=team_id, external_id=external_id
        )
    if found is None or found.deleted_ms is not None:
        raise missing(session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid)
    segment_ids = tuple(sid for sid, _ in memberships(session, [found.id]).get(found.id, []))
    repository.archive(session, account_id=found.id, at_ms=stamp)
    # Rendered before it leaves its segments: the event shows the memberships it had.
    event = Event(ACCOUNT_DELETED, {}, segment_ids=segment_ids, account_pk=found.id)
    webhooks.emit(session, team_id=team_id, events=[event], at_ms=stamp)
    leave_every_segment(session, team_id=team_id, account_id=found.id, at_ms=stamp)


def list_deleted(session: Session, *, team_id: int, page: PageRequest) -> dict[str, Any]:
    """Archived accounts since lastSync, paged and stamped exactly as the account delta is."""
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(repository.deleted_page(session, team_id=team_id, page=page))
    return {
        "data": [
            {
                "rtp_aid": r.rtp_aid,
                "externalId": r.external_id,
                "domain": r.domain,
                "name": r.name,
                "deletedAt": format_ms(r.deleted_ms),
            }
            for r in rows
        ],
        "nextCursor": page.next_cursor(has_next, rows[-1].id if rows else 0, sync_ms),
        "hasNextPage": has_next,
        "syncTimestamp": format_ms(sync_ms),
    }
