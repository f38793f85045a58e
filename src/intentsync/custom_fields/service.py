"""Custom field rules: generated keys, one active field per key, typed values."""

from sqlalchemy.orm import Session

from intentsync.custom_fields import repository
from intentsync.custom_fields.schemas import SELECTION_TYPES, CustomFieldCreate, CustomFieldOut
from intentsync.custom_fields.values import FieldDef, key_for_label, key_length_error
from intentsync.db.models import CustomField
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import Conflict, NotFound, ValidationFailed
from intentsync.teams.service import change_stamp


def to_out(field: CustomField) -> CustomFieldOut:
    return CustomFieldOut(
        key=field.key,
        label=field.label,
        label_type=field.label_type,
        description=field.description,
        options=list(field.options or []),
        object_type=field.object_type,
        status=field.status,
    )


def list_fields(session: Session, *, team_id: int) -> list[CustomFieldOut]:
    return [to_out(f) for f in repository.list_active(session, team_id=team_id)]


def active_definitions(session: Session, *, team_id: int) -> dict[str, FieldDef]:
    return {
        f.key: FieldDef(key=f.key, label_type=f.label_type, options=tuple(f.options or ()))
        for f in repository.list_active(session, team_id=team_id)
    }


def _check_options(body: CustomFieldCreate) -> list[str]:
    options = body.options or []
    if body.label_type in SELECTION_TYPES:
        if not options:
            raise ValidationFailed.single(
                "options",
                "arrayMinSize",
                f"options must contain at least 1 elements when labelType is {body.label_type}",
            )
        if len(set(options)) != len(options):
            raise ValidationFailed.single(
                "options", "arrayUnique", "All options's elements must be unique"
            )
        return list(options)
    if options:
        raise ValidationFailed.single(
            "options",
            "isEmpty",
            "options are only allowed when labelType is singleSelection or multiSelection",
        )
    return []


def create_field(session: Session, *, team_id: int, body: CustomFieldCreate) -> CustomFieldOut:
    options = _check_options(body)
    label = body.label.strip()
    key = key_for_label(label)
    too_long = key_length_error(key)
    if too_long:
        raise ValidationFailed.single("label", "maxLength", too_long)
    change_stamp(session, team_id=team_id)
    if repository.find_active(session, team_id=team_id, key=key) is not None:
        raise Conflict(f"An active custom field with key '{key}' already exists")
    field = CustomField(
        team_id=team_id,
        object_type=repository.ACCOUNTS,
        key=key,
        label=label,
        label_type=body.label_type,
        description=body.description,
        options=options,
        status="active",
        created_ms=now_ms(),
    )
    repository.add(session, field)
    return to_out(field)


def archive_field(session: Session, *, team_id: int, key: str) -> None:
    """Archive the active field with this key: values stay on accounts, the key is free again.

    An archived field leaves the field list and the segment rule catalogue, and pushes that
    send its key fail as for any unknown key. Creating a field with the same label makes a new
    active field under that key, which reads the values kept. A second DELETE is a 404.
    """
    change_stamp(session, team_id=team_id)
    field = repository.find_active(session, team_id=team_id, key=key)
    if field is None:
        known = repository.find_any(session, team_id=team_id, key=key)
        if known is not None:
            raise NotFound(f"Custom field '{key}' is already deleted (archived)")
        raise NotFound(
            f"No custom field with key '{key}'; GET /accounts/custom-fields lists the keys"
        )
    repository.archive(session, field_id=field.id)
