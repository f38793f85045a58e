"""Dynamic segment membership: a segment's members are the team's accounts its rules match."""

import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy.orm import Session

from intentsync.custom_fields.service import active_definitions
from intentsync.deals.service import DealFacts, account_deal_facts
from intentsync.journey.stages import days_in_stage
from intentsync.kit.clock import DAY_MS, now_ms
from intentsync.kit.errors import BadRequest
from intentsync.segments import membership, repository
from intentsync.segments.matching import matching
from intentsync.segments.rules import (
    CUSTOM_PREFIX,
    DEAL_FIELDS,
    AccountFacts,
    Rule,
    fields_used,
    validate_rules,
)

log = logging.getLogger("intentsync.segments")

_NO_DEALS = DealFacts()

# Account columns each built-in rule field reads (deal fields come from deal facts).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "account_score": ("account_score",),
    "website_intent_score": ("website_score",),
    "g2_intent_score": ("g2_score",),
    "bombora_intent_score": ("bombora_score",),
    "advertising_activity_score": ("advertising_score",),
    "journey_stage": ("journey_stage",),
    "domain": ("domain",),
    "name": ("name",),
    "external_id": ("external_id",),
    "tags": ("tags",),
    "days_in_stage": ("stage_entered_ms", "created_ms"),
    "score_change_7d": ("score_change_7d",),
    "score_change_30d": ("score_change_30d",),
}
# AccountFacts fields filled straight from one column.
_DIRECT = {
    "account_score": "account_score",
    "website_score": "website_intent_score",
    "g2_score": "g2_intent_score",
    "bombora_score": "bombora_intent_score",
    "advertising_score": "advertising_activity_score",
    "journey_stage": "journey_stage",
    "domain": "domain",
    "name": "name",
    "external_id": "external_id",
    "score_change_7d": "score_change_7d",
    "score_change_30d": "score_change_30d",
}


def mark_accounts_changed(session: Session, account_ids: Collection[int], *, at_ms: int) -> None:
    """Move accounts into the next delta, in statements small enough for any backend."""
    for part in repository.chunks(account_ids):
        repository.mark_accounts_changed(session, part, at_ms=at_ms)


def _facts_builder(
    used: frozenset[str], columns: Collection[str], deals: dict[int, DealFacts]
) -> Callable[[Any], AccountFacts]:
    """A function from an account row to the AccountFacts the rules read, nothing more."""
    direct = [(column, fact) for column, fact in _DIRECT.items() if column in columns]
    want_tags = "tags" in used
    want_custom = any(f.startswith(CUSTOM_PREFIX) for f in used)
    want_days = "days_in_stage" in used
    want_deals = bool(used & DEAL_FIELDS)
    today = now_ms() // DAY_MS

    def build(row: Any) -> AccountFacts:
        values: dict[str, Any] = {fact: getattr(row, column) for column, fact in direct}
        if want_tags:
            values["tags"] = row.tags or ()
        if want_custom:
            values["custom_fields"] = row.custom_fields or {}
        if want_days:
            values["days_in_stage"] = days_in_stage(
                stage_entered_ms=row.stage_entered_ms, created_ms=row.created_ms, today=today
            )
        if want_deals:
            deal = deals.get(row.id, _NO_DEALS)
            values["open_deal_count"] = deal.open_count
            values["open_deal_amount"] = deal.open_amount
            values["won_deal_count"] = deal.won_count
        return AccountFacts(**values)

    return build


def _columns(used: frozenset[str]) -> set[str]:
    columns = {c for field in used for c in _COLUMNS.get(field, ())}
    if any(f.startswith(CUSTOM_PREFIX) for f in used):
        columns.add("custom_fields")
    return columns


def load_facts(
    session: Session,
    *,
    team_id: int,
    used: frozenset[str],
    account_ids: Sequence[int] | None = None,
) -> list[tuple[int, AccountFacts]]:
    """(account id, facts) for the team's accounts (or these), reading only the fields used."""
    deals = (
        account_deal_facts(session, team_id=team_id, account_ids=account_ids)
        if used & DEAL_FIELDS
        else {}
    )
    columns = _columns(used)
    build = _facts_builder(used, columns, deals)
    rows = repository.team_account_columns(
        session, team_id=team_id, columns=columns, account_ids=account_ids
    )
    return [(row.id, build(row)) for row in rows]


def _parsed(
    session: Session, *, team_id: int, segments: Sequence[tuple[int, dict[str, Any] | None]]
) -> list[tuple[int, Rule | None]]:
    """Each segment's rule; a segment whose saved rules no longer validate is left as it is."""
    definitions = active_definitions(session, team_id=team_id)
    parsed: list[tuple[int, Rule | None]] = []
    for pk, doc in segments:
        if doc is None:
            parsed.append((pk, None))
            continue
        try:
            parsed.append((pk, validate_rules(doc, custom_fields=definitions)))
        except BadRequest as exc:
            log.warning("segment %s keeps its members: %s", pk, exc.custom_message)
    return parsed


def refresh_dynamic_segments(
    session: Session,
    *,
    team_id: int,
    stamp: int,
    segment_pks: Collection[int] | None = None,
    account_ids: Collection[int] | None = None,
) -> int:
    """How many accounts joined or left a dynamic segment; see refreshed_accounts."""
    return len(
        refreshed_accounts(
            session,
            team_id=team_id,
            stamp=stamp,
            segment_pks=segment_pks,
            account_ids=account_ids,
        )
    )


def refreshed_accounts(
    session: Session,
    *,
    team_id: int,
    stamp: int,
    segment_pks: Collection[int] | None = None,
    account_ids: Collection[int] | None = None,
) -> set[int]:
    """Recompute dynamic segment members and stamp (and return) the accounts that joined or left.

    With account_ids only those accounts are re-evaluated (an incremental scoring run: the
    others' facts did not change). The caller holds the team's change stamp. Returns how
    many accounts changed.
    """
    only = sorted(account_ids) if account_ids is not None else None
    if only == []:
        return set()
    segments = repository.dynamic_to_refresh(session, team_id=team_id, segment_pks=segment_pks)
    parsed = _parsed(session, team_id=team_id, segments=segments)
    rules = [rule for _, rule in parsed if rule is not None]
    used = frozenset().union(*(fields_used(rule) for rule in rules))
    facts = load_facts(session, team_id=team_id, used=used, account_ids=only) if rules else []
    changed: set[int] = set()
    changes: list[membership.Change] = []
    for pk, rule in parsed:
        target = matching(rule, facts) if rule is not None else set()
        current = repository.member_ids(session, segment_pk=pk, account_ids=only)
        joined, left = target - current, current - target
        repository.add_members(
            session, team_id=team_id, segment_pk=pk, account_ids=sorted(joined), at_ms=stamp
        )
        repository.remove_members(session, segment_pk=pk, account_ids=left)
        changed |= joined | left
        changes.append(membership.Change(pk, added=joined, removed=left))
    mark_accounts_changed(session, changed, at_ms=stamp)
    if changed and membership.wanted(session, team_id=team_id):
        membership.announce(session, team_id=team_id, changes=changes, at_ms=stamp)
    return changed


def matching_ids(session: Session, *, team_id: int, rule: Rule) -> set[int]:
    """The team's accounts a rule matches now: what a refresh would make the members."""
    facts = load_facts(session, team_id=team_id, used=fields_used(rule))
    return matching(rule, facts)
