"""Bombora surge reports: header variants, week dates and ISO week numbers, bad rows."""

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import RowError, RowSignals
from intentsync.signals.service import NewSignal
from tests.signals.importers.helpers import parse

MON_NOV_9 = 1_794_182_400_000  # 2026-11-09, Monday of ISO week 46
MON_NOV_16 = MON_NOV_9 + 7 * 86_400_000


def surge(domain, topic, score, week_ms, **extra):
    return NewSignal(
        "bombora",
        domain,
        week_ms,
        "surge",
        attributes={"topic": topic, "compositeScore": score, **extra},
    )


def test_a_surge_report_row_becomes_one_surge_signal(tmp_path):
    items = parse(
        tmp_path,
        "bombora",
        "Company Name,Domain,Topic ID,Topic Name,Composite Score,Week Start\n"
        "Contoso,https://www.Contoso.example/,1327,Account Based Marketing,82,2026-11-09\n"
        ",fabrikam.example,,Intent Data,64.5,2026-11-18\n",
    )
    assert items == [
        RowSignals(
            2,
            (
                surge(
                    "contoso.example",
                    "Account Based Marketing",
                    82,
                    MON_NOV_9,
                    topicId="1327",
                    companyName="Contoso",
                ),
            ),
        ),
        # A date inside the week stands for its Monday.
        RowSignals(3, (surge("fabrikam.example", "Intent Data", 64.5, MON_NOV_16),)),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "domain;topic_name;composite_score;week",
        "DOMAIN;TOPIC;SCORE;DATE",
        "Company Domain;Topic Name;Composite Score;Week Of",
    ],
)
def test_header_spellings(tmp_path, header):
    # A semicolon file writes a decimal comma; 13.11.2026 can only be day first.
    items = parse(tmp_path, "bombora", f"{header}\nacme.com;CRM;70,0;13.11.2026\n")
    assert items == [RowSignals(2, (surge("acme.com", "CRM", 70, MON_NOV_9),))]


def test_iso_week_numbers_with_a_year_column(tmp_path):
    items = parse(
        tmp_path,
        "bombora",
        "Domain\tTopic Name\tComposite Score\tWeek\tYear\n"
        "acme.com\tCRM\t70\t46\t2026\n"
        "acme.com\tCRM\t71\t2026-11-16\t2026\n"
        "acme.com\tCRM\t72\t54\t2026\n"
        "acme.com\tCRM\t73\t46\t\n",
    )
    assert items == [
        RowSignals(2, (surge("acme.com", "CRM", 70, MON_NOV_9),)),
        RowSignals(3, (surge("acme.com", "CRM", 71, MON_NOV_16),)),
        RowError(4, "Week 54 of Year '2026' is not an ISO week"),
        RowError(5, "Year is empty"),
    ]


def test_a_week_number_needs_a_year_column(tmp_path):
    items = parse(
        tmp_path, "bombora", "Domain,Topic Name,Composite Score,Week\nacme.com,CRM,70,46\n"
    )
    assert items == [RowError(2, "Week '46' is a week number but the file has no Year column")]


def test_bad_rows_are_reported_with_their_line(tmp_path):
    items = parse(
        tmp_path,
        "bombora",
        "Domain,Topic Name,Composite Score,Week Start\n"
        "acme,CRM,70,2026-11-16\n"
        "acme.com,,70,2026-11-16\n"
        "acme.com,CRM,high,2026-11-16\n"
        "acme.com,CRM,101,2026-11-16\n"
        "acme.com,CRM,-1,2026-11-16\n"
        "acme.com,CRM,70,16.11.2026\n"
        "acme.com,CRM,0,2026-11-16\n",
    )
    assert items == [
        RowError(2, "Domain 'acme' is not a valid domain"),
        RowError(3, "Topic Name is empty"),
        RowError(4, "Composite Score 'high' is not a number"),
        RowError(5, "Composite Score 101 is not between 0 and 100"),
        RowError(6, "Composite Score -1 is not between 0 and 100"),
        RowError(
            7,
            "Week '16.11.2026' is not a date (YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY) "
            "or an ISO week number",
        ),
        RowSignals(8, (surge("acme.com", "CRM", 0, MON_NOV_16),)),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Topic Name,Composite Score,Week", "no Domain column"),
        ("Domain,Composite Score,Week", "no Topic Name column"),
        ("Domain,Topic Name,Week", "no Composite Score column"),
        ("Domain,Topic Name,Composite Score,Year", "no Week column (a date in the week, or"),
    ],
)
def test_a_header_without_a_required_column_is_refused(tmp_path, header, missing):
    with pytest.raises(BadRequest, match=missing.replace("(", r"\(")):
        parse(tmp_path, "bombora", header + "\n")
