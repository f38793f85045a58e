"""Chunked import: bounded transactions, bulk account matching, failures kept with their line."""

from sqlalchemy import select

from intentsync.db.models import Account, SignalEvent
from intentsync.signals.importers.csvfile import RowError, RowSignals
from intentsync.signals.importers.service import chunks, import_chunk
from intentsync.signals.service import NewSignal
from tests.factories import account
from tests.signals.importers.helpers import parse

NOV_16 = 1_794_787_200_000


def g2(line, n, *, at=NOV_16):
    signal = NewSignal("g2", "acme.com", at, "pricing", attributes={"product": f"p{n}"})
    return RowSignals(line, (signal,))


def test_chunks_hold_at_most_the_limit_of_signals_and_rows():
    five = RowSignals(2, tuple(g2(2, n).signals[0] for n in range(5)))
    items = [five, five, RowError(4, "bad"), RowSignals(5, ()), five, RowError(7, "bad")]
    assert [len(c) for c in chunks(items, limit=10)] == [2, 4]
    assert [len(c) for c in chunks([RowError(n, "bad") for n in range(25)], limit=10)] == [
        10,
        10,
        5,
    ]


def stored(ws):
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(Account.domain, SignalEvent.attributes)
            .join(Account, Account.id == SignalEvent.account_id)
            .where(SignalEvent.team_id == ws.team_id)
        )
        return sorted((attributes["companyName"], domain) for domain, attributes in rows)


def test_linkedin_pages_match_however_the_account_stored_its_url(ws, tmp_path):
    ws.push(
        account(1, domain="acme.com", linkedinUrl="HTTPS://WWW.LinkedIn.com/company/Acme?trk=x"),
        account(2, domain="acme-corp.com", linkedinUrl="linkedin.com/company/acme-corp/about/"),
        account(3, domain="under.com", linkedinUrl="https://uk.linkedin.com/company/under_score"),
        account(4, domain="percent.com", linkedinUrl="https://linkedin.com/company/under-score"),
    )
    items = parse(
        tmp_path,
        "linkedin",
        "Company Name,Company Page URL,Date,Clicks\n"
        "Acme,https://www.linkedin.com/company/acme/,2026-11-16,1\n"
        "Acme Corp,http://linkedin.com/company/ACME-CORP,2026-11-16,1\n"
        "Under,linkedin.com/company/under_score,2026-11-16,1\n"
        "Pct,linkedin.com/company/under%score,2026-11-16,1\n",
    )
    with ws.db.transaction() as session:
        result = import_chunk(session, team_id=ws.team_id, items=items)
    assert (result.created, result.skipped) == (3, 0)
    # LIKE wildcards in a page name are literal: 'under%score' is not 'under-score'.
    assert result.errors == [RowError(5, "no account matches 'Pct' and the row has no website")]
    assert stored(ws) == [
        ("Acme", "acme.com"),
        ("Acme Corp", "acme-corp.com"),
        ("Under", "under.com"),
    ]


def test_ingest_failures_come_back_with_the_row_line(ws):
    future = NOV_16 + 400 * 86_400_000
    items = [g2(2, 1), RowError(3, "bad row"), g2(4, 1), g2(5, 2, at=future)]
    with ws.db.transaction() as session:
        result = import_chunk(session, team_id=ws.team_id, items=items)
    assert (result.rows, result.created, result.skipped, result.failed_rows) == (4, 1, 1, 2)
    assert result.errors == [
        RowError(3, "bad row"),
        RowError(5, "occurredAt is more than a day in the future"),
    ]
