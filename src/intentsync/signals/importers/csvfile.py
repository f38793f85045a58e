"""What every vendor importer shares: forgiving headers, dates and numbers as files hold them."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Generic, TypeVar

from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.errors import BadRequest
from intentsync.kit.tabular import key
from intentsync.signals.service import NewSignal

MAX_QUANTITY = 1e9  # the API's limit on one signal's quantity

Item = TypeVar("Item", covariant=True)

_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_POINT_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
# 1.234,5 / 1 234,5 / 1234,5 / 72,5; a plain 72.5 is still read as a decimal point.
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:[. \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?|[+-]?,\d+")
_POINT_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
_GROUPING = str.maketrans("", "", ". \u00a0\u202f")


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


@dataclass(frozen=True, slots=True)
class Conventions:
    """How a file writes numbers and dates: by its delimiter, or by the language of its header.

    day_first None means the file does not say, so only unambiguous slashed dates are read.
    """

    decimal_comma: bool = False
    day_first: bool | None = False

    @classmethod
    def of_delimiter(cls, delimiter: str) -> "Conventions":
        """A semicolon file comes from a spreadsheet in a decimal-comma locale."""
        return cls(decimal_comma=True, day_first=None) if delimiter == ";" else cls()

    @property
    def date_formats(self) -> str:
        if self.day_first is None:
            return (
                "YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, or DD/MM/YYYY and MM/DD/YYYY where the "
                "day is above 12, as the file does not say which comes first"
            )
        if self.day_first:
            return "YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY or DD.MM.YYYY"
        return "YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY"

    def date(self, text: str) -> int | None:
        return parse_date(text, self.day_first)

    def number(self, text: str) -> float | None:
        return parse_number(text, decimal_comma=self.decimal_comma)


@dataclass(frozen=True, slots=True)
class ImportSpec(Generic[Item]):
    """What an importer made of a header: how to parse a row, and how many cells it needs."""

    parse: Callable[[int, Sequence[str]], Item]
    needed: int


def header_key(name: str) -> str:
    """Case, spaces and punctuation never matter: 'Company Domain' = 'company_domain'."""
    return key(name)


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


def cell(cells: Sequence[str], index: int | None) -> str:
    """A trimmed value; a missing column or a short row reads as empty."""
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def needed(*required: int) -> int:
    """Cells a row must have: up to the last required column; later ones are optional."""
    return max(required) + 1


@lru_cache(maxsize=4096)  # an export repeats a few hundred dates across all its rows
def parse_date(text: str, day_first: bool | None = False) -> int | None:
    """Epoch ms of a UTC day: ISO, YYYY/MM/DD, or day and month in the order the file uses."""
    if match := _YMD.fullmatch(text):
        year, month, day = match.groups()
    elif match := _SLASHED.fullmatch(text):
        first, second, year = match.groups()
        order = day_first
        if order is None:  # only a value above 12 says which is the day
            order = True if int(first) > 12 else False if int(second) > 12 else None
            if order is None and first != second:
                return None
        day, month = (first, second) if order else (second, first)
    elif (match := _DOTTED.fullmatch(text)) and day_first is not False:
        day, month, year = match.groups()
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


def parse_number(text: str, *, decimal_comma: bool = False) -> float | None:
    """'1,234.5' in a decimal-point file; '1.234,5', '1 234,5' or '72,5' in a decimal-comma one.

    A decimal-comma file still reads '72.5' as a decimal unless it is three-digit grouping.
    """
    if not decimal_comma:
        if not _POINT_NUMBER.fullmatch(text):
            return None
        return float(text.replace(",", ""))
    if _COMMA_NUMBER.fullmatch(text):
        return float(text.translate(_GROUPING).replace(",", "."))
    if _POINT_DECIMAL.fullmatch(text):
        return float(text)
    return None


def plain(value: float) -> int | float:
    """Whole numbers stay integers in stored attributes: 72, not 72.0."""
    return int(value) if value.is_integer() else value
