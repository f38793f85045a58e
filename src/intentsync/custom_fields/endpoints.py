"""HTTP for account custom fields."""

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.custom_fields import service
from intentsync.custom_fields.schemas import (
    CustomFieldCreate,
    CustomFieldDeletedMessage,
    CustomFieldOut,
)
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope

router = api_router("custom fields")


@router.get(
    "/accounts/custom-fields",
    response_model=Envelope[list[CustomFieldOut]],
    summary="List active account custom fields",
)
def list_custom_fields(
    request: Request,
    principal: Principal,
    session: Session = Depends(get_session),
) -> Response:
    fields = service.list_fields(session, team_id=principal.team_id)
    return envelope(request, [f.model_dump() for f in fields])


@router.post(
    "/accounts/custom-field",
    response_model=Envelope[list[CustomFieldOut]],
    status_code=201,
    summary="Create an account custom field; the key is derived from the label",
)
def create_custom_field(
    request: Request,
    principal: Principal,
    body: CustomFieldCreate,
    session: Session = Depends(get_session),
) -> Response:
    field = service.create_field(session, team_id=principal.team_id, body=body)
    return envelope(request, [field.model_dump()], status=201)


@router.delete(
    "/accounts/custom-fields/{key:path}",
    response_model=Envelope[CustomFieldDeletedMessage],
    summary="Delete (archive) an account custom field; stored values stay, the key is free",
)
def delete_custom_field(
    request: Request,
    principal: Principal,
    key: str,
    session: Session = Depends(get_session),
) -> Response:
    service.archive_field(session, team_id=principal.team_id, key=key)
    return envelope(request, CustomFieldDeletedMessage().model_dump())
