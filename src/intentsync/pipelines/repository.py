"""SQL for pipelines and stages."""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import Account, Deal, DealAccount, Pipeline, PipelineStage


def existing_ids(session: Session, *, team_id: int, pipeline_ids: Collection[str]) -> list[str]:
    return list(
        session.scalars(
            select(Pipeline.pipeline_id)
            .where(Pipeline.team_id == team_id, Pipeline.pipeline_id.in_(list(pipeline_ids)))
            .order_by(Pipeline.pipeline_id)
        )
    )


def insert_pipelines(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    result = session.execute(
        insert(Pipeline).returning(Pipeline.id, sort_by_parameter_order=True), list(rows)
    )
    return [r[0] for r in result.all()]


def insert_stages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PipelineStage), list(rows))


def list_all(session: Session, *, team_id: int) -> list[tuple[Pipeline, list[PipelineStage]]]:
    pipelines = list(
        session.scalars(select(Pipeline).where(Pipeline.team_id == team_id).order_by(Pipeline.id))
    )
    stages: dict[int, list[PipelineStage]] = {p.id: [] for p in pipelines}
    for stage in session.scalars(
        select(PipelineStage)
        .where(PipelineStage.team_id == team_id)
        .order_by(PipelineStage.pipeline_pk, PipelineStage.position)
    ):
        stages[stage.pipeline_pk].append(stage)
    return [(p, stages[p.id]) for p in pipelines]


def find_stage(
    session: Session, *, team_id: int, pipeline_id: str, stage_id: str
) -> PipelineStage | None:
    return session.scalar(
        select(PipelineStage)
        .join(Pipeline, Pipeline.id == PipelineStage.pipeline_pk)
        .where(
            Pipeline.team_id == team_id,
            Pipeline.pipeline_id == pipeline_id,
            PipelineStage.stage_id == stage_id,
        )
    )


def set_category(session: Session, *, stage_pk: int, category: str) -> None:
    session.execute(
        update(PipelineStage).where(PipelineStage.id == stage_pk).values(category=category)
    )


def categories(session: Session, *, team_id: int) -> dict[tuple[str, str], str]:
    """(pipelineId, stageId) -> category for every registered stage of the team."""
    rows = session.execute(
        select(Pipeline.pipeline_id, PipelineStage.stage_id, PipelineStage.category)
        .join(Pipeline, Pipeline.id == PipelineStage.pipeline_pk)
        .where(Pipeline.team_id == team_id)
    )
    return {(p, s): c for p, s, c in rows}


def touch_stage_deals(
    session: Session, *, team_id: int, pipeline_id: str, stage_id: str, at_ms: int
) -> None:
    """Deals following a stage (same pipeline, or none given) and their accounts move on.

    Written over the shared deal and account tables: deals read stage categories from here,
    so pipelines sit below deals and accounts and cannot call up into them.
    """
    following = (
        Deal.team_id == team_id,
        Deal.stage_id == stage_id,
        or_(Deal.pipeline_id == pipeline_id, Deal.pipeline_id.is_(None)),
    )
    linked = select(DealAccount.account_id).where(
        DealAccount.deal_pk.in_(select(Deal.id).where(*following)),
        DealAccount.account_id.is_not(None),
    )
    session.execute(update(Account).where(Account.id.in_(linked)).values(inputs_ms=at_ms))
    session.execute(update(Deal).where(*following).values(changed_ms=at_ms))
