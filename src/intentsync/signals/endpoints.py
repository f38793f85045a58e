"""HTTP for intent signals."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.auth.service import Principal
from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.responses import envelope
from intentsync.kit.routing import api_router, get_principal, get_session
from intentsync.kit.schemas import Envelope, count_statuses
from intentsync.signals.schemas import (
    SignalIn,
    SignalResult,
    SignalsCreate,
    SignalsCreateResult,
    SignalsSummary,
)
from intentsync.signals.service import NewSignal, ingest_signals

router = api_router("signals")


def _new_signal(item: SignalIn) -> NewSignal:
    occurred = parse_iso8601(item.occurred_at)
    assert occurred is not None  # the schema has validated it
    return NewSignal(
        source=item.source,
        domain=item.domain,
        occurred_ms=to_ms(occurred),
        type=item.type,
        quantity=item.quantity if item.quantity is not None else 1.0,
        key=item.key,
        attributes=dict(item.attributes or {}),
    )


@router.post(
    "/signals",
    response_model=Envelope[SignalsCreateResult],
    summary="Send 1-1,000 intent signals; each reports created, skipped (a repeat) or failed",
)
def create_signals(
    request: Request,
    body: SignalsCreate,
    session: Session = Depends(get_session),
    principal: Principal = Depends(get_principal),
) -> Response:
    outcomes = ingest_signals(
        session, team_id=principal.team_id, signals=[_new_signal(s) for s in body.signals]
    )
    results = [
        SignalResult(
            index=index,
            source=item.source,
            type=item.type,
            domain=outcome.domain,
            status=outcome.status,
            rtp_aid=outcome.rtp_aid,
            error=outcome.error,
        )
        for index, (item, outcome) in enumerate(zip(body.signals, outcomes, strict=True))
    ]
    counts = count_statuses(results, ("created", "skipped", "failed"))
    result = SignalsCreateResult(
        results=results, summary=SignalsSummary(total=len(results), **counts)
    )
    return envelope(request, result.model_dump())
