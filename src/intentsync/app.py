"""The ASGI application: one store served as /api/v1/crm (CRM) and /api/v1 (domain-keyed)."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intentsync import __version__
from intentsync.accounts.endpoints import ext_router as domain_keyed_accounts_router
from intentsync.accounts.endpoints import router as accounts_router
from intentsync.activities.endpoints import router as activities_router
from intentsync.api import openapi
from intentsync.api.routing import ApiAuthentication, require_api_routes
from intentsync.auth.job import KeyUseRecorder
from intentsync.config import Settings, get_settings
from intentsync.console import install as console
from intentsync.custom_fields.endpoints import router as custom_fields_router
from intentsync.db.engine import Database
from intentsync.db.migrate import require_current
from intentsync.deals.endpoints import router as deals_router
from intentsync.journey.endpoints import router as journey_router
from intentsync.kit import docs, handlers
from intentsync.kit.body_limit import BodyLimitMiddleware
from intentsync.kit.cors import ApiCorsMiddleware
from intentsync.kit.errors import ServiceUnavailable
from intentsync.kit.metrics import observe_job
from intentsync.kit.security_headers import SecurityHeadersMiddleware
from intentsync.kit.slashes import TrailingSlashMiddleware
from intentsync.monitoring import endpoints as monitoring
from intentsync.pipelines.endpoints import router as pipelines_router
from intentsync.scheduler import Background, queue_check, queue_gauges
from intentsync.scoring.endpoints import ext_router as domain_keyed_scores_router
from intentsync.scoring.endpoints import router as scores_router
from intentsync.segments.endpoints import router as segments_router
from intentsync.signals.endpoints import router as signals_router
from intentsync.tracking.endpoints import limiter as track_limiter
from intentsync.tracking.endpoints import router as tracking_router
from intentsync.webhooks.endpoints import router as webhooks_router

CRM_PREFIX = "/api/v1/crm"
EXT_PREFIX = "/api/v1"

log = logging.getLogger("intentsync")


class RequireCurrentSchema:
    """Refuse to start on a database this code cannot use, in one log line and no traceback.

    Otherwise a server on an unmigrated database would answer every call with 500. Raising in
    the lifespan would make the server log a traceback, so startup fails here instead.
    """

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        startup = await receive()
        try:
            require_current(self.db.engine, self.db.url)
        except ServiceUnavailable as exc:
            log.error("intentsync cannot start: %s", exc.custom_message)
            await send({"type": "lifespan.startup.failed", "message": ""})
            return
        pending: list[Message] = [startup]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


def freeze_startup_objects() -> None:
    """Leave what start-up built (modules, models, routes) out of every later full collection.

    A request that builds a page of 1,000 accounts makes enough objects to trigger a full
    collection every few pages, and each one walked every module object the server holds:
    close to half the CPU time of an export.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(settings.database_url, pool_size=settings.db_pool_size)
    owns_db = database is None
    key_uses = KeyUseRecorder(db)
    background = Background(settings, db, deliver=settings.serve_webhooks, observer=observe_job)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        require_api_routes(_app)  # again, for routes added after create_app
        freeze_startup_objects()
        key_uses.start()
        if settings.serve_jobs:
            background.start()
        try:
            yield
        finally:
            if settings.serve_jobs:
                background.stop()
            key_uses.stop()
            if owns_db:
                db.dispose()

    app = FastAPI(
        title="intentsync",
        version=__version__,
        description=(
            "Account-based marketing with a CRM API wire-compatible with the Recotap CRM API v1. "
            "Every request carries an `X-Api-Key` header; every response uses one envelope."
        ),
        lifespan=lifespan,
        docs_url=None,  # docs.install serves both pages from local assets
        redoc_url=None,
    )
    # The last added runs first: paths are trimmed, the key is checked, then the body is read.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ApiAuthentication)
    app.add_middleware(TrailingSlashMiddleware)
    if settings.cors_origins:
        app.add_middleware(ApiCorsMiddleware, origins=settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequireCurrentSchema, db=db)  # last added runs outermost
    app.state.db = db
    app.state.key_uses = key_uses
    app.state.background = background
    app.state.settings = settings
    app.state.track_limiter = track_limiter(settings.track_rate_limit)
    handlers.install(app)
    docs.install(app)
    openapi.install(app)
    shared = (
        pipelines_router,
        deals_router,
        activities_router,
        segments_router,
        journey_router,
        signals_router,
        webhooks_router,
    )
    # Custom-field routes come before /accounts/{id}; both surfaces share one store.
    for router in (custom_fields_router, scores_router, accounts_router, *shared):
        app.include_router(router, prefix=CRM_PREFIX)
    for router in (
        custom_fields_router,
        domain_keyed_scores_router,
        domain_keyed_accounts_router,
        *shared,
    ):
        app.include_router(router, prefix=EXT_PREFIX)
    app.include_router(tracking_router)  # /track and /track.js at the root, once
    console.install(app)  # the browser console at /, after every API route
    monitoring.install(app)  # /healthz, /readyz, /metrics; last, so its timer is outermost
    monitoring.readiness(app).add("queue", queue_check(background.queue))
    monitoring.scrape_collectors(app).add("queue", queue_gauges(background.queue))
    require_api_routes(app)
    logging.getLogger("intentsync").setLevel(settings.log_level.upper())
    return app
