"""`intentsync signals import` end to end: the example files, repeats, matching, bad rows."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from intentsync.db.models import Account, SignalDaily, SignalEvent
from intentsync.signals.service import fold_new_signals
from tests.factories import account
from tests.signals.importers.helpers import write
from tests.test_cli import last_line, run_cli

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXAMPLE_COMPANIES = {
    "contoso.example": "Contoso",
    "fabrikam.example": "Fabrikam",
    "northwind-traders.example": "Northwind Traders",
    "globex.example": "Globex",
    "initech.example": "Initech",
}


def import_file(database_url, team, source, path, *, check=True):
    args = ("signals", "import", "--team", str(team), "--source", source, str(path))
    return run_cli(database_url, *args, check=check)


def summary(rows, created, skipped, failed):
    return (
        f"{rows} rows read, {created} signals created, "
        f"{skipped} repeats skipped, {failed} rows failed"
    )


def accounts(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(Account.domain, Account.name, Account.external_id).where(
                Account.team_id == ws.team_id
            )
        )
        return {domain: (name, external_id) for domain, name, external_id in rows}


def events(ws):
    """(domain, type, quantity, attributes) of every stored signal, in a stable order."""
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(Account.domain, SignalEvent.type, SignalEvent.quantity, SignalEvent.attributes)
            .join(Account, Account.id == SignalEvent.account_id)
            .where(SignalEvent.team_id == ws.team_id)
            .order_by(SignalEvent.id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("source", "file", "rows", "signals", "companies"),
    [
        ("bombora", "bombora-surge.csv", 10, 10, 5),
        ("g2", "g2-buyer-intent.csv", 10, 10, 5),
        # Initech's row has no activity, so nothing creates its account.
        ("linkedin", "linkedin-company-engagement.csv", 7, 17, 4),
    ],
)
def test_each_example_imports_once_into_a_fresh_team(
    database_url, ws, source, file, rows, signals, companies
):
    path = EXAMPLES / file
    first = import_file(database_url, ws.team_id, source, path)
    assert last_line(first) == str(signals)
    assert first.stderr.strip() == f"{path}: {summary(rows, signals, 0, 0)}"
    # The vendor's own capitalisation names the same source.
    again = import_file(database_url, ws.team_id, source.capitalize(), path)
    assert last_line(again) == "0"
    assert again.stderr.strip() == f"{path}: {summary(rows, 0, signals, 0)}"
    assert len(events(ws)) == signals
    # Every company was unknown: each became a discovered account named after it.
    expected = dict(list(EXAMPLE_COMPANIES.items())[:companies])
    assert accounts(ws) == {domain: (name, None) for domain, name in expected.items()}


def test_what_the_examples_store(database_url, ws):
    for source, name in (("g2", "g2-buyer-intent.csv"), ("bombora", "bombora-surge.csv")):
        import_file(database_url, ws.team_id, source, EXAMPLES / name)
    stored = events(ws)
    compares = [e for e in stored if e[1] == "compare"]
    # Two comparisons on one day differ by competitor: both are kept.
    assert [(e[2], e[3]["competitor"]) for e in compares] == [(2.0, "Demandbase"), (1.0, "6sense")]
    assert ("initech.example", "competitor", 6.0) in [e[:3] for e in stored]
    surge = next(e for e in stored if e[1] == "surge")
    assert surge == (
        "contoso.example",
        "surge",
        1.0,
        {
            "topic": "Account Based Marketing",
            "compositeScore": 82,
            "topicId": "1327",
            "companyName": "Contoso",
        },
    )
    with ws.db.transaction() as session:
        fold_new_signals(session, team_id=ws.team_id)  # as the next scoring round does
        weeks = session.execute(
            select(SignalDaily.day, func.count(), func.max(SignalDaily.value))
            .where(SignalDaily.team_id == ws.team_id, SignalDaily.source == "bombora")
            .group_by(SignalDaily.day)
            .order_by(SignalDaily.day)
        ).all()
    assert [tuple(w) for w in weeks] == [(20766, 2, 82.0), (20773, 8, 93.0)]


def test_linkedin_rows_are_matched_to_pushed_accounts(database_url, ws, tmp_path):
    ws.push(
        account(
            1,
            domain="contoso.com",
            name="Contoso Ltd",
            linkedinUrl="http://linkedin.com/company/Contoso?trk=abc",
        ),
        account(2, domain="fabrikam.de", name="Fabrikam"),
        account(3, domain="globex.com", name="Globex"),
        account(4, domain="globex.co.uk", name="globex"),
    )
    path = write(
        tmp_path,
        "Company;LinkedIn URL;Company Website;Date;Impressions;Clicks\n"
        "Contoso;https://www.linkedin.com/company/contoso/;;2026-11-16;100;2\n"
        "FABRIKAM ;;;11/16/2026;50;0\n"
        "Contoso Group;;contoso.com;2026-11-17;10;0\n"
        "Acme Rockets;;https://www.acme-rockets.example/about;2026-11-16;30;1\n"
        "Acme Rockets;;;2026-11-17;5;0\n"
        "Globex;;;2026-11-16;10;0\n"
        "Umbrella;;;2026-11-16;10;0\n"
        "Initrode;;not a site;2026-11-16;10;0\n",
    )
    result = import_file(database_url, ws.team_id, "linkedin", path)
    assert last_line(result) == "7"
    assert result.stderr.splitlines() == [
        "line 7: 'Globex' matches 2 accounts by name (globex.co.uk, globex.com); "
        "add its Company Page URL or Website",
        "line 8: no account matches 'Umbrella' and the row has no website",
        "line 9: no account matches 'Initrode' and its website 'not a site' is not a valid domain",
        f"{path}: {summary(8, 7, 0, 3)}",
    ]
    assert [(domain, type_, quantity) for domain, type_, quantity, _ in events(ws)] == [
        ("contoso.com", "impression", 100.0),
        ("contoso.com", "click", 2.0),
        ("fabrikam.de", "impression", 50.0),
        ("contoso.com", "impression", 10.0),
        ("acme-rockets.example", "impression", 30.0),
        ("acme-rockets.example", "click", 1.0),
        ("acme-rockets.example", "impression", 5.0),
    ]
    assert accounts(ws)["acme-rockets.example"] == ("Acme Rockets", None)
    assert accounts(ws)["contoso.com"] == ("Contoso Ltd", "crm-1")


def test_bad_rows_are_reported_and_skipped(database_url, ws, tmp_path):
    path = write(
        tmp_path,
        "Company Domain;Day;Signal Type;Total Activity;Product\n"
        "acme.example;2026-11-17;Pricing Page;3;Widget\n"
        "acme.example;2026-11-17;Reviews;1;Widget\n"
        "\n"
        "acme.example;2030-01-01;Pricing Page;1;Widget\n"
        "acme.example;2026-11-17;pricing;0;Widget\n"
        "acme.example;2026-11-17;pricing;7;Widget\n"
        "globex.example;2026/11/18;Profile;1;Widget\n",
        encoding="utf-8-sig",
    )
    result = import_file(database_url, ws.team_id, "g2", path)
    # Line 7 repeats line 2 (same domain, day, type and product): skipped, not a failure.
    assert last_line(result) == "2"
    assert result.stderr.splitlines() == [
        "line 3: signal_type 'Reviews' is not a G2 signal type; use one of: Pricing Page, "
        "Profile, Compare (Comparison), Competitor (Alternatives), Category",
        "line 5: occurredAt is more than a day in the future",
        "line 6: total_activity 0 must be above 0 and at most 1e9",
        f"{path}: {summary(6, 2, 1, 3)}",
    ]


def test_a_long_file_is_imported_in_chunks(database_url, ws, tmp_path):
    lines = ["company_domain,day,signal_type,total_activity,product_name"]
    lines += [f"c{n % 50}.example,2026-11-{1 + n % 20:02d},pricing,1,p{n}" for n in range(2500)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = import_file(database_url, ws.team_id, "g2", path)
    assert last_line(result) == "2500"
    assert len(accounts(ws)) == 50
    assert last_line(import_file(database_url, ws.team_id, "g2", path)) == "0"


def test_refusals_exit_1_with_the_reason_and_store_nothing(database_url, ws, tmp_path):
    g2_file = EXAMPLES / "g2-buyer-intent.csv"
    missing = import_file(database_url, ws.team_id, "bombora", g2_file, check=False)
    assert missing.returncode == 1
    # company_domain passes for Bombora's Domain; the topic is what a G2 file lacks.
    assert missing.stderr == (
        "error: the header has no Topic Name column; accepted spellings: 'Topic Name', 'Topic' "
        "(case, spaces, underscores and punctuation are ignored)\n"
    )
    no_team = import_file(database_url, 999_999, "g2", g2_file, check=False)
    assert no_team.returncode == 1
    assert "No team with id 999999" in no_team.stderr
    no_file = import_file(database_url, ws.team_id, "g2", tmp_path / "nope.csv", check=False)
    assert no_file.returncode == 1
    assert no_file.stderr == f"error: cannot read {tmp_path / 'nope.csv'}: no such file\n"
    directory = import_file(database_url, ws.team_id, "g2", tmp_path, check=False)
    assert directory.returncode == 1
    assert directory.stderr == f"error: cannot read {tmp_path}: it is a directory, not a file\n"
    source = import_file(database_url, ws.team_id, "hubspot", g2_file, check=False)
    assert source.returncode == 1
    assert "--source must be one of: bombora, g2, linkedin" in source.stderr
    assert events(ws) == []
    assert accounts(ws) == {}


def test_a_file_that_turns_out_not_utf8_keeps_what_was_imported(database_url, ws, tmp_path):
    path = write(
        tmp_path,
        "company_domain,day,signal_type,total_activity,company_name\n"
        "acme.example,2026-11-17,pricing,1,Acme\n"
        "muller.example,2026-11-17,pricing,1,M\xfcller\n",
        encoding="latin-1",
    )
    result = import_file(database_url, ws.team_id, "g2", path, check=False)
    assert result.returncode == 1
    assert f"{path} line 3: the file is not UTF-8 text; export or save it as CSV UTF-8" in (
        result.stderr.replace("\n", "")
    )
    assert events(ws) == []
