"""The Imports page: uploads run as queue jobs, report progress, bad lines and history."""

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from intentsync.db.engine import Database
from intentsync.db.models import Account, SignalEvent, SignalImport
from intentsync.kit.clock import now_ms
from intentsync.signals.importers.service import STALE_MESSAGE, begin_import
from tests.console.conftest import PASSWORD, ConsoleClient, sign_in
from tests.factories import Workspace, create_workspace
from tests.test_cli import last_line, run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BAD_G2 = (
    "Company Domain;Day;Signal Type;Total Activity;Product\n"
    "acme.example;2026-11-17;Pricing Page;3;Widget\n"
    "acme.example;2026-11-17;Reviews;1;Widget\n"
    "\n"
    "acme.example;2030-01-01;Pricing Page;1;Widget\n"
    "acme.example;2026-11-17;pricing;0;Widget\n"
    "acme.example;2026-11-17;pricing;7;Widget\n"
    "globex.example;2026/11/18;Profile;1;Widget;extra;cells\n"
)
BAD_G2_LINES = [
    (
        3,
        "signal_type 'Reviews' is not a G2 signal type; use one of: Pricing Page, Profile, "
        "Compare (Comparison), Competitor (Alternatives), Category",
        "acme.example;2026-11-17;Reviews;1;Widget",
    ),
    (
        5,
        "occurredAt is more than a day in the future",
        "acme.example;2030-01-01;Pricing Page;1;Widget",
    ),
    (
        6,
        "total_activity 0 must be above 0 and at most 1e9",
        "acme.example;2026-11-17;pricing;0;Widget",
    ),
    (
        8,
        "7 cells, more than the header's 5; a value holding a semicolon must be in double quotes",
        "globex.example;2026/11/18;Profile;1;Widget;extra;cells",
    ),
]
ID_IN_LOCATION = re.compile(r"^/imports/(\d+)$")

pytestmark = pytest.mark.usefixtures("import_jobs")


def upload(client: ConsoleClient, source: str, content: bytes, name: str = "export.csv") -> Any:
    return client.post(
        "/imports",
        {"source": source},
        token_from="/imports",
        files={"file": (name, content, "text/csv")},
    )


def start(client: ConsoleClient, source: str, content: bytes, name: str = "export.csv") -> int:
    answer = upload(client, source, content, name)
    assert answer.status_code == 303, answer.text[:800]
    found = ID_IN_LOCATION.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def wait(client: ConsoleClient, import_id: int) -> dict[str, Any]:
    """The status document once the import has ended."""
    deadline = time.monotonic() + 60
    while True:
        answer = client.get(f"/imports/{import_id}/status")
        assert answer.status_code == 200, answer.text[:500]
        state: dict[str, Any] = answer.json()
        if state["status"] != "running":
            return state
        assert time.monotonic() < deadline, f"import {import_id} still running: {state}"
        time.sleep(0.1)


def record(database: Database, import_id: int) -> SignalImport:
    with database.transaction(write=False) as session:
        found = session.get(SignalImport, import_id)
        assert found is not None
        return found


def events(database: Database, team_id: int) -> list[tuple[Any, ...]]:
    """(domain, type, quantity, day, attributes) of every stored signal, in a stable order."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(
                Account.domain,
                SignalEvent.type,
                SignalEvent.quantity,
                SignalEvent.day,
                SignalEvent.attributes,
            )
            .join(Account, Account.id == SignalEvent.account_id)
            .where(SignalEvent.team_id == team_id)
            .order_by(SignalEvent.id)
        )
        return [tuple(row) for row in rows]


def cli_import(
    database_url: str, team_id: int, source: str, path: Path
) -> tuple[int, list[str], str]:
    """What `intentsync signals import` reports: signals created, bad lines, summary."""
    args = ("signals", "import", "--team", str(team_id), "--source", source, str(path))
    result = run_cli(database_url, *args)
    lines = result.stderr.strip().splitlines()
    return int(last_line(result)), lines[:-1], lines[-1]


@pytest.fixture
def other(app: FastAPI, database: Database) -> Iterator[Workspace]:
    workspace = create_workspace(app, database, name="Other team")
    yield workspace
    workspace.close()


@pytest.mark.parametrize(
    ("source", "file", "rows", "signals"),
    [
        ("bombora", "bombora-surge.csv", 10, 10),
        ("g2", "g2-buyer-intent.csv", 10, 10),
        ("linkedin", "linkedin-company-engagement.csv", 7, 17),
    ],
)
def test_each_vendor_sample_imports_as_the_cli_does(
    admin: ConsoleClient,
    database: Database,
    database_url: str,
    ws: Workspace,
    other: Workspace,
    source: str,
    file: str,
    rows: int,
    signals: int,
) -> None:
    path = EXAMPLES / file
    import_id = start(admin, source, path.read_bytes(), file)
    state = wait(admin, import_id)
    assert state["status"] == "done"
    assert state["percent"] == 100
    assert state["fields"]["rows_read"] == str(rows)
    assert state["fields"]["signals_created"] == str(signals)
    assert state["fields"]["rows_failed"] == "0"
    done = record(database, import_id)
    assert (done.rows_read, done.signals_created, done.signals_skipped) == (rows, signals, 0)
    assert done.uploaded_by == ws.email
    assert done.file_name == file
    assert done.bytes_read == done.file_bytes == path.stat().st_size
    assert done.finished_ms is not None
    assert done.finished_ms >= done.started_ms
    # The CLI, on another team, stores the very same signals.
    created, bad, summary = cli_import(database_url, other.team_id, source, path)
    assert (created, bad) == (signals, [])
    assert summary.endswith(
        f"{rows} rows read, {signals} signals created, 0 repeats skipped, 0 rows failed"
    )
    assert events(database, ws.team_id) == events(database, other.team_id)
    page = admin.get(f"/imports/{import_id}")
    assert page.status_code == 200
    assert "Done" in page.text
    assert ws.email in page.text
    assert file in page.text
    assert "None: every row was read." in page.text
    assert 'http-equiv="refresh"' not in page.text  # only a running import refreshes
    # A second upload of the same file creates nothing: every signal is a repeat.
    again = wait(admin, start(admin, source, path.read_bytes(), file))
    assert again["fields"]["signals_created"] == "0"
    assert again["fields"]["signals_skipped"] == str(signals)


def test_bad_lines_show_line_reason_and_text_as_the_cli_reports_them(
    admin: ConsoleClient,
    database: Database,
    database_url: str,
    other: Workspace,
    ws: Workspace,
    tmp_path: Path,
) -> None:
    content = BAD_G2.encode("utf-8-sig")
    import_id = start(admin, "g2", content, "g2 week 47.csv")
    state = wait(admin, import_id)
    assert state["status"] == "done"
    done = record(database, import_id)
    assert (done.rows_read, done.signals_created, done.signals_skipped) == (6, 1, 1)
    assert (done.rows_failed, done.errors_total) == (4, 4)
    page = admin.get(f"/imports/{import_id}")
    assert page.status_code == 200
    cells = re.findall(
        r'<td class="num">(\d+)</td>\s*<td>(.*?)</td>\s*<td><code>(.*?)</code></td>', page.text
    )
    assert [(int(n), r.replace("&#39;", "'"), t) for n, r, t in cells] == BAD_G2_LINES
    # The CLI reports the same lines with the same reasons, and stores the same signals.
    path = tmp_path / "same.csv"
    path.write_bytes(content)
    created, bad, _ = cli_import(database_url, other.team_id, "g2", path)
    assert created == 1
    assert bad == [f"line {n}: {reason}" for n, reason, _ in BAD_G2_LINES]
    assert events(database, ws.team_id) == events(database, other.team_id)


def test_history_lists_imports_newest_first_with_who_and_counts(
    admin: ConsoleClient, ws: Workspace
) -> None:
    first = start(admin, "bombora", (EXAMPLES / "bombora-surge.csv").read_bytes(), "surge.csv")
    wait(admin, first)
    second = start(admin, "g2", BAD_G2.encode(), "g2-bad.csv")
    wait(admin, second)
    page = admin.get("/imports")
    assert page.status_code == 200
    assert page.text.index(f'href="/imports/{second}"') < page.text.index(
        f'href="/imports/{first}"'
    )
    assert "surge.csv" in page.text
    assert "g2-bad.csv" in page.text
    assert "Bombora" in page.text
    assert "G2" in page.text
    assert page.text.count(ws.email) >= 3  # the header and both rows
    assert page.text.count("badge import-done") == 2


def test_history_pages_newest_first(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    with database.transaction() as session:
        ids = [
            begin_import(
                session,
                team_id=ws.team_id,
                source="g2",
                file_name=f"file-{n}.csv",
                file_bytes=10,
                uploaded_by=ws.email,
            )
            for n in range(23)
        ]
    first = admin.get("/imports")
    shown = [int(n) for n in re.findall(r'href="/imports/(\d+)"', first.text)]
    assert shown == ids[::-1][:20]
    older = re.search(r'href="/imports\?before=(\d+)"', first.text)
    assert older is not None
    assert int(older.group(1)) == ids[3]
    second = admin.get(f"/imports?before={older.group(1)}")
    assert [int(n) for n in re.findall(r'href="/imports/(\d+)"', second.text)] == ids[2::-1]
    assert "?before=" not in second.text
    assert 'href="/imports">Newest</a>' in second.text


def test_a_wrong_file_is_refused_on_the_form_and_nothing_is_recorded(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    g2_as_bombora = upload(admin, "bombora", (EXAMPLES / "g2-buyer-intent.csv").read_bytes())
    assert g2_as_bombora.status_code == 400
    assert (
        "the header has no Topic Name column; accepted spellings: &#39;Topic Name&#39;, "
        "&#39;Topic&#39;" in g2_as_bombora.text
    )
    assert '<option value="bombora" selected>' in g2_as_bombora.text
    binary = upload(admin, "g2", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "logo.png")
    assert binary.status_code == 400
    assert "logo.png holds NUL bytes" in binary.text
    empty = upload(admin, "linkedin", b"", "empty.csv")
    assert empty.status_code == 400
    assert "empty.csv is empty: it has no header line" in empty.text
    no_vendor = upload(admin, "hubspot", b"a,b\n")
    assert no_vendor.status_code == 400
    assert "Choose the file&#39;s vendor: Bombora, G2 or LinkedIn." in no_vendor.text
    no_file = admin.post("/imports", {"source": "g2"}, token_from="/imports")
    assert no_file.status_code == 400
    assert "Choose a file to import." in no_file.text
    with database.transaction(write=False) as session:
        assert (
            session.scalars(select(SignalImport).where(SignalImport.team_id == ws.team_id)).all()
            == []
        )
    assert "No imports yet." in admin.get("/imports").text


def test_a_file_that_turns_out_not_utf8_fails_with_the_importers_message(
    admin: ConsoleClient, database: Database
) -> None:
    lines = ["company_domain,day,signal_type,total_activity,company_name"]
    lines += [f"c{n}.example,2026-11-17,pricing,1,C{n}" for n in range(1, 1500)]
    content = (
        "\n".join(lines) + "\n"
    ).encode() + "muller.example,2026-11-17,pricing,1,M\xfcller\n".encode("latin-1")
    import_id = start(admin, "g2", content, "latin.csv")
    state = wait(admin, import_id)
    assert state["status"] == "failed"
    failed = record(database, import_id)
    assert failed.message == (
        "latin.csv line 1501: the file is not UTF-8 text; export or save it as CSV UTF-8"
    )
    page = admin.get(f"/imports/{import_id}")
    assert "latin.csv line 1501: the file is not UTF-8 text" in page.text
    assert "Failed" in page.text
    # Whole chunks read before the bad line were imported and stay so.
    assert failed.signals_created == failed.rows_read > 0


def test_only_the_first_thousand_problems_are_kept_and_they_page(
    admin: ConsoleClient, database: Database
) -> None:
    lines = ["company_domain,day,signal_type,total_activity"]
    lines += [f"c{n}.example,2026-11-17,Reviews,1" for n in range(1050)]
    import_id = start(admin, "g2", ("\n".join(lines) + "\n").encode(), "reviews.csv")
    assert wait(admin, import_id)["fields"]["rows_failed"] == "1,050"
    assert record(database, import_id).errors_total == 1050
    page = admin.get(f"/imports/{import_id}")
    assert "1,050 problems were found; the first" in page.text
    assert "1,000 are kept" in page.text
    shown: list[int] = []
    pages = 0
    while True:
        pages += 1
        assert pages <= 11, "the pager does not end"
        shown += [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page.text)]
        after = re.search(rf'href="/imports/{import_id}\?after=(\d+)"', page.text)
        if after is None:
            break
        page = admin.get(f"/imports/{import_id}?after={after.group(1)}")
        assert page.status_code == 200
    assert pages == 10  # 100 lines a page
    assert shown == list(range(2, 1002))  # the 1,000th kept problem is on line 1001


def test_a_silent_running_import_is_shown_and_marked_failed(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    with database.transaction() as session:
        import_id = begin_import(
            session,
            team_id=ws.team_id,
            source="bombora",
            file_name="interrupted.csv",
            file_bytes=1000,
            uploaded_by=ws.email,
        )
        alive = begin_import(
            session,
            team_id=ws.team_id,
            source="g2",
            file_name="busy.csv",
            file_bytes=1000,
            uploaded_by=ws.email,
        )
        hour_ago = now_ms() - 3_600_000
        session.execute(
            update(SignalImport)
            .where(SignalImport.id == import_id)
            .values(started_ms=hour_ago - 5000, heartbeat_ms=hour_ago, rows_read=1000)
        )
    history = admin.get("/imports")
    assert history.status_code == 200
    assert history.text.count("badge import-failed") == 1
    assert history.text.count("badge import-running") == 1
    stored = record(database, import_id)
    assert (stored.status, stored.message, stored.finished_ms) == (
        "failed",
        STALE_MESSAGE,
        hour_ago,
    )
    assert record(database, alive).status == "running"  # it wrote lately: still running
    page = admin.get(f"/imports/{import_id}")
    assert "the import stopped without finishing" in page.text
    assert "5.0 s" in page.text  # from the start to its last sign of life
    running = admin.get(f"/imports/{alive}")
    assert 'data-status-url="/imports/' in running.text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in running.text


def test_members_are_refused(member: ConsoleClient, admin: ConsoleClient) -> None:
    import_id = start(admin, "g2", (EXAMPLES / "g2-buyer-intent.csv").read_bytes())
    wait(admin, import_id)
    for path in ("/imports", f"/imports/{import_id}", f"/imports/{import_id}/status"):
        answer = member.get(path)
        assert answer.status_code == 403, path
        assert "Only a team admin" in answer.text
    refused = member.post(
        "/imports",
        {"source": "g2"},
        files={"file": ("x.csv", b"company_domain,day,signal_type,total_activity\n", "text/csv")},
    )
    assert refused.status_code == 403
    assert 'href="/imports"' not in member.get("/").text  # no menu entry either


def test_teams_never_see_each_others_imports(
    admin: ConsoleClient, app: FastAPI, database: Database, other: Workspace
) -> None:
    import_id = start(admin, "g2", (EXAMPLES / "g2-buyer-intent.csv").read_bytes(), "ours.csv")
    wait(admin, import_id)
    from intentsync.auth.service import set_password

    with database.transaction() as session:
        set_password(session, email=other.email, password=PASSWORD)
    stranger = sign_in(app, other.email)
    try:
        assert stranger.get(f"/imports/{import_id}").status_code == 404
        assert stranger.get(f"/imports/{import_id}/status").status_code == 404
        history = stranger.get("/imports")
        assert history.status_code == 200
        assert "ours.csv" not in history.text
        assert "No imports yet." in history.text
    finally:
        stranger.close()
    assert events(database, other.team_id) == []


def test_made_up_import_addresses_are_not_found(admin: ConsoleClient) -> None:
    for path in (
        "/imports/abc",
        "/imports/99999999999999999999",
        "/imports/0/status",
        "/imports/9999999999",
        "/imports/9999999999/status",
        f"/imports/{2**31}",
    ):
        answer = admin.get(path)
        assert answer.status_code == 404, path


def test_paging_beyond_what_an_id_column_holds_is_refused(admin: ConsoleClient) -> None:
    for path in ("/imports?before=9999999999", f"/imports?before={2**31}"):
        answer = admin.get(path)
        assert answer.status_code == 400, path
        assert "'before' should be between 1 and 2147483647" in answer.text.replace("&#39;", "'")
    assert admin.get(f"/imports?before={2**31 - 1}").status_code == 200
