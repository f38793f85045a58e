"""Wire models for segments."""

from typing import Annotated

from intentsync.kit.schemas import RtpAid, WireModel, enum

SEGMENT_TYPES = ("static", "dynamic")
SEGMENT_STATUSES = ("active", "draft", "archived")


class SegmentOut(WireModel):
    segment_id: RtpAid
    name: str
    status: Annotated[str, enum(("active", "draft"))]


class SegmentRef(WireModel):
    segment_id: RtpAid
    name: str
