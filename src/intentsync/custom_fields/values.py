"""Custom field keys and value checks: pure rules, no I/O."""

import math
from dataclasses import dataclass
from typing import Any

from intentsync.kit.clock import parse_iso8601
from intentsync.kit.json_limits import clip

MAX_TEXT = {"singleLineText": 1000, "multiLineText": 65_535}
MAX_KEY_LENGTH = 300  # the custom_fields.key column
MAX_VALUES = 500  # customFields keys one account write may set
_NAMED_UNKNOWN = 5  # unknown keys an error names before counting the rest


@dataclass(frozen=True)
class FieldDef:
    key: str
    label_type: str
    options: tuple[str, ...]


def key_for_label(label: str) -> str:
    """Only spaces are replaced, as documented: 'Net-Revenue' -> NET-REVENUE_C."""
    return label.replace(" ", "_").upper() + "_C"


def key_length_error(key: str) -> str | None:
    """Upper-casing can lengthen a label ('ß' -> 'SS'), so the key is checked, not the label."""
    if len(key) <= MAX_KEY_LENGTH:
        return None
    return (
        f"label makes a key of {len(key)} characters, over the {MAX_KEY_LENGTH}-character "
        "limit for custom field keys; use a shorter label"
    )


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def value_error(field: FieldDef, value: Any) -> str | None:
    """Why a value does not fit its field, or None when it does (null always fits: it clears)."""
    if value is None:
        return None
    kind = field.label_type
    key = field.key
    if kind in MAX_TEXT:
        if not isinstance(value, str):
            return f"Custom field '{key}' expects text, got {_show(value)}"
        if len(value) > MAX_TEXT[kind]:
            return f"Custom field '{key}' accepts at most {MAX_TEXT[kind]} characters"
        if kind == "singleLineText" and ("\n" in value or "\r" in value):
            return f"Custom field '{key}' is single-line text; remove the line breaks"
        return None
    if kind == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return f"Custom field '{key}' expects a number, got {_show(value)}"
        return None
    if kind == "date":
        if not isinstance(value, str) or parse_iso8601(value) is None:
            return f"Custom field '{key}' expects an ISO 8601 date, got {_show(value)}"
        return None
    allowed = ", ".join(field.options)
    if kind == "singleSelection":
        if not isinstance(value, str) or value not in field.options:
            return f"Custom field '{key}' must be one of: {allowed}; got {_show(value)}"
        return None
    if kind == "multiSelection":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"Custom field '{key}' expects a list of options, got {_show(value)}"
        unknown = [v for v in value if v not in field.options]
        if unknown:
            return f"Custom field '{key}' options must be among: {allowed}; got {_show(unknown[0])}"
        if len(set(value)) != len(value):
            return f"Custom field '{key}' lists an option more than once"
        return None
    return f"Custom field '{key}' has an unsupported type '{kind}'"


def check_values(fields: dict[str, FieldDef], values: dict[str, Any]) -> str | None:
    """First problem with a set of values: unknown keys are named together, as the service does."""
    if len(values) > MAX_VALUES:
        return f"customFields may set at most {MAX_VALUES} fields at once; got {len(values)}"
    unknown = [key for key in values if key not in fields]
    if unknown:
        named = ", ".join(clip(key, 60) for key in unknown[:_NAMED_UNKNOWN])
        more = len(unknown) - _NAMED_UNKNOWN
        return f"Custom field key(s) not found: {named}" + (f" and {more} more" if more > 0 else "")
    for key, value in values.items():
        problem = value_error(fields[key], value)
        if problem:
            return problem
    return None
