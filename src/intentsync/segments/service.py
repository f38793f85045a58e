"""Segment rules: only active or draft static segments take members through the API.

Dynamic segments take their members from their rules; every change to what an account's
rtp_segments shows (membership, a visible segment's name, archiving) stamps the account.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.custom_fields.service import active_definitions
from intentsync.db.models import Segment
from intentsync.kit.clock import format_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest, Conflict, NotFound
from intentsync.kit.ids import new_object_id
from intentsync.kit.pagination import PageRequest
from intentsync.kit.schemas import Page
from intentsync.segments import membership, repository
from intentsync.segments.dynamic import (
    mark_accounts_changed,
    matching_ids,
    refresh_dynamic_segments,
)
from intentsync.segments.membership import Change
from intentsync.segments.rules import FieldSpec, catalogue, validate_rules
from intentsync.segments.schemas import (
    SEGMENT_STATUSES,
    SEGMENT_TYPES,
    SegmentDetail,
    SegmentOut,
)
from intentsync.teams.service import change_stamp, find_team, sync_watermark


def _check_status(status: str) -> None:
    if status not in SEGMENT_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(SEGMENT_STATUSES)}")


def _check_name(name: str) -> str:
    if not name.strip():
        raise BadRequest("Segment name should not be empty")
    return name.strip()


def _check_name_free(
    session: Session, *, team_id: int, name: str, status: str, segment_pk: int | None = None
) -> None:
    """Two visible segments of a team never share a name (trimmed, case-insensitive)."""
    if status == "archived":
        return
    wanted = name.strip().casefold()
    for pk, other in repository.visible_names(session, team_id=team_id):
        if pk != segment_pk and other.strip().casefold() == wanted:
            raise Conflict(f"A segment named '{other}' already exists")


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
    _check_name_free(session, team_id=team_id, name=clean_name, status=status)
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
    renamed = clean_name is not None and clean_name != segment.name
    unarchived = segment.status == "archived" and status not in (None, "archived")
    if renamed or unarchived:  # names shared before this rule existed stay editable
        _check_name_free(
            session,
            team_id=team_id,
            name=clean_name or segment.name,
            status=status or segment.status,
            segment_pk=segment.id,
        )
    if rules is not None:
        _check_rules(session, team_id=team_id, type_=segment.type, rules=rules)
    was_visible = segment.status != "archived"
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


def _static_for_change(session: Session, *, team_id: int, segment_id: str) -> Segment:
    """A static segment that is not archived: the only kind whose members are listed by hand."""
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    if segment.type != "static":
        raise BadRequest(
            f"Segment '{segment_id}' is a {segment.type} segment; its members come from "
            "its rules, so change the rules instead"
        )
    if segment.status == "archived":
        raise BadRequest(
            f"Segment '{segment_id}' is archived; its members cannot change. "
            "Set its status to active or draft first"
        )
    return segment


def change_members(
    session: Session, *, team_id: int, segment_id: str, accounts: Sequence[str], remove: bool
) -> int:
    """Add accounts to (or remove them from) a static segment; returns how many changed."""
    stamp = _lock_team(session, team_id=team_id)
    segment = _static_for_change(session, team_id=team_id, segment_id=segment_id)
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
    _announce(
        session,
        team_id=team_id,
        segment_pk=segment.id,
        changed=changed,
        remove=remove,
        at_ms=stamp,
    )
    return len(changed)


def _announce(
    session: Session,
    *,
    team_id: int,
    segment_pk: int,
    changed: set[int],
    remove: bool,
    at_ms: int,
) -> None:
    """The membership events of a static change, when some subscription wants them."""
    if not changed or not membership.wanted(session, team_id=team_id):
        return
    change = Change(segment_pk, removed=changed) if remove else Change(segment_pk, added=changed)
    membership.announce(session, team_id=team_id, changes=[change], at_ms=at_ms)


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
    ids = set(account_ids)
    announce = bool(ids) and membership.wanted(session, team_id=team_id)
    joined = (
        ids - repository.member_ids(session, segment_pk=segment_pk, account_ids=ids)
        if announce
        else set()
    )
    repository.add_members(
        session, team_id=team_id, segment_pk=segment_pk, account_ids=sorted(ids), at_ms=at_ms
    )
    if joined:
        membership.announce(
            session, team_id=team_id, changes=[Change(segment_pk, added=joined)], at_ms=at_ms
        )


def memberships(session: Session, account_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Visible segments per account, for the rtp_segments of account reads."""
    return repository.memberships(session, account_ids)


def leave_every_segment(session: Session, *, team_id: int, account_id: int, at_ms: int) -> None:
    """Take an archived account out of every segment, telling membership subscribers."""
    left = repository.remove_from_every_segment(session, account_id=account_id)
    if left and membership.wanted(session, team_id=team_id):
        changes = [Change(segment_pk, removed=[account_id]) for segment_pk in left]
        membership.announce(session, team_id=team_id, changes=changes, at_ms=at_ms)


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


# ---------------------------------------------------------------- console reads and changes

MAX_ITEMS = 100_000  # accounts one console change may name


@dataclass(frozen=True)
class SegmentSummary:
    segment_id: str
    name: str
    type: str
    status: str
    changed_ms: int
    members: int


def overview(session: Session, *, team_id: int) -> list[SegmentSummary]:
    """Every segment of the team with its member count, newest first."""
    return [SegmentSummary(*row) for row in repository.listing(session, team_id=team_id)]


@dataclass(frozen=True)
class MemberRow:
    account_id: int
    rtp_aid: str
    external_id: str | None
    name: str
    domain: str
    linkedin_url: str | None
    account_score: int
    journey_stage: str
    added_ms: int | None = None


def member_count(session: Session, *, team_id: int, segment_id: str) -> int:
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    return repository.member_count(session, segment_pk=segment.id)


def members_page(
    session: Session, *, team_id: int, segment_id: str, after_id: int, limit: int
) -> tuple[list[MemberRow], int | None]:
    """One keyset page of members in account order, and the key of the next page (or None)."""
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    rows = repository.members_after(
        session, team_id=team_id, segment_pk=segment.id, after_id=after_id, limit=limit + 1
    )
    page = [MemberRow(*row) for row in rows[:limit]]
    return page, (page[-1].account_id if len(rows) > limit else None)


def member_batches(
    session: Session, *, team_id: int, segment_id: str, size: int = 1000
) -> Iterator[list[MemberRow]]:
    """All members in account order, a batch at a time, for exports that stream."""
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    after = 0
    while True:
        rows = repository.members_after(
            session, team_id=team_id, segment_pk=segment.id, after_id=after, limit=size
        )
        if not rows:
            return
        yield [MemberRow(*row) for row in rows]
        if len(rows) < size:
            return
        after = rows[-1][0]


@dataclass(frozen=True)
class MemberChange:
    """What one named account did: joined, was already in, left, was not in, or matched none."""

    key: str
    outcome: str  # added | already a member | removed | not a member | no account matches
    account: str | None = None  # rtp_aid of the matched account


def change_members_itemized(
    session: Session, *, team_id: int, segment_id: str, accounts: Sequence[str], remove: bool
) -> list[MemberChange]:
    """Like change_members, but names that match no account are reported, not refused."""
    wanted = list(dict.fromkeys(a.strip() for a in accounts if a.strip()))
    if not wanted:
        raise BadRequest("Name at least one account by externalId or domain")
    if len(wanted) > MAX_ITEMS:
        raise BadRequest(f"Name at most {MAX_ITEMS:,} accounts at a time; split the list")
    stamp = _lock_team(session, team_id=team_id)
    segment = _static_for_change(session, team_id=team_id, segment_id=segment_id)
    # No stored key holds a NUL (PostgreSQL text cannot), so such a name matches nothing.
    storable = [a for a in wanted if "\x00" not in a]
    by_external = repository.account_ids_by_external_id(
        session, team_id=team_id, external_ids=storable
    )
    domains = {a: clean_domain(a) for a in storable if a not in by_external}
    by_domain = repository.account_ids_by_domain(
        session, team_id=team_id, domains={d for d in domains.values() if d}
    )
    found: dict[str, int] = {}
    for key in wanted:
        account_id = by_external.get(key)
        if account_id is None and domains.get(key):
            account_id = by_domain.get(domains[key] or "")
        if account_id is not None:
            found[key] = account_id
    ids = set(found.values())
    members = repository.member_ids(session, segment_pk=segment.id, account_ids=ids)
    changed = members if remove else ids - members
    if remove:
        repository.remove_members(session, segment_pk=segment.id, account_ids=changed)
    else:
        repository.add_members(
            session,
            team_id=team_id,
            segment_pk=segment.id,
            account_ids=sorted(changed),
            at_ms=stamp,
        )
    mark_accounts_changed(session, changed, at_ms=stamp)
    _announce(
        session,
        team_id=team_id,
        segment_pk=segment.id,
        changed=changed,
        remove=remove,
        at_ms=stamp,
    )
    aids = {
        row[0]: row[1]
        for start in range(0, len(ids), 5000)
        for row in repository.accounts_by_ids(
            session, team_id=team_id, account_ids=sorted(ids)[start : start + 5000]
        )
    }
    results: list[MemberChange] = []
    done: set[int] = set()  # two names of one account: the second finds the change made
    for key in wanted:
        account_id = found.get(key)
        if account_id is None:
            results.append(MemberChange(key, "no account matches"))
            continue
        if remove:
            outcome = (
                "removed" if account_id in changed and account_id not in done else "not a member"
            )
        else:
            fresh = account_id in changed and account_id not in done
            outcome = "added" if fresh else "already a member"
        done.add(account_id)
        results.append(MemberChange(key, outcome, aids.get(account_id)))
    return results


def rule_fields(session: Session, *, team_id: int) -> list[FieldSpec]:
    """The fields, operators and options a rule of this team may use today."""
    return catalogue(active_definitions(session, team_id=team_id))


def check_rules(session: Session, *, team_id: int, rules: Any) -> None:
    """Refuse rules a segment could not evaluate, without counting what they match."""
    validate_rules(rules, custom_fields=active_definitions(session, team_id=team_id))


@dataclass(frozen=True)
class RulePreview:
    count: int
    sample: list[MemberRow]


def preview_rules(session: Session, *, team_id: int, rules: Any, sample: int = 10) -> RulePreview:
    """How many accounts rules match now, and the first few, before anything is saved."""
    rule = validate_rules(rules, custom_fields=active_definitions(session, team_id=team_id))
    ids = matching_ids(session, team_id=team_id, rule=rule)
    first = sorted(ids)[:sample]
    rows = repository.accounts_by_ids(session, team_id=team_id, account_ids=first)
    return RulePreview(count=len(ids), sample=[MemberRow(*row) for row in rows])


# ---------------------------------------------------------------- the segments API extension


def detail(session: Session, segment: Segment) -> SegmentDetail:
    """A segment as GET /segments/{segmentId} shows it, with its member count."""
    return SegmentDetail(
        segment_id=segment.segment_id,
        name=segment.name,
        type=segment.type,
        status=segment.status,
        rules=segment.rules if segment.type == "dynamic" else None,
        member_count=repository.member_count(session, segment_pk=segment.id),
        created_at=format_ms(segment.created_ms),
        updated_at=format_ms(segment.changed_ms),
    )


@dataclass(frozen=True)
class MemberKeys:
    """One page of a segment's members as account keys, with the page's paging fields."""

    account_ids: list[int]
    next_cursor: str | None
    has_next_page: bool
    sync_timestamp: str


def member_keys_page(
    session: Session, *, team_id: int, segment_id: str, page: PageRequest
) -> MemberKeys:
    """A page of members in account order, by cursor (keyset) or offset, as other lists page."""
    segment = get_segment(session, team_id=team_id, segment_id=segment_id)
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    ids, has_next = page.trim(repository.member_ids_page(session, segment_pk=segment.id, page=page))
    return MemberKeys(
        account_ids=list(ids),
        next_cursor=page.next_cursor(has_next, ids[-1] if ids else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )


@dataclass(frozen=True)
class MemberResult:
    """What happened to one account named in an API request, in the wire's words."""

    account: str
    rtp_aid: str | None
    status: str
    message: str


_RESULTS = {
    "added": ("added", "Added to the segment"),
    "already a member": ("already_member", "Already a member; nothing changed"),
    "removed": ("removed", "Removed from the segment"),
    "not a member": ("not_member", "Not a member; nothing changed"),
    "no account matches": ("not_found", "No account has this externalId or domain"),
}


def change_members_by_item(
    session: Session, *, team_id: int, segment_id: str, accounts: Sequence[str], remove: bool
) -> list[MemberResult]:
    """change_members_itemized with one result per name sent, in order, repeats included.

    A name sent twice finds the change its first mention made.
    """
    by_key = {
        change.key: change
        for change in change_members_itemized(
            session, team_id=team_id, segment_id=segment_id, accounts=accounts, remove=remove
        )
    }
    results: list[MemberResult] = []
    seen: set[str] = set()
    for sent in accounts:
        key = sent.strip()
        change = by_key[key]
        outcome = change.outcome
        if key in seen and change.account is not None:
            outcome = "not a member" if remove else "already a member"
        seen.add(key)
        status, message = _RESULTS[outcome]
        results.append(MemberResult(sent, change.account, status, message))
    return results


def preview_keys(
    session: Session, *, team_id: int, rules: Any, limit: int
) -> tuple[int, list[int]]:
    """How many accounts rules match now and the keys of the first `limit`; writes nothing."""
    preview = preview_rules(session, team_id=team_id, rules=rules, sample=limit)
    return preview.count, [row.account_id for row in preview.sample]
