"""The buying-journey stages every account sits on, earliest first."""

from intentsync.kit.clock import day_of

JOURNEY_STAGES = ("Unaware", "Aware", "Consideration", "Opportunity", "Customer")


def days_in_stage(*, stage_entered_ms: int | None, created_ms: int, today: int) -> int:
    """Whole UTC calendar days since the stage was entered (since creation when never scored)."""
    entered = stage_entered_ms if stage_entered_ms is not None else created_ms
    return max(0, today - day_of(entered))
