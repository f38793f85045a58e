"""What a person reads for each signal source: one name per source on every page and chart.

Only words on pages come from here; CSV columns, API fields and rule field names keep their
keys.
"""

from intentsync.segments.rules import FieldSpec

SOURCE_LABELS = {
    "website": "Website",
    "g2": "G2",
    "bombora": "Bombora",
    "linkedin": "LinkedIn ads",
    "sales": "Sales",
}
# The accounts list names each source's score by a short key; advertising is LinkedIn's.
SCORE_SOURCES = {"website": "website", "g2": "g2", "bombora": "bombora", "advertising": "linkedin"}
# Rule fields that hold one source's score.
RULE_FIELD_SOURCES = {
    "website_intent_score": "website",
    "g2_intent_score": "g2",
    "bombora_intent_score": "bombora",
    "advertising_activity_score": "linkedin",
}


def source_label(source: str) -> str:
    """A source's name on pages; an unknown one (an old row) shows as stored."""
    return SOURCE_LABELS.get(source, source)


def score_label(key: str) -> str:
    """An accounts-list score key ('advertising') as its source's name ('LinkedIn ads')."""
    return source_label(SCORE_SOURCES.get(key, key))


def rule_field_label(spec: FieldSpec) -> str:
    """The rules builder names a source score field after its source, like every other page."""
    source = RULE_FIELD_SOURCES.get(spec.name)
    return f"{source_label(source)} score" if source else spec.label
