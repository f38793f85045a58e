"""Reading exports: header spellings, delimiters, BOM, line numbers, dates and numbers."""

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import (
    Header,
    header_key,
    open_csv,
    parse_date,
    parse_number,
    sniff_delimiter,
)
from tests.signals.importers.helpers import write

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
    ("line", "expected"),
    [
        ("a,b,c\r\n", ","),
        ("a;b;c\n", ";"),
        ("a\tb\tc\n", "\t"),
        ('"Name, Inc";b;c\n', ";"),
        ("single\n", ","),
    ],
)
def test_the_delimiter_is_sniffed_from_the_header(line, expected):
    assert sniff_delimiter(line) == expected


def test_bom_blank_rows_and_multiline_cells_keep_true_line_numbers(tmp_path):
    text = 'Domain;Note\r\nacme.com;"one\r\ntwo"\r\n\r\n;\r\nglobex.com;x\r\n'
    path = write(tmp_path, text, encoding="utf-8-sig")
    with open_csv(path) as table:
        assert table.header.names == ["Domain", "Note"]
        assert table.delimiter == ";"
        rows = list(table.rows())
        assert table.position() == path.stat().st_size
    assert rows == [(2, ["acme.com", "one\r\ntwo"]), (6, ["globex.com", "x"])]


def test_an_unreadable_file_stops_the_import(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(BadRequest, match=r"cannot read .*missing\.csv: No such file"):
        with open_csv(missing):
            pass
    with pytest.raises(BadRequest, match="is empty: the first line must be the header"):
        with open_csv(write(tmp_path, "\n")):
            pass


def test_a_row_the_csv_reader_cannot_read_names_its_line(tmp_path):
    huge = "x" * 200_000
    with open_csv(write(tmp_path, f"Domain,Note\nacme.com,a\nglobex.com,{huge}\n")) as table:
        with pytest.raises(BadRequest, match=r"export\.csv line 3: field larger than field limit"):
            list(table.rows())


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = write(tmp_path, "Domain,Name\nacme.com,Acme\nmuller.de,M\xfcller\n", encoding="latin-1")
    with open_csv(path) as table, pytest.raises(BadRequest) as caught:
        list(table.rows())
    assert caught.value.custom_message.endswith(
        "line 3: the file is not UTF-8 text; export or save it as CSV UTF-8"
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
