"""`intentsync ip-ranges import` and resolve_ip on both databases."""

from sqlalchemy import select

from intentsync.db.models import IpRange
from intentsync.ip_ranges.parsing import parse_row
from intentsync.ip_ranges.service import import_ranges, resolve_ip
from tests.test_cli import last_line, run_cli

CSV = """cidr,domain,kind
192.0.2.0/24,acme.com,company
198.51.100.0/25,globex.com,
203.0.113.0/24,example-broadband.net,isp
not-a-network,acme.com,company
2001:db8:1000::/36,https://www.Acme.com,company
198.51.100.128/26,initech,company
"""


def stored(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(IpRange.cidr, IpRange.domain, IpRange.kind)
            .where(IpRange.team_id == ws.team_id)
            .order_by(IpRange.version, IpRange.start_int)
        )
        return [tuple(r) for r in rows]


def load(ws, *rows):
    with ws.db.transaction() as session:
        return import_ranges(
            session, team_id=ws.team_id, ranges=[parse_row(c, d, k) for c, d, k in rows]
        )


def resolve(ws, ip):
    with ws.db.transaction(write=False) as session:
        return resolve_ip(session, team_id=ws.team_id, ip=ip)


def test_import_counts_reports_bad_lines_and_reimport_adds_nothing(ws, database_url, tmp_path):
    path = tmp_path / "ranges.csv"
    path.write_text(CSV)
    team = str(ws.team_id)
    first = run_cli(database_url, "ip-ranges", "import", "--team", team, str(path))
    assert last_line(first) == "4"
    assert "line 5: 'not-a-network' is not an IPv4 or IPv6 CIDR block" in first.stderr
    assert "line 7: domain 'initech' is not a valid domain" in first.stderr
    assert "2 bad lines skipped" in first.stderr
    expected = [
        ("192.0.2.0/24", "acme.com", "company"),
        ("198.51.100.0/25", "globex.com", "company"),
        ("203.0.113.0/24", "example-broadband.net", "isp"),
        ("2001:db8:1000::/36", "acme.com", "company"),
    ]
    assert stored(ws) == expected

    again = run_cli(database_url, "ip-ranges", "import", "--team", team, str(path))
    assert last_line(again) == "0"
    assert "4 already present" in again.stderr
    assert stored(ws) == expected

    path.write_text("network,domain,kind\n192.0.2.0/24,acme.com,hosting\n")
    changed = run_cli(database_url, "ip-ranges", "import", "--team", team, str(path))
    assert last_line(changed) == "1"
    assert "(0 new, 1 updated)" in changed.stderr
    assert stored(ws)[0] == ("192.0.2.0/24", "acme.com", "hosting")


def test_import_errors_exit_1_with_the_reason(ws, database_url, tmp_path):
    path = tmp_path / "ranges.csv"
    path.write_text("192.0.2.0/24,acme.com\n")
    result = run_cli(
        database_url, "ip-ranges", "import", "--team", str(ws.team_id), str(path), check=False
    )
    assert result.returncode == 1
    assert "header" in result.stderr
    path.write_text(CSV)
    result = run_cli(
        database_url, "ip-ranges", "import", "--team", "999999", str(path), check=False
    )
    assert result.returncode == 1
    assert "No team with id 999999" in result.stderr
    missing = run_cli(
        database_url,
        "ip-ranges",
        "import",
        "--team",
        str(ws.team_id),
        str(tmp_path / "nope.csv"),
        check=False,
    )
    assert missing.returncode == 1
    assert stored(ws) == []


def test_the_last_row_for_a_block_wins_within_one_import(ws):
    counts = load(ws, ("192.0.2.0/24", "acme.com", ""), ("192.0.2.0/24", "globex.com", ""))
    assert (counts.added, counts.updated, counts.unchanged) == (1, 0, 0)
    assert stored(ws) == [("192.0.2.0/24", "globex.com", "company")]


def test_resolve_picks_the_narrowest_block(ws):
    load(
        ws,
        ("10.0.0.0/8", "example-broadband.net", "isp"),
        ("10.1.0.0/16", "globex.com", "company"),
        ("10.1.2.0/24", "acme.com", "company"),
        ("10.1.2.0/28", "hooli.com", "company"),
        *[(f"10.0.{i}.0/24", f"c{i}.example.com", "company") for i in range(40)],
    )
    assert resolve(ws, "10.1.2.3") == ("hooli.com", "company")
    assert resolve(ws, "10.1.2.200") == ("acme.com", "company")
    assert resolve(ws, "10.1.9.9") == ("globex.com", "company")
    # Many narrower blocks start below this address; the wide block still covers it.
    assert resolve(ws, "10.200.0.1") == ("example-broadband.net", "isp")
    assert resolve(ws, "10.0.39.1") == ("c39.example.com", "company")
    assert resolve(ws, "11.0.0.1") is None
    assert resolve(ws, "::ffff:10.1.2.3") == ("hooli.com", "company")
    assert resolve(ws, "not an ip") is None


def test_resolve_ipv6_and_keeps_versions_and_teams_apart(ws, app, database):
    from tests.factories import create_workspace

    load(
        ws,
        ("2001:db8::/32", "example-broadband.net", "isp"),
        ("2001:db8:1000::/36", "acme.com", "company"),
        ("0.0.0.0/0", "everything.example", "hosting"),
    )
    assert resolve(ws, "2001:db8:1234::1") == ("acme.com", "company")
    assert resolve(ws, "2001:DB8:2000::1") == ("example-broadband.net", "isp")
    assert resolve(ws, "2001:db9::1") is None
    assert resolve(ws, "192.0.2.1") == ("everything.example", "hosting")
    other = create_workspace(app, database)
    try:
        assert resolve(other, "2001:db8:1234::1") is None
    finally:
        other.close()
