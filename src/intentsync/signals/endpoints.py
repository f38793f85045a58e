"""HTTP for intent signals."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope
from intentsync.signals.schemas import (
    SignalIn,
    SignalsCreate,
    SignalsCreateResult,
    signals_result,
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
    principal: Principal,
    body: SignalsCreate,
    session: Session = Depends(get_session),
) -> Response:
    outcomes = ingest_signals(
        session, team_id=principal.team_id, signals=[_new_signal(s) for s in body.signals]
    )
    result = signals_result(
        [
            (item.source, item.type, outcome.domain, outcome.status, outcome.rtp_aid, outcome.error)
            for item, outcome in zip(body.signals, outcomes, strict=True)
        ]
    )
    return envelope(request, result)
