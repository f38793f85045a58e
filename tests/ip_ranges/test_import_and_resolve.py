"""`intentsync ip-ranges import` and resolve_ip on both databases."""

import codecs
import re

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


def import_ranges_file(database_url, ws, path):
    args = ("ip-ranges", "import", "--team", str(ws.team_id), str(path))
    return run_cli(database_url, *args, check=False)


def test_file_problems_are_one_line_and_exit_1(ws, database_url, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "cidr,domain\n192.0.2.0/24,acme.com\n198.51.100.0/24,müller.de\n".encode("latin-1")
    )
    cases = [
        (tmp_path / "nope.csv", f"cannot read {tmp_path / 'nope.csv'}: no such file"),
        (tmp_path, f"cannot read {tmp_path}: it is a directory, not a file"),
        (latin, f"{latin} line 3: the file is not UTF-8 text; export or save it as CSV UTF-8"),
    ]
    for path, message in cases:
        result = import_ranges_file(database_url, ws, path)
        assert result.returncode == 1
        assert result.stderr == f"error: {message}\n"
        assert "Errno" not in result.stderr
        assert result.stdout == ""
    assert stored(ws) == []


def test_utf16_and_semicolon_files_with_report_lines_import(ws, database_url, tmp_path):
    utf16 = tmp_path / "ranges-utf16.csv"
    text = "Ranges exported 2026-11-17\r\n\r\ncidr\tdomain\tkind\r\n192.0.2.0/24\tacme.com\tisp\r\n"
    utf16.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    semicolons = tmp_path / "ranges-semicolon.csv"
    semicolons.write_bytes(
        codecs.BOM_UTF8 + b"network;domain\r\n198.51.100.0/24;globex.com;extra\r\n"
        b"2001:db8::/32;hooli.com\r\nTotal;2\r\n"
    )
    first = import_ranges_file(database_url, ws, utf16)
    assert first.returncode == 0, first.stderr
    assert last_line(first) == "1"
    second = import_ranges_file(database_url, ws, semicolons)
    assert last_line(second) == "1"
    assert second.stderr.splitlines() == [
        "line 2: 3 cells, more than the header's 2; a value holding a semicolon must be in "
        "double quotes",
        "1 range imported (1 new, 0 updated); 0 already present; 1 bad line skipped",
    ]
    assert stored(ws) == [
        ("192.0.2.0/24", "acme.com", "isp"),
        ("2001:db8::/32", "hooli.com", "company"),
    ]


def test_a_bad_byte_after_written_batches_says_what_was_written(ws, database_url, tmp_path):
    path = tmp_path / "ranges.csv"
    good = "".join(f"10.{n // 256}.{n % 256}.0/24,acme.com\n" for n in range(3000))
    path.write_bytes(f"cidr,domain\n{good}".encode() + "192.0.2.0/24,müller.de\n".encode("latin-1"))
    result = import_ranges_file(database_url, ws, path)
    assert result.returncode == 1
    summary, error = result.stderr.splitlines()
    written = re.fullmatch(
        r"(\d+) ranges imported \(\1 new, 0 updated\); 0 already present; 0 bad lines skipped "
        r"before the error; fix the file and import it again \(ranges already written are not "
        r"written twice\)",
        summary,
    )
    assert written, summary
    assert int(written[1]) == len(stored(ws)) > 0
    assert error == (
        f"error: {path} line 3002: the file is not UTF-8 text; export or save it as CSV UTF-8"
    )


def test_an_upload_is_imported_in_batches_and_keeps_the_first_bad_lines(ws, tmp_path):
    from intentsync.ip_ranges.service import ImportCounts, count_ranges, import_upload

    good = [f"10.0.{i}.0/24,acme.com" for i in range(7)]
    bad = [f"10.1.{i}.1/24,acme.com" for i in range(5)]
    path = tmp_path / "r.csv"
    path.write_text("cidr,domain\n" + "\n".join(good + bad) + "\n")
    with path.open("rb") as raw, ws.db.transaction() as session:
        result = import_upload(
            session, team_id=ws.team_id, raw=raw, name="r.csv", batch=3, keep_bad=2
        )
    assert result.counts == ImportCounts(added=7)
    assert result.bad_total == 5
    assert result.bad_lines == [
        "line 9: '10.1.0.1/24' has host bits set; did you mean 10.1.0.0/24?",
        "line 10: '10.1.1.1/24' has host bits set; did you mean 10.1.1.0/24?",
    ]
    with ws.db.transaction(write=False) as session:
        assert count_ranges(session, team_id=ws.team_id) == 7
