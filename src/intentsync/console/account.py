"""One account's page: who it is, how it scores and why, and what happened to it lately.

The address is /accounts/{rtp_aid}. An externalId of the team works too and redirects to the
rtp_aid address; a key that is one account's rtp_aid and another's externalId names the
rtp_aid's account. Every list is bounded: the signal and activity timelines page by cursor.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.responses import Response

from intentsync.accounts.service import AccountProfile, find_profile
from intentsync.activities.service import account_activities
from intentsync.console.labels import SOURCE_LABELS, source_label
from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.custom_fields.service import list_fields
from intentsync.deals.service import account_deals
from intentsync.kit import charts
from intentsync.kit.errors import BadRequest
from intentsync.scoring.explain import explain
from intentsync.scoring.history import score_history, signal_timeline, stage_history
from intentsync.segments.service import memberships
from intentsync.signals.types import INGESTED_SOURCES

console = ConsoleRouter()

HISTORY_DAYS = 90
SIGNALS_SHOWN = 20
ACTIVITIES_SHOWN = 20
DEALS_SHOWN = 20
DEALS_MORE = 100  # "show more deals" raises the bound, never lifts it
CURSOR_LENGTH = 64
MAX_SCORE = 100  # every score is 0-100: the chart's axis stays put from account to account


@dataclass(frozen=True)
class Series:
    """One line of the history chart: the history field it reads and how the legend names it."""

    field: str
    label: str


HISTORY_SERIES = (
    Series("rtp_account_score", "Overall"),
    Series("rtp_website_intent_score", source_label("website")),
    Series("rtp_g2_intent_score", source_label("g2")),
    Series("rtp_bombora_intent_score", source_label("bombora")),
    Series("rtp_advertising_activity_score", source_label("linkedin")),
)

# Attributes that say what a signal was about, most telling first.
DETAIL_ATTRIBUTES = ("url", "page", "path", "title", "topic", "product", "campaign")


def shown_time(iso: str | None) -> str:
    """An envelope timestamp (ISO 8601, Z) the way console tables show time."""
    if not iso:
        return "—"
    return f"{iso[:10]} {iso[11:16]} UTC"


def signal_detail(signal: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs that say what the signal was about: page, topic or campaign."""
    attributes: dict[str, Any] = signal.get("attributes") or {}
    found = [
        (name, str(attributes[name]))
        for name in DETAIL_ATTRIBUTES
        if isinstance(attributes.get(name), str | int | float) and str(attributes[name]).strip()
    ]
    if signal["source"] == "bombora" and "compositeScore" in attributes:
        found.append(("compositeScore", str(attributes["compositeScore"])))
    return found


def _link(rtp_aid: str, anchor: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/accounts/{quote(rtp_aid)}" + (f"?{query}" if query else "") + f"#{anchor}"


def _source(page: Page) -> str | None:
    source = page.text("source", max_length=16)
    if not source:
        return None
    if source not in INGESTED_SOURCES:
        raise BadRequest(f"source '{source}' is not one of: {', '.join(INGESTED_SOURCES)}")
    return source


def _custom_fields(page: Page, profile: AccountProfile) -> list[tuple[str, str, Any]]:
    """(label, key, value) per stored custom field; a retired field shows its key."""
    labels = {f.key: f.label for f in list_fields(page.session, team_id=page.team_id)}
    return [
        (labels.get(key, key), key, value)
        for key, value in sorted(
            profile.custom_fields.items(), key=lambda kv: labels.get(kv[0], kv[0]).lower()
        )
    ]


@console.get("/accounts/{key}", access=Access.MEMBER)
def account_page(page: Page) -> Response:
    key = page.path_param("key")
    session, team_id = page.session, page.team_id
    profile = find_profile(session, team_id=team_id, key=key)
    if key != profile.rtp_aid:  # an externalId: the page lives at its rtp_aid address
        query = f"?{page.query}" if str(page.query) else ""
        return page.redirect(f"/accounts/{quote(profile.rtp_aid)}{query}")
    rtp_aid = profile.rtp_aid
    source = _source(page)
    signals_cursor = page.text("signals_cursor", max_length=CURSOR_LENGTH) or None
    activities_cursor = page.text("activities_cursor", max_length=CURSOR_LENGTH) or None
    deals_bound = page.number("deals", DEALS_SHOWN, lo=1, hi=DEALS_MORE) or DEALS_SHOWN

    explanation = explain(session, team_id=team_id, rtp_aid=rtp_aid)
    history = score_history(session, team_id=team_id, rtp_aid=rtp_aid, days=HISTORY_DAYS)
    stages = stage_history(session, team_id=team_id, rtp_aid=rtp_aid)
    signals = signal_timeline(
        session,
        team_id=team_id,
        rtp_aid=rtp_aid,
        limit=SIGNALS_SHOWN,
        cursor=signals_cursor,
        source=source,
    )
    deals, more_deals = account_deals(
        session, team_id=team_id, account_id=profile.id, limit=deals_bound
    )
    activities, activities_next = account_activities(
        session,
        team_id=team_id,
        account_id=profile.id,
        limit=ACTIVITIES_SHOWN,
        cursor=activities_cursor,
    )
    segments = memberships(session, [profile.id]).get(profile.id, [])

    return page.render(
        "account.html",
        title=profile.name,
        account=profile,
        custom_fields=_custom_fields(page, profile),
        explanation=explanation,
        source_labels=SOURCE_LABELS,
        history=history,
        history_rows=history["points"],
        history_days=HISTORY_DAYS,
        series=HISTORY_SERIES,
        chart=history_chart(history) if history["points"] else None,
        legend=charts.legend([s.label for s in HISTORY_SERIES]),
        stages=stages,
        signals=[
            {**s, "shown_at": shown_time(s["occurredAt"]), "detail": signal_detail(s)}
            for s in signals["data"]
        ],
        signal_sources=INGESTED_SOURCES,
        source=source,
        signals_paged=signals_cursor is not None,
        older_signals=_link(rtp_aid, "signals", source=source, signals_cursor=signals["nextCursor"])
        if signals["nextCursor"]
        else None,
        newest_signals=_link(rtp_aid, "signals", source=source),
        deals=deals,
        more_deals=_link(rtp_aid, "deals", deals=str(DEALS_MORE))
        if more_deals and deals_bound < DEALS_MORE
        else None,
        deals_capped=more_deals and deals_bound >= DEALS_MORE,
        deals_bound=deals_bound,
        deals_more=DEALS_MORE,
        activities=activities,
        activities_paged=activities_cursor is not None,
        older_activities=_link(rtp_aid, "activities", activities_cursor=activities_next)
        if activities_next
        else None,
        newest_activities=_link(rtp_aid, "activities"),
        segments=segments,
        shown_time=shown_time,
    )


def history_chart(history: dict[str, Any]) -> Markup:
    """The score history as an SVG line chart: one line per series, one point per day."""
    points = history["points"]
    return charts.line_chart(
        title=f"Scores per day, {history['from']} to {history['to']}",
        labels=[p["asOf"][5:] for p in points],  # MM-DD: the table names the year
        series=[
            charts.Series(s.label, [float(p[s.field]) for p in points]) for s in HISTORY_SERIES
        ],
        y_max=MAX_SCORE,
    )
