"""The account list page: filters, sorts, keyset pages, CSV export and save as segment."""

import csv
import html
import io
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import update

from intentsync.accounts import service as accounts_service
from intentsync.accounts.schemas import AccountFilter, ListQuery, ScoreRange
from intentsync.console.accounts import _csv_lines
from intentsync.db.engine import Database
from intentsync.db.models import Account
from intentsync.segments.service import change_members, summaries
from tests.console.conftest import ConsoleClient
from tests.factories import Workspace, create_workspace

ROW_NAME = re.compile(r'<td><a href="/accounts/([0-9a-f]{24})">([^<]*)</a></td>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')


def seed(ws: Workspace, database: Database, specs: list[dict[str, Any]]) -> None:
    """Push the accounts through the API, then set the scores a scoring run would have set."""
    for start in range(0, len(specs), 100):
        part = specs[start : start + 100]
        ws.push(
            *[
                {
                    "externalId": s["ext"],
                    "domain": s["domain"],
                    "name": s["name"],
                    "tags": s.get("tags", []),
                }
                for s in part
            ]
        )
    scored = ("account_score", "journey_stage", "website_score", "g2_score", "bombora_score")
    scored += ("advertising_score", "score_change_7d", "score_change_30d")
    with database.transaction() as session:
        for s in specs:
            values = {k: s[k] for k in scored if k in s}
            if "changed_ms" in s:
                values["changed_ms"] = s["changed_ms"]
            if values:
                session.execute(
                    update(Account)
                    .where(Account.team_id == ws.team_id, Account.external_id == s["ext"])
                    .values(**values)
                )


def spec(n: int, **values: Any) -> dict[str, Any]:
    return {"ext": f"ext-{n:03d}", "domain": f"firm{n:03d}.example", "name": f"Firm {n:03d}"} | (
        values
    )


SAMPLE = [
    spec(
        1,
        name="Acme Rockets",
        account_score=90,
        journey_stage="Opportunity",
        website_score=80,
        g2_score=10,
        bombora_score=55,
        advertising_score=5,
        score_change_7d=12,
        score_change_30d=30,
        tags=["Tier1", "saas"],
        changed_ms=1_700_000_000_000,
    ),
    spec(
        2,
        name="beta Labs",
        account_score=40,
        journey_stage="Aware",
        website_score=20,
        g2_score=70,
        bombora_score=15,
        advertising_score=60,
        score_change_7d=-8,
        score_change_30d=-2,
        tags=["tier2"],
        changed_ms=1_700_000_500_000,
    ),
    spec(
        3,
        name="Cobalt Mining",
        account_score=65,
        journey_stage="Consideration",
        website_score=45,
        g2_score=35,
        bombora_score=90,
        advertising_score=25,
        score_change_7d=0,
        score_change_30d=14,
        tags=["tier1"],
        changed_ms=1_700_000_100_000,
    ),
    spec(
        4,
        name="Delta Freight",
        ext="ACME-EXT-4",
        account_score=15,
        journey_stage="Unaware",
        website_score=5,
        g2_score=0,
        bombora_score=30,
        advertising_score=85,
        score_change_7d=3,
        score_change_30d=-20,
        changed_ms=1_700_000_300_000,
    ),
    spec(
        5,
        name="Echo Health",
        domain="acme-health.example",
        account_score=75,
        journey_stage="Opportunity",
        website_score=60,
        g2_score=50,
        bombora_score=5,
        advertising_score=40,
        score_change_7d=-15,
        score_change_30d=6,
        tags=["SaaS"],
        changed_ms=1_700_000_200_000,
    ),
    spec(
        6,
        name="Foxtrot Bank",
        account_score=55,
        journey_stage="Customer",
        website_score=95,
        g2_score=90,
        bombora_score=70,
        advertising_score=10,
        score_change_7d=25,
        score_change_30d=45,
        tags=["tier1", "bank"],
        changed_ms=1_700_000_400_000,
    ),
]


def names(page_html: str) -> list[str]:
    return [html.unescape(name) for _, name in ROW_NAME.findall(page_html)]


def listed(client: ConsoleClient, **params: Any) -> list[str]:
    response = client.get("/accounts?" + urlencode({"size": 100, **params}))
    assert response.status_code == 200, response.text[:2000]
    return names(response.text)


@pytest.fixture
def sample(ws: Workspace, database: Database) -> list[dict[str, Any]]:
    seed(ws, database, SAMPLE)
    return SAMPLE


def by_score(rows: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in sorted(rows, key=lambda r: -r["account_score"])]


FILTERS: list[tuple[dict[str, Any], set[int]]] = [
    ({}, {1, 2, 3, 4, 5, 6}),
    ({"q": "acme"}, {1, 4, 5}),  # name, externalId, domain
    ({"q": "ACME-ext"}, {4}),
    ({"q": "labs"}, {2}),
    ({"stage": "Opportunity"}, {1, 5}),
    ({"score_min": 55}, {1, 3, 5, 6}),
    ({"score_max": 55}, {2, 4, 6}),
    ({"score_min": 40, "score_max": 65}, {2, 3, 6}),
    ({"website_min": 60}, {1, 5, 6}),
    ({"website_max": 20}, {2, 4}),
    ({"g2_min": 50, "g2_max": 70}, {2, 5}),
    ({"bombora_min": 55}, {1, 3, 6}),
    ({"advertising_max": 10}, {1, 6}),
    ({"tag": "TIER1"}, {1, 3, 6}),
    ({"tag": "saas"}, {1, 5}),
    ({"tag": "tier"}, set()),  # a whole tag, not a fragment
    ({"trend": "rising"}, {1, 4, 6}),
    ({"trend": "falling"}, {2, 5}),
    ({"change_min": 5}, {1, 6}),
    ({"change_min": -10}, {1, 2, 3, 4, 6}),
    ({"stage": "Opportunity", "score_min": 80, "tag": "saas"}, {1}),
    ({"trend": "rising", "score_max": 60}, {4, 6}),
]


def test_each_filter_lists_exactly_the_matching_accounts(
    admin: ConsoleClient, sample: list[dict[str, Any]]
) -> None:
    for params, numbers in FILTERS:
        expected = by_score([SAMPLE[n - 1] for n in sorted(numbers)])
        assert listed(admin, **params) == expected, params
        page = admin.get("/accounts?" + urlencode(params))
        count = "1 account matches" if len(numbers) == 1 else f"{len(numbers)} accounts match"
        assert (count if numbers else "No account matches these filters") in page.text


def test_segment_filter_lists_the_segment_members(
    admin: ConsoleClient, ws: Workspace, database: Database, sample: list[dict[str, Any]]
) -> None:
    segment_id = ws.segment(name="Targets")
    with database.transaction() as session:
        change_members(
            session,
            team_id=ws.team_id,
            segment_id=segment_id,
            accounts=["ext-002", "ext-006"],
            remove=False,
        )
    assert listed(admin, segment=segment_id) == ["Foxtrot Bank", "beta Labs"]
    assert "Targets (static, 2)" in admin.get("/accounts").text


SORTS = {
    "name": lambda r: r["name"].lower(),
    "score": lambda r: r["account_score"],
    "website": lambda r: r["website_score"],
    "g2": lambda r: r["g2_score"],
    "bombora": lambda r: r["bombora_score"],
    "advertising": lambda r: r["advertising_score"],
    "change_7d": lambda r: r["score_change_7d"],
    "change_30d": lambda r: r["score_change_30d"],
    "changed": lambda r: r["changed_ms"],
}


def test_each_sort_orders_both_ways_with_aria_sort(
    admin: ConsoleClient, sample: list[dict[str, Any]]
) -> None:
    for key, value in SORTS.items():
        for direction in ("asc", "desc"):
            ordered = sorted(SAMPLE, key=value, reverse=direction == "desc")
            page = admin.get("/accounts?" + urlencode({"sort": key, "dir": direction}))
            assert names(page.text) == [r["name"] for r in ordered], (key, direction)
            marked = re.findall(r'<th scope="col"[^>]*aria-sort="(\w+)"', page.text)
            assert marked == ["ascending" if direction == "asc" else "descending"]
            flipped = "desc" if direction == "asc" else "asc"
            assert f"sort={key}&amp;dir={flipped}" in page.text  # the header link flips it


def test_the_default_sort_is_score_descending(
    admin: ConsoleClient, sample: list[dict[str, Any]]
) -> None:
    assert listed(admin) == by_score(SAMPLE)
    assert listed(admin) == ["Acme Rockets", "Echo Health", "Cobalt Mining", "Foxtrot Bank",
                             "beta Labs", "Delta Freight"]  # fmt: skip


def _walk(client: ConsoleClient, url: str, pattern: re.Pattern[str]) -> list[tuple[str, list[str]]]:
    """(address, names) of each page reached by following one pager link from url."""
    pages: list[tuple[str, list[str]]] = []
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.text[:1000]
        pages.append((url, names(response.text)))
        found = pattern.search(response.text)
        if found is None:
            return pages
        url = html.unescape(found.group(1))


def test_keyset_pages_cover_every_row_once_forwards_and_back(
    admin: ConsoleClient, ws: Workspace, database: Database
) -> None:
    # Scores repeat, so rows with equal scores must be told apart by their key.
    rows = [spec(n, account_score=n % 7 * 10) for n in range(1, 61)]
    seed(ws, database, rows)
    assert "60 accounts match" in admin.get("/accounts?size=25").text
    forward = _walk(admin, "/accounts?size=25", NEXT)
    assert [len(names) for _, names in forward] == [25, 25, 10]
    flat = [n for _, names in forward for n in names]
    # Descending sorts break ties by the newest key first; the accounts were pushed in order.
    ordered = sorted(rows, key=lambda r: (r["account_score"], r["ext"]), reverse=True)
    assert flat == [r["name"] for r in ordered]  # no gap, no repeat
    assert "after=" in forward[-1][0]
    backward = _walk(admin, forward[-1][0], PREVIOUS)
    assert [names for _, names in backward] == [names for _, names in forward][::-1]
    assert "before=" in backward[-1][0]  # the first page again, reached going back
    by_name = [n for _, names in _walk(admin, "/accounts?sort=name&size=50", NEXT) for n in names]
    assert by_name == sorted(r["name"] for r in rows)


def _csv(client: ConsoleClient, **params: Any) -> list[list[str]]:
    response = client.get("/accounts.csv?" + urlencode(params))
    assert response.status_code == 200, response.text[:1000]
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "content-length" not in response.headers  # streamed, not built whole
    return list(csv.reader(io.StringIO(response.text)))


def test_csv_export_has_every_filtered_row_not_one_page(
    admin: ConsoleClient, ws: Workspace, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_service, "EXPORT_BATCH", 7)  # several batches for few rows
    rows = [
        spec(n, account_score=n % 5 * 20, tags=["even" if n % 2 == 0 else "odd"])
        for n in range(1, 41)
    ]
    seed(ws, database, rows)
    table = _csv(admin, tag="even", score_min=20, size=25)
    assert table[0][:6] == ["name", "domain", "externalId", "rtp_aid", "score", "stage"]
    wanted = [r for r in rows if r["tags"] == ["even"] and r["account_score"] >= 20]
    assert len(wanted) > 7
    # Every match, not one page of 25, oldest first; the page shows the same accounts.
    assert [line[0] for line in table[1:]] == [r["name"] for r in wanted]
    assert sorted(listed(admin, tag="even", score_min=20)) == [r["name"] for r in wanted]
    assert {line[2] for line in table[1:]} == {r["ext"] for r in wanted}
    assert all(line[-1] == "even" for line in table[1:])


def test_csv_export_streams_one_chunk_per_batch(
    ws: Workspace, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_service, "EXPORT_BATCH", 4)
    seed(ws, database, [spec(n, account_score=n) for n in range(1, 11)])
    query = ListQuery(filter=AccountFilter(ranges={"score": ScoreRange(low=2)}), sort="score")
    chunks = list(_csv_lines(database, team_id=ws.team_id, query=query))
    assert len(chunks) == 1 + 3  # the header, then batches of 4, 4 and 1
    assert chunks[0].startswith("name,domain")
    assert "Firm 002" in chunks[1]
    assert "Firm 010" in chunks[3]
    assert "Firm 001" not in "".join(chunks)


def test_csv_cells_cannot_start_a_formula(
    admin: ConsoleClient, ws: Workspace, database: Database
) -> None:
    seed(
        ws,
        database,
        [
            spec(1, name='=HYPERLINK("http://x")', tags=["@tag"]),
            spec(2, name="+1 Widgets", ext="-ext"),
            spec(3, name="-minus", score_change_7d=-5),
            spec(4, name="@home", tags=["=1+1", "ok"]),
            spec(5, name="Plain Name"),
        ],
    )
    table = {line[2]: line for line in _csv(admin, sort="name")[1:]}
    assert table["ext-001"][0] == '\'=HYPERLINK("http://x")'
    assert table["ext-001"][-1] == "'@tag"
    assert table["'-ext"][0] == "'+1 Widgets"
    assert table["ext-003"][0] == "'-minus"
    assert table["ext-003"][10] == "-5"  # a number stays a number
    assert table["ext-004"][0] == "'@home"
    assert table["ext-004"][-1] == "'=1+1; ok"
    assert table["ext-005"][0] == "Plain Name"


def test_save_as_segment_matches_the_filter(
    admin: ConsoleClient, ws: Workspace, database: Database, sample: list[dict[str, Any]]
) -> None:
    params = {"stage": "Opportunity", "score_min": "50", "tag": "saas", "trend": "any"}
    shown = listed(admin, **params)
    assert len(shown) == 2
    saved = admin.post("/accounts", {**params, "segment_name": "Hot SaaS"})
    assert saved.status_code == 303, saved.text[:1000]
    segment_id = saved.headers["location"].removeprefix("/segments/")
    assert re.fullmatch(r"[0-9a-f]{24}", segment_id)
    with database.transaction(write=False) as session:
        found = [s for s in summaries(session, team_id=ws.team_id) if s[0] == segment_id]
    assert found == [(segment_id, "Hot SaaS", "dynamic", "active", len(shown))]
    # The API shows the membership on exactly the filtered accounts.
    api = ws.get("/accounts?limit=100")
    assert api.status_code == 200
    members = {
        a["name"]
        for a in api.json()["data"]["data"]
        if segment_id in {s["segmentId"] for s in a["rtp_segments"]}
    }
    assert members == set(shown)
    # The list of segments (GET /segments) is the CRM's static list, as documented.
    listed_api = ws.get("/segments")
    assert listed_api.status_code == 200
    assert segment_id not in {s["segmentId"] for s in listed_api.json()["data"]["data"]}
    # The new segment is offered as a filter, and filtering by it lists the same accounts.
    assert listed(admin, segment=segment_id) == shown


def test_save_as_segment_from_trend_and_source_ranges(
    admin: ConsoleClient, ws: Workspace, database: Database, sample: list[dict[str, Any]]
) -> None:
    params = {"trend": "rising", "website_min": "50", "g2_max": "95", "change_min": "10"}
    shown = listed(admin, **params)
    assert shown == ["Acme Rockets", "Foxtrot Bank"]
    saved = admin.post("/accounts", {**params, "segment_name": "Warming"})
    assert saved.status_code == 303
    segment_id = saved.headers["location"].removeprefix("/segments/")
    with database.transaction(write=False) as session:
        counts = {s[0]: s[4] for s in summaries(session, team_id=ws.team_id)}
    assert counts[segment_id] == 2


# Letters beyond ASCII: SQLite's LIKE and lower() fold ASCII only, PostgreSQL folds them all.
UNICODE = [
    spec(11, name="Über Straße GmbH", tags=["ÜBER"], account_score=30, journey_stage="Aware"),
    spec(12, name="Ärzte Verbund", ext="KUNDE-ÖL-12", account_score=20, tags=["Priorität"]),
    spec(13, name="Uber Freight", tags=["uber"], account_score=10),  # ASCII: u is not ü
    spec(14, name="Sale 50%_off", account_score=5),
]


@pytest.fixture
def unicode_sample(ws: Workspace, database: Database) -> list[dict[str, Any]]:
    seed(ws, database, SAMPLE + UNICODE)
    return SAMPLE + UNICODE


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "über"}, ["Über Straße GmbH"]),
        ({"q": "ÜBER STRASSE"}, []),  # lower-casing folds case, it does not spell ß as ss
        ({"q": "über straße"}, ["Über Straße GmbH"]),
        ({"q": "STRAßE"}, ["Über Straße GmbH"]),
        ({"q": "öl"}, ["Ärzte Verbund"]),  # the externalId
        ({"q": "ÄRZTE"}, ["Ärzte Verbund"]),
        ({"q": "uber"}, ["Uber Freight"]),
        ({"tag": "über"}, ["Über Straße GmbH"]),
        ({"tag": "ÜBER"}, ["Über Straße GmbH"]),
        ({"tag": "Über"}, ["Über Straße GmbH"]),
        ({"tag": "PRIORITÄT"}, ["Ärzte Verbund"]),
        ({"tag": "uber"}, ["Uber Freight"]),
        ({"q": "straße", "tag": "über"}, ["Über Straße GmbH"]),
        ({"q": "50%_OFF"}, ["Sale 50%_off"]),
        ({"q": "5_%"}, []),  # LIKE's wildcards are plain text
    ],
)
def test_search_and_tag_ignore_case_beyond_ascii(
    admin: ConsoleClient,
    unicode_sample: list[dict[str, Any]],
    params: dict[str, str],
    expected: list[str],
) -> None:
    assert listed(admin, **params) == expected
    exported = [line[0] for line in _csv(admin, **params)[1:]]
    assert exported == expected


@pytest.mark.parametrize(
    "params",
    [
        {"q": "acme"},  # name, externalId and domain of three accounts
        {"q": "ACME-ext"},
        {"q": "acme", "stage": "Opportunity"},
        {"q": "über"},
        {"q": "ÖL"},
        {"q": "ärzte", "tag": "priorität"},
        {"tag": "ÜBER"},
        {"q": "50%_off"},  # LIKE's wildcards are plain text in both
    ],
)
def test_save_as_segment_with_a_search_has_the_lists_members(
    admin: ConsoleClient,
    ws: Workspace,
    database: Database,
    unicode_sample: list[dict[str, Any]],
    params: dict[str, str],
) -> None:
    shown = listed(admin, **params)
    saved = admin.post("/accounts", {**params, "segment_name": "From a search"})
    assert saved.status_code == 303, html.unescape(saved.text)[:2000]
    segment_id = saved.headers["location"].removeprefix("/segments/")
    with database.transaction(write=False) as session:
        counts = {s[0]: s[4] for s in summaries(session, team_id=ws.team_id)}
    assert counts[segment_id] == len(shown)
    assert listed(admin, segment=segment_id) == shown
    assert listed(admin, segment=segment_id, **params) == shown


def test_a_search_saves_as_an_or_of_contains(
    admin: ConsoleClient, unicode_sample: list[dict[str, Any]]
) -> None:
    rules = accounts_service.segment_rules(AccountFilter(search="Über", stage="Aware"))
    assert rules == {
        "and": [
            {
                "or": [
                    {"field": "name", "operator": "contains", "value": "Über"},
                    {"field": "domain", "operator": "contains", "value": "Über"},
                    {"field": "external_id", "operator": "contains", "value": "Über"},
                ]
            },
            {"field": "journey_stage", "operator": "eq", "value": "Aware"},
        ]
    }
    assert listed(admin, q="Über", stage="Aware") == ["Über Straße GmbH"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"segment_name": "All"}, "Choose at least one filter"),
        ({"stage": "Aware", "segment_name": ""}, "Give the segment a name"),
        ({"score_min": "x", "segment_name": "Bad"}, "Score minimum should be a whole number"),
    ],
)
def test_save_as_segment_refuses_what_rules_cannot_say(
    admin: ConsoleClient,
    ws: Workspace,
    database: Database,
    sample: list[dict[str, Any]],
    form: dict[str, str],
    message: str,
) -> None:
    refused = admin.post("/accounts", form)
    assert refused.status_code == 400
    assert message in html.unescape(refused.text)
    with database.transaction(write=False) as session:
        assert summaries(session, team_id=ws.team_id) == []


def test_save_as_segment_refuses_a_segment_filter(
    admin: ConsoleClient, ws: Workspace, database: Database, sample: list[dict[str, Any]]
) -> None:
    segment_id = ws.segment(name="Static")
    refused = admin.post("/accounts", {"segment": segment_id, "segment_name": "Copy"})
    assert refused.status_code == 400
    assert "cannot test membership of another segment" in refused.text
    with database.transaction(write=False) as session:
        assert len(summaries(session, team_id=ws.team_id)) == 1


def test_save_as_segment_needs_the_csrf_token(
    admin: ConsoleClient, sample: list[dict[str, Any]]
) -> None:
    sent = admin.client.post(
        "/accounts", data={"stage": "Aware", "segment_name": "x"}, headers={"Accept": "text/html"}
    )
    assert sent.status_code == 403


def test_teams_never_see_each_other(
    app: Any, admin: ConsoleClient, ws: Workspace, database: Database
) -> None:
    other = create_workspace(app, database, name="Other team")
    try:
        seed(other, database, [spec(1, name="Secret Corp", account_score=99)])
        secret_segment = other.segment(name="Theirs")
        seed(ws, database, [spec(1, name="Our Corp", account_score=10)])
        assert listed(admin) == ["Our Corp"]
        assert listed(admin, q="secret") == []
        assert [line[0] for line in _csv(admin)[1:]] == ["Our Corp"]
        assert "Theirs" not in admin.get("/accounts").text
        refused = admin.get(f"/accounts?segment={secret_segment}")
        assert refused.status_code == 400
        assert "There is no segment" in refused.text
    finally:
        other.close()


def test_members_can_use_the_list(member: ConsoleClient, sample: list[dict[str, Any]]) -> None:
    assert listed(member, stage="Aware") == ["beta Labs"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("score_min=abc", "Score minimum should be a whole number from 0 to 100, not 'abc'"),
        ("score_min=70&score_max=20", "Score: the minimum (70) is above the maximum (20)"),
        ("g2_min=90&g2_max=10", "G2 score: the minimum (90) is above the maximum (10)"),
        ("bombora_max=101", "Bombora maximum should be from 0 to 100, not 101"),
        ("stage=Dreaming", "'Dreaming' is not a journey stage"),
        ("change_min=1.5", "Minimum 7-day change should be a whole number"),
        ("trend=sideways", "Trend should be one of: any, rising, falling"),
        ("sort=colour", "Sort by one of"),
        ("sort=name&dir=up", "Sort direction should be asc or desc"),
        ("size=33", "Page size should be one of: 25, 50, 100"),
        ("after=not-a-cursor", "This page link is damaged"),
        ("after=WyJzY29yZSIsIHRydWUsICJ4IiwgMV0", "This page link is damaged"),
        ("segment=nope", "There is no segment 'nope'"),
    ],
)
def test_bad_input_shows_a_message_with_400(admin: ConsoleClient, query: str, message: str) -> None:
    answer = admin.get(f"/accounts?{query}")
    assert answer.status_code == 400
    text = html.unescape(answer.text)
    assert message in text
    assert '<form class="card accounts-filters"' in text  # the form stays, to fix the value
    if not query.startswith("after"):
        exported = admin.get(f"/accounts.csv?{query}")
        assert exported.status_code == 400
        assert message in html.unescape(exported.text)


def test_a_cursor_of_another_sort_is_refused(
    admin: ConsoleClient, sample: list[dict[str, Any]]
) -> None:
    first = admin.get("/accounts?size=25&sort=name&dir=asc")
    assert first.status_code == 200
    seed_more = admin.get("/accounts?size=25&sort=score&after=WyJuYW1lIiwgZmFsc2UsICJhIiwgMV0")
    assert seed_more.status_code == 400
    assert "belongs to another sort order" in seed_more.text


def test_the_list_links_each_account_to_its_page(
    admin: ConsoleClient, ws: Workspace, sample: list[dict[str, Any]]
) -> None:
    page = admin.get("/accounts")
    links = {name: aid for aid, name in ROW_NAME.findall(page.text)}
    api = ws.get("/accounts/ext-001").json()["data"]
    assert links["Acme Rockets"] == api["rtp_aid"]
    assert 'class="table-wrap"' in page.text
