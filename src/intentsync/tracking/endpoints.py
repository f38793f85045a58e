"""HTTP for the website tracker: POST /track (CORS, public write key) and GET /track.js.

The write key is public (it sits in every page), so it only lets a caller add page views
for the connection's own address. Naming the company (ip or domain) needs the team's secret
X-Api-Key, which a server-side sender holds and a browser never must: that header is left out
of the CORS allowed headers. Each client address is rate-limited per server process before
the body or the database is read. This route owns its transactions: a read one to check the
keys and find the company, and a write one only when there is something to store.

The visitor's address is request.client.host. Behind a reverse proxy, run uvicorn with
--forwarded-allow-ips set to the proxy's address so that host comes from X-Forwarded-For;
this route never reads that header itself, because any client can forge it.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from intentsync.db.engine import Database
from intentsync.kit import validation
from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from intentsync.kit.handlers import render_error
from intentsync.kit.json_body import decode_json
from intentsync.kit.ratelimit import RateLimiter
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, ErrorEnvelope
from intentsync.tracking import service
from intentsync.tracking.errors import TooManyPageViews
from intentsync.tracking.schemas import Beacon, TrackResult
from intentsync.tracking.snippet import SNIPPET_JS

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Write-Key",
    "Access-Control-Max-Age": "86400",
}
# navigator.sendBeacon posts a string as text/plain: a CORS-safelisted type, so browsers
# send it without a preflight. application/json works too but costs an OPTIONS round trip.
BEACON_TYPES = ("application/json", "text/plain")
SCRIPT_CACHE = "public, max-age=3600"


class CorsRoute(APIRoute):
    """Add the CORS headers to every answer of this route, errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                response = await render_error(request, exc)
            response.headers.update(CORS_HEADERS)
            return response

        return with_cors


beacon_router = APIRouter(tags=["tracking"], route_class=CorsRoute)
script_router = APIRouter(tags=["tracking"])
router = APIRouter()


async def _read_beacon(request: Request) -> Beacon:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in BEACON_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type must be application/json or text/plain; got '{media}'"
        )
    parsed = decode_json(await request.body())
    if not isinstance(parsed, dict):
        raise BadRequest("Request body must be a JSON object")
    try:
        return Beacon.model_validate(parsed)
    except ValidationError as exc:
        raise ValidationFailed(
            validation.translate([dict(e) for e in exc.errors()], Beacon)
        ) from None


def _write_key(request: Request, beacon: Beacon) -> str | None:
    header = request.headers.get("x-write-key")
    if header and beacon.write_key and header != beacon.write_key:
        raise BadRequest("X-Write-Key and writeKey name different keys; send one of them")
    return header or beacon.write_key


def limiter(spec: str) -> RateLimiter:
    """The per-address limit of POST /track; create_app keeps one per app in its state."""
    return RateLimiter(spec, namespace="track")


def _check_rate(request: Request, client_ip: str | None) -> None:
    track_limiter: RateLimiter = request.app.state.track_limiter
    wait = track_limiter.retry_after(client_ip or "unknown")
    if wait is not None:
        raise TooManyPageViews(
            f"Too many page views from this address; retry after {wait} seconds. "
            "Server-side senders with many visitors send them in batches to POST /signals",
            headers={"Retry-After": str(wait)},
        )


def _visit(beacon: Beacon) -> service.Visit:
    occurred = parse_iso8601(beacon.occurred_at) if beacon.occurred_at else None
    return service.Visit(
        url=beacon.url,
        visitor_id=beacon.visitor_id,
        page_view_id=beacon.page_view_id,
        occurred_ms=to_ms(occurred) if occurred else None,
        ip=beacon.ip,
        domain=beacon.domain,
    )


def _track(
    db: Database,
    keys: tuple[str | None, str | None],
    visit: service.Visit,
    client_ip: str | None,
) -> TrackResult:
    write_key, api_key = keys
    with db.transaction(write=False) as session:
        tracker = service.authorize(session, write_key=write_key, api_key=api_key, visit=visit)
        located = service.locate(session, tracker=tracker, visit=visit, client_ip=client_ip)
    if located.domain is None:
        return TrackResult(
            accepted=False, category=located.category, domain=None, reason=located.reason
        )
    with db.transaction() as session:
        service.record(session, tracker=tracker, visit=visit, located=located)
    # A company found from the address stays private: the write key is public, so echoing
    # it would let anyone read the team's IP-range list one address at a time.
    shown = located.domain if visit.domain is not None else None
    return TrackResult(accepted=True, category=located.category, domain=shown)


@beacon_router.post(
    "/track",
    status_code=202,
    response_model=Envelope[TrackResult],
    summary="Record a page view from the website snippet (authorised by the public write key)",
    responses={
        400: {"model": ErrorEnvelope, "description": "The body is not a valid page view"},
        401: {
            "model": ErrorEnvelope,
            "description": "Missing or unknown write key, or ip/domain sent without X-Api-Key",
        },
        403: {"model": ErrorEnvelope, "description": "X-Api-Key of another team than the key"},
        429: {"model": ErrorEnvelope, "description": "Too many page views from this address"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": Beacon.model_json_schema()} for t in BEACON_TYPES},
        }
    },
)
async def track(request: Request) -> Response:
    client_ip = request.client.host if request.client else None
    _check_rate(request, client_ip)
    beacon = await _read_beacon(request)
    keys = (_write_key(request, beacon), request.headers.get("x-api-key"))
    result = await run_in_threadpool(_track, request.app.state.db, keys, _visit(beacon), client_ip)
    return envelope(request, result.model_dump(), 202)


@beacon_router.options("/track", include_in_schema=False)
async def track_preflight() -> Response:
    return Response(status_code=204)


@script_router.get(
    "/track.js",
    response_class=Response,
    summary="The website snippet; add it with a data-write-key attribute",
    responses={200: {"content": {"application/javascript": {}}}},
)
async def track_script() -> Response:
    return Response(
        SNIPPET_JS,
        media_type="application/javascript",
        headers={"Cache-Control": SCRIPT_CACHE},
    )


router.include_router(beacon_router)
router.include_router(script_router)
