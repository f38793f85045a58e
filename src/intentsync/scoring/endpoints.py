"""HTTP for score explanations."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.accounts.schemas import AccountOut
from intentsync.accounts.service import get_account
from intentsync.auth.service import Principal
from intentsync.kit.errors import NotFound
from intentsync.kit.responses import envelope
from intentsync.kit.routing import api_router, get_principal, get_session
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
    # An externalId may itself end in "/score": then the account itself is the answer.
    response_model=Envelope[ScoreExplanation | AccountOut],
    summary=SUMMARY,
)
def explain_by_external_id(
    request: Request,
    external_id: str,
    session: Session = Depends(get_session),
    principal: Principal = Depends(get_principal),
) -> Response:
    try:
        data = explain(session, team_id=principal.team_id, external_id=external_id)
    except NotFound:
        # An externalId may itself end in "/score": then this is a plain account read.
        try:
            data = get_account(
                session, team_id=principal.team_id, external_id=f"{external_id}/score"
            )
        except NotFound:
            pass
        else:
            return envelope(request, data)
        raise
    return envelope(request, data)


@ext_router.get(
    "/accounts/{rtp_aid}/score",
    response_model=Envelope[ScoreExplanation],
    summary=SUMMARY,
)
def explain_by_rtp_aid(
    request: Request,
    rtp_aid: str,
    session: Session = Depends(get_session),
    principal: Principal = Depends(get_principal),
) -> Response:
    return envelope(request, explain(session, team_id=principal.team_id, rtp_aid=rtp_aid))
