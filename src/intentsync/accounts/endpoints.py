"""HTTP for accounts on the CRM surface."""

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.accounts import archive, domain_keyed, service
from intentsync.accounts.schemas import (
    AccountOut,
    AccountsCreate,
    AccountsCreateResult,
    AccountUpdate,
    DeletedAccountOut,
    DeletedMessage,
    DomainKeyedAccountsCreate,
    DomainKeyedAccountUpdate,
    MappingsResult,
    MappingsUpdate,
    UnmappedAccount,
    UpdatedMessage,
)
from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page

router = api_router("accounts")
# The /api/v1 surface: domain is the key, rtp_aid addresses an account.
ext_router = api_router("accounts (domain-keyed, /api/v1)")


@router.post(
    "/accounts",
    response_model=Envelope[AccountsCreateResult],
    summary="Push 1-100 accounts; each item reports created, updated or failed",
)
def create_accounts(
    request: Request,
    principal: Principal,
    body: AccountsCreate,
    session: Session = Depends(get_session),
) -> Response:
    result = service.create_accounts(session, team_id=principal.team_id, body=body)
    return envelope(request, result)


@router.get(
    "/accounts",
    response_model=Envelope[Page[AccountOut]],
    summary="List accounts with rtp_ scores; page with cursor, filter with lastSync",
)
def list_accounts(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(
        None, alias="lastSync", description="ISO 8601; only accounts changed after it"
    ),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_accounts(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page)


@ext_router.get(
    "/accounts/deleted",
    response_model=Envelope[Page[DeletedAccountOut]],
    summary="Accounts deleted (archived) since lastSync; paged like GET /accounts",
)
@router.get(
    "/accounts/deleted",
    response_model=Envelope[Page[DeletedAccountOut]],
    summary="Accounts deleted (archived) since lastSync; paged like GET /accounts",
)
def list_deleted_accounts(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(
        None, alias="lastSync", description="ISO 8601; only accounts deleted after it"
    ),
    session: Session = Depends(get_session),
) -> Response:
    page = archive.list_deleted(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page)


@ext_router.get(
    "/accounts/missing-external-ids",
    response_model=Envelope[list[UnmappedAccount]],
    summary="Accounts that have no externalId yet",
)
@router.get(
    "/accounts/missing-external-ids",
    response_model=Envelope[list[UnmappedAccount]],
    summary="Accounts that have no externalId yet",
)
def list_missing_external_ids(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session),
) -> Response:
    rows = service.list_missing_external_ids(session, team_id=principal.team_id, limit=limit)
    return envelope(request, [r.model_dump() for r in rows])


@ext_router.patch(
    "/accounts/external-ids",
    response_model=Envelope[MappingsResult],
    summary="Write externalIds onto accounts matched by domain",
)
@router.patch(
    "/accounts/external-ids",
    response_model=Envelope[MappingsResult],
    summary="Write externalIds onto accounts matched by domain",
)
def map_external_ids(
    request: Request,
    principal: Principal,
    body: MappingsUpdate,
    session: Session = Depends(get_session),
) -> Response:
    result = service.map_external_ids(session, team_id=principal.team_id, body=body)
    return envelope(request, result.model_dump())


@router.get(
    "/accounts/{external_id:path}",
    response_model=Envelope[AccountOut],
    summary="One account by its externalId",
)
def get_account(
    request: Request,
    principal: Principal,
    external_id: str,
    session: Session = Depends(get_session),
) -> Response:
    account = service.get_account(session, team_id=principal.team_id, external_id=external_id)
    return envelope(request, account)


@router.put(
    "/accounts/{external_id:path}",
    response_model=Envelope[UpdatedMessage],
    summary="Merge custom field values into one account",
)
def update_account(
    request: Request,
    principal: Principal,
    external_id: str,
    body: AccountUpdate,
    session: Session = Depends(get_session),
) -> Response:
    service.update_custom_fields(
        session, team_id=principal.team_id, external_id=external_id, body=body
    )
    return envelope(request, UpdatedMessage().model_dump())


@router.delete(
    "/accounts/{external_id:path}",
    response_model=Envelope[DeletedMessage],
    summary="Delete (archive) one account; pushing its externalId or domain restores it",
)
def delete_account(
    request: Request,
    principal: Principal,
    external_id: str,
    session: Session = Depends(get_session),
) -> Response:
    archive.archive_account(session, team_id=principal.team_id, external_id=external_id)
    return envelope(request, DeletedMessage().model_dump())


@ext_router.post(
    "/accounts",
    response_model=Envelope[AccountsCreateResult],
    summary="Push 1-100 accounts keyed by domain; upsert updates known domains",
)
def create_accounts_by_domain(
    request: Request,
    principal: Principal,
    body: DomainKeyedAccountsCreate,
    session: Session = Depends(get_session),
) -> Response:
    result = domain_keyed.create_accounts(session, team_id=principal.team_id, body=body)
    return envelope(request, result)


@ext_router.get(
    "/accounts",
    response_model=Envelope[Page[AccountOut]],
    summary="List accounts; filter by lastSync and by domains",
)
def list_accounts_by_domain(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(
        None, alias="lastSync", description="ISO 8601; only accounts changed after it"
    ),
    domains: str | None = Query(
        None, description='JSON array of up to 100 domains, e.g. ["acme.com","hubspot.com"]'
    ),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_accounts(
        session,
        team_id=principal.team_id,
        page=page_request(limit, cursor, last_sync),
        domains=domain_keyed.parse_domains(domains),
    )
    return envelope(request, page)


@ext_router.get(
    "/accounts/{rtp_aid}",
    response_model=Envelope[AccountOut],
    summary="One account by its rtp_aid",
)
def get_account_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    session: Session = Depends(get_session),
) -> Response:
    account = domain_keyed.get_account(session, team_id=principal.team_id, rtp_aid=rtp_aid)
    return envelope(request, account)


@ext_router.put(
    "/accounts/{rtp_aid}",
    response_model=Envelope[UpdatedMessage],
    summary="Update custom fields, name, shortName, linkedinUrl or tags of one account",
)
def update_account_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    body: DomainKeyedAccountUpdate,
    session: Session = Depends(get_session),
) -> Response:
    domain_keyed.update_account(session, team_id=principal.team_id, rtp_aid=rtp_aid, body=body)
    return envelope(request, UpdatedMessage().model_dump())


@ext_router.delete(
    "/accounts/{rtp_aid}",
    response_model=Envelope[DeletedMessage],
    summary="Delete (archive) one account; pushing its domain again restores it",
)
def delete_account_by_rtp_aid(
    request: Request,
    principal: Principal,
    rtp_aid: str,
    session: Session = Depends(get_session),
) -> Response:
    domain_keyed.require_rtp_aid(rtp_aid)
    archive.archive_account(session, team_id=principal.team_id, rtp_aid=rtp_aid)
    return envelope(request, DeletedMessage().model_dump())
