"""The buying-journey stages every account sits on, earliest first."""

JOURNEY_STAGES = ("Unaware", "Aware", "Consideration", "Opportunity", "Customer")
