"""SQL for custom field definitions."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intentsync.db.models import CustomField

ACCOUNTS = "accounts"
ARCHIVED = "archived"


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


def find_any(
    session: Session, *, team_id: int, key: str, object_type: str = ACCOUNTS
) -> CustomField | None:
    """The newest field with this key, archived or not: what a DELETE reports on."""
    return session.scalar(
        select(CustomField)
        .where(
            CustomField.team_id == team_id,
            CustomField.object_type == object_type,
            CustomField.key == key,
        )
        .order_by(CustomField.id.desc())
        .limit(1)
    )


def archive(session: Session, *, field_id: int) -> None:
    session.execute(update(CustomField).where(CustomField.id == field_id).values(status=ARCHIVED))
