"""Wire models for account custom fields (spec E9, E10)."""

from typing import Annotated

from pydantic import ConfigDict, Field, JsonValue, StringConstraints

from intentsync.kit.schemas import RequestModel, WireModel, enum
from intentsync.kit.validation import NotBlank, Rules, one_of

LABEL_TYPES = (
    "singleLineText",
    "multiLineText",
    "singleSelection",
    "multiSelection",
    "number",
    "date",
)
SELECTION_TYPES = frozenset({"singleSelection", "multiSelection"})
_SELECTIONS: list[JsonValue] = [*sorted(SELECTION_TYPES)]


class CustomFieldCreate(RequestModel):
    # Selections need their options; other types take none.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"labelType": {"enum": _SELECTIONS}}},
            "then": {
                "required": ["options"],
                "properties": {"options": {"type": "array", "minItems": 1}},
            },
            "else": {"properties": {"options": {"anyOf": [{"type": "null"}, {"maxItems": 0}]}}},
        }
    )
    label: Annotated[
        str, Rules("isString", "isNotEmpty"), StringConstraints(max_length=255), NotBlank
    ]
    label_type: Annotated[
        str, Rules("isString", "isIn", values=", ".join(LABEL_TYPES)), one_of(*LABEL_TYPES)
    ]
    description: Annotated[str | None, StringConstraints(max_length=2000)] = None
    options: (
        Annotated[
            list[Annotated[str, StringConstraints(max_length=255), NotBlank]],
            Field(max_length=500),
        ]
        | None
    ) = None


class CustomFieldOut(WireModel):
    key: str
    label: str
    label_type: Annotated[str, enum(LABEL_TYPES)]
    description: str | None
    options: list[str]
    object_type: Annotated[str, enum(("accounts",))]
    status: Annotated[str, enum(("active",))]


class CustomFieldDeletedMessage(WireModel):
    message: str = "Custom field deleted successfully"
