"""Settings, read once from INTENTSYNC_* environment variables."""

import os
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from intentsync.kit.ratelimit import parse_limits


class Settings(BaseSettings):
    """Every knob an operator can turn; defaults run a local demo on SQLite."""

    model_config = SettingsConfigDict(env_prefix="INTENTSYNC_", extra="ignore")

    database_url: str = "sqlite:///./intentsync.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"
    # "json": every log line of serve and worker is one JSON object; "text" suits a terminal.
    log_format: Literal["text", "json"] = "text"
    # When set, GET /metrics needs `Authorization: Bearer <token>`; unset, it is open.
    metrics_token: str = ""
    # Server processes; 0 means one per core, up to MAX_AUTO_WORKERS.
    workers: int = Field(default=0, ge=0, le=64)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    # Seconds between scheduled scoring rounds inside `serve`; 0 turns the scheduler off.
    scoring_interval: int = Field(default=3600, ge=0)
    # Seconds after start before the first scheduled round, so startup stays quick.
    scoring_first_delay: int = Field(default=30, ge=0)
    # Seconds a team's new inputs (signals, visits, imports, deals, activities) wait before an
    # incremental round scores them; inputs arriving meanwhile join the same round.
    scoring_debounce: float = Field(default=10.0, ge=0, le=3600)
    # Accounts per scoring chunk: on PostgreSQL each chunk of a large run is one queue job.
    scoring_chunk_size: int = Field(default=2000, ge=10, le=100_000)
    # Worker processes computing a scoring run; 0 means one per core (up to 8).
    scoring_processes: int = Field(default=0, ge=0, le=64)
    # Days of score history a scoring run keeps; older values that a newer one replaced go.
    history_retention_days: int = Field(default=400, ge=30, le=36500)
    # Beacons one client address may send to POST /track, counted per server process; "off".
    track_rate_limit: str = "120/minute"
    # Where people reach the console: links in Slack messages point there.
    public_url: str = "http://127.0.0.1:8000"
    # Deliver webhooks inside `serve` (every server process helps); `intentsync worker` always does.
    serve_webhooks: bool = True
    # Seconds to wait for a webhook endpoint to connect and to answer.
    webhook_timeout: float = Field(default=10.0, gt=0, le=300)
    # Seconds a claimed delivery stays a worker's beyond the timeout: a dead worker's deliveries
    # are sent again by another worker after timeout + this.
    webhook_lease_margin: float = Field(default=30.0, ge=1, le=3600)
    # Webhook requests one process keeps in flight (at most 4 to any one endpoint).
    webhook_concurrency: int = Field(default=16, ge=1, le=256)
    # Run background jobs (scoring rounds, webhook deliveries, imports) inside `serve`; turn
    # off on API hosts when `intentsync worker` processes do the work elsewhere.
    serve_jobs: bool = True
    # Jobs one process runs at once.
    job_concurrency: int = Field(default=4, ge=1, le=64)
    # PostgreSQL queue: seconds between a worker's heartbeats, and without one after which its
    # running jobs are handed to another worker (a worker killed mid-job, a lost host).
    worker_heartbeat: float = Field(default=10.0, gt=0, le=3600)
    worker_stalled_after: float = Field(default=30.0, gt=0, le=86400)
    # Browser origins allowed to call /api/ with an API key; none by default (CORS off).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("track_rate_limit")
    @classmethod
    def _known_rate(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"'{value}' is not a URL; give the console's address, e.g. https://abm.example.com"
            )
        return value.strip().rstrip("/")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(_origin(str(item)) for item in items if str(item).strip())

    def server_processes(self) -> int:
        """Processes `serve` starts: request work runs in parallel while SQLite writers queue."""
        return self.workers or min(os.cpu_count() or 1, MAX_AUTO_WORKERS)


MAX_AUTO_WORKERS = 4


def _origin(text: str) -> str:
    """Browsers send the Origin header exactly as scheme://host[:port], so it is written so."""
    origin = text.strip().rstrip("/").lower()
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ValueError(
            f"'{text.strip()}' is not an origin; list origins like https://app.example.com, "
            "comma-separated, without a path (a wildcard is not accepted)"
        )
    return origin


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings are read once per process so every part sees the same values."""
    return Settings()
