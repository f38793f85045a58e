"""Wire models for pipelines and their stages (spec E7)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from intentsync.kit.schemas import RequestModel, WireModel, enum
from intentsync.kit.validation import NotBlank, Rules, one_of

CATEGORIES = ("open", "won", "lost")
Id255 = Annotated[str, Rules("isString", "isNotEmpty"), StringConstraints(max_length=255), NotBlank]


class StageIn(RequestModel):
    stage_id: Id255
    stage_label: Id255


class PipelineIn(RequestModel):
    pipeline_id: Id255
    pipeline_label: Id255
    stages: Annotated[
        list[StageIn], Rules("isArray", "arrayMinSize", n=1), Field(min_length=1, max_length=500)
    ]


class PipelinesCreate(RequestModel):
    pipelines: Annotated[
        list[PipelineIn], Rules("isArray", "arrayMinSize", n=1), Field(min_length=1, max_length=20)
    ]


class PipelineResult(WireModel):
    pipeline_id: str
    status: Annotated[str, enum(("created",))]


class PipelinesSummary(WireModel):
    total: int
    created: int


class PipelinesCreateResult(WireModel):
    results: list[PipelineResult]
    summary: PipelinesSummary


class StageCategoryUpdate(RequestModel):
    category: Annotated[
        str, Rules("isString", "isIn", values=", ".join(CATEGORIES)), one_of(*CATEGORIES)
    ]


class StageOut(WireModel):
    stage_id: str
    stage_label: str
    category: Annotated[str, enum(CATEGORIES)]


class PipelineOut(WireModel):
    pipeline_id: str
    pipeline_label: str
    stages: list[StageOut]
