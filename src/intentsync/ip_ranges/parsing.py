"""CIDR and CSV parsing for IP-range imports: pure, so the exact values are unit-tested."""

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest
from intentsync.kit.tabular import Broken, Table, text_table

KINDS = ("company", "isp", "hosting")
CIDR_COLUMNS = ("cidr", "network")
HEX_WIDTH = 32  # 128 bits as hex: IPv4 and IPv6 bounds compare as text


@dataclass(frozen=True, slots=True)
class ParsedRange:
    version: int
    start_int: str
    end_int: str
    cidr: str
    domain: str
    kind: str


@dataclass(frozen=True, slots=True)
class Columns:
    """Where a file keeps each value; kind is optional."""

    cidr: int
    domain: int
    kind: int | None

    @property
    def needed(self) -> int:
        return max(self.cidr, self.domain) + 1


def to_hex(value: int) -> str:
    return format(value, f"0{HEX_WIDTH}x")


def address_key(ip: str) -> tuple[int, int] | None:
    """(version, integer) of an address; IPv4-mapped IPv6 counts as IPv4; None if not an IP."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.version, int(address)


def covering_starts(version: int, value: int) -> list[int]:
    """The first address of every CIDR block that can contain this address, widest first.

    CIDR blocks are nested or disjoint, so these starts are the only ones a match can have.
    """
    bits = 32 if version == 4 else 128
    return sorted({(value >> (bits - p)) << (bits - p) for p in range(bits + 1)})


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block or single address; host bits set is an error naming the block meant."""
    raw = text.strip()
    if not raw:
        raise ValueError("cidr is empty")
    try:
        return ipaddress.ip_network(raw, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise ValueError(f"'{raw}' is not an IPv4 or IPv6 CIDR block") from None
    raise ValueError(f"'{raw}' has host bits set; did you mean {loose.with_prefixlen}?")


def parse_row(cidr: str, domain: str, kind: str) -> ParsedRange:
    """One CSV row as a range; ValueError names what is wrong."""
    network = parse_cidr(cidr)
    clean = clean_domain(domain.strip())
    if not clean:
        raise ValueError(f"domain '{domain.strip()}' is not a valid domain")
    chosen = kind.strip().lower() or "company"
    if chosen not in KINDS:
        raise ValueError(f"kind '{kind.strip()}' is not one of: {', '.join(KINDS)}")
    return ParsedRange(
        version=network.version,
        start_int=to_hex(int(network.network_address)),
        end_int=to_hex(int(network.broadcast_address)),
        cidr=network.with_prefixlen,
        domain=clean,
        kind=chosen,
    )


def columns(names: Sequence[str], _report: Sequence[str] = (), _delimiter: str = ",") -> Columns:
    """The header's columns; a line without cidr (or network) and domain is not the header."""
    lowered = [name.strip().lower() for name in names]
    cidr = next((lowered.index(c) for c in CIDR_COLUMNS if c in lowered), None)
    if cidr is None or "domain" not in lowered:
        raise BadRequest(
            "the header must name the columns cidr (or network), domain and optionally kind; "
            f"got: {', '.join(name.strip() for name in names)}"
        )
    kind = lowered.index("kind") if "kind" in lowered else None
    return Columns(cidr=cidr, domain=lowered.index("domain"), kind=kind)


def read_ranges(table: Table[Columns]) -> Iterator[tuple[int, ParsedRange | str]]:
    """(line number, range or the reason the line is bad) in file order."""
    at = table.spec
    for row in table.rows(needed=at.needed):
        if isinstance(row, Broken):
            yield row.line, row.reason
            continue
        cells = row.cells
        kind = cells[at.kind] if at.kind is not None and at.kind < len(cells) else ""
        try:
            yield row.line, parse_row(cells[at.cidr], cells[at.domain], kind)
        except ValueError as exc:
            yield row.line, str(exc)


def parse_csv(lines: Iterable[str]) -> Iterator[tuple[int, ParsedRange | str]]:
    """read_ranges over lines in memory; a missing header raises before any line."""
    return read_ranges(text_table(lines, columns))
