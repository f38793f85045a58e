"""A Slack incoming-webhook message for an event: what changed, readable in a channel.

Slack shows "text" in notifications and the blocks in the channel. The account's name, domain,
score and stage come from data.account (as GET /accounts shows it); what it was before comes
from data.previous. Facts an event carries that this module does not know are listed as they
are, so a new event type still reads sensibly.
"""

from typing import Any
from urllib.parse import quote

from intentsync.webhooks.events import (
    ACCOUNT_CREATED,
    ACCOUNT_DELETED,
    ACCOUNT_SCORE_CHANGED,
    ACCOUNT_STAGE_CHANGED,
    IMPORT_COMPLETED,
    SCORING_RUN_COMPLETED,
    SEGMENT_MEMBERSHIP_CHANGED,
)

MAX_FACTS = 10


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _segment_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value else []
    names = []
    for item in items:
        if isinstance(item, dict):
            names.append(str(item.get("name") or item.get("id") or item))
        else:
            names.append(str(item))
    return names


def _change(event_type: str, data: dict[str, Any], account: dict[str, Any]) -> str:
    previous = _dict(data.get("previous"))
    score, stage = account.get("rtp_account_score"), account.get("rtp_journey_stage")
    if event_type == ACCOUNT_SCORE_CHANGED:
        return f"Score {previous.get('rtp_account_score', '?')} → {score}"
    if event_type == ACCOUNT_STAGE_CHANGED:
        return f"Stage {previous.get('rtp_journey_stage', '?')} → {stage}"
    if event_type == ACCOUNT_CREATED:
        return "New account"
    if event_type == ACCOUNT_DELETED:
        return "Account deleted"
    if event_type == SEGMENT_MEMBERSHIP_CHANGED:
        parts = []
        for key, verb in (("added", "Added to"), ("removed", "Removed from")):
            names = _segment_names(data.get(key))
            if names and not isinstance(data.get(key), bool):
                parts.append(f"{verb} segment {', '.join(names)}")
        segment = _segment_names(data.get("segment"))
        if not parts and segment:
            verb = (
                "Removed from"
                if data.get("removed") or data.get("change") == "removed"
                else ("Added to")
            )
            parts.append(f"{verb} segment {', '.join(segment)}")
        return "; ".join(parts) or "Segment membership changed"
    if event_type == SCORING_RUN_COMPLETED:
        return "Scoring run completed"
    if event_type == IMPORT_COMPLETED:
        return "Import completed"
    return event_type


def _facts(data: dict[str, Any]) -> list[str]:
    """Plain values of the event beside the account, as `key: value` lines."""
    facts = []
    for key, value in data.items():
        if key in ("account", "previous", "change") or isinstance(value, (dict, list)):
            continue
        facts.append(f"{key}: {value}")
    return facts[:MAX_FACTS]


def message(payload: dict[str, Any], public_url: str) -> dict[str, Any]:
    """The Slack body for one event payload as stored in the outbox."""
    event_type = str(payload.get("type", "event"))
    data = _dict(payload.get("data"))
    account = _dict(data.get("account"))
    change = _change(event_type, data, account)
    lines = []
    title = change
    if account:
        name, domain = account.get("name", ""), account.get("domain", "")
        label = f"{name} ({domain})" if domain else str(name)
        link = f"{public_url.rstrip('/')}/accounts/{quote(str(account.get('rtp_aid', '')))}"
        title = f"{label}: {change}"
        lines.append(f"*<{link}|{label}>*")
        lines.append(change)
        lines.append(
            f"Score *{account.get('rtp_account_score', '?')}* · "
            f"Stage *{account.get('rtp_journey_stage', '?')}*"
        )
        segments = _segment_names(account.get("rtp_segments"))
        if segments:
            lines.append("Segments: " + ", ".join(segments))
    else:
        lines.append(f"*{change}*")
    lines += _facts(data)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"intentsync · {event_type} · {payload.get('occurredAt', '')}",
                }
            ],
        },
    ]
    return {"text": title, "blocks": blocks}
