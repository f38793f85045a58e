"""Dynamic segment rules: pure parsing and validation of a rule document.

A rule is a group {"and": [...]} or {"or": [...]} of conditions
{"field": ..., "operator": ..., "value": ...} and nested groups; a bare condition is a
rule too. validate_rules turns the JSON into a typed tree (or raises BadRequest naming the
path); segments/matching.py compiles that tree into closures.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from intentsync.custom_fields.values import FieldDef
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.clock import parse_iso8601
from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest

MAX_DEPTH = 5
MAX_CONDITIONS = 100
MAX_LIST_VALUES = 1000
CUSTOM_PREFIX = "customFields."

# number, journey stage, free text (case-insensitive), single selection (exact option),
# date (UTC calendar day), tags (case-insensitive list), multi selection (exact options).
Kind = Literal["number", "stage", "text", "select", "date", "tags", "multi"]

_ORDERED = ("gt", "gte", "lt", "lte", "between")
OPERATORS: dict[Kind, tuple[str, ...]] = {
    "number": ("eq", "neq", "in", "nin", *_ORDERED, "is_empty"),
    "stage": ("eq", "neq", "in", "nin", *_ORDERED, "is_empty"),
    "date": ("eq", "neq", "in", "nin", *_ORDERED, "is_empty"),
    "text": ("eq", "neq", "in", "nin", "contains", "is_empty"),
    "select": ("eq", "neq", "in", "nin", "is_empty"),
    "tags": ("contains", "has_any", "has_all", "nin", "is_empty"),
    "multi": ("contains", "has_any", "has_all", "nin", "is_empty"),
}
ALL_OPERATORS = frozenset(op for ops in OPERATORS.values() for op in ops)
_LIST_VALUED = frozenset({"in", "nin", "has_any", "has_all"})
# Operators whose value is a list (between: low then high), for forms that write one as text.
MULTI_VALUED = _LIST_VALUED | {"between"}
OPERATOR_LABELS = {
    "eq": "equals",
    "neq": "does not equal",
    "in": "is one of",
    "nin": "is none of",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "between": "is between",
    "contains": "contains",
    "has_any": "has any of",
    "has_all": "has all of",
    "is_empty": "is empty",
}

_KIND_WORDS: dict[Kind, str] = {
    "number": "number",
    "stage": "journey stage",
    "date": "date",
    "text": "text",
    "select": "single-selection",
    "tags": "list",
    "multi": "multi-selection",
}

BUILTIN_FIELDS: dict[str, Kind] = {
    "account_score": "number",
    "website_intent_score": "number",
    "g2_intent_score": "number",
    "bombora_intent_score": "number",
    "advertising_activity_score": "number",
    "open_deal_count": "number",
    "open_deal_amount": "number",
    "won_deal_count": "number",
    "days_in_stage": "number",
    "score_change_7d": "number",
    "score_change_30d": "number",
    "journey_stage": "stage",
    "domain": "text",
    "name": "text",
    "external_id": "text",
    "tags": "tags",
}
# The rtp_ names accounts carry on the wire (and the wire's spelling of external_id).
ALIASES = {
    "externalId": "external_id",
    "rtp_account_score": "account_score",
    "rtp_website_intent_score": "website_intent_score",
    "rtp_g2_intent_score": "g2_intent_score",
    "rtp_bombora_intent_score": "bombora_intent_score",
    "rtp_advertising_activity_score": "advertising_activity_score",
    "rtp_journey_stage": "journey_stage",
}
DEAL_FIELDS = frozenset({"open_deal_count", "open_deal_amount", "won_deal_count"})
_CUSTOM_KINDS: dict[str, Kind] = {
    "number": "number",
    "date": "date",
    "singleLineText": "text",
    "multiLineText": "text",
    "singleSelection": "select",
    "multiSelection": "multi",
}
STAGE_RANK = {stage: rank for rank, stage in enumerate(JOURNEY_STAGES)}
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


class AccountFacts(NamedTuple):
    """What rules read about one account; a tuple so building 100,000 of them stays cheap."""

    account_score: int = 0
    website_intent_score: int = 0
    g2_intent_score: int = 0
    bombora_intent_score: int = 0
    advertising_activity_score: int = 0
    open_deal_count: int = 0
    open_deal_amount: float = 0.0
    won_deal_count: int = 0
    days_in_stage: int = 0
    score_change_7d: int = 0
    score_change_30d: int = 0
    journey_stage: str = JOURNEY_STAGES[0]
    domain: str = ""
    name: str = ""
    external_id: str | None = None
    tags: Sequence[str] = ()
    custom_fields: Mapping[str, Any] = _NO_FIELDS


@dataclass(frozen=True)
class Condition:
    field: str  # canonical: a built-in name or 'customFields.<KEY>'
    kind: Kind
    operator: str
    value: Any  # normalised: lower-cased text, stage rank, day ordinal, frozenset, (low, high)


@dataclass(frozen=True)
class Group:
    combinator: Literal["and", "or"]
    items: tuple["Rule", ...]


Rule = Condition | Group


@dataclass(frozen=True)
class FieldSpec:
    """One field a rule may name, with what a form offers for it."""

    name: str  # as a rule writes it: a built-in name or 'customFields.<KEY>'
    label: str
    kind: Kind
    kind_word: str
    operators: tuple[str, ...]
    options: tuple[str, ...]  # journey stages or selection options; empty for free values


def catalogue(custom_fields: Mapping[str, FieldDef]) -> list[FieldSpec]:
    """Every field a rule may use today, built-ins first, so forms never list a stale one."""
    specs = [
        FieldSpec(
            name=name,
            label=name.replace("_", " ").capitalize(),
            kind=kind,
            kind_word=_KIND_WORDS[kind],
            operators=OPERATORS[kind],
            options=JOURNEY_STAGES if kind == "stage" else (),
        )
        for name, kind in BUILTIN_FIELDS.items()
    ]
    for key in sorted(custom_fields):
        definition = custom_fields[key]
        custom_kind = _CUSTOM_KINDS.get(definition.label_type)
        if custom_kind is None:
            continue
        specs.append(
            FieldSpec(
                name=CUSTOM_PREFIX + key,
                label=f"Custom: {key}",
                kind=custom_kind,
                kind_word=_KIND_WORDS[custom_kind],
                operators=OPERATORS[custom_kind],
                options=definition.options if custom_kind in ("select", "multi") else (),
            )
        )
    return specs


def fields_used(rule: Rule) -> frozenset[str]:
    """Canonical field names a rule reads, so callers load only what it needs."""
    if isinstance(rule, Condition):
        return frozenset({rule.field})
    return frozenset().union(*(fields_used(item) for item in rule.items))


# ---------------------------------------------------------------- validation


def _show(value: Any) -> str:
    text = f"'{value}'" if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_list() -> str:
    return (
        ", ".join([*BUILTIN_FIELDS, CUSTOM_PREFIX + "<KEY>"])
        + " (rtp_ wire names and externalId work too)"
    )


def _day(value: str) -> int | None:
    parsed = parse_iso8601(value)
    return None if parsed is None else parsed.astimezone(UTC).date().toordinal()


@lru_cache(maxsize=65_536)
def stored_day(value: str) -> int | None:
    return _day(value)


class _Parser:
    def __init__(self, custom_fields: Mapping[str, FieldDef]) -> None:
        self.custom_fields = custom_fields
        self.conditions = 0

    def rule(self, doc: Any, path: str, depth: int) -> Rule:
        if not isinstance(doc, dict):
            raise BadRequest(
                f'{path}: expected a group {{"and": [...]}} or {{"or": [...]}} '
                f'or a condition {{"field", "operator", "value"}}, got {_show(doc)}'
            )
        if "and" in doc or "or" in doc:
            return self.group(doc, path, depth + 1)
        if "field" in doc or "operator" in doc:
            return self.condition(doc, path)
        raise BadRequest(
            f'{path}: expected a group with "and" or "or", or a condition with "field", '
            '"operator" and "value"'
        )

    def group(self, doc: dict[str, Any], path: str, depth: int) -> Group:
        if depth > MAX_DEPTH:
            raise BadRequest(f"{path}: groups nest at most {MAX_DEPTH} deep")
        if "and" in doc and "or" in doc:
            raise BadRequest(f'{path}: a group has either "and" or "or", not both')
        combinator: Literal["and", "or"] = "and" if "and" in doc else "or"
        extra = sorted(set(doc) - {combinator})
        if extra:
            raise BadRequest(f"{path}: unknown key {_show(extra[0])} in a group")
        items = doc[combinator]
        if not isinstance(items, list) or not items:
            raise BadRequest(f"{path}.{combinator}: expected a non-empty list of rules")
        return Group(
            combinator,
            tuple(
                self.rule(item, f"{path}.{combinator}[{i}]", depth) for i, item in enumerate(items)
            ),
        )

    def condition(self, doc: dict[str, Any], path: str) -> Condition:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise BadRequest(f"{path}: a rule has at most {MAX_CONDITIONS} conditions")
        extra = sorted(set(doc) - {"field", "operator", "value"})
        if extra:
            raise BadRequest(
                f"{path}: unknown key {_show(extra[0])}; a condition has field, operator and value"
            )
        for key in ("field", "operator", "value"):
            if key not in doc:
                raise BadRequest(f"{path}.{key}: missing")
        written = doc["field"]
        if not isinstance(written, str):
            raise BadRequest(f"{path}.field: expected a field name, got {_show(written)}")
        field, kind, definition = self.field(written, f"{path}.field")
        operator = doc["operator"]
        allowed = OPERATORS[kind]
        if operator not in allowed:
            what = (
                f"{_show(operator)} does not apply to {_KIND_WORDS[kind]} field '{written}'"
                if operator in ALL_OPERATORS
                else f"unknown operator {_show(operator)}"
            )
            raise BadRequest(f"{path}.operator: {what}; use one of: {', '.join(allowed)}")
        value = _Values(written, kind, definition, f"{path}.value").parse(operator, doc["value"])
        return Condition(field=field, kind=kind, operator=operator, value=value)

    def field(self, written: str, path: str) -> tuple[str, Kind, FieldDef | None]:
        name = ALIASES.get(written, written)
        if name in BUILTIN_FIELDS:
            return name, BUILTIN_FIELDS[name], None
        if not name.startswith(CUSTOM_PREFIX):
            raise BadRequest(f"{path}: unknown field {_show(written)}; fields are: {_field_list()}")
        key = name[len(CUSTOM_PREFIX) :]
        # Keys are generated upper-case, so a lower-case spelling means the same field.
        definition = self.custom_fields.get(key) or self.custom_fields.get(key.upper())
        if definition is None:
            known = ", ".join(sorted(self.custom_fields)) or "none defined"
            raise BadRequest(
                f"{path}: unknown custom field key {_show(key)}; active keys are: {known}"
            )
        kind = _CUSTOM_KINDS.get(definition.label_type)
        if kind is None:
            raise BadRequest(
                f"{path}: custom field '{definition.key}' has type "
                f"'{definition.label_type}', which rules cannot use"
            )
        return CUSTOM_PREFIX + definition.key, kind, definition


@dataclass(frozen=True)
class _Values:
    """Checks and normalises one condition's value for its field."""

    written: str
    kind: Kind
    definition: FieldDef | None
    path: str

    def parse(self, operator: str, value: Any) -> Any:
        if operator == "is_empty":
            if not isinstance(value, bool):
                raise BadRequest(f"{self.path}: is_empty takes true or false, got {_show(value)}")
            return value
        if operator in _LIST_VALUED:
            if not isinstance(value, list) or not value:
                raise BadRequest(
                    f"{self.path}: {operator} takes a non-empty list, got {_show(value)}"
                )
            if len(value) > MAX_LIST_VALUES:
                raise BadRequest(f"{self.path}: at most {MAX_LIST_VALUES} values")
            return frozenset(self.one(v, f"{self.path}[{i}]") for i, v in enumerate(value))
        if operator == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise BadRequest(
                    f"{self.path}: between takes a list of two values, low then high; "
                    f"got {_show(value)}"
                )
            low, high = (self.one(v, f"{self.path}[{i}]") for i, v in enumerate(value))
            if low > high:
                raise BadRequest(f"{self.path}: between needs low <= high")
            return (low, high)
        return self.one(value, self.path, clean=operator != "contains")

    def one(self, value: Any, path: str, *, clean: bool = True) -> Any:
        kind = self.kind
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"{path}: '{self.written}' takes a number, got {_show(value)}")
            if not math.isfinite(value):
                raise BadRequest(f"{path}: '{self.written}' takes a finite number")
            return value
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(
                f"{path}: '{self.written}' takes non-empty text, got {_show(value)}; "
                "use is_empty to match missing values"
            )
        if kind == "stage":
            for stage in JOURNEY_STAGES:
                if stage.lower() == value.strip().lower():
                    return STAGE_RANK[stage]
            raise BadRequest(
                f"{path}: {_show(value)} is not a journey stage; "
                f"stages are: {', '.join(JOURNEY_STAGES)}"
            )
        if kind == "date":
            day = _day(value)
            if day is None:
                raise BadRequest(
                    f"{path}: '{self.written}' takes an ISO 8601 date such as 2026-01-31, "
                    f"got {_show(value)}"
                )
            return day
        if kind in ("select", "multi"):
            options = self.definition.options if self.definition else ()
            if value not in options:
                raise BadRequest(
                    f"{path}: {_show(value)} is not an option of '{self.written}'; "
                    f"options are: {', '.join(options)}"
                )
            return value
        if self.written == "domain" and clean:  # a domain to compare with, not a fragment
            cleaned = clean_domain(value)
            if not cleaned:
                raise BadRequest(f"{path}: {_show(value)} is not a valid domain")
            return cleaned
        return value.strip().lower()


def validate_rules(doc: Any, *, custom_fields: Mapping[str, FieldDef]) -> Rule:
    """Parse a rule document, refusing anything a segment could not evaluate, with its path."""
    return _Parser(custom_fields).rule(doc, "rules", 0)
