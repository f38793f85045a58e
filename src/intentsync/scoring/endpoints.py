"""HTTP for score explanations."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope
from intentsync.scoring.explain import explain
from intentsync.scoring.schemas import ScoreExplanation

router = api_router("scores")
ext_router = api_router("scores")

SUMMARY = (
    "Why the account has its score: each source's sub-score, raw points, per-type buckets, "
    "top contributing signals, config version, as-of date and the current stage with its reason"
)


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
