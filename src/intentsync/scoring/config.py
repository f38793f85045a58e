"""Per-team scoring settings: a versioned JSON document, checked before any score uses it."""

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from intentsync.kit.errors import BadRequest
from intentsync.signals.types import SIGNAL_TYPES

SOURCES = tuple(SIGNAL_TYPES)

# Sources scored by points x quantity x decay with a cap per type (Bombora has its own rule).
POINT_SOURCES = ("website", "g2", "linkedin", "sales")

_MAX_DAYS = 3650
_MAX_WEIGHT = 1000
_TYPE_MAPS = ("points", "caps", "half_life_by_type")
# A user-owned map: taken whole from a stored doc, never filled in from the defaults.
_LEAF_MAPS = frozenset({"half_life_by_type"})


def default_config() -> dict[str, Any]:
    """Give every team the documented model until it chooses otherwise (a fresh copy each call)."""
    return {
        "weights": {"website": 30, "g2": 20, "bombora": 20, "linkedin": 15, "sales": 15},
        "enabled": dict.fromkeys(SOURCES, True),
        "sources": {
            "website": {
                "window_days": 90,
                "half_life_days": 14,
                "k": 30,
                "points": {
                    "demo": 10,
                    "pricing": 8,
                    "comparison": 4,
                    "product": 3,
                    "content": 1,
                    "ignored": 0,
                },
                "caps": {
                    "demo": 40,
                    "pricing": 40,
                    "comparison": 20,
                    "product": 20,
                    "content": 10,
                    "ignored": 0,
                },
                "visitor_points": 3,
                "visitor_window_days": 30,
                "visitor_cap": 12,
            },
            "g2": {
                "window_days": 90,
                "half_life_days": 14,
                "k": 25,
                "points": {
                    "pricing": 10,
                    "profile": 6,
                    "compare": 6,
                    "competitor": 4,
                    "category": 2,
                },
                "caps": {
                    "pricing": 40,
                    "profile": 40,
                    "compare": 40,
                    "competitor": 40,
                    "category": 40,
                },
            },
            "bombora": {
                "window_days": 56,
                "half_life_days": 21,
                "k": 15,
                "min_score": 60,
                "baseline": 50,
                "divisor": 5,
                "top_topics": 5,
            },
            "linkedin": {
                "window_days": 90,
                "half_life_days": 30,
                "half_life_by_type": {"impression": 7},
                "k": 15,
                "points": {
                    "impression": 0.02,
                    "click": 2,
                    "engagement": 1,
                    "lead_form": 15,
                    "conversion": 10,
                },
                "caps": {
                    "impression": 5,
                    "click": 20,
                    "engagement": 10,
                    "lead_form": 30,
                    "conversion": 30,
                },
            },
            "sales": {
                "window_days": 90,
                "half_life_days": 21,
                "k": 20,
                "points": {
                    "outbound_email": 1,
                    "outbound_call": 1,
                    "connected_call": 4,
                    "inbound": 8,
                },
                "caps": {
                    "outbound_email": 5,
                    "outbound_call": 5,
                    "connected_call": 16,
                    "inbound": 24,
                },
                "long_call_minutes": 10,
                "long_call_bonus": 1,
            },
        },
        "stages": {
            "consideration_overall": 40,
            "consideration_sub_score": 50,
            "consideration_days": 14,
            "aware_overall": 10,
            "aware_days": 30,
            "downgrade_days": 7,
        },
    }


@dataclass(frozen=True, slots=True)
class SourceParams:
    """Decay, window and points of a source scored by activity counts."""

    window_days: int
    half_life_days: float
    k: float
    points: Mapping[str, float]
    caps: Mapping[str, float]
    half_life_by_type: Mapping[str, float]

    def half_life(self, signal_type: str) -> float:
        """Some types fade faster (LinkedIn impressions), so the half-life can differ per type."""
        return self.half_life_by_type.get(signal_type, self.half_life_days)


@dataclass(frozen=True, slots=True)
class VisitorParams:
    """Distinct website visitors show breadth of interest, so they earn points without decay."""

    points: float
    window_days: int
    cap: float


@dataclass(frozen=True, slots=True)
class LongCallParams:
    """A long connected call is a stronger sales signal than a short one."""

    minutes: int
    bonus: float


@dataclass(frozen=True, slots=True)
class BomboraParams:
    """Bombora weeks are already smoothed, so they are ranked and decayed, never summed."""

    window_days: int
    half_life_days: float
    k: float
    min_score: float
    baseline: float
    divisor: float
    top_topics: int


@dataclass(frozen=True, slots=True)
class StageParams:
    """Thresholds that move accounts along the journey, tunable per team."""

    consideration_overall: int
    consideration_sub_score: int
    consideration_days: int
    aware_overall: int
    aware_days: int
    downgrade_days: int


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """One checked version of a team's settings, so a score can name the rules that made it."""

    version: int
    weights: Mapping[str, int]
    enabled: Mapping[str, bool]
    point_sources: Mapping[str, SourceParams]
    bombora: BomboraParams
    visitors: VisitorParams
    long_call: LongCallParams
    stages: StageParams


def merged_with_defaults(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Let documents stored before a setting existed keep working, with that setting's default."""
    return _merge(default_config(), doc)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive merge; unknown keys are kept so validation can name them."""
    out = base
    for key, value in over.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict) and key not in _LEAF_MAPS:
            out[key] = _merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def allowed_keys(parts: tuple[str, ...]) -> tuple[str, ...] | None:
    """Name the settings under a group so typos are refused with the valid choices; None = leaf."""
    defaults = default_config()
    if not parts:
        return tuple(defaults)
    head = parts[0]
    if len(parts) == 1 and head in ("weights", "enabled", "sources"):
        return SOURCES
    if len(parts) == 1 and head == "stages":
        return tuple(defaults["stages"])
    if head == "sources" and len(parts) == 2 and parts[1] in SOURCES:
        keys = tuple(defaults["sources"][parts[1]])
        if parts[1] in POINT_SOURCES and "half_life_by_type" not in keys:
            keys += ("half_life_by_type",)
        return keys
    if (
        head == "sources"
        and len(parts) == 3
        and parts[1] in POINT_SOURCES
        and parts[2] in _TYPE_MAPS
    ):
        return SIGNAL_TYPES[parts[1]]
    return None


def _unknown(path: str, parts: tuple[str, ...]) -> BadRequest:
    """One wording for every refused key, listing what would have been accepted."""
    valid = ", ".join(allowed_keys(parts) or ())
    return BadRequest(f"unknown setting '{path}'; valid keys here: {valid}")


def _group(value: Any, parts: tuple[str, ...]) -> dict[str, Any]:
    """Refuse a group that is not an object, or that holds a key nobody reads."""
    path = ".".join(parts)
    if not isinstance(value, dict):
        raise BadRequest(f"{path} must be an object")
    valid = allowed_keys(parts) or ()
    for key in value:
        if key not in valid:
            raise _unknown(".".join((*parts, key)), parts)
    return value


def _whole(value: Any, path: str, low: int, high: int) -> int:
    """Counts and day spans must be integers in a sane range."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
        or not low <= value <= high
    ):
        raise BadRequest(f"{path} must be a whole number from {low} to {high}")
    return int(value)


def _number(value: Any, path: str, *, above_zero: bool = False, high: float | None = None) -> float:
    """Points, caps and half-lives are plain finite numbers."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value > 0 if above_zero else value >= 0)
        and (high is None or value <= high)
    )
    if not ok:
        low = "above 0" if above_zero else "of 0 or more"
        limit = f" and at most {high:g}" if high is not None else ""
        raise BadRequest(f"{path} must be a number {low}{limit}")
    return float(value)


def _type_map(node: dict[str, Any], source: str, key: str, *, above_zero: bool) -> dict[str, float]:
    """Points and caps must cover every type so no signal is silently worth nothing."""
    parts = ("sources", source, key)
    values = _group(node.get(key, {}), parts)
    if key != "half_life_by_type":
        for signal_type in SIGNAL_TYPES[source]:
            if signal_type not in values:
                raise BadRequest(f"sources.{source}.{key}.{signal_type} is missing")
    path = ".".join(parts)
    return {t: _number(v, f"{path}.{t}", above_zero=above_zero) for t, v in values.items()}


def _point_source(node: dict[str, Any], source: str) -> SourceParams:
    """Check one points-and-caps source."""
    path = f"sources.{source}"
    return SourceParams(
        window_days=_whole(node.get("window_days"), f"{path}.window_days", 1, _MAX_DAYS),
        half_life_days=_number(
            node.get("half_life_days"), f"{path}.half_life_days", above_zero=True
        ),
        k=_number(node.get("k"), f"{path}.k", above_zero=True),
        points=MappingProxyType(_type_map(node, source, "points", above_zero=False)),
        caps=MappingProxyType(_type_map(node, source, "caps", above_zero=False)),
        half_life_by_type=MappingProxyType(
            _type_map(node, source, "half_life_by_type", above_zero=True)
        ),
    )


def _bombora(node: dict[str, Any]) -> BomboraParams:
    """Check the Bombora surge rule."""
    path = "sources.bombora"
    return BomboraParams(
        window_days=_whole(node.get("window_days"), f"{path}.window_days", 1, _MAX_DAYS),
        half_life_days=_number(
            node.get("half_life_days"), f"{path}.half_life_days", above_zero=True
        ),
        k=_number(node.get("k"), f"{path}.k", above_zero=True),
        min_score=_number(node.get("min_score"), f"{path}.min_score", high=100),
        baseline=_number(node.get("baseline"), f"{path}.baseline", high=100),
        divisor=_number(node.get("divisor"), f"{path}.divisor", above_zero=True),
        top_topics=_whole(node.get("top_topics"), f"{path}.top_topics", 1, 100),
    )


def _stages(node: dict[str, Any]) -> StageParams:
    """Check the journey thresholds."""

    def score(key: str) -> int:
        return _whole(node.get(key), f"stages.{key}", 0, 100)

    def days(key: str, low: int) -> int:
        return _whole(node.get(key), f"stages.{key}", low, _MAX_DAYS)

    return StageParams(
        consideration_overall=score("consideration_overall"),
        consideration_sub_score=score("consideration_sub_score"),
        consideration_days=days("consideration_days", 1),
        aware_overall=score("aware_overall"),
        aware_days=days("aware_days", 1),
        downgrade_days=days("downgrade_days", 0),
    )


def parse_config(doc: dict[str, Any], *, version: int) -> ScoringConfig:
    """Refuse a bad document with a message a person can act on, before any score uses it."""
    if not isinstance(doc, dict):
        raise BadRequest("the scoring config must be a JSON object")
    full = _group(merged_with_defaults(doc), ())
    weights_node = _group(full["weights"], ("weights",))
    enabled_node = _group(full["enabled"], ("enabled",))
    sources_node = _group(full["sources"], ("sources",))
    weights = {s: _whole(weights_node.get(s), f"weights.{s}", 0, _MAX_WEIGHT) for s in SOURCES}
    enabled: dict[str, bool] = {}
    for source in SOURCES:
        flag = enabled_node.get(source)
        if not isinstance(flag, bool):
            raise BadRequest(f"enabled.{source} must be true or false")
        enabled[source] = flag
    nodes = {s: _group(sources_node.get(s), ("sources", s)) for s in SOURCES}
    point_sources = {s: _point_source(nodes[s], s) for s in POINT_SOURCES}
    website, sales = nodes["website"], nodes["sales"]
    visitors = VisitorParams(
        points=_number(website.get("visitor_points"), "sources.website.visitor_points"),
        window_days=_whole(
            website.get("visitor_window_days"), "sources.website.visitor_window_days", 1, _MAX_DAYS
        ),
        cap=_number(website.get("visitor_cap"), "sources.website.visitor_cap"),
    )
    long_call = LongCallParams(
        minutes=_whole(sales.get("long_call_minutes"), "sources.sales.long_call_minutes", 0, 1440),
        bonus=_number(sales.get("long_call_bonus"), "sources.sales.long_call_bonus"),
    )
    stages = _stages(_group(full["stages"], ("stages",)))
    if not any(enabled[s] and weights[s] > 0 for s in SOURCES):
        raise BadRequest("at least one source must be enabled with a weight above 0")
    return ScoringConfig(
        version=version,
        weights=MappingProxyType(weights),
        enabled=MappingProxyType(enabled),
        point_sources=MappingProxyType(point_sources),
        bombora=_bombora(nodes["bombora"]),
        visitors=visitors,
        long_call=long_call,
        stages=stages,
    )


def _parse_raw(raw: str) -> Any:
    """Admins type values on a command line: 40, 12.5, false and JSON objects keep their type."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def set_value(doc: dict[str, Any], path: str, raw: str) -> dict[str, Any]:
    """Change one setting into a new complete document, refusing anything parse_config would."""
    parts = tuple(path.split("."))
    if not path or not all(parts):
        raise BadRequest(f"a setting path looks like 'weights.website', not '{path}'")
    for depth, key in enumerate(parts):
        here = parts[:depth]
        valid = allowed_keys(here)
        if valid is None:
            raise BadRequest(f"'{'.'.join(here)}' is a single setting and has no '{key}'")
        if key not in valid:
            raise _unknown(".".join(parts[: depth + 1]), here)
    new = merged_with_defaults(doc)
    node: dict[str, Any] = new
    for key in parts[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):  # an optional map not set yet, or a damaged group
            child = node[key] = {}
        node = child
    node[parts[-1]] = _parse_raw(raw)
    parse_config(new, version=0)
    return merged_with_defaults(new)
