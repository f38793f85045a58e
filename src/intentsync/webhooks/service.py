"""Rules of webhooks: which subscriptions an event is owed to, written in the caller's transaction.

An event is only written when some active subscription wants it, so a team without
subscriptions pays one query per batch of changes and nothing more.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from intentsync.db.models import WebhookSubscription
from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.ids import new_object_id
from intentsync.webhooks import repository
from intentsync.webhooks.events import (
    ACCOUNT_SCORE_CHANGED,
    IMPORT_COMPLETED,
    SCORING_RUN_COMPLETED,
    Event,
)

EVENT_ID_PREFIX = "msg_"
TEAM_WIDE = frozenset({SCORING_RUN_COMPLETED, IMPORT_COMPLETED})


# accounts.service registers how an account is shown: it sits above webhooks, which cannot
# import it by name. A process that emits before anything imported it (a CLI command that only
# touched segments, say) loads it here on first need, so no caller has to remember to.
ACCOUNT_RENDERER_MODULE = "intentsync.accounts.service"
AccountRenderer = Callable[[Session, int, Sequence[int]], Mapping[int, dict[str, Any]]]
_account_renderers: list[AccountRenderer] = []


def render_accounts_with(renderer: AccountRenderer) -> None:
    _account_renderers[:] = [renderer]


def _render_accounts(session: Session, team_id: int, pks: Sequence[int]) -> Mapping[int, Any]:
    if not pks:
        return {}
    if not _account_renderers:
        importlib.import_module(ACCOUNT_RENDERER_MODULE)
    if not _account_renderers:
        raise RuntimeError(f"{ACCOUNT_RENDERER_MODULE} did not register an account renderer")
    return _account_renderers[0](session, team_id, pks)


def new_event_id(at_ms: int) -> str:
    """Time-ordered, unique, in the form Standard Webhooks receivers expect of webhook-id."""
    return EVENT_ID_PREFIX + new_object_id(at_ms // 1000)


def matches(subscription: WebhookSubscription, event: Event) -> bool:
    """Whether a subscription asked for this event, after its filters.

    A segment filter narrows account and membership events; team-wide events (a scoring run,
    an import) concern no segment and pass it.
    """
    if event.type not in subscription.events:
        return False
    if (
        subscription.segment_ids
        and event.type not in TEAM_WIDE
        and not set(subscription.segment_ids) & set(event.segment_ids)
    ):
        return False
    if event.type == ACCOUNT_SCORE_CHANGED and event.score_change is not None:
        return abs(event.score_change) >= subscription.min_score_change
    return True


def wanted_types(session: Session, *, team_id: int) -> frozenset[str]:
    """The event types some active subscription of the team asks for: emitters skip the rest."""
    return frozenset(
        type_
        for subscription in repository.active_subscriptions(session, team_id=team_id)
        for type_ in subscription.events
    )


def emit(
    session: Session, *, team_id: int, events: Sequence[Event], at_ms: int | None = None
) -> int:
    """Write the events some subscription wants, with one delivery each; returns how many."""
    if not events:
        return 0
    subscriptions = repository.active_subscriptions(session, team_id=team_id)
    if not subscriptions:
        return 0
    at = now_ms() if at_ms is None else at_ms
    owed = [(event, [s.id for s in subscriptions if matches(s, event)]) for event in events]
    owed = [(event, subs) for event, subs in owed if subs]
    accounts = _render_accounts(
        session, team_id, sorted({e.account_pk for e, _ in owed if e.account_pk is not None})
    )
    rows = []
    for event, subs in owed:
        data = event.data
        if event.account_pk is not None:
            account = accounts.get(event.account_pk)
            if account is None:
                continue  # the change was undone in this same transaction
            data = {"account": account, **data}
        event_id = new_event_id(at)
        payload = {
            "id": event_id,
            "type": event.type,
            "occurredAt": format_ms(at),
            "teamId": team_id,
            "data": data,
        }
        rows.append((event_id, event.type, at, payload, subs))
    repository.add_events(session, team_id=team_id, events=rows, at_ms=at)
    return len(rows)
