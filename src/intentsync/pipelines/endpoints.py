"""HTTP for pipelines and stage categories."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope
from intentsync.pipelines import service
from intentsync.pipelines.schemas import (
    PipelineOut,
    PipelinesCreate,
    PipelinesCreateResult,
    StageCategoryUpdate,
    StageOut,
)

router = api_router("deal stages")


@router.post(
    "/deal-stages",
    response_model=Envelope[PipelinesCreateResult],
    summary="Register 1-20 pipelines with their stages; all or nothing",
    responses={409: {"description": "A pipelineId already exists; nothing was created"}},
)
def create_pipelines(
    request: Request,
    principal: Principal,
    body: PipelinesCreate,
    session: Session = Depends(get_session),
) -> Response:
    result = service.create_pipelines(session, team_id=principal.team_id, body=body)
    return envelope(request, result.model_dump())


@router.get(
    "/deal-stages",
    response_model=Envelope[list[PipelineOut]],
    summary="Pipelines with their stages and each stage's open/won/lost category",
)
def list_pipelines(
    request: Request,
    principal: Principal,
    session: Session = Depends(get_session),
) -> Response:
    pipelines = service.list_pipelines(session, team_id=principal.team_id)
    return envelope(request, [p.model_dump() for p in pipelines])


@router.patch(
    "/deal-stages/{pipeline_id}/stages/{stage_id}",
    response_model=Envelope[StageOut],
    summary="Change whether a stage counts as open, won or lost",
)
def set_stage_category(
    request: Request,
    principal: Principal,
    pipeline_id: str,
    stage_id: str,
    body: StageCategoryUpdate,
    session: Session = Depends(get_session),
) -> Response:
    stage = service.set_stage_category(
        session,
        team_id=principal.team_id,
        pipeline_id=pipeline_id,
        stage_id=stage_id,
        category=body.category,
    )
    return envelope(request, stage.model_dump())
