"""Pipeline rules: create-only and all-or-nothing; each stage maps to open, won or lost."""

from sqlalchemy.orm import Session

from intentsync.kit.errors import BadRequest, Conflict, NotFound
from intentsync.pipelines import repository
from intentsync.pipelines.categories import category_for_label
from intentsync.pipelines.schemas import (
    PipelineOut,
    PipelineResult,
    PipelinesCreate,
    PipelinesCreateResult,
    PipelinesSummary,
    StageOut,
)
from intentsync.teams.service import change_stamp


def _check_unique(body: PipelinesCreate) -> None:
    seen: set[str] = set()
    for pipeline in body.pipelines:
        if pipeline.pipeline_id in seen:
            raise BadRequest(
                f"pipelineId '{pipeline.pipeline_id}' appears more than once in this request"
            )
        seen.add(pipeline.pipeline_id)
        stage_ids = [s.stage_id for s in pipeline.stages]
        repeated = sorted({s for s in stage_ids if stage_ids.count(s) > 1})
        if repeated:
            raise BadRequest(
                f"stageId '{repeated[0]}' appears more than once "
                f"in pipeline '{pipeline.pipeline_id}'"
            )


def create_pipelines(
    session: Session, *, team_id: int, body: PipelinesCreate
) -> PipelinesCreateResult:
    _check_unique(body)
    stamp = change_stamp(session, team_id=team_id)
    taken = repository.existing_ids(
        session, team_id=team_id, pipeline_ids=[p.pipeline_id for p in body.pipelines]
    )
    if taken:
        raise Conflict(f"Pipeline(s) already exist: {', '.join(taken)}")
    pks = repository.insert_pipelines(
        session,
        [
            {
                "team_id": team_id,
                "pipeline_id": p.pipeline_id,
                "label": p.pipeline_label,
                "created_ms": stamp,
                "changed_ms": stamp,
            }
            for p in body.pipelines
        ],
    )
    repository.insert_stages(
        session,
        [
            {
                "team_id": team_id,
                "pipeline_pk": pk,
                "stage_id": s.stage_id,
                "label": s.stage_label,
                "category": category_for_label(s.stage_label),
                "position": position,
            }
            for pk, p in zip(pks, body.pipelines, strict=True)
            for position, s in enumerate(p.stages)
        ],
    )
    return PipelinesCreateResult(
        results=[
            PipelineResult(pipeline_id=p.pipeline_id, status="created") for p in body.pipelines
        ],
        summary=PipelinesSummary(total=len(body.pipelines), created=len(body.pipelines)),
    )


def list_pipelines(session: Session, *, team_id: int) -> list[PipelineOut]:
    return [
        PipelineOut(
            pipeline_id=p.pipeline_id,
            pipeline_label=p.label,
            stages=[
                StageOut(stage_id=s.stage_id, stage_label=s.label, category=s.category)
                for s in stages
            ],
        )
        for p, stages in repository.list_all(session, team_id=team_id)
    ]


def set_stage_category(
    session: Session, *, team_id: int, pipeline_id: str, stage_id: str, category: str
) -> StageOut:
    stamp = change_stamp(session, team_id=team_id)
    stage = repository.find_stage(
        session, team_id=team_id, pipeline_id=pipeline_id, stage_id=stage_id
    )
    if stage is None:
        raise NotFound(f"Stage '{stage_id}' of pipeline '{pipeline_id}' not found")
    if stage.category != category:
        repository.set_category(session, stage_pk=stage.id, category=category)
        # Deals show their category and stages follow it: both move on.
        repository.touch_stage_deals(
            session, team_id=team_id, pipeline_id=pipeline_id, stage_id=stage_id, at_ms=stamp
        )
    return StageOut(stage_id=stage.stage_id, stage_label=stage.label, category=category)


def category_lookup(session: Session, *, team_id: int) -> dict[tuple[str, str], str]:
    return repository.categories(session, team_id=team_id)
