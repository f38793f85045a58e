"""Jinja2 environment for the console: autoescaped, templates and assets read from the package."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request

from intentsync import __version__


def when(ms: int | None) -> str:
    """A millisecond timestamp as UTC minutes, the way every console table shows time."""
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def instant(text: str | None) -> str:
    """An ISO 8601 time as sent by a CRM, shown like every other console time (UTC minutes)."""
    if not text:
        return "—"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def number(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def signed(value: int | None) -> str:
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


@pass_context
def stage_name(context: Context, canonical: str | None) -> str:
    """A journey stage as the team names it; pages without a signed-in team show it as stored."""
    if canonical is None:
        return "—"
    names = context.get("stage_names") or {}
    return str(names.get(canonical, canonical))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("intentsync.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt variable is an error, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, instant=instant, day=day, number=number, signed=signed, stage_name=stage_name
    )
    env.globals.update(app_version=__version__)
    return env


def render(template: str, *, request: Request, **context: Any) -> str:
    return environment().get_template(template).render(request=request, **context)
