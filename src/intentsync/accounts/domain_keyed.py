"""Account rules for the /api/v1 surface: the domain is the key and rtp_aid the address."""

from typing import Any

from sqlalchemy.orm import Session

from intentsync.accounts import archive, repository
from intentsync.accounts.schemas import (
    DomainKeyedAccountIn,
    DomainKeyedAccountsCreate,
    DomainKeyedAccountUpdate,
    account_wire,
    create_result,
    item_result,
)
from intentsync.accounts.service import (
    draft_accounts,
    finish_account_writes,
    load_batch_context,
    reserved_external_id,
    unique_tags,
)
from intentsync.custom_fields.service import active_definitions
from intentsync.custom_fields.values import FieldDef, check_values
from intentsync.kit import json_limits
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest, ValidationFailed
from intentsync.kit.ids import is_object_id
from intentsync.segments.service import memberships as segment_memberships
from intentsync.teams.service import change_stamp

MAX_DOMAINS = 100
_UPSERT_FIELDS = {
    "name": "name",
    "external_id": "external_id",
    "short_name": "short_name",
    "linkedin_url": "linkedin_url",
    "tags": "tags",
}


def parse_domains(raw: str | None) -> list[str] | None:
    """The domains filter: a JSON array of up to 100 domains, each cleaned."""
    if raw is None:
        return None
    try:
        value = json_limits.loads(raw)
    except ValueError:  # not JSON, or nested past the limit
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed.single(
            "domains", "isJsonArray", 'domains must be a JSON array of strings, e.g. ["acme.com"]'
        )
    if len(value) > MAX_DOMAINS:
        raise ValidationFailed.single(
            "domains", "arrayMaxSize", f"domains must contain no more than {MAX_DOMAINS} elements"
        )
    return [d for d in (clean_domain(v) for v in value) if d]


def _item_error(
    item: DomainKeyedAccountIn,
    domain: str,
    *,
    upsert: bool,
    existing: repository.Existing | None,
    holder: repository.Existing | None,
    seen: set[str],
    seen_external: set[str],
    fields: dict[str, FieldDef],
) -> str | None:
    if not domain:
        return f"domain '{item.domain}' is not a valid domain"
    if domain in seen:
        return f"domain '{domain}' appears earlier in this request"
    if existing is not None and not upsert and existing.deleted_ms is None:
        return (
            f"Account with domain '{domain}' already exists. "
            f"Use PUT /accounts/{existing.rtp_aid} to update it."
        )
    if item.external_id is not None:
        reserved = reserved_external_id(item.external_id)
        if reserved:
            return reserved
        if item.external_id in seen_external:
            return f"externalId '{item.external_id}' appears earlier in this request"
        if holder is not None and holder.domain != domain:
            deleted = "deleted " if holder.deleted_ms is not None else ""
            return (
                f"externalId '{item.external_id}' already belongs to the {deleted}account with "
                f"domain '{holder.domain}'"
            )
    problem = check_values(fields, item.custom_fields or {})
    return f"{problem}. Unable to add this account." if problem else None


def _upsert_values(
    item: DomainKeyedAccountIn, existing: repository.Existing, stamp: int
) -> dict[str, Any]:
    values: dict[str, Any] = {
        column: getattr(item, field)
        for field, column in _UPSERT_FIELDS.items()
        if field in item.model_fields_set and getattr(item, field) is not None
    }
    if "tags" in values:
        values["tags"] = unique_tags(values["tags"])
    if item.custom_fields:
        values["custom_fields"] = {**existing.custom_fields, **item.custom_fields}
    values["changed_ms"] = values["inputs_ms"] = stamp  # segment rules may read what changed
    return values


def create_accounts(
    session: Session, *, team_id: int, body: DomainKeyedAccountsCreate
) -> dict[str, Any]:
    domains = [clean_domain(item.domain) for item in body.accounts]
    drafts = draft_accounts(session, team_id=team_id, items=body.accounts, domains=domains)
    ctx = load_batch_context(
        session,
        team_id=team_id,
        segment_id=body.segment_id,
        domains=domains,
        external_ids={i.external_id for i in body.accounts if i.external_id is not None},
        with_custom_fields=any(item.custom_fields for item in body.accounts),
    )
    stamp, fields = ctx.stamp, ctx.fields
    by_domain, holders = ctx.by_domain, ctx.by_external
    seen: set[str] = set()
    seen_external: set[str] = set()
    results: list[dict[str, Any]] = []
    created: list[int] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    touched: list[tuple[int, str | None, str]] = []
    restored: list[int] = []
    for index, (item, domain) in enumerate(zip(body.accounts, domains, strict=True)):
        existing = by_domain.get(domain)
        holder = holders.get(item.external_id) if item.external_id is not None else None
        error = _item_error(
            item,
            domain,
            upsert=body.upsert,
            existing=existing,
            holder=holder,
            seen=seen,
            seen_external=seen_external,
            fields=fields,
        )
        if domain:
            seen.add(domain)
        if item.external_id is not None:
            seen_external.add(item.external_id)
        if error:
            results.append(
                item_result(
                    external_id=item.external_id,
                    rtp_aid=existing.rtp_aid if existing else None,
                    domain=domain or item.domain,
                    status="failed",
                    error=error,
                )
            )
            continue
        if existing is not None:
            updates.append((existing.id, _upsert_values(item, existing, stamp)))
            external = item.external_id if item.external_id is not None else existing.external_id
            touched.append((existing.id, external, domain))
            if existing.deleted_ms is not None:
                restored.append(existing.id)  # a deleted account comes back under this push
            status = "updated" if existing.deleted_ms is None else "created"
            results.append(
                item_result(
                    external_id=external, rtp_aid=existing.rtp_aid, domain=domain, status=status
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
    for account_id, values in updates:
        repository.update_one(session, account_id=account_id, values=values)
    repository.restore(session, restored, at_ms=stamp)
    finish_account_writes(
        session,
        team_id=team_id,
        stamp=stamp,
        updated=touched,
        drafts=drafts,
        created=created,
        segment_pk=ctx.segment_pk,
    )
    return create_result(results)


def require_rtp_aid(rtp_aid: str) -> None:
    if not is_object_id(rtp_aid):
        raise BadRequest(
            f"'{rtp_aid}' is not a valid rtp_aid: expected 24 lower-case hex characters"
        )


def get_account(session: Session, *, team_id: int, rtp_aid: str) -> dict[str, Any]:
    require_rtp_aid(rtp_aid)
    row = repository.one_for_output(session, team_id=team_id, rtp_aid=rtp_aid)
    if row is None:
        raise archive.missing(session, team_id=team_id, rtp_aid=rtp_aid)
    members = segment_memberships(session, [row.id])
    return account_wire(row, members.get(row.id, []))


def update_account(
    session: Session, *, team_id: int, rtp_aid: str, body: DomainKeyedAccountUpdate
) -> None:
    require_rtp_aid(rtp_aid)
    stamp = change_stamp(session, team_id=team_id)
    existing = repository.find_one_by_rtp_aid(session, team_id=team_id, rtp_aid=rtp_aid)
    if existing is None or existing.deleted_ms is not None:
        raise archive.missing(session, team_id=team_id, rtp_aid=rtp_aid)
    problem = check_values(active_definitions(session, team_id=team_id), body.custom_fields or {})
    if problem:
        raise BadRequest(problem)
    if "name" in body.model_fields_set and body.name is None:
        raise BadRequest("name cannot be cleared; send a new name or leave it out")
    values: dict[str, Any] = {
        field: getattr(body, field)
        for field in ("name", "short_name", "linkedin_url", "tags")
        if field in body.model_fields_set
    }
    if "tags" in values:
        values["tags"] = unique_tags(values["tags"])
    if body.custom_fields:
        values["custom_fields"] = {**existing.custom_fields, **body.custom_fields}
    current = repository.current_values(session, account_id=existing.id, columns=list(values))
    if any(current[column] != value for column, value in values.items()):
        repository.update_one(
            session,
            account_id=existing.id,
            values={**values, "changed_ms": stamp, "inputs_ms": stamp},
        )
