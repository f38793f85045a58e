"""The overview page against the API's own answers for the same team, on both databases."""

import re
from collections import Counter
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.scoring.job import run_team
from tests.console.conftest import ConsoleClient, DemoWorkspace, sign_in
from tests.factories import Workspace, account, create_workspace
from tests.scoring.test_explain import AS_OF, EPOCH, worked_example

FUNNEL_ROW = re.compile(
    r'<tr data-stage="([^"]+)">\s*<th scope="row"><a href="([^"]+)">[^<]*</a></th>\s*'
    r'<td class="num">([\d,]+)</td>'
)
BAND_ROW = re.compile(r'<tr><th scope="row">(\d+)-(\d+)</th><td class="num">([\d,]+)</td></tr>')


def _wire_accounts(client: TestClient) -> list[dict[str, Any]]:
    """Every account of the key's team, paged through GET /api/v1/crm/accounts."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        data = client.get("/api/v1/crm/accounts", params=params).json()["data"]
        found += data["data"]
        if not data["hasNextPage"]:
            return found
        cursor = data["nextCursor"]


def _funnel(html: str) -> list[tuple[str, str, int]]:
    return [(s, unescape(href), int(n.replace(",", ""))) for s, href, n in FUNNEL_ROW.findall(html)]


def _bands(html: str) -> dict[int, int]:
    return {int(lo): int(n.replace(",", "")) for lo, _hi, n in BAND_ROW.findall(html)}


def _expected_bands(accounts: list[dict[str, Any]]) -> dict[int, int]:
    bands = dict.fromkeys(range(0, 100, 10), 0)
    for a in accounts:
        bands[min(90, a["rtp_account_score"] // 10 * 10)] += 1
    return bands


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_an_empty_team_is_told_what_to_do_first(admin: ConsoleClient) -> None:
    page = admin.get("/")
    assert page.status_code == 200
    assert "No accounts yet" in page.text
    assert "POST /api/v1/crm/accounts" in page.text
    assert "intentsync demo" in page.text
    assert "<svg" not in page.text


@pytest.fixture
def scored(ws: Workspace) -> Workspace:
    """Three accounts: one climbs the journey over two runs, one has a little G2, one nothing."""
    ws.push(
        account(1, domain="acme.com", name="Acme & Sons"),
        account(2, domain="quiet.com", name="Quiet Co"),
        account(3, domain="idle.com", name="Idle Ltd"),
    )
    signals = [
        *worked_example("acme.com"),
        {
            "source": "g2",
            "domain": "quiet.com",
            "type": "category",
            "occurredAt": f"{(AS_OF - timedelta(days=4)).isoformat()}T09:00:00Z",
        },
    ]
    sent = ws.post("/signals", {"signals": signals}).json()["data"]["summary"]
    assert sent["failed"] == 0
    as_of = (AS_OF - EPOCH).days
    for day in (as_of - 18, as_of):
        report = run_team(ws.db, team_id=ws.team_id, as_of=day)
        assert report.status == "succeeded", report.errors
    return ws


def test_funnel_and_bands_match_the_api(admin: ConsoleClient, scored: Workspace) -> None:
    page = admin.get("/")
    assert page.status_code == 200
    accounts = _wire_accounts(scored.client)
    assert len(accounts) == 3
    stages = Counter(a["rtp_journey_stage"] for a in accounts)
    funnel = _funnel(page.text)
    assert [s for s, _, _ in funnel] == list(JOURNEY_STAGES)
    assert {s: n for s, _, n in funnel} == {s: stages.get(s, 0) for s in JOURNEY_STAGES}
    assert [href for _, href, _ in funnel] == [f"/accounts?stage={s}" for s in JOURNEY_STAGES]
    assert _bands(page.text) == _expected_bands(accounts)
    assert "3 accounts in this team." in page.text
    assert page.text.count('role="img"') >= 3  # funnel, bands and signal volume


def test_stage_changes_and_last_run_match_the_api(admin: ConsoleClient, scored: Workspace) -> None:
    html = admin.get("/").text
    moves = scored.get("/accounts/crm-1/stages").json()["data"]["transitions"]
    assert moves
    section = _section(html, "moves-title")
    rtp_aid = scored.get("/accounts/crm-1").json()["data"]["rtp_aid"]
    assert section.count(f'href="/accounts/{rtp_aid}"') == len(moves)
    for move in moves:
        assert f"{move['from']} → {move['to']}" in section
        assert unescape(move["reason"]) in unescape(section)
    assert "Acme &amp; Sons" in section  # names are escaped, never raw markup
    run = _section(html, "run-title")
    assert "succeeded" in run
    assert "none" in run  # no errors


def test_surging_accounts_are_the_ones_whose_score_rose(
    admin: ConsoleClient, scored: Workspace
) -> None:
    surging = _section(admin.get("/").text, "surging-title")
    gained = [a for a in _wire_accounts(scored.client) if a["rtp_account_score"] > 0]
    assert gained
    for a in gained:  # a score from nothing within the week is a 7-day gain
        assert f'href="/accounts/{a["rtp_aid"]}"' in surging
    idle = scored.get("/accounts/crm-3").json()["data"]
    assert idle["rtp_account_score"] == 0
    assert idle["rtp_aid"] not in surging


def test_signal_volume_sums_what_was_sent(admin: ConsoleClient, scored: Workspace) -> None:
    volume = _section(admin.get("/").text, "volume-title")
    assert 'class="chart chart-stacked"' in volume
    header = re.search(r"<thead><tr><th scope=\"col\">Day</th>(.*?)</tr></thead>", volume, re.S)
    assert header
    shown = re.findall(r'<th scope="col" class="num">([^<]+)</th>', header.group(1))
    assert shown == ["Website", "G2", "Bombora", "LinkedIn ads"]  # the ingest order, by name
    sources = ["website", "g2", "bombora", "linkedin"]
    totals = Counter[str]()
    for row in re.findall(r"<tr><th scope=\"row\">[\d-]+</th>(.*?)</tr>", volume, re.S):
        cells = re.findall(r'<td class="num">([\d,.]+)</td>', row)
        for source, cell in zip(sources, cells, strict=True):
            totals[source] += float(cell.replace(",", ""))
    sent = Counter[str]()
    for signal in worked_example("acme.com"):
        sent[signal["source"]] += 1 if signal["source"] == "bombora" else signal.get("quantity", 1)
    sent["g2"] += 1
    assert totals == sent


def test_another_teams_accounts_never_show(
    app: FastAPI, database: Any, admin: ConsoleClient, scored: Workspace
) -> None:
    other = create_workspace(app, database, name="Other team")
    try:
        other.push(account(9, domain="secret-rival.com", name="Secret Rival Inc"))
        other.post("/signals", {"signals": worked_example("secret-rival.com")})
        assert run_team(database, team_id=other.team_id).status == "succeeded"
        html = admin.get("/").text
        assert "Secret Rival" not in html
        assert "3 accounts in this team." in html
        mine = _section(html, "volume-title")
        assert "secret-rival" not in mine
    finally:
        other.close()


def test_a_member_sees_the_same_overview(
    admin: ConsoleClient, member: ConsoleClient, scored: Workspace
) -> None:
    as_member = member.get("/")
    assert as_member.status_code == 200
    assert _funnel(as_member.text) == _funnel(admin.get("/").text)


def test_the_demo_overview_matches_the_demo_key(
    app: FastAPI, demo: DemoWorkspace, demo_admin: ConsoleClient
) -> None:
    html = demo_admin.get("/").text
    with TestClient(app, headers={"X-Api-Key": demo.key}) as client:
        accounts = _wire_accounts(client)
    stages = Counter(a["rtp_journey_stage"] for a in accounts)
    assert {s: n for s, _, n in _funnel(html)} == {s: stages.get(s, 0) for s in JOURNEY_STAGES}
    assert _bands(html) == _expected_bands(accounts)
    assert html.count('href="/accounts/') >= 10  # surging accounts and stage changes link out


def test_a_signed_out_visitor_goes_to_sign_in(app: FastAPI, demo: DemoWorkspace) -> None:
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/").headers["location"] == "/sign-in"
    signed_in = sign_in(app, demo.email, demo.password)
    try:
        assert signed_in.get("/").status_code == 200
    finally:
        signed_in.close()


def test_signal_volume_can_show_one_source(admin: ConsoleClient, scored: Workspace) -> None:
    volume = _section(admin.get("/?source=g2").text, "volume-title")
    assert re.findall(r'<th scope="col" class="num">([^<]+)</th>', volume) == ["G2"]
    assert '<option value="g2" selected>G2</option>' in volume
    assert '<option value="linkedin" >LinkedIn ads</option>' in volume
    assert volume.count('class="series series-') == 1
    assert 'data-series="G2"' in volume
    assert '<ul class="legend"><li>' in volume
    assert "</svg> G2</li></ul>" in volume


def test_an_unknown_source_is_refused_like_on_the_account_page(
    admin: ConsoleClient, scored: Workspace
) -> None:
    for path in ("/?source=nonsense", "/?source=sales"):
        unknown = admin.get(path)
        assert unknown.status_code == 400
        assert "is not one of: website, g2, bombora, linkedin" in unescape(unknown.text)
    assert admin.get("/?source=").status_code == 200  # "All sources" sends an empty value


def test_an_empty_team_refuses_an_unknown_source_too(admin: ConsoleClient) -> None:
    assert admin.get("/?source=bombora").status_code == 200
    refused = admin.get("/?source=bogus")
    assert refused.status_code == 400
    assert "source 'bogus' is not one of: website, g2, bombora, linkedin" in unescape(refused.text)


def test_the_bombora_note_shows_only_with_bombora_in_the_chart(
    admin: ConsoleClient, scored: Workspace
) -> None:
    note = "Bombora surges are weekly, dated to their Monday"
    assert note in _section(admin.get("/").text, "volume-title")
    assert note in _section(admin.get("/?source=bombora").text, "volume-title")
    for source in ("g2", "website", "linkedin"):
        volume = _section(admin.get(f"/?source={source}").text, "volume-title")
        assert "Quantities summed per day." in volume
        shown_legend = re.search(r'<ul class="legend">.*?</ul>', volume, re.S)
        assert shown_legend
        assert "Bombora" not in shown_legend.group(0)
        assert note not in volume
