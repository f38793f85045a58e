"""GET /healthz, /readyz and /metrics: for load balancers and Prometheus, outside the API.

They take no API key and are left out of the OpenAPI document, which describes the CRM API.
Other parts add their own readiness check or metrics collector through the app:
`readiness(app).add("queue", check)` and `scrape_collectors(app).add("queue", collect)`.
"""

import secrets

import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.middleware import Middleware
from starlette.responses import Response

from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.kit import handlers
from intentsync.kit.errors import Unauthorized
from intentsync.kit.health import ReadinessChecks
from intentsync.kit.metrics import (
    RequestMetricsMiddleware,
    RouteRecorder,
    ScrapeCollectors,
    exposition,
)
from intentsync.monitoring.service import database_check, database_gauges

HEALTH_PATH, READY_PATH, METRICS_PATH = "/healthz", "/readyz", "/metrics"
PATHS = (HEALTH_PATH, READY_PATH, METRICS_PATH)
NO_STORE = {"Cache-Control": "no-store"}  # a proxy must never answer a probe from a copy

router = APIRouter(include_in_schema=False)


def readiness(app: FastAPI) -> ReadinessChecks:
    checks: ReadinessChecks = app.state.readiness
    return checks


def scrape_collectors(app: FastAPI) -> ScrapeCollectors:
    collectors: ScrapeCollectors = app.state.scrape_collectors
    return collectors


def _json(body: object, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=NO_STORE
    )


@router.get(HEALTH_PATH)
async def healthz() -> Response:
    """Liveness: the process answers. It reads nothing, so a slow database never restarts it."""
    return _json({"status": "ok"})


@router.get(READY_PATH)
async def readyz(request: Request) -> Response:
    """Readiness: 200 when every check passes, else 503 naming the checks that failed and why."""
    results = await readiness(request.app).run()
    failed = [r.name for r in results if not r.ok]
    body = {
        "status": "not ready" if failed else "ready",
        "failed": failed,
        "checks": [{"name": r.name, "ok": r.ok, "message": r.message} for r in results],
    }
    return _json(body, 503 if failed else 200)


def _require_token(request: Request, token: str) -> None:
    presented = request.headers.get("authorization", "")
    scheme, _, value = presented.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        value.strip().encode(), token.encode()
    ):
        raise Unauthorized(
            "GET /metrics needs the header Authorization: Bearer <INTENTSYNC_METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get(METRICS_PATH)
def metrics(request: Request) -> Response:
    """Prometheus text: request latency, job durations, scoring lag, webhook backlog, queues."""
    settings: Settings = request.app.state.settings
    if settings.metrics_token:
        _require_token(request, settings.metrics_token)
    body, content_type = exposition(scrape_collectors(request.app))
    return Response(body, media_type=content_type, headers=NO_STORE)


def install(app: FastAPI) -> None:
    """The three routes, the database check and gauges, and request timing around everything.

    Call it after every other middleware is added: the timer must be the outermost layer.
    """
    db: Database = app.state.db
    app.state.readiness = ReadinessChecks()
    app.state.readiness.add("database", database_check(db))
    app.state.scrape_collectors = ScrapeCollectors()
    app.state.scrape_collectors.add("database", database_gauges(db))
    app.include_router(router)
    app.add_middleware(RequestMetricsMiddleware)
    app.user_middleware.append(Middleware(RouteRecorder))  # innermost: sees the chosen route


def probe_app(settings: Settings, db: Database) -> FastAPI:
    """What `intentsync worker --port` serves: the three routes for this worker alone.

    A worker answers no API call; its job durations and the database's scoring lag and
    webhook backlog reach Prometheus from here. The caller adds its queue's check and gauges.
    """
    app = FastAPI(title="intentsync worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db = db
    app.state.settings = settings
    handlers.install(app)
    install(app)
    return app
