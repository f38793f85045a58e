"""CIDR and CSV parsing for IP-range imports: pure, so the exact values are unit-tested."""

import csv
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from intentsync.kit.domains import clean_domain

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


class HeaderError(ValueError):
    """The file has no usable header row, so no line can be read."""


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


def _columns(header: list[str]) -> tuple[int, int, int | None]:
    names = [h.strip().lower() for h in header]
    cidr = next((names.index(c) for c in CIDR_COLUMNS if c in names), None)
    if cidr is None or "domain" not in names:
        raise HeaderError(
            "the first row must be a header naming the columns cidr (or network), domain "
            f"and optionally kind; got: {', '.join(h.strip() for h in header)}"
        )
    return cidr, names.index("domain"), names.index("kind") if "kind" in names else None


def parse_csv(lines: Iterable[str]) -> Iterator[tuple[int, ParsedRange | str]]:
    """(line number, range or the reason the line is bad) in file order, skipping blank lines."""
    reader = csv.reader(lines)
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise HeaderError("the file is empty; expected a header row: cidr,domain,kind")
    cidr_at, domain_at, kind_at = _columns(header)
    needed = max(cidr_at, domain_at)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= needed:
            yield reader.line_num, f"expected at least {needed + 1} columns, got {len(row)}"
            continue
        kind = row[kind_at] if kind_at is not None and kind_at < len(row) else ""
        try:
            parsed = parse_row(row[cidr_at], row[domain_at], kind)
        except ValueError as exc:
            yield reader.line_num, str(exc)
        else:
            yield reader.line_num, parsed
