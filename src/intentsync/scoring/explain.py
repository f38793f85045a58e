"""Why an account has its score and stage, from what the last run stored."""

from typing import Any

from sqlalchemy.orm import Session

from intentsync.accounts.domain_keyed import require_rtp_aid
from intentsync.journey.stages import days_in_stage
from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.errors import NotFound
from intentsync.scoring import repository
from intentsync.scoring.chunks import breakdown
from intentsync.scoring.compute import score_account
from intentsync.scoring.config import SOURCES
from intentsync.scoring.service import current_config
from intentsync.scoring.stages import iso_day
from intentsync.signals.types import day_of

WIRE_FIELDS = {
    "website": "rtp_website_intent_score",
    "g2": "rtp_g2_intent_score",
    "bombora": "rtp_bombora_intent_score",
    "linkedin": "rtp_advertising_activity_score",
    "sales": None,
}
FORMULA = "(2·Σ weight·score + Σ weight) // (2·Σ weight) over enabled sources"


def require_account(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> repository.AnyRow:
    """The team's account by either key, or the one-line 400/404 a caller can act on."""
    if rtp_aid is not None:
        require_rtp_aid(rtp_aid)
    account = repository.account_for_explanation(
        session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid
    )
    if account is None:
        key = f"externalId '{external_id}'" if rtp_aid is None else f"rtp_aid '{rtp_aid}'"
        raise NotFound(f"Account with {key} not found")
    return account


def explain(
    session: Session, *, team_id: int, external_id: str | None = None, rtp_aid: str | None = None
) -> dict[str, Any]:
    account = require_account(session, team_id=team_id, external_id=external_id, rtp_aid=rtp_aid)
    stored = repository.explanation(session, account_id=account.id)
    entered_ms = account.stage_entered_ms or account.created_ms
    if stored is None:
        config = current_config(session, team_id=team_id)
        # What a run would store with no signals: every enabled source at 0, with its weight.
        empty = breakdown(score_account((), as_of=0, config=config), config, [])
        sources, top, overall = empty["sources"], [], account.account_score
        as_of, version, scored_at = None, None, None
        reason, pending = "not scored yet", None
    else:
        sources = stored.breakdown["sources"]
        top, overall = stored.breakdown["top"], stored.breakdown["overall"]
        as_of, version = iso_day(stored.as_of_day), stored.config_version
        scored_at = format_ms(stored.scored_ms)
        reason = stored.stage_reason
        pending = (
            {"stage": stored.pending_stage, "since": iso_day(stored.pending_since_day)}
            if stored.pending_stage and stored.pending_since_day is not None
            else None
        )
    return {
        "rtp_aid": account.rtp_aid,
        "externalId": account.external_id,
        "domain": account.domain,
        "name": account.name,
        "rtp_account_score": overall,
        "asOf": as_of,
        "configVersion": version,
        "scoredAt": scored_at,
        "formula": FORMULA,
        "sources": [
            {
                "source": source,
                "field": WIRE_FIELDS[source],
                "enabled": sources[source]["enabled"],
                "weight": sources[source]["weight"],
                "score": sources[source]["score"],
                "rawPoints": sources[source]["raw"],
                "buckets": sources[source]["buckets"],
            }
            for source in SOURCES
        ],
        "topSignals": top,
        "stage": {
            "name": account.journey_stage,
            "reason": reason,
            "enteredAt": format_ms(entered_ms),
            "daysInStage": days_in_stage(
                stage_entered_ms=account.stage_entered_ms,
                created_ms=account.created_ms,
                today=day_of(now_ms()),
            ),
            "pendingDowngrade": pending,
        },
        "scoreChange7d": account.score_change_7d,
        "scoreChange30d": account.score_change_30d,
    }
