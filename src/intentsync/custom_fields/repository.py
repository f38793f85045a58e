"""SQL for custom field definitions."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from intentsync.db.models import CustomField

ACCOUNTS = "accounts"


def list_active(
    session: Session, *, team_id: int, object_type: str = ACCOUNTS
) -> list[CustomField]:
    return list(
        session.scalars(
            select(CustomField)
            .where(
                CustomField.team_id == team_id,
                CustomField.object_type == object_type,
                CustomField.status == "active",
            )
            .order_by(CustomField.id)
        )
    )


def find_active(
    session: Session, *, team_id: int, key: str, object_type: str = ACCOUNTS
) -> CustomField | None:
    return session.scalar(
        select(CustomField).where(
            CustomField.team_id == team_id,
            CustomField.object_type == object_type,
            CustomField.key == key,
            CustomField.status == "active",
        )
    )


def add(session: Session, field: CustomField) -> None:
    session.add(field)
    session.flush()
