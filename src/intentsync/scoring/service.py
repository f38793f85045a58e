"""Scoring configuration per team: every change is a new version; the newest applies."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.kit.clock import now_ms
from intentsync.kit.errors import NotFound
from intentsync.scoring import repository
from intentsync.scoring.config import (
    ScoringConfig,
    default_config,
    merged_with_defaults,
    parse_config,
    set_value,
)
from intentsync.signals import service as signals
from intentsync.teams.service import require_team

DEFAULT_VERSION = 1  # the built-in defaults, until a team changes something


def current_document(session: Session, *, team_id: int) -> tuple[int, dict[str, Any]]:
    """(version, full config document) in force for the team."""
    require_team(session, team_id=team_id)
    stored = repository.latest_config(session, team_id=team_id)
    if stored is None:
        return DEFAULT_VERSION, default_config()
    return stored.version, merged_with_defaults(stored.config)


def current_config(session: Session, *, team_id: int) -> ScoringConfig:
    version, doc = current_document(session, team_id=team_id)
    return parse_config(doc, version=version)


def _store(session: Session, *, team_id: int, version: int, doc: dict[str, Any]) -> int:
    parse_config(doc, version=version + 1)
    repository.add_config(session, team_id=team_id, version=version + 1, doc=doc, at_ms=now_ms())
    return version + 1


def change_setting(session: Session, *, team_id: int, path: str, raw: str) -> int:
    """Set one dotted setting; returns the new version, which the next run re-scores with."""
    version, doc = current_document(session, team_id=team_id)
    return _store(session, team_id=team_id, version=version, doc=set_value(doc, path, raw))


def reset_settings(session: Session, *, team_id: int) -> int:
    version, _ = current_document(session, team_id=team_id)
    return _store(session, team_id=team_id, version=version, doc=default_config())


def change_settings(session: Session, *, team_id: int, changes: Mapping[str, str]) -> int | None:
    """Set several dotted settings as one new version; None when nothing actually changed."""
    version, doc = current_document(session, team_id=team_id)
    new = doc
    for path, raw in changes.items():
        new = set_value(new, path, raw)
    if new == doc:
        return None
    return _store(session, team_id=team_id, version=version, doc=new)


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    version: int
    created_ms: int | None  # None for the built-in defaults, which were never stored
    current: bool


MAX_LISTED_VERSIONS = 100


def config_history(session: Session, *, team_id: int) -> list[ConfigVersion]:
    """The newest versions first, ending with the built-in defaults when they are in reach."""
    require_team(session, team_id=team_id)
    stored = repository.config_versions(session, team_id=team_id, limit=MAX_LISTED_VERSIONS)
    found = [ConfigVersion(v, at, i == 0) for i, (v, at) in enumerate(stored)]
    if len(stored) < MAX_LISTED_VERSIONS and all(v != DEFAULT_VERSION for v, _ in stored):
        found.append(ConfigVersion(DEFAULT_VERSION, None, not stored))
    return found


def config_document(session: Session, *, team_id: int, version: int) -> dict[str, Any]:
    """The full document of one version; version 1 is the defaults unless it was stored."""
    stored = repository.config_at(session, team_id=team_id, version=version)
    if stored is not None:
        return merged_with_defaults(stored.config)
    if version == DEFAULT_VERSION:
        return default_config()
    raise NotFound(f"This team has no scoring config version {version}")


@dataclass(frozen=True, slots=True)
class ConfigChange:
    path: str
    old: Any
    new: Any


def _flat(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flat(value, path + "."))
        else:
            out[path] = value
    return out


def config_diff(session: Session, *, team_id: int, old: int, new: int) -> list[ConfigChange]:
    """The settings that differ between two versions, by dotted path (None = not set)."""
    require_team(session, team_id=team_id)
    before = _flat(config_document(session, team_id=team_id, version=old))
    after = _flat(config_document(session, team_id=team_id, version=new))
    return [
        ConfigChange(path, before.get(path), after.get(path))
        for path in sorted(before.keys() | after.keys())
        if before.get(path) != after.get(path)
    ]


def teams_with_new_inputs(session: Session) -> list[int]:
    """Teams an incremental round would find work for: the dispatcher's freshness check."""
    flagged = repository.teams_with_new_inputs(session)
    return sorted({*flagged, *signals.teams_with_unfolded_signals(session)})


def teams_not_run_since(session: Session, *, since_ms: int) -> list[int]:
    return repository.teams_not_run_since(session, since_ms=since_ms)


def spread_runs_to_finish(session: Session) -> list[int]:
    return repository.spread_runs_to_finish(session)


def open_spread_chunks(
    session: Session, *, started_before_ms: int, now_ms: int
) -> dict[int, list[int]]:
    """Chunks still to score of live spread runs older than started_before_ms, by run."""
    return repository.open_spread_chunks(
        session, started_before_ms=started_before_ms, now_ms=now_ms
    )


def scoring_lag_seconds(session: Session, *, at_ms: int | None = None) -> float:
    """How long the oldest input no complete run has read has waited; 0 when all are scored."""
    waiting = (
        repository.oldest_unscored_input_ms(session),
        signals.oldest_unfolded_ms(session),  # a signal flags its account only once folded
    )
    oldest = min((ms for ms in waiting if ms is not None), default=None)
    if oldest is None:
        return 0.0
    return max((now_ms() if at_ms is None else at_ms) - oldest, 0) / 1000
