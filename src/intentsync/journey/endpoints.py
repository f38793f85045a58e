"""HTTP for the journey stage catalogue."""

from fastapi import Request
from starlette.responses import Response

from intentsync.api.routing import api_router
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope

router = api_router("journey stages")


@router.get(
    "/journey-stages",
    response_model=Envelope[list[str]],
    summary="Journey stage names, earliest first",
)
def list_journey_stages(request: Request) -> Response:
    return envelope(request, list(JOURNEY_STAGES))
