"""Turn pydantic errors into the class-validator shape the public docs show.

Fields declare the rules a client sees when the value is missing with a ``Rules`` marker;
everything else is derived from the pydantic error type.
"""

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, GetCoreSchemaHandler, StringConstraints
from pydantic import GetJsonSchemaHandler as JsonHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from intentsync.kit.clock import parse_iso8601
from intentsync.kit.schemas import Keywords

TEMPLATES: dict[str, str] = {
    "isString": "{p} must be a string",
    "isNotEmpty": "{p} should not be empty",
    "isArray": "{p} must be an array",
    "isEmail": "{p} must be an email",
    "isISO8601": "{p} must be a valid ISO 8601 date string",
    "isBoolean": "{p} must be a boolean value",
    "isNumber": "{p} must be a number conforming to the specified constraints",
    "isInt": "{p} must be an integer number",
    "isObject": "{p} must be an object",
    "isIn": "{p} must be one of the following values: {values}",
    "arrayMinSize": "{p} must contain at least {n} elements",
    "arrayMaxSize": "{p} must contain no more than {n} elements",
    "arrayUnique": "All {p}'s elements must be unique",
    "maxLength": "{p} must be shorter than or equal to {n} characters",
    "min": "{p} must not be less than {n}",
    "max": "{p} must not be greater than {n}",
    "whitelistValidation": "property {p} should not exist",
    "isDefined": "{p} should not be null or undefined",
}


@dataclass(frozen=True)
class Rules:
    """Rules reported when a required value is missing or null, in class-validator order."""

    names: tuple[str, ...]
    ctx: tuple[tuple[str, Any], ...] = ()

    def __init__(self, *names: str, **ctx: Any) -> None:
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "ctx", tuple(ctx.items()))


# Some character str.strip() keeps: \s is Unicode white space, and strip() also drops \x1c-\x1f.
# Checked natively by pydantic-core, as three of these run on each pushed account.
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f]"


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    local, _, domain = value.partition("@")
    if (
        not local
        or "." not in domain
        or any(c.isspace() for c in value)
        or value.count("@") != 1
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
    ):
        raise PydanticCustomError("isEmail", "must be an email")
    return value


def _iso8601(value: str | None) -> str | None:
    if value is not None and parse_iso8601(value) is None:
        raise PydanticCustomError("isISO8601", "must be a valid ISO 8601 date string")
    return value


@dataclass(frozen=True)
class Checked:
    """A check run after the type's own, with the schema keywords that say what it accepts.

    The check raises the class-validator rule, so the documented error text stays exact while
    OpenAPI shows the enum or format a plain `str` would hide.
    """

    check: Callable[[Any], Any]
    keywords: Keywords

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: JsonHandler
    ) -> JsonSchemaValue:
        return self.keywords.__get_pydantic_json_schema__(schema, handler)


def one_of(*allowed: str) -> Checked:
    values = ", ".join(allowed)

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise PydanticCustomError("isIn", "must be one of {values}", {"values": values})
        return value

    return Checked(check, Keywords(enum=list(allowed)))


def _reject_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("isNull", "should not be null")
    return value


NotBlank = StringConstraints(pattern=NOT_BLANK_PATTERN)
Email = Checked(_email, Keywords(format="email"))
# A date alone is accepted too; the format tells generated clients to send a date-time.
Iso8601 = Checked(_iso8601, Keywords(format="date-time"))
NoNull = BeforeValidator(_reject_null)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip Annotated and Optional, keeping Annotated metadata."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation = args[0]
            metadata.extend(args[1:])
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _resolve_rules(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> Rules | None:
    current: Any = model
    metadata: list[Any] = []
    for part in loc:
        current, _ = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) is list:
                current, metadata = _unwrap(get_args(current)[0])
                continue
            return None
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None
        metadata = list(field.metadata)
        current, extra = _unwrap(field.annotation)
        metadata.extend(extra)
    for item in metadata:
        if isinstance(item, Rules):
            return item
    return None


def _property_name(loc: tuple[Any, ...]) -> tuple[str, bool]:
    """The leaf property name and whether the error is about an element of a list."""
    for index in range(len(loc) - 1, -1, -1):
        if isinstance(loc[index], str):
            return loc[index], index != len(loc) - 1
    return "body", False


def path_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _is_list_input(value: Any) -> bool:
    return isinstance(value, list)


def _constraints_for(
    error: dict[str, Any], prop: str, model: type[BaseModel] | None, loc: tuple[Any, ...]
) -> dict[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")

    def text(rule: str, **extra: Any) -> str:
        return TEMPLATES[rule].format(p=prop, **extra)

    if kind in ("missing", "isNull") or (value is None and kind.endswith("_type")):
        rules = _resolve_rules(model, loc)
        if rules is None:
            return {"isDefined": text("isDefined")}
        extra = dict(rules.ctx)
        return {name: text(name, **extra) for name in rules.names}
    if kind in TEMPLATES:
        return {kind: text(kind, **ctx)}
    if kind in ("string_type", "string_unicode"):
        return {"isString": text("isString")}
    if kind in ("list_type", "tuple_type", "set_type"):
        return {"isArray": text("isArray")}
    if kind == "too_short":
        if _is_list_input(value):
            return {"arrayMinSize": text("arrayMinSize", n=ctx.get("min_length", 1))}
        return {"isNotEmpty": text("isNotEmpty")}
    if kind == "too_long":
        if _is_list_input(value):
            return {"arrayMaxSize": text("arrayMaxSize", n=ctx.get("max_length"))}
        return {"maxLength": text("maxLength", n=ctx.get("max_length"))}
    if kind == "string_too_long":
        return {"maxLength": text("maxLength", n=ctx.get("max_length"))}
    if kind == "string_too_short" or (
        kind == "string_pattern_mismatch" and ctx.get("pattern") == NOT_BLANK_PATTERN
    ):
        return {"isNotEmpty": text("isNotEmpty")}
    if kind == "extra_forbidden":
        return {"whitelistValidation": text("whitelistValidation")}
    if kind in ("bool_type", "bool_parsing"):
        return {"isBoolean": text("isBoolean")}
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return {"isInt": text("isInt")}
    if kind in ("float_type", "float_parsing", "finite_number", "decimal_type"):
        return {"isNumber": text("isNumber")}
    if kind in ("greater_than_equal", "greater_than"):
        return {"min": text("min", n=ctx.get("ge", ctx.get("gt")))}
    if kind in ("less_than_equal", "less_than"):
        return {"max": text("max", n=ctx.get("le", ctx.get("lt")))}
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return {"isObject": text("isObject")}
    return {kind: f"{prop}: {error.get('msg', 'is invalid')}"}


def translate(errors: list[dict[str, Any]], model: type[BaseModel] | None) -> list[dict[str, Any]]:
    """Group pydantic errors by location into {property, constraints, path} entries."""
    merged: dict[str, dict[str, Any]] = {}
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        # pydantic reports union members and validator functions as extra loc parts
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
        prop, element = _property_name(loc)
        if error["type"] == "extra_forbidden":
            element = False
        shown = f"each value in {prop}" if element else prop
        if not loc:
            shown = "request body"
        constraints = _constraints_for(error, shown, model, loc)
        path = path_text(loc)
        entry = merged.setdefault(path, {"property": prop, "constraints": {}, "path": path})
        for rule, message in constraints.items():
            entry["constraints"].setdefault(rule, message)
    return list(merged.values())


def summary(entries: list[dict[str, Any]], *, limit: int = 3) -> str:
    """One readable line for customMessage, naming where each problem is."""
    parts = []
    for entry in entries[:limit]:
        first = next(iter(entry["constraints"].values()), "is invalid")
        parts.append(f"{entry['path']}: {first}" if "[" in entry["path"] else first)
    more = len(entries) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
