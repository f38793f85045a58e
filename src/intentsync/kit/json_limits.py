"""Bounds on client JSON: how deep it nests, what it may contain, how much of it an error echoes.

Every walk here is iterative: a document nested a thousand levels deep must get a 400, and a
recursive walk would hit Python's recursion limit on it first.
"""

from itertools import chain
from typing import Any

import orjson

# Deep enough for any real payload (a pushed account's custom field value sits at level 5),
# far below orjson's 254-level limit when a value is bound to a SQLite JSON column.
MAX_DEPTH = 32
# How much of a client's text an error message quotes back.
MAX_ECHO = 200
MAX_MESSAGE = 1000

Path = tuple[str | int, ...]
_CONTAINERS = (dict, list)
_Step = tuple[Any, str | int]  # (parent step or None, key or index)


class TooDeep(ValueError):
    """JSON nested past MAX_DEPTH: refused before it is validated, stored or described."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON must not nest arrays and objects more than {limit} levels deep")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels (a scalar is level 0)."""
    # Level by level: one comprehension per level, not one Python step per value.
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        children = chain.from_iterable([c.values() if type(c) is dict else c for c in level])
        level = [child for child in children if type(child) in _CONTAINERS]
    return False


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """Parse JSON, refusing documents nested past the limit (ValueError either way)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit"):  # the parser's own limit, far past ours
            raise TooDeep(limit) from None
        raise
    data = raw if isinstance(raw, bytes) else raw.encode()
    # A document with fewer brackets than the limit cannot nest past it: skip the walk.
    if data.count(b"[") + data.count(b"{") > limit and depth_exceeds(value, limit):
        raise TooDeep(limit)
    return value


def find_nul(value: Any) -> Path | None:
    """Where a NUL character hides in a JSON document: PostgreSQL text cannot store one."""
    # Each entry links to its parent's step, so a deep document costs no path copies.
    stack: list[tuple[Any, _Step | None]] = [(value, None)]
    while stack:
        item, step = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return _path(step)
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack.append((child, (step, key)))
                stack.append((key, (step, key)))  # popped first: a key before its value
        elif isinstance(item, list):
            stack.extend((child, (step, i)) for i, child in reversed(list(enumerate(item))))
    return None


def _path(step: _Step | None) -> Path:
    parts: list[str | int] = []
    while step is not None:
        step, part = step
        parts.append(part)
    return tuple(reversed(parts))


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """At most `limit` characters of a text, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"
