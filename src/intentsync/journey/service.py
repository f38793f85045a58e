"""Journey stage names a team shows its people; the canonical names never change elsewhere."""

import unicodedata
from collections.abc import Mapping

from sqlalchemy.orm import Session

from intentsync.journey import repository
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.errors import BadRequest
from intentsync.teams.service import change_stamp

MAX_LABEL = 40
# Control characters and line or paragraph separators would break a badge or a table cell.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


class StageNamesInvalid(BadRequest):
    """Names that cannot be saved, with the reason per canonical stage for the form."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{stage}: {text}" for stage, text in problems.items()))
        self.problems = problems


def stage_names(session: Session, *, team_id: int) -> dict[str, str]:
    """Every journey stage, earliest first, with the name the team shows for it."""
    renamed = repository.labels(session, team_id=team_id)
    return {stage: renamed.get(stage, stage) for stage in JOURNEY_STAGES}


def _problem(label: str) -> str | None:
    if len(label) > MAX_LABEL:
        return f"Use at most {MAX_LABEL} characters (this name has {len(label)})."
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in label):
        return "Remove the control characters or line breaks from this name."
    return None


def rename_stages(session: Session, *, team_id: int, names: Mapping[str, str]) -> dict[str, str]:
    """Rename stages all or nothing (empty restores the canonical name); returns every name."""
    unknown = sorted(set(names) - set(JOURNEY_STAGES))
    if unknown:
        raise BadRequest(
            f"'{unknown[0][:64]}' is not a journey stage; "
            f"the stages are {', '.join(JOURNEY_STAGES)}"
        )
    change_stamp(session, team_id=team_id)  # the team's write lock: concurrent saves queue
    shown = stage_names(session, team_id=team_id)
    problems: dict[str, str] = {}
    for stage, raw in names.items():
        label = raw.strip()
        problem = _problem(label)
        if problem is not None:
            problems[stage] = problem
        shown[stage] = label or stage
    for stage in names:
        if stage in problems:
            continue
        key = shown[stage].casefold()
        twins = [s for s in JOURNEY_STAGES if s != stage and shown[s].casefold() == key]
        # A canonical name shown for another stage would contradict the API and the exports.
        canonical = [s for s in JOURNEY_STAGES if s != stage and s.casefold() == key]
        if twins:
            problems[stage] = f"{twins[0]} is also shown as '{shown[twins[0]]}'; use another name."
        elif canonical:
            problems[stage] = (
                f"'{shown[stage]}' is the name of the {canonical[0]} stage; use another name."
            )
    if problems:
        raise StageNamesInvalid(
            {stage: problems[stage] for stage in JOURNEY_STAGES if stage in problems}
        )
    repository.replace_labels(
        session,
        team_id=team_id,
        labels={stage: label for stage, label in shown.items() if label != stage},
    )
    return shown
