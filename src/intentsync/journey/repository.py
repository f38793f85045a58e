"""SQL for the journey stage names a team shows in the console."""

from collections.abc import Mapping

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from intentsync.db.models import JourneyStageName


def labels(session: Session, *, team_id: int) -> dict[str, str]:
    """Canonical stage -> the team's name, for the stages the team renamed only."""
    rows = session.execute(
        select(JourneyStageName.stage, JourneyStageName.label).where(
            JourneyStageName.team_id == team_id
        )
    )
    return dict(rows.all())


def replace_labels(session: Session, *, team_id: int, labels: Mapping[str, str]) -> None:
    """The team's renamed stages become exactly these; the caller holds the team's write lock."""
    session.execute(delete(JourneyStageName).where(JourneyStageName.team_id == team_id))
    if labels:
        session.execute(
            insert(JourneyStageName),
            [{"team_id": team_id, "stage": s, "label": label} for s, label in labels.items()],
        )
