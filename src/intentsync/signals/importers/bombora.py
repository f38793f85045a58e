"""Bombora Company Surge reports: one row per domain, topic and week becomes one surge signal."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import (
    Conventions,
    Header,
    ImportSpec,
    RowError,
    RowSignals,
    cell,
    day_ms,
    missing_column,
    needed,
    plain,
)
from intentsync.signals.service import NewSignal
from intentsync.signals.types import DAY_MS, day_of, week_start

DOMAIN = ("Domain", "Company Domain")
TOPIC = ("Topic Name", "Topic")
TOPIC_ID = ("Topic ID",)
SCORE = ("Composite Score", "Score")
WEEK = ("Week", "Week Start", "Week Of", "Date")
YEAR = ("Year",)
COMPANY = ("Company Name", "Company")


@dataclass(frozen=True, slots=True)
class Layout:
    domain: int
    topic: int
    topic_id: int | None
    score: int
    week: int
    year: int | None
    company: int | None
    conventions: Conventions


def layout(header: Header, conventions: Conventions = Conventions()) -> Layout:
    """Where each column is; a dated week column is preferred over a week number."""
    domain, topic, score = (header.require(*c) for c in (DOMAIN, TOPIC, SCORE))
    week = header.find(*WEEK[1:], WEEK[0])
    if week is None:
        note = " (a date in the week, or Week and Year as ISO week numbers)"
        raise BadRequest(missing_column(WEEK, note=note))
    return Layout(
        domain=domain,
        topic=topic,
        topic_id=header.find(*TOPIC_ID),
        score=score,
        week=week,
        year=header.find(*YEAR),
        company=header.find(*COMPANY),
        conventions=conventions,
    )


def spec(
    header: Header, _report: Sequence[str], delimiter: str
) -> ImportSpec[RowSignals | RowError]:
    found = layout(header, Conventions.of_delimiter(delimiter))
    required = needed(found.domain, found.topic, found.score, found.week)
    return ImportSpec(partial(parse_row, found), required)


def _week_ms(layout: Layout, cells: Sequence[str]) -> int | str:
    """The Monday of the row's week, from a date in it or an ISO week number and year."""
    text = cell(cells, layout.week)
    if text.isdigit() and len(text) <= 2:
        if layout.year is None:
            return f"Week '{text}' is a week number but the file has no Year column"
        year = cell(cells, layout.year)
        if not year.isdigit():
            return f"Year '{year}' is not a year" if year else "Year is empty"
        try:
            return day_ms(date.fromisocalendar(int(year), int(text), 1))
        except ValueError:
            return f"Week {text} of Year '{year}' is not an ISO week"
    ms = layout.conventions.date(text)
    if ms is None:
        formats = layout.conventions.date_formats
        return f"Week '{text}' is not a date ({formats}) or an ISO week number"
    return week_start(day_of(ms)) * DAY_MS


def parse_row(layout: Layout, line: int, cells: Sequence[str]) -> RowSignals | RowError:
    """One surge signal with attributes topic, topicId and compositeScore."""
    raw_domain = cell(cells, layout.domain)
    domain = clean_domain(raw_domain)
    if not domain:
        return RowError(line, f"Domain '{raw_domain}' is not a valid domain")
    topic = cell(cells, layout.topic)
    if not topic:
        return RowError(line, "Topic Name is empty")
    score_text = cell(cells, layout.score)
    score = layout.conventions.number(score_text)
    if score is None:
        return RowError(line, f"Composite Score '{score_text}' is not a number")
    if not 0 <= score <= 100:
        return RowError(line, f"Composite Score {score_text} is not between 0 and 100")
    week = _week_ms(layout, cells)
    if isinstance(week, str):
        return RowError(line, week)
    attributes: dict[str, Any] = {"topic": topic, "compositeScore": plain(score)}
    if topic_id := cell(cells, layout.topic_id):
        attributes["topicId"] = topic_id
    if company := cell(cells, layout.company):
        attributes["companyName"] = company
    signal = NewSignal("bombora", domain, week, "surge", attributes=attributes)
    return RowSignals(line, (signal,))
