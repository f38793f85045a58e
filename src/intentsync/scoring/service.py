"""Scoring configuration per team: every change is a new version; the newest applies."""

from typing import Any

from sqlalchemy.orm import Session

from intentsync.kit.clock import now_ms
from intentsync.scoring import repository
from intentsync.scoring.config import (
    ScoringConfig,
    default_config,
    merged_with_defaults,
    parse_config,
    set_value,
)
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
