"""CIDR and CSV parsing for IP-range imports, with exact values."""

import re

import pytest

from intentsync.ip_ranges.parsing import (
    ParsedRange,
    address_key,
    covering_starts,
    parse_csv,
    parse_row,
    to_hex,
)
from intentsync.kit.errors import BadRequest


def test_ipv4_block_bounds_are_zero_padded_hex():
    assert parse_row("192.0.2.0/24", "acme.com", "") == ParsedRange(
        version=4,
        start_int="000000000000000000000000c0000200",
        end_int="000000000000000000000000c00002ff",
        cidr="192.0.2.0/24",
        domain="acme.com",
        kind="company",
    )


def test_ipv6_block_bounds_and_single_addresses():
    row = parse_row("2001:DB8::/32", "globex.com", "isp")
    assert (row.version, row.start_int, row.end_int, row.cidr, row.kind) == (
        6,
        "20010db8000000000000000000000000",
        "20010db8ffffffffffffffffffffffff",
        "2001:db8::/32",
        "isp",
    )
    single = parse_row(" 198.51.100.7 ", "initech.com", "Hosting")
    assert (single.cidr, single.start_int == single.end_int, single.kind) == (
        "198.51.100.7/32",
        True,
        "hosting",
    )


def test_domains_are_cleaned():
    assert parse_row("192.0.2.0/24", " https://www.Acme.com/about ", "").domain == "acme.com"


@pytest.mark.parametrize(
    ("cidr", "domain", "kind", "reason"),
    [
        (
            "192.0.2.5/24",
            "acme.com",
            "",
            "'192.0.2.5/24' has host bits set; did you mean 192.0.2.0/24?",
        ),
        ("192.0.2.0/33", "acme.com", "", "'192.0.2.0/33' is not an IPv4 or IPv6 CIDR block"),
        ("not-an-ip", "acme.com", "", "'not-an-ip' is not an IPv4 or IPv6 CIDR block"),
        ("", "acme.com", "", "cidr is empty"),
        ("192.0.2.0/24", "acme", "", "domain 'acme' is not a valid domain"),
        ("192.0.2.0/24", "", "", "domain '' is not a valid domain"),
        ("192.0.2.0/24", "acme.com", "vpn", "kind 'vpn' is not one of: company, isp, hosting"),
    ],
)
def test_bad_rows_say_why(cidr, domain, kind, reason):
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        parse_row(cidr, domain, kind)
    assert str(caught.value) == reason


def test_csv_reports_bad_lines_by_number_and_skips_blank_lines():
    text = (
        "cidr,domain,kind\n"
        "192.0.2.0/24,acme.com,company\n"
        "\n"
        "198.51.100.0/24,globex.com\n"
        "203.0.113.9/24,initech.com,isp\n"
        "2001:db8::/32\n"
        "2001:db8:1000::/36,hooli.com,company\n"
    )
    items = list(parse_csv(text.splitlines(keepends=True)))
    assert [(line, item if isinstance(item, str) else item.cidr) for line, item in items] == [
        (2, "192.0.2.0/24"),
        (4, "198.51.100.0/24"),
        (5, "'203.0.113.9/24' has host bits set; did you mean 203.0.113.0/24?"),
        (6, "1 cell, fewer than the header's 3; a required value is missing"),
        (7, "2001:db8:1000::/36"),
    ]
    assert items[1][1] == parse_row("198.51.100.0/24", "globex.com", "")


def test_network_is_an_alias_for_cidr_and_columns_may_come_in_any_order():
    text = "Domain,Name,Network\nacme.com,Acme Inc,192.0.2.0/24\n"
    [(line, item)] = list(parse_csv(text.splitlines()))
    assert line == 2
    assert item == parse_row("192.0.2.0/24", "acme.com", "company")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "192.0.2.0/24,acme.com,company\n", "range,company\n"],
)
def test_a_header_row_is_required(text):
    with pytest.raises(BadRequest):
        list(parse_csv(text.splitlines()))


def test_address_keys_treat_ipv4_mapped_ipv6_as_ipv4():
    assert address_key("192.0.2.10") == (4, 0xC000020A)
    assert address_key("::ffff:192.0.2.10") == (4, 0xC000020A)
    assert address_key("2001:db8::1") == (6, 0x20010DB8000000000000000000000001)
    assert address_key("testclient") is None
    assert address_key("") is None


def test_covering_starts_are_the_block_starts_of_every_prefix():
    starts = covering_starts(4, 0xC000024D)  # 192.0.2.77
    assert len(starts) == len(set(starts)) <= 33
    assert starts[0] == 0
    assert starts[-1] == 0xC000024D
    assert 0xC0000200 in starts  # 192.0.2.0/24
    assert 0xC0000240 in starts  # 192.0.2.64/26
    assert 0xC0000280 not in starts  # 192.0.2.128/25 does not hold .77
    assert len(covering_starts(6, 1 << 127)) == 2  # ::/0 and the /1 .. /128 starts coincide
    assert to_hex(0xC0000200) == "000000000000000000000000c0000200"
