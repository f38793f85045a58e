"""Segment rules: only active or draft static segments take members through the API.

Dynamic segments take their members from their rules; every change to what an account's
rtp_segments shows (membership, a visible segment's name, archiving) stamps the account.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from intentsync.custom_fields.service import active_definitions
from intentsync.db.models import Segment
from intentsync.kit.clock import format_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest, NotFound
from intentsync.kit.ids import new_object_id
from intentsync.kit.pagination import PageRequest
from intentsync.kit.schemas import Page
from intentsync.segments import repository
from intentsync.segments.dynamic import mark_accounts_changed, refresh_dynamic_segments
from intentsync.segments.rules import validate_rules
from intentsync.segments.schemas import SEGMENT_STATUSES, SEGMENT_TYPES, SegmentOut
from intentsync.teams.service import change_stamp, find_team, sync_watermark


def _check_status(status: str) -> None:
    if status not in SEGMENT_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(SEGMENT_STATUSES)}")


def _check_name(name: str) -> str:
    if not name.strip():
        raise BadRequest("Segment name should not be empty")
    return name.strip()


def _check_rules(session: Session, *, team_id: int, type_: str, rules: Any) -> None:
    """Rules belong to dynamic segments and must validate against today's custom fields."""
    if type_ != "dynamic":
        raise BadRequest("rules apply only to dynamic segments; static segments list members")
    validate_rules(rules, custom_fields=active_definitions(session, team_id=team_id))


def _lock_team(session: Session, *, team_id: int) -> int:
    """The team's change stamp for this transaction; an unknown team is refused first."""
    if find_team(session, team_id=team_id) is None:
        raise BadRequest(f"No team with id {team_id}")
    return change_stamp(session, team_id=team_id)


def create_segment(
    session: Session, *, team_id: int, name: str, type_: str, status: str, rules: Any = None
) -> Segment:
    """Create a segment; a dynamic one with rules gets its members in the same transaction.

    A dynamic segment saved without rules has no members until rules are set.
    """
    if type_ not in SEGMENT_TYPES:
        raise BadRequest(f"type must be one of: {', '.join(SEGMENT_TYPES)}")
    _check_status(status)
    clean_name = _check_name(name)
    stamp = _lock_team(session, team_id=team_id)
    if rules is not None:
        _check_rules(session, team_id=team_id, type_=type_, rules=rules)
    segment = Segment(
        team_id=team_id,
        segment_id=new_object_id(stamp // 1000),
        name=clean_name,
        type=type_,
        status=status,
        rules=rules,
        created_ms=stamp,
        changed_ms=stamp,
    )
    repository.add(session, segment)
    if rules is not None and status != "archived":
        refresh_dynamic_segments(session, team_id=team_id, stamp=stamp, segment_pks=[segment.id])
    return segment


def get_segment(session: Session, *, team_id: int, segment_id: str) -> Segment:
    segment = repository.find(session, team_id=team_id, segment_id=segment_id)
    if segment is None:
        raise NotFound(f"Segment '{segment_id}' does not exist")
    return segment


def update_segment(
    session: Session,
    *,
    team_id: int,
    segment_id: str,
    name: str | None = None,
    status: str | None = None,
    rules: Any = None,
) -> Segment:
    """Rename, change status or replace rules; members whose rtp_segments changes are stamped."""
    if name is None and status is None and rules is None:
        raise BadRequest("Nothing to update: give a new name, status or rules")
    if status is not None:
        _check_status(status)
    clean_name = _check_name(name) if name is not None else None
    stamp = _lock_team(session, team_id=team_id)
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    if rules is not None:
        _check_rules(session, team_id=team_id, type_=segment.type, rules=rules)
    was_visible = segment.status != "archived"
    renamed = clean_name is not None and clean_name != segment.name
    if clean_name is not None:
        segment.name = clean_name
    if status is not None:
        segment.status = status
    if rules is not None:
        segment.rules = rules
    segment.changed_ms = stamp
    session.flush()
    visible = segment.status != "archived"
    if was_visible and not visible:
        repository.mark_members_changed(session, segment_pk=segment.id, at_ms=stamp)
    if visible and segment.type == "dynamic" and (rules is not None or not was_visible):
        refresh_dynamic_segments(session, team_id=team_id, stamp=stamp, segment_pks=[segment.id])
    if visible and (renamed or not was_visible):
        repository.mark_members_changed(session, segment_pk=segment.id, at_ms=stamp)
    return segment


def _account_ids(session: Session, *, team_id: int, accounts: Sequence[str]) -> set[int]:
    """Accounts by externalId, else by cleaned domain; unknown ones are refused together."""
    wanted = list(dict.fromkeys(a.strip() for a in accounts if a.strip()))
    if not wanted:
        raise BadRequest("Name at least one account by externalId or domain")
    by_external = repository.account_ids_by_external_id(
        session, team_id=team_id, external_ids=wanted
    )
    rest = {a: clean_domain(a) for a in wanted if a not in by_external}
    by_domain = repository.account_ids_by_domain(
        session, team_id=team_id, domains={d for d in rest.values() if d}
    )
    unknown = [a for a, domain in rest.items() if domain not in by_domain]
    if unknown:
        raise BadRequest(f"No account with externalId or domain: {', '.join(unknown)}")
    return set(by_external.values()) | {by_domain[d] for d in rest.values()}


def change_members(
    session: Session, *, team_id: int, segment_id: str, accounts: Sequence[str], remove: bool
) -> int:
    """Add accounts to (or remove them from) a static segment; returns how many changed."""
    stamp = _lock_team(session, team_id=team_id)
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    if segment.type != "static":
        raise BadRequest(
            f"Segment '{segment_id}' is a {segment.type} segment; its members come from "
            "its rules, so change the rules instead"
        )
    if segment.status == "archived":
        raise BadRequest(f"Segment '{segment_id}' is archived; its members cannot change")
    ids = _account_ids(session, team_id=team_id, accounts=accounts)
    members = repository.member_ids(session, segment_pk=segment.id, account_ids=ids)
    if remove:
        changed = members
        repository.remove_members(session, segment_pk=segment.id, account_ids=changed)
    else:
        changed = ids - members
        repository.add_members(
            session,
            team_id=team_id,
            segment_pk=segment.id,
            account_ids=sorted(changed),
            at_ms=stamp,
        )
    mark_accounts_changed(session, changed, at_ms=stamp)
    return len(changed)


def refresh(session: Session, *, team_id: int, segment_id: str | None = None) -> int:
    """Re-evaluate the team's dynamic segments (or one); returns how many accounts changed."""
    stamp = _lock_team(session, team_id=team_id)
    pks = None
    if segment_id is not None:
        segment = get_segment(session, team_id=team_id, segment_id=segment_id)
        if segment.type != "dynamic":
            raise BadRequest(f"Segment '{segment_id}' is static; only dynamic segments refresh")
        pks = [segment.id]
    return refresh_dynamic_segments(session, team_id=team_id, stamp=stamp, segment_pks=pks)


def summaries(session: Session, *, team_id: int) -> list[tuple[str, str, str, str, int]]:
    """(segmentId, name, type, status, member count) of each of the team's segments."""
    return repository.summaries(session, team_id=team_id)


def member_target(session: Session, *, team_id: int, segment_id: str) -> int:
    """The segment's key when accounts may be added to it; otherwise the request is refused."""
    segment = repository.find(session, team_id=team_id, segment_id=segment_id)
    if segment is None:
        raise BadRequest(f"Segment '{segment_id}' does not exist")
    if segment.type != "static":
        raise BadRequest(
            f"Segment '{segment_id}' is a {segment.type} segment; "
            "only static segments accept new members"
        )
    if segment.status not in ("active", "draft"):
        raise BadRequest(
            f"Segment '{segment_id}' is not active or draft and cannot accept new members"
        )
    return segment.id


def add_members(
    session: Session, *, team_id: int, segment_pk: int, account_ids: Iterable[int], at_ms: int
) -> None:
    """Join accounts to a segment member_target accepted; members already in stay as they are."""
    repository.add_members(
        session, team_id=team_id, segment_pk=segment_pk, account_ids=account_ids, at_ms=at_ms
    )


def memberships(session: Session, account_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Visible segments per account, for the rtp_segments of account reads."""
    return repository.memberships(session, account_ids)


def list_segments(session: Session, *, team_id: int, page: PageRequest) -> Page[SegmentOut]:
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(repository.list_static_page(session, team_id=team_id, page=page))
    return Page[SegmentOut](
        data=[
            SegmentOut(segment_id=sid, name=name, status=status) for _, sid, name, status in rows
        ],
        next_cursor=page.next_cursor(has_next, rows[-1][0] if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )
