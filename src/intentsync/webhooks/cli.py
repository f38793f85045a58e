"""`intentsync webhook`: subscribe URLs to events, switch them, rotate secrets, read the log.

The service checks what the API checks, with the same messages; the result is the last line.
"""

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from intentsync.commands import err, run_work
from intentsync.db.engine import Database
from intentsync.kit.errors import BadRequest, ValidationFailed

T = TypeVar("T")

webhook_app = typer.Typer(no_args_is_help=True, help="Webhooks: events pushed to your URLs")

TeamOption = Annotated[int, typer.Option("--team", help="Team id")]
WebhookOption = Annotated[str, typer.Option("--webhook", help="webhookId")]


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _work(team: int, act: Callable[[Session], T], *, write: bool = True) -> T:
    """Run one service call for a known team in one transaction; a refusal is one line."""
    from intentsync.teams.service import require_team

    def work(db: Database) -> T:
        with db.transaction(write=write) as session:
            require_team(session, team_id=team)
            try:
                return act(session)
            except ValidationFailed as exc:
                texts = [t for e in exc.errors for t in e["constraints"].values()]
                raise BadRequest("; ".join(texts)) from None

    return run_work(work)


@webhook_app.command("add")
def webhook_add(
    team: TeamOption,
    url: Annotated[str, typer.Option("--url", help="Where events are POSTed (http or https)")],
    events: Annotated[str, typer.Option("--events", help="Event types, comma-separated")],
    kind: Annotated[str, typer.Option("--kind", help="webhook or slack")] = "webhook",
    min_score_change: Annotated[
        int, typer.Option("--min-score-change", help="Smallest score move that is reported")
    ] = 5,
    segments: Annotated[
        str | None, typer.Option("--segments", help="Only accounts of these segmentIds")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="A note")] = None,
) -> None:
    """Subscribe a URL; print its webhookId, then its signing secret (none for Slack) last."""
    from intentsync.webhooks.service import create_subscription

    created = _work(
        team,
        lambda session: create_subscription(
            session,
            team_id=team,
            url=url,
            events=_split(events),
            kind=kind.strip().lower(),
            segment_ids=_split(segments),
            min_score_change=min_score_change,
            description=description,
        ),
    )
    typer.echo(created.webhook_id)
    if created.secret is None:
        err.print("Slack messages are not signed: the Slack URL is the secret.")
        return
    err.print("Store this signing secret now: it is shown only once.")
    typer.echo(created.secret)


@webhook_app.command("list")
def webhook_list(team: TeamOption) -> None:
    """Show the team's webhooks as a table; the last line counts them."""
    from intentsync.kit.pagination import PageRequest
    from intentsync.webhooks.schemas import WebhookOut
    from intentsync.webhooks.service import list_subscriptions

    def everything(session: Session) -> list[WebhookOut]:
        return list_subscriptions(session, team_id=team, page=PageRequest(limit=10_000)).data

    rows = _work(team, everything, write=False)
    table = Table()
    table.add_column("webhookId", no_wrap=True, min_width=24)
    table.add_column("on", no_wrap=True)
    for heading in ("kind", "url", "events"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        state = "yes" if row.active else "no"
        table.add_row(row.webhook_id, state, row.kind, row.url, ", ".join(row.events))
    for row in rows:
        if row.disabled_reason:
            err.print(
                f"{row.webhook_id} was switched off: {row.disabled_reason}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    Console().print(table)
    typer.echo(f"{len(rows)} webhook(s)")


def _switch(team: int, webhook: str, active: bool) -> None:
    from intentsync.webhooks.service import Changes, update_subscription

    changed = _work(
        team,
        lambda session: update_subscription(
            session, team_id=team, webhook_id=webhook, changes=Changes(active=active)
        ),
    )
    typer.echo(changed.webhook_id)


@webhook_app.command("disable")
def webhook_disable(team: TeamOption, webhook: WebhookOption) -> None:
    """Stop sending events to a webhook (it keeps its settings); print its webhookId."""
    _switch(team, webhook, False)


@webhook_app.command("enable")
def webhook_enable(team: TeamOption, webhook: WebhookOption) -> None:
    """Send events to a webhook again, forgetting why it was switched off; print its id."""
    _switch(team, webhook, True)


@webhook_app.command("remove")
def webhook_remove(team: TeamOption, webhook: WebhookOption) -> None:
    """Remove a webhook; its pending deliveries fail. Print how many were pending."""
    from intentsync.webhooks.service import remove_subscription

    pending = _work(
        team, lambda session: remove_subscription(session, team_id=team, webhook_id=webhook)
    )
    err.print(f"webhook {webhook} removed", markup=False, highlight=False, soft_wrap=True)
    typer.echo(pending)


@webhook_app.command("rotate-secret")
def webhook_rotate_secret(team: TeamOption, webhook: WebhookOption) -> None:
    """Give a webhook a new signing secret (the old one signs too for 24 h); print it."""
    from intentsync.webhooks.service import rotate_secret

    rotated = _work(team, lambda session: rotate_secret(session, team_id=team, webhook_id=webhook))
    err.print("Store this signing secret now: it is shown only once.")
    typer.echo(rotated.secret)


@webhook_app.command("deliveries")
def webhook_deliveries(
    team: TeamOption,
    webhook: WebhookOption,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many")] = 20,
) -> None:
    """Show a webhook's latest deliveries, newest first; the last line counts them."""
    from intentsync.kit.pagination import PageRequest
    from intentsync.webhooks.schemas import DeliveryOut
    from intentsync.webhooks.service import list_deliveries

    def latest(session: Session) -> list[DeliveryOut]:
        page = PageRequest(limit=limit)
        return list_deliveries(session, team_id=team, webhook_id=webhook, page=page).data

    rows = _work(team, latest, write=False)
    table = Table()
    table.add_column("eventId", no_wrap=True)
    for heading in ("type", "status", "attempts", "last"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        last = row.last_error or (str(row.last_status_code) if row.last_status_code else "")
        if row.status == "pending" and row.next_attempt_at:
            last = f"next {row.next_attempt_at}" + (f"; {last}" if last else "")
        table.add_row(row.event_id, row.type, row.status, str(row.attempts), last)
    Console().print(table)
    typer.echo(f"{len(rows)} deliver{'y' if len(rows) == 1 else 'ies'}")


@webhook_app.command("redeliver")
def webhook_redeliver(
    team: TeamOption,
    webhook: WebhookOption,
    event: Annotated[str, typer.Option("--event", help="eventId (msg_...)")],
) -> None:
    """Send an event to a webhook again now; print the event id."""
    from intentsync.webhooks.service import redeliver

    again = _work(
        team,
        lambda session: redeliver(session, team_id=team, webhook_id=webhook, event_id=event),
    )
    typer.echo(again.event_id)
