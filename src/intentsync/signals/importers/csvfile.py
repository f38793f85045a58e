"""CSV exports read as a stream: UTF-8 with or without BOM, sniffed delimiter, forgiving header."""

import codecs
import csv
import io
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.errors import BadRequest
from intentsync.signals.service import NewSignal

DELIMITERS = (",", ";", "\t")
DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY"
MAX_QUANTITY = 1e9  # the API's limit on one signal's quantity

_YMD_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that is reported as `line N: reason` and skipped; the import goes on."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class RowSignals:
    """The signals one row yields, kept with its line so an ingest failure can name it."""

    line: int
    signals: tuple[NewSignal, ...]


def header_key(name: str) -> str:
    """Case, spaces and punctuation never matter: 'Company Domain' = 'company_domain'."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


class Header:
    """Column positions by forgiving name; the first of duplicated names wins."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self._index: dict[str, int] = {}
        for index, name in enumerate(names):
            self._index.setdefault(header_key(name), index)

    def find(self, *spellings: str) -> int | None:
        for spelling in spellings:
            index = self._index.get(header_key(spelling))
            if index is not None:
                return index
        return None

    def require(self, *spellings: str, note: str = "") -> int:
        """The column's position; a missing column stops the import before anything is stored."""
        index = self.find(*spellings)
        if index is None:
            raise BadRequest(missing_column(spellings, note=note))
        return index


def missing_column(spellings: Sequence[str], *, note: str = "") -> str:
    accepted = ", ".join(f"'{s}'" for s in spellings)
    return (
        f"the header has no {spellings[0]} column{note}; accepted spellings: {accepted} "
        "(case, spaces, underscores and punctuation are ignored)"
    )


class CsvTable:
    """An open export: its header, then its data rows with the line each starts on."""

    def __init__(self, raw: io.BufferedReader, name: str) -> None:
        self._raw = raw
        self._name = name
        self.size = os.fstat(raw.fileno()).st_size
        first = self._decode(raw.readline().removeprefix(codecs.BOM_UTF8), 1)
        if not first.strip():
            raise BadRequest(f"{name} is empty: the first line must be the header")
        self.delimiter = sniff_delimiter(first)
        lines = itertools.chain([first], self._decoded())
        self._reader = csv.reader(lines, delimiter=self.delimiter, skipinitialspace=True)
        self.header = Header([cell.strip() for cell in next(self._reader)])

    def _decode(self, data: bytes, line: int) -> str:
        """Decoded a line at a time, so a bad byte is reported on its own line."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(
                f"{self._name} line {line}: the file is not UTF-8 text; "
                "export or save it as CSV UTF-8"
            ) from None

    def _decoded(self) -> Iterator[str]:
        for line, data in enumerate(self._raw, start=2):
            yield self._decode(data, line)

    def position(self) -> int:
        """Bytes read so far, for progress."""
        return self._raw.tell()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows with their first line number; blank rows are passed over."""
        line = self._reader.line_num
        try:
            for cells in self._reader:
                start, line = line + 1, self._reader.line_num
                if any(cell.strip() for cell in cells):
                    yield start, cells
        except csv.Error as exc:
            raise BadRequest(f"{self._name} line {line + 1}: {exc}") from None


@contextmanager
def open_csv(path: Path) -> Iterator[CsvTable]:
    """Open an export for streaming; an unreadable file stops the import with the reason."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror or exc}") from None
    with raw:
        yield CsvTable(raw, str(path))


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab outside quotes; comma on a tie."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(DELIMITERS, key=lambda d: counts[d])


def cell(cells: Sequence[str], index: int | None) -> str:
    """A trimmed value; a missing column or a short row reads as empty."""
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


@lru_cache(maxsize=4096)  # an export repeats a few hundred dates across all its rows
def parse_date(text: str) -> int | None:
    """Epoch ms of YYYY-MM-DD (or an ISO date-time), YYYY/MM/DD or MM/DD/YYYY, taken as UTC."""
    if match := _YMD_SLASHED.fullmatch(text):
        year, month, day = match.groups()
    elif match := _US_DATE.fullmatch(text):
        month, day, year = match.groups()
    elif _ISO_DATE.match(text):
        parsed = parse_iso8601(text)
        return None if parsed is None else to_ms(parsed)
    else:
        return None
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return day_ms(value)


def day_ms(value: date) -> int:
    return to_ms(datetime(value.year, value.month, value.day, tzinfo=UTC))


def parse_number(text: str) -> float | None:
    """Plain decimals and comma-grouped thousands ('1,234.5'); a decimal comma is refused."""
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", ""))


def plain(value: float) -> int | float:
    """Whole numbers stay integers in stored attributes: 72, not 72.0."""
    return int(value) if value.is_integer() else value
