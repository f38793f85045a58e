"""HTTP for score explanations and an account's history: scores per day, stages, signals."""

from typing import Literal

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope
from intentsync.scoring import history
from intentsync.scoring.explain import explain
from intentsync.scoring.schemas import (
    ScoreExplanation,
    ScoreHistoryOut,
    SignalTimeline,
    StageHistoryOut,
)

router = api_router("scores")
ext_router = api_router("scores")

SUMMARY = (
    "Why the account has its score: each source's sub-score, raw points, per-type buckets, "
    "top contributing signals, config version, as-of date and the current stage with its reason"
)
HISTORY = (
    "The overall and four sub-scores per day for the last `days` days, carried forward; "
    "days before the account's first scoring run are left out"
)
STAGES = "Every journey-stage move of the account, newest first, with the rule that fired"
SIGNALS = "The account's signals newest first, keyset-paged, optionally of one source"

Days = Query(90, ge=1, le=400, description="How many days, ending today (UTC)")
Limit = Query(100, ge=1, le=1000)
Cursor = Query(None, description="nextCursor of the previous page")
Source = Literal["website", "g2", "bombora", "linkedin"]
SourceQuery = Query(None, description="Only this source's signals")


@router.get(
    "/accounts/{external_id:path}/score/history",
    response_model=Envelope[ScoreHistoryOut],
    summary=HISTORY,
)
def history_by_external_id(
    request: Request,
    principal: Principal,
    external_id: str,
    days: int = Days,
    session: Session = Depends(get_session),
) -> Response:
    data = history.score_history(
        session, team_id=principal.team_id, external_id=external_id, days=days
    )
    return envelope(request, data)


@router.get(
    "/accounts/{external_id:path}/score",
    response_model=Envelope[ScoreExplanation],
    summary=SUMMARY,
)
def explain_by_external_id(
    request: Request,
    principal: Principal,
    external_id: str,
    session: Session = Depends(get_session),
) -> Response:
    data = explain(session, team_id=principal.team_id, external_id=external_id)
    return envelope(request, data)


@router.get(
    "/accounts/{external_id:path}/stages",
    response_model=Envelope[StageHistoryOut],
    summary=STAGES,
)
def stages_by_external_id(
    request: Request,
    principal: Principal,
    external_id: str,
    session: Session = Depends(get_session),
) -> Response:
    data = history.stage_history(session, team_id=principal.team_id, external_id=external_id)
    return envelope(request, data)


@router.get(
    "/accounts/{external_id:path}/signals",
    response_model=Envelope[SignalTimeline],
    summary=SIGNALS,
)
def signals_by_external_id(
    request: Request,
    principal: Principal,
    external_id: str,
    limit: int = Limit,
    cursor: str | None = Cursor,
    source: Source | None = SourceQuery,
    session: Session = Depends(get_session),
) -> Response:
    data = history.signal_timeline(
        session,
        team_id=principal.team_id,
        external_id=external_id,
        limit=limit,
        cursor=cursor,
        source=source,
    )
    return envelope(request, data)


@ext_router.get(
    "/accounts/{rtp_aid}/score/history",
    response_model=Envelope[ScoreHistoryOut],
    summary=HISTORY,
)
def history_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    days: int = Days,
    session: Session = Depends(get_session),
) -> Response:
    data = history.score_history(session, team_id=principal.team_id, rtp_aid=rtp_aid, days=days)
    return envelope(request, data)


@ext_router.get(
    "/accounts/{rtp_aid}/score",
    response_model=Envelope[ScoreExplanation],
    summary=SUMMARY,
)
def explain_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    session: Session = Depends(get_session),
) -> Response:
    return envelope(request, explain(session, team_id=principal.team_id, rtp_aid=rtp_aid))


@ext_router.get(
    "/accounts/{rtp_aid}/stages",
    response_model=Envelope[StageHistoryOut],
    summary=STAGES,
)
def stages_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    session: Session = Depends(get_session),
) -> Response:
    data = history.stage_history(session, team_id=principal.team_id, rtp_aid=rtp_aid)
    return envelope(request, data)


@ext_router.get(
    "/accounts/{rtp_aid}/signals",
    response_model=Envelope[SignalTimeline],
    summary=SIGNALS,
)
def signals_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    limit: int = Limit,
    cursor: str | None = Cursor,
    source: Source | None = SourceQuery,
    session: Session = Depends(get_session),
) -> Response:
    data = history.signal_timeline(
        session,
        team_id=principal.team_id,
        rtp_aid=rtp_aid,
        limit=limit,
        cursor=cursor,
        source=source,
    )
    return envelope(request, data)
