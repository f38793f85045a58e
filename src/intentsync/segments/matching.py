"""Dynamic segment matching: a validated rule compiled once into nested closures.

Testing an account is then a few attribute reads and comparisons, fast enough to run every
segment over every account after each scoring run.
"""

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any

from intentsync.segments.rules import (
    CUSTOM_PREFIX,
    STAGE_RANK,
    AccountFacts,
    Condition,
    Rule,
    stored_day,
)

Predicate = Callable[[AccountFacts], bool]
Reader = Callable[[AccountFacts], Any]


def _reader(condition: Condition) -> Reader:
    """Read the field and normalise it; None means empty or missing."""
    kind = condition.kind
    if not condition.field.startswith(CUSTOM_PREFIX):
        if kind in ("number", "text", "stage"):
            # Built-in numbers and stages are never missing; only externalIds may be.
            get: Reader = attrgetter(condition.field)
            if kind == "number":
                return get
            if kind == "stage":
                return lambda f: STAGE_RANK.get(get(f))
            return lambda f: v.lower() if (v := get(f)) else None
        raw: Reader = attrgetter(condition.field)
    else:
        key = condition.field[len(CUSTOM_PREFIX) :]
        raw = lambda f: f.custom_fields.get(key)  # noqa: E731
    if kind == "number":
        return lambda f: (
            v if isinstance(v := raw(f), int | float) and not isinstance(v, bool) else None
        )
    if kind in ("text", "select"):
        lower = kind == "text"
        return lambda f: (v.lower() if lower else v) if isinstance(v := raw(f), str) and v else None
    if kind == "date":
        return lambda f: stored_day(v) if isinstance(v := raw(f), str) else None
    if kind == "tags":
        return lambda f: (
            [t.lower() for t in v if isinstance(t, str)]
            if isinstance(v := raw(f), list | tuple) and v
            else None
        )
    return lambda f: v if isinstance(v := raw(f), list | tuple) and v else None


def _scalar_test(operator: str, value: Any) -> Callable[[Any], bool]:
    """A test on a normalised scalar that may be None (missing never matches, except negations)."""
    if operator == "eq":
        return lambda x: x == value
    if operator == "neq":
        return lambda x: x != value
    if operator == "in":
        return lambda x: x in value
    if operator == "nin":
        return lambda x: x not in value
    if operator == "contains":
        return lambda x: x is not None and value in x
    if operator == "gt":
        return lambda x: x is not None and x > value
    if operator == "gte":
        return lambda x: x is not None and x >= value
    if operator == "lt":
        return lambda x: x is not None and x < value
    if operator == "lte":
        return lambda x: x is not None and x <= value
    low, high = value
    return lambda x: x is not None and low <= x <= high


def _list_test(operator: str, value: Any) -> Callable[[Any], bool]:
    if operator == "contains":
        return lambda xs: xs is not None and value in xs
    if operator == "has_any":
        return lambda xs: xs is not None and not value.isdisjoint(xs)
    if operator == "has_all":
        return lambda xs: xs is not None and value.issubset(xs)
    return lambda xs: xs is None or value.isdisjoint(xs)  # nin: none of them


def _condition(condition: Condition) -> Predicate:
    read = _reader(condition)
    if condition.operator == "is_empty":
        if condition.value:
            return lambda f: read(f) is None
        return lambda f: read(f) is not None
    listed = condition.kind in ("tags", "multi")
    test = (_list_test if listed else _scalar_test)(condition.operator, condition.value)
    return lambda f: test(read(f))


def _all(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda f: first(f) and second(f)

    def every(facts: AccountFacts) -> bool:
        for p in predicates:
            if not p(facts):
                return False
        return True

    return every


def _any(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda f: first(f) or second(f)

    def some(facts: AccountFacts) -> bool:
        for p in predicates:
            if p(facts):
                return True
        return False

    return some


@lru_cache(maxsize=256)
def matcher(rule: Rule) -> Predicate:
    """Compile a rule once into nested closures; call the result per account."""
    if isinstance(rule, Condition):
        return _condition(rule)
    compiled = tuple(matcher(item) for item in rule.items)
    return _all(compiled) if rule.combinator == "and" else _any(compiled)


def evaluate(rule: Rule, facts: AccountFacts) -> bool:
    """Whether one account matches; loops over many accounts should call matcher() once."""
    return matcher(rule)(facts)


def matching(rule: Rule, accounts: Collection[tuple[int, AccountFacts]]) -> set[int]:
    """Ids of the accounts the rule matches."""
    test = matcher(rule)
    return {account_id for account_id, facts in accounts if test(facts)}
