"""What the importers share: header spellings, and dates and numbers by the file's conventions."""

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import (
    Conventions,
    Header,
    header_key,
    parse_date,
    parse_number,
)

NOV_16 = 1_794_787_200_000  # 2026-11-16T00:00:00Z


@pytest.mark.parametrize(
    "name",
    ["Company Domain", "company_domain", "COMPANY-DOMAIN", " Company.Domain ", "companydomain"],
)
def test_header_names_ignore_case_spaces_and_punctuation(name):
    assert header_key(name) == "companydomain"
    assert Header(["x", name]).find("company_domain") == 1


def test_a_missing_column_names_it_and_its_spellings():
    with pytest.raises(BadRequest) as caught:
        Header(["Domain"]).require("Topic Name", "Topic")
    assert caught.value.custom_message == (
        "the header has no Topic Name column; accepted spellings: 'Topic Name', 'Topic' "
        "(case, spaces, underscores and punctuation are ignored)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-16", NOV_16),
        ("2026/11/16", NOV_16),
        ("2026/1/5", NOV_16 - 315 * 86_400_000),
        ("11/16/2026", NOV_16),
        ("1/5/2026", NOV_16 - 315 * 86_400_000),
        ("2026-11-16T10:30:00Z", NOV_16 + 37_800_000),
        ("2026-11-16T01:00:00+02:00", NOV_16 - 3_600_000),
        ("16.11.2026", None),
        ("16/11/2026", None),
        ("02/30/2026", None),
        ("2026-13-01", None),
        ("11/16/26", None),
        ("", None),
        ("next week", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72", 72.0),
        ("72.5", 72.5),
        ("-3", -3.0),
        (".5", 0.5),
        ("1,234", 1234.0),
        ("1,234,567.25", 1234567.25),
        ("72,5", None),
        ("1,23", None),
        ("1e3", None),
        ("nan", None),
        ("12%", None),
        ("", None),
    ],
)
def test_numbers(text, expected):
    assert parse_number(text) == expected


SEP_1 = NOV_16 - 76 * 86_400_000  # 2026-09-01


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("01/09/2026", True, SEP_1),
        ("1/9/2026", True, SEP_1),
        ("01.09.2026", True, SEP_1),
        ("09/01/2026", False, SEP_1),
        ("01.09.2026", False, None),
        ("16/11/2026", True, NOV_16),
        ("11/16/2026", True, None),
        # When the file does not say, only a value above 12 tells the day from the month.
        ("16/11/2026", None, NOV_16),
        ("11/16/2026", None, NOV_16),
        ("01/09/2026", None, None),
        ("01.09.2026", None, SEP_1),
        ("2026-09-01", None, SEP_1),
    ],
)
def test_day_order_follows_the_file(text, day_first, expected):
    assert parse_date(text, day_first) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72,5", 72.5),
        ("10,00", 10.0),
        ("1.234", 1234.0),
        ("1.234,5", 1234.5),
        ("1 234,5", 1234.5),
        ("1\u00a0234", 1234.0),
        ("1\u202f234,75", 1234.75),
        ("72.5", 72.5),
        ("1,234", 1.234),
        ("1.23.4", None),
        ("12%", None),
        ("", None),
    ],
)
def test_numbers_with_a_decimal_comma(text, expected):
    assert parse_number(text, decimal_comma=True) == expected


def test_conventions_of_a_delimiter():
    assert Conventions.of_delimiter(";") == Conventions(decimal_comma=True, day_first=None)
    assert Conventions.of_delimiter(",") == Conventions(decimal_comma=False, day_first=False)
    assert Conventions.of_delimiter("\t") == Conventions(decimal_comma=False, day_first=False)
