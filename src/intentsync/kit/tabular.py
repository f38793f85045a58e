"""Delimited exports as vendors and spreadsheets really write them, read as a stream.

The encoding comes from the byte-order mark, the header is the first line an importer
accepts (report lines above it are kept apart), footers below the data are skipped, and a
row that is broken in its structure is reported by physical line while the rest is read.
"""

import codecs
import csv
import io
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

from intentsync.kit.errors import AppError, BadRequest

T = TypeVar("T")

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
HEADER_SEARCH_LINES = 50  # report lines above a header are a handful, never pages
MAX_RECORD_CHARS = 65_536  # a quoted value longer than this is an unterminated quote
UTF8_HINT = "export or save it as CSV UTF-8"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A first cell that says the row sums the others up (English, pt, es, fr, de).
_TOTAL_WORDS = frozenset(
    (
        "total",
        "totals",
        "grandtotal",
        "totalgeral",
        "totais",
        "totales",
        "totalgeneral",
        "totaux",
        "totalgénéral",
        "gesamt",
        "gesamtsumme",
        "insgesamt",
        "summe",
    )
)

_TOTAL_INITIALS = frozenset(word[0] for word in _TOTAL_WORDS)
_WORDLIKE = re.compile(r"[^\W\d_]{3}")
_TOTAL_LONGEST = 16  # 'Total général :' with its spaces and colon

Accept = Callable[[list[str], list[str], str], T]


@dataclass(frozen=True, slots=True)
class Row:
    """A data row and the physical line it starts on (text: its lines as read, for reports)."""

    line: int
    cells: list[str]
    text: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Broken:
    """A row that cannot be read as cells, reported as `line N: reason`; reading goes on."""

    line: int
    reason: str
    text: str = field(default="", compare=False, repr=False)


def key(name: str) -> str:
    """Case, spaces and punctuation never matter: 'Company Domain' = 'company_domain'."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def cannot_read(path: Path, exc: OSError) -> BadRequest:
    """One line a person can act on, without errno numbers."""
    if isinstance(exc, FileNotFoundError):
        why = "no such file"
    elif isinstance(exc, IsADirectoryError):
        why = "it is a directory, not a file"
    elif isinstance(exc, PermissionError):
        why = "permission denied"
    else:
        why = (exc.strerror or type(exc).__name__).lower()
    return BadRequest(f"cannot read {path}: {why}")


class _PhysicalLines:
    """A file's decoded lines; the encoding is chosen by the byte-order mark."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        self._name = name
        start = raw.read(4)
        self.encoding, bom = next(
            ((enc, len(mark)) for mark, enc in _BOMS if start.startswith(mark)), ("utf-8", 0)
        )
        raw.seek(bom)
        if self.encoding == "utf-8" and b"\x00" in raw.read(4096):
            raise BadRequest(
                f"{name} holds NUL bytes: it looks like UTF-16 text without a byte-order mark; "
                f"{UTF8_HINT}"
            )
        raw.seek(bom)
        self._bom = bom

    def __iter__(self) -> Iterator[str]:
        """Lines decoded in C-sized chunks; a bad byte is then looked for line by line."""
        text = io.TextIOWrapper(self._raw, encoding=self.encoding, newline="")
        try:
            yield from text
        except UnicodeDecodeError:
            raise BadRequest(f"{self._name} {self._bad_line()}; {UTF8_HINT}") from None
        finally:
            if not self._raw.closed:  # an import stopped early closes the file before this
                text.detach()

    def _bad_line(self) -> str:
        if self.encoding != "utf-8":
            return f"is not valid {self.encoding.upper()} text"
        self._raw.seek(self._bom)
        for number, data in enumerate(self._raw, start=1):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return f"line {number}: the file is not UTF-8 text"
        return "is not UTF-8 text"  # pragma: no cover - a split multi-byte sequence


class _Feed:
    """The csv reader's line source: keeps a record's lines, can replay them, cuts runaways.

    A record's lines are consecutive physical lines, so its first line number is all it needs.
    """

    def __init__(self, lines: Iterator[str], number: int) -> None:
        self._lines = lines
        self._again: deque[str] = deque()
        self.next_line = number  # the number of the next line handed out
        self.start_line = number
        self.taken: list[str] = []
        self._chars = 0
        self.cut = False

    def __iter__(self) -> "_Feed":
        return self

    def start(self) -> None:
        self.start_line += len(self.taken)
        self.taken = []
        self._chars = 0
        self.cut = False

    def first(self) -> str:
        """The record's first physical line, as read."""
        return self.taken[0] if self.taken else ""

    def replay_after_first(self) -> None:
        """Read the record's later lines again, as rows of their own."""
        self._again.extendleft(reversed(self.taken[1:]))
        self.taken = self.taken[:1]

    def __next__(self) -> str:
        if self.taken and self._chars > MAX_RECORD_CHARS:
            self.cut = True
            raise StopIteration
        if self._again:
            text = self._again.popleft()
        else:
            try:
                text = next(self._lines)
            except StopIteration:
                self.cut = bool(self.taken)
                raise
        self.taken.append(text)
        self._chars += len(text)
        return text


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])


def _delimiters_by_use(line: str) -> list[str]:
    """Comma, semicolon and tab by how often they occur outside quotes, most first."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return sorted(DELIMITERS, key=lambda d: -counts[d])


def _names_something(cell: str) -> bool:
    """A word, domain or URL (three letters in a row): totals rows hold only numbers besides."""
    return _WORDLIKE.search(cell) is not None


def is_footer(cells: Sequence[str], *, after_blank: bool, needed: int) -> bool:
    """A totals row, or a short note after a blank line: not data, and not a failed row.

    A row is a total only when its label is the sole text in it, so a company that is called
    'Total' and has a website, a page or a date written in words stays a data row.
    """
    first = next((i for i, c in enumerate(cells) if c.strip()), None)
    head = "" if first is None else cells[first].strip()
    # Most rows fail the cheap length and initial tests, so the key is rarely computed.
    if len(head) <= _TOTAL_LONGEST and head[:1].lower() in _TOTAL_INITIALS:
        if key(head) in _TOTAL_WORDS and not any(
            _names_something(c) for i, c in enumerate(cells) if i != first
        ):
            return True
    if not after_blank:
        return False
    return len(cells) < needed or sum(1 for c in cells if c.strip()) < 2


class Table(Generic[T]):
    """An open export: what the importer made of its header, the report lines, then the rows."""

    def __init__(self, lines: Iterable[str], name: str, accept: Accept[T]) -> None:
        self.name = name
        self._lines = iter(lines)
        self.report: list[str] = []
        self.spec, self.header, self.delimiter, self.header_line = self._find_header(accept)

    def _find_header(self, accept: Accept[T]) -> tuple[T, list[str], str, int]:
        """The first line the importer accepts, split by whichever delimiter makes it so."""
        widest: tuple[int, str] | None = None  # the likeliest header when none fits, and why
        for number, text in enumerate(self._lines, start=1):
            if not text.strip():
                continue
            for delimiter in _delimiters_by_use(text):
                try:
                    names = [name.strip() for name in _split(text, delimiter)]
                except csv.Error as exc:  # a value over the csv module's limit: not a header
                    if widest is None:
                        widest = 0, f"{self.name} line {number} cannot be a header: {exc}"
                    break
                try:
                    return accept(names, self.report, delimiter), names, delimiter, number
                except AppError as exc:
                    if widest is None or len(names) > widest[0]:
                        widest = len(names), exc.custom_message
            self.report.append(text.strip())
            if len(self.report) >= HEADER_SEARCH_LINES:
                break
        if widest is None:
            raise BadRequest(f"{self.name} is empty: it has no header line")
        raise BadRequest(widest[1])

    def rows(self, *, needed: int) -> Iterator[Row | Broken]:
        """Data rows by physical line; blank lines and footers are passed over.

        A row must have at least `needed` cells (the rest are optional columns); more cells
        than the header is an error unless the extra ones are empty.
        """
        width = len(self.header)
        feed = _Feed(self._lines, self.header_line + 1)
        reader = csv.reader(feed, delimiter=self.delimiter, skipinitialspace=True)
        after_blank = False
        while True:
            feed.start()
            start = feed.start_line
            try:
                cells = next(reader)
            except StopIteration:
                if not feed.taken:
                    return
                cells = []
            except csv.Error as exc:
                feed.replay_after_first()
                yield Broken(start, f"the row cannot be read: {exc}", feed.first())
                continue
            while len(cells) > width and not cells[-1].strip():
                cells.pop()
            if feed.cut or (len(feed.taken) > 1 and len(cells) != width):
                feed.replay_after_first()
                yield Broken(
                    start,
                    "a quoted value opens on this line and is never closed; "
                    "the lines after it are read as rows",
                    feed.first(),
                )
                continue
            if not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells):
                after_blank = True
                continue
            if is_footer(cells, after_blank=after_blank, needed=needed):
                continue
            after_blank = False  # data again: the blank line was a gap, not the end
            text = feed.first() if len(feed.taken) == 1 else "".join(feed.taken)
            if len(cells) > width:
                yield Broken(start, self._count_problem(len(cells), width, "more"), text)
            elif len(cells) < needed:
                yield Broken(start, self._count_problem(len(cells), width, "fewer"), text)
            else:
                yield Row(start, cells, text)

    def _count_problem(self, count: int, width: int, which: str) -> str:
        name = DELIMITER_NAMES[self.delimiter]
        cells = "cell" if count == 1 else "cells"
        hint = (
            f"a value holding a {name} must be in double quotes"
            if which == "more"
            else "a required value is missing"
        )
        return f"{count} {cells}, {which} than the header's {width}; {hint}"


class FileTable(Table[T]):
    """A table read from a file, with its size and read position for progress by bytes."""

    def __init__(
        self, raw: BinaryIO, path: Path, accept: Accept[T], *, name: str | None = None
    ) -> None:
        self._raw = raw
        self.size = os.fstat(raw.fileno()).st_size
        label = str(path) if name is None else name
        self.source = _PhysicalLines(raw, label)
        super().__init__(self.source, label, accept)

    @property
    def encoding(self) -> str:
        return self.source.encoding

    def position(self) -> int:
        """Bytes read so far, to within one read-ahead chunk."""
        return self._raw.tell()


@contextmanager
def open_table(path: Path, accept: Accept[T], *, name: str | None = None) -> Iterator[FileTable[T]]:
    """Open an export for streaming; an unreadable file stops with one line saying why.

    name, when given, is what messages call the file (an upload's own name, not where it was
    stored).
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise cannot_read(path, exc) from None
    with raw:
        try:
            table = FileTable(raw, path, accept, name=name)
        except OSError as exc:
            raise cannot_read(path, exc) from None
        yield table


def text_table(text_lines: Iterable[str], accept: Accept[T], name: str = "text") -> Table[T]:
    """A table over lines already in memory, numbered from 1."""
    return Table(text_lines, name, accept)
