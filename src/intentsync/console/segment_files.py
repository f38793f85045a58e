"""Segment files: account lists uploaded as CSV, and member exports streamed as CSV."""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from intentsync.db.engine import Database
from intentsync.kit.errors import AppError, BadRequest
from intentsync.kit.tabular import Broken, key, text_table
from intentsync.segments import service
from intentsync.segments.service import MemberRow

# Campaign Manager's company list template, header names and order as LinkedIn publishes them.
LINKEDIN_HEADER = (
    "companyname",
    "companywebsite",
    "companyemaildomain",
    "linkedincompanypageurl",
    "stocksymbol",
    "industry",
    "city",
    "state",
    "companycountry",
    "zipcode",
)
LINKEDIN_MIN_ROWS = 300  # LinkedIn does not match a company list with fewer companies
LINKEDIN_MAX_ROWS = 300_000  # the template's limit
MEMBERS_HEADER = (
    "rtp_aid",
    "externalId",
    "name",
    "domain",
    "linkedinUrl",
    "rtp_account_score",
    "rtp_journey_stage",
)
_EXTERNAL_NAMES = frozenset({"externalid"})
_DOMAIN_NAMES = frozenset({"domain", "website", "companydomain", "companywebsite"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def linkedin_warning(count: int) -> str | None:
    """Why LinkedIn would not take this many companies as a matched audience, or None."""
    if count < LINKEDIN_MIN_ROWS:
        return (
            f"LinkedIn needs at least {LINKEDIN_MIN_ROWS:,} companies to build a matched "
            f"audience; this segment has {count:,}. Add accounts before you upload the list."
        )
    if count > LINKEDIN_MAX_ROWS:
        return (
            f"LinkedIn's company list template takes at most {LINKEDIN_MAX_ROWS:,} rows; this "
            f"segment has {count:,}. Split it into smaller segments before you upload."
        )
    return None


def spreadsheet_safe(value: str | int | None) -> str | int:
    """Text a spreadsheet would run as a formula gets a leading quote; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class UploadRow:
    line: int
    key: str


@dataclass(frozen=True)
class Upload:
    rows: list[UploadRow]
    problems: list[str]  # lines that could not be read, as 'line N: why'


def _decode(data: bytes, name: str) -> str:
    encoding = next((enc for mark, enc in _BOMS if data.startswith(mark)), "utf-8-sig")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise BadRequest(f"{name} is not UTF-8 text; export or save it as CSV UTF-8") from None


def _columns(
    names: list[str], _report: list[str], _delimiter: str
) -> tuple[int | None, int | None]:
    keys = [key(name) for name in names]
    external = next((i for i, k in enumerate(keys) if k in _EXTERNAL_NAMES), None)
    domain = next((i for i, k in enumerate(keys) if k in _DOMAIN_NAMES), None)
    if external is None and domain is None:
        raise BadRequest(
            "The file needs a header row with an externalId or a domain column; "
            f"its first line has: {', '.join(names)[:200]}"
        )
    return external, domain


def read_upload(data: bytes, name: str) -> Upload:
    """Account keys by row: the externalId where the row has one, else the domain."""
    text = _decode(data, name)
    table = text_table(text.splitlines(keepends=True), _columns, name)
    external, domain = table.spec
    rows: list[UploadRow] = []
    problems: list[str] = []
    for row in table.rows(needed=1):
        if isinstance(row, Broken):
            problems.append(f"line {row.line}: {row.reason}")
            continue
        cells = row.cells

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index].strip() if index is not None and index < len(cells) else ""

        found = cell(external) or cell(domain)
        if found:
            rows.append(UploadRow(row.line, found))
        else:
            problems.append(f"line {row.line}: neither an externalId nor a domain")
        if len(rows) > service.MAX_ITEMS:
            raise BadRequest(f"The file has more than {service.MAX_ITEMS:,} rows; split it")
    return Upload(rows, problems)


def _members_cells(row: MemberRow) -> Sequence[str | int | None]:
    return (
        row.rtp_aid,
        row.external_id,
        row.name,
        row.domain,
        row.linkedin_url,
        row.account_score,
        row.journey_stage,
    )


def _linkedin_cells(row: MemberRow) -> Sequence[str | int | None]:
    return (row.name, row.domain, row.domain, row.linkedin_url, "", "", "", "", "", "")


EXPORTS: dict[str, tuple[Sequence[str], Callable[[MemberRow], Sequence[str | int | None]]]] = {
    "members": (MEMBERS_HEADER, _members_cells),
    "linkedin": (LINKEDIN_HEADER, _linkedin_cells),
}


def _lines(rows: Sequence[Sequence[str | int | None]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for cells in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def stream_export(db: Database, *, team_id: int, segment_id: str, kind: str) -> Iterator[str]:
    """The export's CSV text in batches, read in its own transaction while it is sent."""
    header, cells = EXPORTS[kind]
    yield _lines([header])
    with db.transaction(write=False) as session:
        try:
            for batch in service.member_batches(session, team_id=team_id, segment_id=segment_id):
                yield _lines([cells(row) for row in batch])
        except AppError:  # the segment went away after the page answered: the file just ends
            return


def file_name(segment_name: str, kind: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", segment_name.lower()).strip("-")[:60] or "segment"
    suffix = "linkedin-companies" if kind == "linkedin" else "members"
    return f"{slug}-{suffix}.csv"
