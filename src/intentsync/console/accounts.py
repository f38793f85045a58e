"""The account list: filter, sort and page a team's accounts, export them, save them as a segment.

Every filter is a GET parameter, so a filtered view is a URL to share. The same parameters
drive the CSV export and, posted with a name, the dynamic segment saved from the view.
"""

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response, StreamingResponse

from intentsync.accounts.schemas import (
    PAGE_SIZES,
    RANGE_FIELDS,
    SORT_KEYS,
    TRENDS,
    AccountFilter,
    AccountListPage,
    ListCursor,
    ListedAccount,
    ListQuery,
    ScoreRange,
)
from intentsync.accounts.service import (
    account_list_page,
    check_list_query,
    export_accounts,
    save_as_segment,
)
from intentsync.console.labels import SCORE_SOURCES, score_label
from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.db.engine import Database
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.clock import format_ms
from intentsync.kit.errors import BadRequest, Conflict
from intentsync.segments.service import summaries

console = ConsoleRouter()

SCORE_MAX = 100
INTEGER_MAX = 2**31 - 1  # the score columns; larger cursor values are not ours
BIGINT_MAX = 2**63 - 1  # ids and times
RANGE_LABELS = {"score": "Score", **{name: score_label(name) for name in SCORE_SOURCES}}
# Every parameter a view keeps in its links, its export and its save form.
FILTER_FIELDS = (
    "q",
    "stage",
    "segment",
    *(f"{name}_{end}" for name in RANGE_FIELDS for end in ("min", "max")),
    "tag",
    "trend",
    "change_min",
)
VIEW_FIELDS = (*FILTER_FIELDS, "sort", "dir", "size")
# Table columns in order: (sort key or None, heading, numeric).
COLUMNS = (
    ("name", "Name", False),
    (None, "Domain", False),
    (None, "externalId", False),
    ("score", "Score", True),
    (None, "Stage", False),
    *((name, score_label(name), True) for name in SCORE_SOURCES),
    ("change_7d", "7-day", True),
    ("change_30d", "30-day", True),
    ("changed", "Last changed", False),
    (None, "Tags", False),
)
CSV_HEADER = (
    "name",
    "domain",
    "externalId",
    "rtp_aid",
    "score",
    "stage",
    "website",
    "g2",
    "bombora",
    "advertising",
    "change_7d",
    "change_30d",
    "last_changed",
    "tags",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _raw(page: Page) -> dict[str, str]:
    """The view's parameters as sent (form on POST, query on GET), to refill the form."""
    source: Mapping[str, Any] = page.form if page.form is not None else page.query
    return {
        name: value.strip()[:200]
        for name in VIEW_FIELDS
        if isinstance(value := source.get(name), str) and value.strip()
    }


def _whole(raw: Mapping[str, str], name: str, label: str, lo: int, hi: int) -> int | None:
    text = raw.get(name, "")
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(
            f"{label} should be a whole number from {lo} to {hi}, not '{text[:40]}'"
        ) from None
    if not lo <= value <= hi:
        raise BadRequest(f"{label} should be from {lo} to {hi}, not {value}")
    return value


def read_filter(raw: Mapping[str, str]) -> AccountFilter:
    """The filter a view's parameters describe; a value that is not a number is refused."""
    ranges: dict[str, ScoreRange] = {}
    for name in RANGE_FIELDS:
        label = RANGE_LABELS[name]
        low = _whole(raw, f"{name}_min", f"{label} minimum", 0, SCORE_MAX)
        high = _whole(raw, f"{name}_max", f"{label} maximum", 0, SCORE_MAX)
        if low is not None and high is not None and low > high:
            what = label if name == "score" else f"{label} score"
            raise BadRequest(f"{what}: the minimum ({low}) is above the maximum ({high})")
        if low is not None or high is not None:
            ranges[name] = ScoreRange(low, high)
    trend = raw.get("trend", "any")
    if trend not in TRENDS:
        raise BadRequest(f"Trend should be one of: {', '.join(TRENDS)}")
    return AccountFilter(
        search=raw.get("q", ""),
        stage=raw.get("stage") or None,
        segment_id=raw.get("segment") or None,
        ranges=ranges,
        tag=raw.get("tag", ""),
        trend=trend,
        min_change_7d=_whole(raw, "change_min", "Minimum 7-day change", -SCORE_MAX, SCORE_MAX),
    )


def encode_cursor(cursor: ListCursor) -> str:
    text = json.dumps([cursor.sort, cursor.descending, cursor.value, cursor.account_id])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> ListCursor:
    """A page link's cursor; anything we did not hand out is refused, never half-read."""
    damaged = BadRequest("This page link is damaged; start again from the first page")
    try:
        sort, descending, value, account_id = json.loads(base64.urlsafe_b64decode(token + "=="))
    except (binascii.Error, ValueError, TypeError):
        raise damaged from None
    limit = BIGINT_MAX if sort == "changed" else INTEGER_MAX  # what the sorted column holds
    if (
        sort not in SORT_KEYS
        or not isinstance(descending, bool)
        or isinstance(value, bool)
        or not isinstance(value, int | str)
        or isinstance(account_id, bool)
        or not isinstance(account_id, int)
        or not 0 <= account_id <= BIGINT_MAX
        or (isinstance(value, int) and not -limit - 1 <= value <= limit)
        or (isinstance(value, str)) != (sort == "name")
    ):
        raise damaged
    return ListCursor(sort, descending, value, account_id)


def read_query(raw: Mapping[str, str], query: Mapping[str, str]) -> ListQuery:
    """Filter, sort and page size from the view's parameters; the cursor from the link."""
    sort = raw.get("sort", "score")
    if sort not in SORT_KEYS:
        raise BadRequest(f"Sort by one of: {', '.join(SORT_KEYS)}")
    direction = raw.get("dir", "asc" if sort == "name" else "desc")
    if direction not in ("asc", "desc"):
        raise BadRequest("Sort direction should be asc or desc")
    size = _whole(raw, "size", "Page size", 1, max(PAGE_SIZES)) or 50
    if size not in PAGE_SIZES:
        raise BadRequest(f"Page size should be one of: {', '.join(map(str, PAGE_SIZES))}")
    after, before = query.get("after"), query.get("before")
    return ListQuery(
        filter=read_filter(raw),
        sort=sort,
        descending=direction == "desc",
        size=size,
        after=decode_cursor(after[:400]) if after else None,
        before=decode_cursor(before[:400]) if before else None,
    )


@dataclass(frozen=True)
class View:
    """Links of one list view: each keeps the filter and changes one thing."""

    params: dict[str, str]
    sort: str
    descending: bool

    def url(self, path: str = "/accounts", **changes: str) -> str:
        merged = {k: v for k, v in {**self.params, **changes}.items() if v}
        return f"{path}?{urlencode(merged)}" if merged else path

    def sort_url(self, key: str) -> str:
        if key == self.sort:
            direction = "asc" if self.descending else "desc"
        else:
            direction = "asc" if key == "name" else "desc"
        return self.url(sort=key, dir=direction)

    def aria_sort(self, key: str | None) -> str | None:
        if key != self.sort:
            return None
        return "descending" if self.descending else "ascending"


def _view(raw: Mapping[str, str], query: ListQuery | None) -> View:
    params = {name: raw[name] for name in VIEW_FIELDS if name in raw}
    if query is None:
        return View(params, raw.get("sort", "score"), raw.get("dir", "desc") != "asc")
    params.update(sort=query.sort, dir="desc" if query.descending else "asc", size=str(query.size))
    return View(params, query.sort, query.descending)


def _render(
    page: Page,
    *,
    raw: dict[str, str],
    query: ListQuery | None,
    listing: AccountListPage | None,
    error: str | None = None,
    save_error: str | None = None,
    status: int | None = None,
) -> Response:
    status = status or (400 if error or save_error else 200)
    view = _view(raw, query)
    return page.render(
        "accounts.html",
        status=status,
        title="Accounts",
        raw=raw,
        view=view,
        listing=listing,
        error=error,
        save_error=save_error,
        stages=JOURNEY_STAGES,
        segments=[s for s in summaries(page.session, team_id=page.team_id) if s[3] != "archived"],
        range_fields=RANGE_FIELDS,
        range_labels=RANGE_LABELS,
        columns=COLUMNS,
        page_sizes=PAGE_SIZES,
        next_url=(
            view.url(after=encode_cursor(listing.next_cursor))
            if listing and listing.next_cursor
            else None
        ),
        previous_url=(
            view.url(before=encode_cursor(listing.previous_cursor))
            if listing and listing.previous_cursor
            else None
        ),
    )


def _list(page: Page, *, save_error: str | None = None, status: int | None = None) -> Response:
    raw = _raw(page)
    try:
        query = read_query(raw, page.query)
        listing = account_list_page(page.session, team_id=page.team_id, query=query)
    except BadRequest as exc:
        return _render(page, raw=raw, query=None, listing=None, error=exc.custom_message)
    return _render(
        page, raw=raw, query=query, listing=listing, save_error=save_error, status=status
    )


@console.get("/accounts", access=Access.MEMBER)
def accounts(page: Page) -> Response:
    return _list(page)


@console.post("/accounts", access=Access.MEMBER)
def save_view_as_segment(page: Page) -> Response:
    """The view's filter becomes a dynamic segment's rules; a refusal re-shows the view."""
    try:
        name = page.text("segment_name", max_length=255)
        if not name:
            raise BadRequest("Give the segment a name")
        f = read_filter(_raw(page))
        segment_id = save_as_segment(page.session, team_id=page.team_id, name=name, f=f)
    except (BadRequest, Conflict) as exc:
        page.session.rollback()  # the view drawn next lists no half-saved segment
        return _list(page, save_error=exc.custom_message, status=exc.status_code)
    return page.redirect(f"/segments/{segment_id}")


def _cell(text: str | None) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(account: ListedAccount) -> list[str | int]:
    return [
        _cell(account.name),
        _cell(account.domain),
        _cell(account.external_id),
        account.rtp_aid,
        account.account_score,
        _cell(account.journey_stage),
        account.website_score,
        account.g2_score,
        account.bombora_score,
        account.advertising_score,
        account.score_change_7d,
        account.score_change_30d,
        format_ms(account.changed_ms),
        _cell("; ".join(account.tags)),
    ]


def _csv_lines(db: Database, *, team_id: int, query: ListQuery) -> Iterator[str]:
    """The export's body: its own read transaction, as the page's ends with the handler."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def taken() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield taken()
    with db.transaction(write=False) as session:
        for batch in export_accounts(session, team_id=team_id, query=query):
            writer.writerows(csv_row(account) for account in batch)
            yield taken()


@console.get("/accounts.csv", access=Access.MEMBER)
def export_csv(page: Page) -> Response:
    """Every account of the view (not one page) as CSV, streamed a keyset batch at a time."""
    raw = _raw(page)
    try:
        query = read_query(raw, {})
        check_list_query(page.session, team_id=page.team_id, query=query)
    except BadRequest as exc:
        return _render(page, raw=raw, query=None, listing=None, error=exc.custom_message)
    return StreamingResponse(
        _csv_lines(page.request.app.state.db, team_id=page.team_id, query=query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
    )
