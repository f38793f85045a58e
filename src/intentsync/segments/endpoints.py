"""HTTP for segments: the documented list, and the segments extension beyond the contract."""

from typing import Any

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.accounts.schemas import AccountOut
from intentsync.accounts.service import wire_accounts
from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page, WireModel
from intentsync.segments import service
from intentsync.segments.schemas import (
    MembersAddResult,
    MembersChange,
    MembersRemoveResult,
    RulesPreview,
    SegmentCreate,
    SegmentDetail,
    SegmentOut,
    SegmentUpdate,
)

router = api_router("segments")

Limit = Query(100, ge=1, le=1000)
Cursor = Query(None, description="nextCursor of the previous page, or an offset")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No segment with this segmentId in the key's team"}
}


class RulesPreviewOut(WireModel):
    """Defined here, not in schemas: accounts sit above segments, endpoints may use both."""

    count: int
    accounts: list[AccountOut]


@router.get(
    "/segments",
    response_model=Envelope[Page[SegmentOut]],
    summary="List active and draft static segments",
)
def list_segments(
    request: Request,
    principal: Principal,
    limit: int = Limit,
    cursor: str | None = Cursor,
    last_sync: str | None = Query(None, alias="lastSync"),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_segments(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page.model_dump())


def _accounts(session: Session, team_id: int, account_ids: list[int]) -> list[dict[str, Any]]:
    """Accounts as GET /accounts shows them, in the order of their keys."""
    shown = wire_accounts(session, team_id, account_ids)
    return [shown[pk] for pk in account_ids if pk in shown]


@router.post(
    "/segments",
    response_model=Envelope[SegmentDetail],
    status_code=201,
    summary="Create a static segment, or a dynamic one with rules (extension)",
    responses={409: {"description": "A segment that is not archived already has this name"}},
)
def create_segment(
    request: Request,
    principal: Principal,
    body: SegmentCreate,
    session: Session = Depends(get_session),
) -> Response:
    segment = service.create_segment(
        session,
        team_id=principal.team_id,
        name=body.name,
        type_=body.type,
        status=body.status,
        rules=body.rules,
    )
    return envelope(request, service.detail(session, segment).model_dump(), status=201)


@router.post(
    "/segments/preview",
    response_model=Envelope[RulesPreviewOut],
    summary="Count the accounts rules match now and show the first ones; saves nothing",
)
def preview_rules(
    request: Request,
    principal: Principal,
    body: RulesPreview,
    limit: int = Query(10, ge=1, le=1000, description="How many matching accounts to show"),
    session: Session = Depends(get_session),
) -> Response:
    count, ids = service.preview_keys(
        session, team_id=principal.team_id, rules=body.rules, limit=limit
    )
    shown = _accounts(session, principal.team_id, ids)
    return envelope(request, {"count": count, "accounts": shown})


@router.get(
    "/segments/{segment_id}",
    response_model=Envelope[SegmentDetail],
    summary="One segment of any type or status, archived included (extension)",
    responses=NOT_FOUND,
)
def get_segment(
    request: Request,
    principal: Principal,
    segment_id: str,
    session: Session = Depends(get_session),
) -> Response:
    segment = service.get_segment(session, team_id=principal.team_id, segment_id=segment_id)
    return envelope(request, service.detail(session, segment).model_dump())


@router.patch(
    "/segments/{segment_id}",
    response_model=Envelope[SegmentDetail],
    summary="Rename a segment, change its status or replace its rules (extension)",
    responses={**NOT_FOUND, 409: {"description": "Another segment has this name"}},
)
def update_segment(
    request: Request,
    principal: Principal,
    segment_id: str,
    body: SegmentUpdate,
    session: Session = Depends(get_session),
) -> Response:
    segment = service.update_segment(
        session,
        team_id=principal.team_id,
        segment_id=segment_id,
        name=body.name,
        status=body.status,
        rules=body.rules,
    )
    return envelope(request, service.detail(session, segment).model_dump())


@router.get(
    "/segments/{segment_id}/members",
    response_model=Envelope[Page[AccountOut]],
    summary="A segment's members in account order, each as GET /accounts shows it (extension)",
    responses=NOT_FOUND,
)
def list_members(
    request: Request,
    principal: Principal,
    segment_id: str,
    limit: int = Limit,
    cursor: str | None = Cursor,
    session: Session = Depends(get_session),
) -> Response:
    page = service.member_keys_page(
        session,
        team_id=principal.team_id,
        segment_id=segment_id,
        page=page_request(limit, cursor),
    )
    return envelope(
        request,
        {
            "data": _accounts(session, principal.team_id, page.account_ids),
            "nextCursor": page.next_cursor,
            "hasNextPage": page.has_next_page,
            "syncTimestamp": page.sync_timestamp,
        },
    )


def _member_results(results: list[service.MemberResult], statuses: tuple[str, ...]) -> Any:
    counts = dict.fromkeys(statuses, 0)
    for result in results:
        counts[result.status] += 1
    return {
        "results": [
            {"account": r.account, "rtp_aid": r.rtp_aid, "status": r.status, "message": r.message}
            for r in results
        ],
        "summary": {"total": len(results), **counts},
    }


@router.post(
    "/segments/{segment_id}/members",
    response_model=Envelope[MembersAddResult],
    summary="Add 1-100 accounts to a static segment; each item reports its outcome (extension)",
    responses=NOT_FOUND,
)
def add_members(
    request: Request,
    principal: Principal,
    segment_id: str,
    body: MembersChange,
    session: Session = Depends(get_session),
) -> Response:
    results = service.change_members_by_item(
        session,
        team_id=principal.team_id,
        segment_id=segment_id,
        accounts=body.accounts,
        remove=False,
    )
    summary = MembersAddResult.model_validate(
        _member_results(results, ("added", "already_member", "not_found"))
    )
    return envelope(request, summary.model_dump())


@router.delete(
    "/segments/{segment_id}/members",
    response_model=Envelope[MembersRemoveResult],
    summary="Remove 1-100 accounts from a static segment; each item reports its outcome",
    responses=NOT_FOUND,
)
def remove_members(
    request: Request,
    principal: Principal,
    segment_id: str,
    body: MembersChange,
    session: Session = Depends(get_session),
) -> Response:
    results = service.change_members_by_item(
        session,
        team_id=principal.team_id,
        segment_id=segment_id,
        accounts=body.accounts,
        remove=True,
    )
    summary = MembersRemoveResult.model_validate(
        _member_results(results, ("removed", "not_member", "not_found"))
    )
    return envelope(request, summary.model_dump())
