"""segment.membership_changed: one webhook event per account that joined or left a segment.

Every path that changes who is in a segment (static adds and removes, an account push with
segmentId, dynamic refreshes) reports through here, in the transaction of the change.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intentsync.segments import repository
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import SEGMENT_MEMBERSHIP_CHANGED, Event


@dataclass(frozen=True)
class Change:
    """Who joined and who left one segment in one change."""

    segment_pk: int
    added: Collection[int] = ()
    removed: Collection[int] = ()


def wanted(session: Session, *, team_id: int) -> bool:
    """Whether some subscription asks for membership events: one query, asked once per batch."""
    return SEGMENT_MEMBERSHIP_CHANGED in webhooks.wanted_types(session, team_id=team_id)


def announce(session: Session, *, team_id: int, changes: Sequence[Change], at_ms: int) -> int:
    """Emit an event per account and segment whose membership changed; returns how many."""
    changes = [c for c in changes if c.added or c.removed]
    if not changes:
        return 0
    refs = repository.refs(session, segment_pks=[c.segment_pk for c in changes])
    events: list[Event] = []
    for change in changes:
        segment_id, name, type_ = refs[change.segment_pk]
        segment = {"segmentId": segment_id, "name": name, "type": type_}
        for kind, pks in (("added", change.added), ("removed", change.removed)):
            events.extend(
                Event(
                    SEGMENT_MEMBERSHIP_CHANGED,
                    {"segment": segment, "change": kind},
                    segment_ids=(segment_id,),
                    account_pk=pk,
                )
                for pk in sorted(pks)
            )
    return webhooks.emit(session, team_id=team_id, events=events, at_ms=at_ms)
