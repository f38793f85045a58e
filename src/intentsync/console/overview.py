"""The overview: where a team's accounts stand and what moved."""

from datetime import timedelta

from starlette.responses import Response

from intentsync.accounts.service import SCORE_BANDS, standing, top_gainers
from intentsync.console.labels import source_label
from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.charts import Series, bar_chart, legend, stacked_bar_chart
from intentsync.kit.clock import DAY_MS, EPOCH
from intentsync.kit.errors import BadRequest
from intentsync.scoring.history import last_run, recent_stage_moves
from intentsync.signals.service import daily_volume
from intentsync.signals.types import INGESTED_SOURCES

console = ConsoleRouter()

SURGING = 10
STAGE_MOVES = 20
HALF_WIDTH = 480  # charts in a half-width card: a narrower drawing keeps labels legible
VOLUME_DAYS = 90


def band_label(band: int) -> str:
    """0-9 up to 90-100: the top band also holds the perfect score."""
    low = band * 10
    return f"{low}-{low + 9}" if band < SCORE_BANDS - 1 else f"{low}-100"


def _day_label(day: int) -> str:
    return (EPOCH + timedelta(days=day)).strftime("%b %d")


def _source(page: Page, present: list[str]) -> str:
    """The one source asked for ('' for all); an unknown one is refused, as on the account page."""
    source = page.text("source", max_length=32)
    known = [*INGESTED_SOURCES, *(s for s in present if s not in INGESTED_SOURCES)]
    if source and source not in known:
        raise BadRequest(f"source '{source}' is not one of: {', '.join(known)}")
    return source


@console.get("/", access=Access.MEMBER)
def overview(page: Page) -> Response:
    team = page.team_id
    counts = standing(page.session, team_id=team)
    if counts.total == 0:
        _source(page, [])
        return page.render("overview.html", title="Overview", empty=True)
    stages = [(name, counts.stages.get(name, 0)) for name in JOURNEY_STAGES]
    # A stage name outside the catalogue (an old import) still counts, after the journey.
    stages += [(name, n) for name, n in counts.stages.items() if name not in JOURNEY_STAGES]
    bands = [(band_label(i), n) for i, n in enumerate(counts.bands)]
    volume = daily_volume(page.session, team_id=team, days=VOLUME_DAYS)
    days = [volume.first_day + i for i in range(volume.days)]
    present = list(volume.by_source)
    # LinkedIn impressions can dwarf page views: one source at a time shows its own scale.
    only = _source(page, present)
    sources = [only] if only in present else present
    return page.render(
        "overview.html",
        title="Overview",
        empty=False,
        total=counts.total,
        stages=stages,
        funnel_chart=bar_chart(
            title="Accounts per journey stage",
            labels=[page.stage_name(name) for name, _ in stages],
            values=[n for _, n in stages],
            horizontal=True,
            width=HALF_WIDTH,
            height=40 + 36 * len(stages),
        ),
        bands=bands,
        bands_chart=bar_chart(
            title="Accounts per overall score band",
            labels=[label for label, _ in bands],
            values=[n for _, n in bands],
            width=HALF_WIDTH,
        ),
        surging=top_gainers(page.session, team_id=team, limit=SURGING),
        moves=recent_stage_moves(page.session, team_id=team, limit=STAGE_MOVES),
        volume_days=VOLUME_DAYS,
        volume_sources=sources,
        volume_present=present,
        volume_only=only if only in present else "",
        volume_rows=[
            (day * DAY_MS, [volume.by_source[s][i] for s in sources]) for i, day in enumerate(days)
        ],
        volume_chart=stacked_bar_chart(
            title=f"Signals per source per day, last {VOLUME_DAYS} days",
            labels=[_day_label(d) for d in days],
            series=[Series(source_label(s), volume.by_source[s]) for s in sources],
        )
        if sources
        else None,
        volume_legend=legend([source_label(s) for s in sources]),
        run=last_run(page.session, team_id=team),
    )
