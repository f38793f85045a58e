"""Account rules for the CRM surface: externalId is the client's key, domain is unique."""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.orm import Session

from intentsync.accounts import archive, repository
from intentsync.accounts.schemas import (
    RANGE_FIELDS,
    SORT_KEYS,
    TRENDS,
    AccountFilter,
    AccountIn,
    AccountListPage,
    AccountsCreate,
    AccountUpdate,
    ListCursor,
    ListedAccount,
    ListQuery,
    MappingConflict,
    MappingsResult,
    MappingsUpdate,
    UnmappedAccount,
    account_wire,
    create_result,
    item_result,
)
from intentsync.activities.service import link_waiting_activities
from intentsync.custom_fields.service import active_definitions
from intentsync.custom_fields.values import FieldDef, check_values
from intentsync.db.dialect import BoundRows
from intentsync.deals.service import has_waiting_deals, link_waiting_deals
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest, NotFound
from intentsync.kit.ids import is_object_id, new_object_id
from intentsync.kit.pagination import PageRequest
from intentsync.segments.service import add_members as add_segment_members
from intentsync.segments.service import create_segment, get_segment, member_target
from intentsync.segments.service import memberships as segment_memberships
from intentsync.teams.service import change_stamp, sync_watermark
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import ACCOUNT_CREATED, Event

DEFAULT_STAGE = JOURNEY_STAGES[0]

# GET /accounts/{externalId} would answer with another route for these ids, so no account takes
# them: every stored externalId stays addressable. A test holds these to the routes.
RESERVED_EXTERNAL_IDS = frozenset({"custom-fields", "missing-external-ids", "deleted"})
RESERVED_PREFIXES = ("custom-fields/",)  # DELETE /accounts/custom-fields/{key}
RESERVED_SUFFIXES = ("/score", "/score/history", "/stages", "/signals")


def reserved_external_id(external_id: str) -> str | None:
    """Why an externalId cannot be used: a route under /accounts/ has that name, or its path would.

    A trailing slash is dropped from every request path, so such an id could never be read.
    """
    if external_id.endswith("/"):
        return (
            f"externalId '{external_id}' ends with '/', which request paths drop; "
            "choose another externalId"
        )
    if (
        external_id in RESERVED_EXTERNAL_IDS
        or external_id.endswith(RESERVED_SUFFIXES)
        or external_id.startswith(RESERVED_PREFIXES)
    ):
        return (
            f"externalId '{external_id}' is reserved: /accounts/{external_id} is another "
            "route of this API; choose another externalId"
        )
    return None


def unique_tags(tags: list[str] | None) -> list[str]:
    """Tags keep their first position; repeats and null collapse."""
    return list(dict.fromkeys(tags or []))


def _item_error(
    item: AccountIn,
    domain: str,
    *,
    by_domain: dict[str, repository.Existing],
    by_external: dict[str, repository.Existing],
    seen_domains: set[str],
    seen_external: set[str],
    fields: dict[str, FieldDef],
) -> str | None:
    if not domain:
        return f"domain '{item.domain}' is not a valid domain"
    reserved = reserved_external_id(item.external_id)
    if reserved:
        return reserved
    if item.external_id in seen_external:
        return f"externalId '{item.external_id}' appears earlier in this request"
    if domain in seen_domains:
        return f"domain '{domain}' appears earlier in this request"
    holder = by_external.get(item.external_id)
    if holder is not None and holder.deleted_ms is not None and holder.domain != domain:
        return (
            f"externalId '{item.external_id}' belongs to the deleted account with domain "
            f"'{holder.domain}'; push it with that domain to restore it"
        )
    if holder is not None and holder.deleted_ms is None:
        return (
            f"Account with externalId '{item.external_id}' already exists. "
            f"Use PUT /accounts/{item.external_id} to update it."
        )
    existing = by_domain.get(domain)
    if existing is not None and existing.external_id is not None and existing.deleted_ms is None:
        return (
            f"Account with domain '{domain}' already exists with externalId "
            f"'{existing.external_id}'"
        )
    if item.custom_fields:
        problem = check_values(fields, item.custom_fields)
        if problem:
            return f"{problem}. Unable to add this account."
    return None


def new_account_row(
    *,
    team_id: int,
    external_id: str | None,
    domain: str,
    name: str,
    short_name: str | None,
    linkedin_url: str | None,
    tags: list[str] | None,
    custom_fields: dict[str, Any] | None,
    stamp: int,
) -> dict[str, Any]:
    """A new account as stored: scores 0, first journey stage, created and changed now."""
    return {
        "team_id": team_id,
        "rtp_aid": new_object_id(stamp // 1000),
        "external_id": external_id,
        "domain": domain,
        "name": name,
        "short_name": short_name,
        "linkedin_url": linkedin_url,
        "tags": unique_tags(tags),
        "custom_fields": dict(custom_fields or {}),
        "account_score": 0,
        "journey_stage": DEFAULT_STAGE,
        "advertising_score": 0,
        "website_score": 0,
        "g2_score": 0,
        "bombora_score": 0,
        "created_ms": stamp,
        "changed_ms": stamp,
        "stage_entered_ms": None,
        "inputs_ms": stamp,
        "intent_signals": [],
    }


def has_waiting_records(session: Session, *, team_id: int) -> bool:
    """Whether deals or activities still wait for their account: linking is needed."""
    return repository.has_waiting_records(session, team_id=team_id)


def link_waiting_records(
    session: Session, *, team_id: int, accounts: list[tuple[int, str | None, str]], at_ms: int
) -> None:
    """Deals and activities pushed before their account existed attach to it now."""
    link_waiting_deals(session, team_id=team_id, accounts=accounts, at_ms=at_ms)
    link_waiting_activities(session, team_id=team_id, accounts=accounts, at_ms=at_ms)


def accounts_for_domains(
    session: Session,
    *,
    team_id: int,
    wanted: dict[str, str | None],
    stamp: int,
    known: Collection[str] = (),
) -> dict[str, tuple[int, str]]:
    """(id, rtp_aid) per domain; wanted domains without an account get a discovered one.

    Domains in `known` (those of repeated signals) are only looked up: a repeat creates nothing.
    """
    result = repository.ids_by_domain(session, team_id=team_id, domains=set(wanted) | set(known))
    rows = [
        new_account_row(
            team_id=team_id,
            external_id=None,
            domain=domain,
            name=(name or domain)[:255],
            short_name=None,
            linkedin_url=None,
            tags=None,
            custom_fields=None,
            stamp=stamp,
        )
        for domain, name in wanted.items()
        if domain not in result
    ]
    if not rows:
        return result
    repository.insert_many(session, rows)
    ids = repository.ids_by_rtp_aid(session, [r["rtp_aid"] for r in rows])
    for pk, row in zip(ids, rows, strict=True):
        result[row["domain"]] = (pk, row["rtp_aid"])
    if has_waiting_records(session, team_id=team_id):
        link_waiting_records(
            session,
            team_id=team_id,
            accounts=[(pk, None, row["domain"]) for pk, row in zip(ids, rows, strict=True)],
            at_ms=stamp,
        )
    announce_created(session, team_id=team_id, account_ids=ids, at_ms=stamp)
    return result


def announce_created(
    session: Session, *, team_id: int, account_ids: Sequence[int], at_ms: int
) -> None:
    """account.created for each new account, in the transaction that inserted it."""
    webhooks.emit(
        session,
        team_id=team_id,
        events=[Event(ACCOUNT_CREATED, {}, account_pk=pk) for pk in account_ids],
        at_ms=at_ms,
    )


def mark_inputs_changed(session: Session, account_ids: Collection[int], *, at_ms: int) -> None:
    """Flag accounts whose score inputs changed so the next incremental run re-scores them."""
    repository.mark_inputs_changed(session, account_ids, at_ms=at_ms)


class NewAccountFields(Protocol):
    """What both account surfaces' push items carry for a new account."""

    @property
    def external_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def short_name(self) -> str | None: ...
    @property
    def linkedin_url(self) -> str | None: ...
    @property
    def tags(self) -> list[str] | None: ...
    @property
    def custom_fields(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Drafts:
    """A push's items as new-account rows, built and bound before the write lock is taken.

    The items that do become accounts are inserted with the transaction's change stamp; the
    rest are dropped. Building rows costs as much as checking them, so the one write lock a
    SQLite database has is held for the checks and the insert only.
    """

    rows: list[dict[str, Any]]
    bound: BoundRows


def draft_accounts(
    session: Session,
    *,
    team_id: int,
    items: Sequence[NewAccountFields],
    domains: Sequence[str],
) -> Drafts:
    """Rows for every item, in order; runs no SQL, so no transaction begins."""
    drafted_at = now_ms()
    rows = [
        new_account_row(
            team_id=team_id,
            external_id=item.external_id,
            domain=domain,
            name=item.name,
            short_name=item.short_name,
            linkedin_url=item.linkedin_url,
            tags=item.tags,
            custom_fields=item.custom_fields,
            stamp=drafted_at,
        )
        for item, domain in zip(items, domains, strict=True)
    ]
    return Drafts(rows=rows, bound=repository.bind_new(session, rows))


def finish_account_writes(
    session: Session,
    *,
    team_id: int,
    stamp: int,
    updated: list[tuple[int, str | None, str]],
    drafts: Drafts,
    created: list[int],
    segment_pk: int | None,
) -> None:
    """Insert the created drafts, then link waiting records and add segment members if needed.

    New accounts are announced (account.created) after they joined the push's segment, so a
    subscription filtered by that segment hears of them.
    """
    repository.insert_new(session, drafts.bound, stamp=stamp, only=created)
    waiting = has_waiting_records(session, team_id=team_id)
    announce = bool(created) and ACCOUNT_CREATED in webhooks.wanted_types(session, team_id=team_id)
    if not waiting and segment_pk is None and not announce:
        return  # the common bulk path: no ids to look up
    inserted = [drafts.rows[i] for i in created]
    new_ids = repository.ids_by_rtp_aid(session, [row["rtp_aid"] for row in inserted])
    touched = updated + [
        (pk, row["external_id"], row["domain"]) for pk, row in zip(new_ids, inserted, strict=True)
    ]
    if waiting:
        link_waiting_records(session, team_id=team_id, accounts=touched, at_ms=stamp)
    if segment_pk is not None:
        add_segment_members(
            session,
            team_id=team_id,
            segment_pk=segment_pk,
            account_ids=[pk for pk, _, _ in touched],
            at_ms=stamp,
        )
    if announce:
        announce_created(session, team_id=team_id, account_ids=new_ids, at_ms=stamp)


@dataclass(frozen=True)
class BatchContext:
    """What a push of accounts checks its items against, read under the team write lock."""

    stamp: int
    segment_pk: int | None
    fields: dict[str, FieldDef]
    by_domain: dict[str, repository.Existing]
    by_external: dict[str, repository.Existing]


def load_batch_context(
    session: Session,
    *,
    team_id: int,
    segment_id: str | None,
    domains: list[str],
    external_ids: set[str],
    with_custom_fields: bool,
) -> BatchContext:
    """Lock the team, refuse an unusable segment before anything is written, load lookups.

    Field definitions are read only when some item carries customFields.
    """
    stamp = change_stamp(session, team_id=team_id)
    segment_pk = (
        member_target(session, team_id=team_id, segment_id=segment_id)
        if segment_id is not None
        else None
    )
    by_domain, by_external = repository.find_by_domains_and_external_ids(
        session, team_id=team_id, domains={d for d in domains if d}, external_ids=external_ids
    )
    return BatchContext(
        stamp=stamp,
        segment_pk=segment_pk,
        fields=active_definitions(session, team_id=team_id) if with_custom_fields else {},
        by_domain=by_domain,
        by_external=by_external,
    )


def create_accounts(session: Session, *, team_id: int, body: AccountsCreate) -> dict[str, Any]:
    domains = [clean_domain(item.domain) for item in body.accounts]
    drafts = draft_accounts(session, team_id=team_id, items=body.accounts, domains=domains)
    ctx = load_batch_context(
        session,
        team_id=team_id,
        segment_id=body.segment_id,
        domains=domains,
        external_ids={item.external_id for item in body.accounts},
        with_custom_fields=any(item.custom_fields for item in body.accounts),
    )
    stamp, fields = ctx.stamp, ctx.fields
    by_domain, by_external = ctx.by_domain, ctx.by_external
    seen_domains: set[str] = set()
    seen_external: set[str] = set()
    results: list[dict[str, Any]] = []
    created: list[int] = []
    claims: list[dict[str, Any]] = []
    claimed: list[tuple[int, str | None, str]] = []
    restored: list[int] = []
    for index, (item, domain) in enumerate(zip(body.accounts, domains, strict=True)):
        error = _item_error(
            item,
            domain,
            by_domain=by_domain,
            by_external=by_external,
            seen_domains=seen_domains,
            seen_external=seen_external,
            fields=fields,
        )
        seen_external.add(item.external_id)
        if domain:
            seen_domains.add(domain)
        if error:
            results.append(
                item_result(
                    external_id=item.external_id,
                    rtp_aid=None,
                    domain=domain or item.domain,
                    status="failed",
                    error=error,
                )
            )
            continue
        existing = by_domain.get(domain)
        if existing is not None:
            claims.append(
                {
                    "pk": existing.id,
                    "external_id": item.external_id,
                    "name": item.name,
                    "short_name": item.short_name,
                    "linkedin_url": item.linkedin_url,
                    "tags": unique_tags(item.tags),
                    "custom_fields": {**existing.custom_fields, **(item.custom_fields or {})},
                    "changed_ms": stamp,
                    "inputs_ms": stamp,
                }
            )
            claimed.append((existing.id, item.external_id, domain))
            if existing.deleted_ms is not None:
                restored.append(existing.id)  # a deleted account comes back under this push
            results.append(
                item_result(
                    external_id=item.external_id,
                    rtp_aid=existing.rtp_aid,
                    domain=domain,
                    status="updated" if existing.deleted_ms is None else "created",
                )
            )
            continue
        created.append(index)
        results.append(
            item_result(
                external_id=item.external_id,
                rtp_aid=drafts.rows[index]["rtp_aid"],
                domain=domain,
                status="created",
            )
        )
    repository.update_many(
        session,
        claims,
        (
            "external_id",
            "name",
            "short_name",
            "linkedin_url",
            "tags",
            "custom_fields",
            "changed_ms",
            "inputs_ms",
        ),
    )
    repository.restore(session, restored, at_ms=stamp)
    finish_account_writes(
        session,
        team_id=team_id,
        stamp=stamp,
        updated=claimed,
        drafts=drafts,
        created=created,
        segment_pk=ctx.segment_pk,
    )
    return create_result(results)


def update_custom_fields(
    session: Session, *, team_id: int, external_id: str, body: AccountUpdate
) -> None:
    stamp = change_stamp(session, team_id=team_id)
    existing = repository.find_one_by_external_id(session, team_id=team_id, external_id=external_id)
    if existing is None or existing.deleted_ms is not None:
        raise archive.missing(session, team_id=team_id, external_id=external_id)
    values = body.custom_fields or {}
    problem = check_values(active_definitions(session, team_id=team_id), values)
    if problem:
        raise BadRequest(problem)
    merged = {**existing.custom_fields, **values}
    if merged != existing.custom_fields:
        repository.update_many(
            session,
            [{"pk": existing.id, "custom_fields": merged, "changed_ms": stamp, "inputs_ms": stamp}],
            ("custom_fields", "changed_ms", "inputs_ms"),
        )


def _resolve_mappings(
    wanted: dict[str, str],
    accounts: dict[str, repository.Existing],
    holders: dict[str, repository.Existing],
) -> tuple[dict[str, str], dict[str, str]]:
    """Split domain->externalId mappings into those that can be written and conflicts.

    An externalId may move only if its current holder is itself remapped in this request.
    """
    conflicts: dict[str, str] = {}
    first_domain: dict[str, str] = {}
    for domain, ext in wanted.items():
        reserved = reserved_external_id(ext)
        if reserved:
            conflicts[domain] = reserved
        elif ext in first_domain:
            conflicts[domain] = (
                f"externalId '{ext}' is mapped to more than one domain in this request"
            )
        else:
            first_domain[ext] = domain
    while True:
        writable = {d: e for d, e in wanted.items() if d not in conflicts}
        moving = {accounts[d].id for d, e in writable.items() if accounts[d].external_id != e}
        added = False
        for domain, ext in writable.items():
            holder = holders.get(ext)
            if holder is None or holder.id == accounts[domain].id or holder.id in moving:
                continue
            conflicts[domain] = (
                f"externalId '{ext}' already belongs to the account with domain '{holder.domain}'"
            )
            added = True
        if not added:
            return writable, conflicts


def map_external_ids(session: Session, *, team_id: int, body: MappingsUpdate) -> MappingsResult:
    stamp = change_stamp(session, team_id=team_id)
    latest: dict[str, tuple[str, str]] = {}
    for mapping in body.mappings:
        domain = clean_domain(mapping.domain) or mapping.domain
        latest.pop(domain, None)  # last mapping wins and keeps its position
        latest[domain] = (mapping.domain, mapping.external_id)
    found = repository.find_by_domains(session, team_id=team_id, domains=set(latest))
    accounts = {d: e for d, e in found.items() if e.deleted_ms is None}  # deleted: not found
    not_found = [sent for domain, (sent, _) in latest.items() if domain not in accounts]
    wanted = {d: ext for d, (_, ext) in latest.items() if d in accounts}
    holders = repository.find_by_external_ids(
        session, team_id=team_id, external_ids=set(wanted.values())
    )
    writable, conflicts = _resolve_mappings(wanted, accounts, holders)
    changing = {d: e for d, e in writable.items() if accounts[d].external_id != e}
    repository.clear_external_ids(session, [accounts[d].id for d in changing])
    repository.set_external_ids(
        session,
        [
            {"pk": accounts[d].id, "external_id": e, "changed_ms": stamp}
            for d, e in changing.items()
        ],
    )
    if has_waiting_deals(session, team_id=team_id):
        link_waiting_deals(
            session,
            team_id=team_id,
            accounts=[(accounts[d].id, e, d) for d, e in changing.items()],
            at_ms=stamp,
        )
    return MappingsResult(
        matched=len(wanted),
        updated=len(changing),  # a mapping the account already has writes nothing
        not_found=not_found,
        conflicts=[
            MappingConflict(domain=d, external_id=wanted[d], error=text)
            for d, text in conflicts.items()
        ],
    )


def list_missing_external_ids(
    session: Session, *, team_id: int, limit: int
) -> list[UnmappedAccount]:
    rows = repository.missing_external_ids(session, team_id=team_id, limit=limit)
    return [UnmappedAccount(name=name, domain=domain) for name, domain in rows]


def list_accounts(
    session: Session, *, team_id: int, page: PageRequest, domains: list[str] | None = None
) -> dict[str, Any]:
    """A page in the Page[AccountOut] wire shape."""
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(
        repository.page(session, team_id=team_id, page=page, domains=domains)
    )
    ids = [r[0] for r in rows]  # ACCOUNT_ROW starts with the key
    members = segment_memberships(session, ids)
    return {
        "data": [account_wire(r, members.get(pk, [])) for pk, r in zip(ids, rows, strict=True)],
        "nextCursor": page.next_cursor(has_next, ids[-1] if ids else 0, sync_ms),
        "hasNextPage": has_next,
        "syncTimestamp": format_ms(sync_ms),
    }


def get_account(session: Session, *, team_id: int, external_id: str) -> dict[str, Any]:
    row = repository.one_for_output(session, team_id=team_id, external_id=external_id)
    if row is None:
        raise archive.missing(session, team_id=team_id, external_id=external_id)
    members = segment_memberships(session, [row.id])
    return account_wire(row, members.get(row.id, []))


def wire_accounts(
    session: Session, team_id: int, account_ids: Sequence[int], *, archived: bool = False
) -> dict[int, dict[str, Any]]:
    """Accounts as GET /accounts shows them, by key; archived ones only when asked."""
    shown: dict[int, dict[str, Any]] = {}
    for start in range(0, len(account_ids), 500):
        rows = repository.many_for_output(
            session,
            team_id=team_id,
            account_ids=account_ids[start : start + 500],
            archived=archived,
        )
        members = segment_memberships(session, [r[0] for r in rows])
        shown.update({r[0]: account_wire(r, members.get(r[0], [])) for r in rows})
    return shown


def wire_event_accounts(
    session: Session, team_id: int, account_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """What webhook events carry: an account.deleted event shows the account that went."""
    return wire_accounts(session, team_id, account_ids, archived=True)


webhooks.render_accounts_with(wire_event_accounts)

SCORE_BANDS = 10  # 0-9, 10-19, ... 90-100: a score of 100 counts in the top band


@dataclass(frozen=True)
class Standing:
    """Where a team's accounts stand: per journey stage and per 10-point score band."""

    total: int
    stages: dict[str, int]
    bands: list[int]


def standing(session: Session, *, team_id: int) -> Standing:
    stages = dict.fromkeys(JOURNEY_STAGES, 0)
    bands = [0] * SCORE_BANDS
    total = 0
    for stage, band, count in repository.stage_band_counts(session, team_id=team_id):
        stages[stage] = stages.get(stage, 0) + count
        bands[max(0, min(SCORE_BANDS - 1, int(band)))] += count
        total += count
    return Standing(total=total, stages=stages, bands=bands)


@dataclass(frozen=True)
class Gainer:
    rtp_aid: str
    name: str
    domain: str
    score: int
    gain_7d: int
    stage: str


def top_gainers(session: Session, *, team_id: int, limit: int = 10) -> list[Gainer]:
    """The accounts surging most: largest positive 7-day change of the overall score."""
    rows = repository.top_gainers(session, team_id=team_id, limit=limit)
    return [Gainer(*row) for row in rows]


@dataclass(frozen=True)
class AccountProfile:
    """An account as the console's account page names and describes it."""

    id: int
    rtp_aid: str
    external_id: str | None
    name: str
    short_name: str | None
    domain: str
    linkedin_url: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_ms: int
    changed_ms: int


def find_profile(session: Session, *, team_id: int, key: str) -> AccountProfile:
    """The team's account by rtp_aid, else by externalId; an rtp_aid match wins.

    An rtp_aid is 24 lower-case hex characters and unique; an externalId is unique per team.
    A key that is one account's rtp_aid and another's externalId names the first: links use
    rtp_aids, so they never change meaning. Another team's account is not found.
    """
    row = None
    if is_object_id(key):
        row = repository.profile(session, team_id=team_id, rtp_aid=key)
    if row is None:
        row = repository.profile(session, team_id=team_id, external_id=key)
    if row is None:
        raise NotFound(f"No account of this team has the rtp_aid or externalId '{key[:255]}'")
    return AccountProfile(
        id=row.id,
        rtp_aid=row.rtp_aid,
        external_id=row.external_id,
        name=row.name,
        short_name=row.short_name,
        domain=row.domain,
        linkedin_url=row.linkedin_url,
        tags=list(row.tags or []),
        custom_fields=dict(row.custom_fields or {}),
        created_ms=row.created_ms,
        changed_ms=row.changed_ms,
    )


# ---------------------------------------------------------------- the console's account list

# Counting stops here: past it a list says "more than" rather than scan every match twice.
COUNT_CAP = 10_000
EXPORT_BATCH = 1000
_RULE_FIELDS = {
    "score": "account_score",
    "website": "website_intent_score",
    "g2": "g2_intent_score",
    "bombora": "bombora_intent_score",
    "advertising": "advertising_activity_score",
}
_RANGE_WORDS = {
    "score": "Score",
    "website": "Website score",
    "g2": "G2 score",
    "bombora": "Bombora score",
    "advertising": "Advertising score",
}


def check_filter(f: AccountFilter) -> None:
    """Refuse a filter that cannot mean anything, naming the part to fix."""
    if f.stage is not None and f.stage not in JOURNEY_STAGES:
        raise BadRequest(
            f"'{f.stage[:40]}' is not a journey stage; stages are: {', '.join(JOURNEY_STAGES)}"
        )
    if f.trend not in TRENDS:
        raise BadRequest(f"Trend should be one of: {', '.join(TRENDS)}")
    for name, bounds in f.ranges.items():
        if name not in RANGE_FIELDS:
            raise BadRequest(f"Unknown score range '{name}'; ranges are: {', '.join(RANGE_FIELDS)}")
        if bounds.low is not None and bounds.high is not None and bounds.low > bounds.high:
            raise BadRequest(
                f"{_RANGE_WORDS[name]}: the minimum ({bounds.low}) is above the maximum "
                f"({bounds.high})"
            )


def _check_query(query: ListQuery) -> None:
    """Refuse a sort, cursor or filter that cannot be listed."""
    check_filter(query.filter)
    if query.sort not in SORT_KEYS and query.sort != "key":
        raise BadRequest(f"Sort by one of: {', '.join(SORT_KEYS)}")
    for cursor in (query.after, query.before):
        if cursor is not None and (cursor.sort, cursor.descending) != (
            query.sort,
            query.descending,
        ):
            raise BadRequest("This page link belongs to another sort order; start from page one")


def _segment_pk(session: Session, *, team_id: int, f: AccountFilter) -> int | None:
    if f.segment_id is None:
        return None
    try:
        return get_segment(session, team_id=team_id, segment_id=f.segment_id).id
    except NotFound:
        raise BadRequest(f"There is no segment '{f.segment_id[:40]}' in this workspace") from None


def _listed(row: Any) -> ListedAccount:
    return ListedAccount(
        id=row.id,
        rtp_aid=row.rtp_aid,
        name=row.name,
        domain=row.domain,
        external_id=row.external_id,
        account_score=row.account_score,
        journey_stage=row.journey_stage,
        website_score=row.website_score,
        g2_score=row.g2_score,
        bombora_score=row.bombora_score,
        advertising_score=row.advertising_score,
        score_change_7d=row.score_change_7d,
        score_change_30d=row.score_change_30d,
        changed_ms=row.changed_ms,
        tags=list(row.tags or []),
    )


def _cursor(query: ListQuery, row: Any) -> ListCursor:
    return ListCursor(query.sort, query.descending, row.sort_value, row.id)


def check_list_query(session: Session, *, team_id: int, query: ListQuery) -> None:
    """Refuse a query before a response starts: a streamed export cannot turn into a 400."""
    _check_query(query)
    _segment_pk(session, team_id=team_id, f=query.filter)


def account_list_page(session: Session, *, team_id: int, query: ListQuery) -> AccountListPage:
    """One page of the team's accounts as filtered and sorted, with cursors either way."""
    _check_query(query)
    segment_pk = _segment_pk(session, team_id=team_id, f=query.filter)
    rows, total = repository.list_page(
        session, team_id=team_id, query=query, segment_pk=segment_pk, count_up_to=COUNT_CAP
    )
    more = len(rows) > query.size
    rows = rows[: query.size]
    if query.before is not None:
        rows.reverse()
        previous = _cursor(query, rows[0]) if more else None
        following = _cursor(query, rows[-1]) if rows else None
    else:
        previous = _cursor(query, rows[0]) if query.after is not None and rows else None
        following = _cursor(query, rows[-1]) if more else None
    if total is None and query.after is None and query.before is None:
        total = 0  # nothing matched at all
    capped = total is not None and total > COUNT_CAP and not query.filter.is_empty()
    return AccountListPage(
        rows=[_listed(row) for row in rows],
        total=COUNT_CAP if capped else total,
        total_capped=capped,
        next_cursor=following,
        previous_cursor=previous,
    )


def export_accounts(
    session: Session, *, team_id: int, query: ListQuery
) -> Iterator[list[ListedAccount]]:
    """Every account the filter matches, oldest first, a keyset batch at a time.

    Batches follow the primary key whatever the page's sort: a batch in score order would
    scan and sort every matching account again (100 batches for 100,000 accounts).
    """
    _check_query(query)
    segment_pk = _segment_pk(session, team_id=team_id, f=query.filter)
    batch = ListQuery(query.filter, sort="key", descending=False, size=EXPORT_BATCH)
    while True:
        rows = repository.list_page(
            session, team_id=team_id, query=batch, segment_pk=segment_pk, count_up_to=None
        )[0]
        yield [_listed(row) for row in rows[:EXPORT_BATCH]]
        if len(rows) <= EXPORT_BATCH:
            return
        batch = replace(batch, after=_cursor(batch, rows[EXPORT_BATCH - 1]))


def segment_rules(f: AccountFilter) -> dict[str, Any]:
    """The dynamic segment rules matching exactly the accounts this filter matches."""
    if f.segment_id is not None:
        raise BadRequest(
            "Segment rules cannot test membership of another segment: clear the segment "
            "filter to save this view as a segment"
        )
    conditions: list[dict[str, Any]] = []
    if f.search:
        # The list's search, field by field: contains folds case as the list does.
        fields = ("name", "domain", "external_id")
        search = [{"field": name, "operator": "contains", "value": f.search} for name in fields]
        conditions.append({"or": search})
    if f.stage is not None:
        conditions.append({"field": "journey_stage", "operator": "eq", "value": f.stage})
    for name, bounds in f.ranges.items():
        field = _RULE_FIELDS[name]
        if bounds.low is not None and bounds.high is not None:
            value = [bounds.low, bounds.high]
            conditions.append({"field": field, "operator": "between", "value": value})
        elif bounds.low is not None:
            conditions.append({"field": field, "operator": "gte", "value": bounds.low})
        elif bounds.high is not None:
            conditions.append({"field": field, "operator": "lte", "value": bounds.high})
    if f.tag:
        conditions.append({"field": "tags", "operator": "contains", "value": f.tag})
    if f.trend == "rising":
        conditions.append({"field": "score_change_7d", "operator": "gt", "value": 0})
    elif f.trend == "falling":
        conditions.append({"field": "score_change_7d", "operator": "lt", "value": 0})
    if f.min_change_7d is not None:
        conditions.append({"field": "score_change_7d", "operator": "gte", "value": f.min_change_7d})
    if not conditions:
        raise BadRequest(
            "Choose at least one filter first: a segment of every account would only repeat "
            "the whole list"
        )
    return {"and": conditions}


def save_as_segment(session: Session, *, team_id: int, name: str, f: AccountFilter) -> str:
    """Create an active dynamic segment whose rules are this filter; returns its segmentId."""
    check_filter(f)
    rules = segment_rules(f)
    segment = create_segment(
        session, team_id=team_id, name=name, type_="dynamic", status="active", rules=rules
    )
    return segment.segment_id
