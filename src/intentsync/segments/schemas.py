"""Wire models for segments."""

from intentsync.kit.schemas import WireModel

SEGMENT_TYPES = ("static", "dynamic")
SEGMENT_STATUSES = ("active", "draft", "archived")


class SegmentOut(WireModel):
    segment_id: str
    name: str
    status: str


class SegmentRef(WireModel):
    segment_id: str
    name: str
