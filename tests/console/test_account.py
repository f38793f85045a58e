"""The account page: every section shows what was sent through the API for that account."""

import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intentsync.db.engine import Database
from intentsync.scoring.job import run_team
from tests.console.conftest import ConsoleClient
from tests.factories import Workspace, account, create_workspace
from tests.scoring.test_explain import AS_OF, EPOCH, worked_example
from tests.scoring.test_history import DAY, at, g2

ROW = re.compile(
    r"<tr><th scope=\"row\">(\d{4}-\d\d-\d\d)</th>((?:<td class=\"num\">-?\d+</td>)+)</tr>"
)
CELL = re.compile(r"<td class=\"num\">(-?\d+)</td>")


def run(ws: Workspace, day: int) -> None:
    report = run_team(ws.db, team_id=ws.team_id, as_of=day)
    assert report.status == "succeeded", report.errors


def rtp_aid(ws: Workspace, external_id: str) -> str:
    found: str = ws.get(f"/accounts/{external_id}").json()["data"]["rtp_aid"]
    return found


def section(page: str, anchor: str) -> str:
    """The HTML of one <section id=...> of the page."""
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


@pytest.fixture
def seeded(ws: Workspace) -> dict[str, Any]:
    """crm-1 with a custom field, tags, signals of two sources, a deal, activities, a segment."""
    region = ws.custom_field("Sales region", "singleLineText")
    segment = ws.segment(name="Q3 Targets")
    ws.push(
        account(
            1,
            domain="acme.com",
            name="Acme Corp",
            linkedinUrl="https://www.linkedin.com/company/acme",
            tags=["enterprise", "emea"],
            customFields={region: "Northern Europe"},
        ),
        segmentId=segment,
    )
    ws.push(account(2, domain="other.com", name="Other Inc"))
    signals = worked_example("acme.com")
    signals.append(
        {
            "source": "bombora",
            "domain": "acme.com",
            "type": "surge",
            "occurredAt": at(DAY - 2, 12),
            "attributes": {"topic": "CRM Software", "compositeScore": 77},
        }
    )
    signals.append(g2("other.com", DAY))
    sent = ws.post("/signals", {"signals": signals}).json()["data"]
    assert sent["summary"]["failed"] == 0, sent
    activities = ws.post(
        "/sales-activities",
        {
            "activities": [
                {
                    "externalActivityId": f"act-{n}",
                    "activityType": "call",
                    "occurredAt": at(DAY - n),
                    "domain": "acme.com",
                    "ownerEmail": "rep@example.com",
                    "callTitle": f"Discovery call {n}",
                    "outcome": "connected",
                    "contacts": [{"email": "jo@acme.com", "name": "Jo Buyer"}],
                }
                for n in range(1, 26)
            ]
        },
    )
    assert activities.status_code == 200, activities.text
    wednesday = (AS_OF - EPOCH).days
    run(ws, wednesday - 18)  # the oldest website visits move it on
    deals = ws.post(
        "/deals",
        {
            "deals": [
                {
                    "externalDealId": "deal-77",
                    "name": "Acme platform renewal",
                    "amount": 48000,
                    "stageLabel": "Negotiation",
                    "associatedAccounts": [{"externalId": "crm-1"}],
                },
                {
                    "externalDealId": "deal-88",
                    "name": "Other deal",
                    "associatedAccounts": [{"externalId": "crm-2"}],
                },
            ]
        },
    )
    assert deals.status_code == 200, deals.text
    run(ws, wednesday)  # the open deal moves it on again
    return {"region": region, "segment": segment, "rtp_aid": rtp_aid(ws, "crm-1")}


def test_every_section_shows_the_accounts_data(
    admin: ConsoleClient, ws: Workspace, seeded: dict[str, Any]
) -> None:
    page = admin.get(f"/accounts/{seeded['rtp_aid']}")
    assert page.status_code == 200, page.text[:500]
    body = page.text
    words = text(body)
    for shown in (
        "Acme Corp",
        "acme.com",
        "crm-1",
        seeded["rtp_aid"],
        "https://www.linkedin.com/company/acme",
        "enterprise",
        "emea",
        "Sales region",
        "Northern Europe",
        "Acme platform renewal",
        "Negotiation",
        "48,000",
        "Discovery call 1",
        "rep@example.com",
    ):
        assert shown in words, shown
    assert "Other Inc" not in words
    assert "Other deal" not in words
    assert f'href="/segments/{seeded["segment"]}"' in body
    assert "Q3 Targets" in words

    explained = ws.get("/accounts/crm-1/score").json()["data"]
    scores = section(body, "scores-h")
    assert f'<span class="big num">{explained["rtp_account_score"]}</span>' in scores
    for source in explained["sources"]:
        assert f'<td class="num">{source["score"]}</td>' in scores
    assert explained["stage"]["reason"] in text(scores)
    assert explained["topSignals"], explained
    assert explained["topSignals"][0]["occurredOn"] in scores


def test_the_history_table_equals_the_api(
    admin: ConsoleClient, ws: Workspace, seeded: dict[str, Any]
) -> None:
    api = ws.get("/accounts/crm-1/score/history", params={"days": 90}).json()["data"]
    assert api["points"], api
    page = admin.get(f"/accounts/{seeded['rtp_aid']}").text
    rows = {
        day: [int(n) for n in CELL.findall(cells)]
        for day, cells in ROW.findall(section(page, "history"))
    }
    expected = {
        p["asOf"]: [
            p["rtp_account_score"],
            p["rtp_website_intent_score"],
            p["rtp_g2_intent_score"],
            p["rtp_bombora_intent_score"],
            p["rtp_advertising_activity_score"],
        ]
        for p in api["points"]
    }
    assert rows == expected
    assert len(rows) == len(api["points"])
    lines = re.findall(r'data-series="([^"]+)" data-points="(\d+)"', section(page, "history"))
    count = str(len(api["points"]))
    assert lines == [
        (name, count) for name in ("Overall", "Website", "G2", "Bombora", "LinkedIn ads")
    ]
    assert "Advertising" not in page  # LinkedIn's score is named as on every other page


def test_stage_moves_show_newest_first_with_their_reasons(
    admin: ConsoleClient, ws: Workspace, seeded: dict[str, Any]
) -> None:
    moves = ws.get("/accounts/crm-1/stages").json()["data"]["transitions"]
    assert len(moves) >= 2, moves
    timeline = section(admin.get(f"/accounts/{seeded['rtp_aid']}").text, "stages")
    shown = [html.unescape(r) for r in re.findall(r'<span class="reason">([^<]*)</span>', timeline)]
    assert shown == [m["reason"] for m in moves]
    first = timeline.index(f"{moves[0]['from']} → {moves[0]['to']}")
    last = timeline.index(f"{moves[-1]['from']} → {moves[-1]['to']}")
    assert first < last


def test_signals_page_by_cursor_and_filter_by_source(
    admin: ConsoleClient, ws: Workspace, seeded: dict[str, Any]
) -> None:
    every = ws.get("/accounts/crm-1/signals", params={"limit": 1000}).json()["data"]["data"]
    assert len(every) > 20, len(every)
    url: str | None = f"/accounts/{seeded['rtp_aid']}"
    seen: list[str] = []
    pages = 0
    while url:
        body = admin.get(url).text
        signals = section(body, "signals")
        rows = re.findall(r"<tr>\s*<td>(\d{4}-\d\d-\d\d \d\d:\d\d UTC)</td>", signals)
        assert 0 < len(rows) <= 20
        seen += rows
        pages += 1
        older = re.search(r'<a href="([^"]+)" rel="next">Older signals</a>', signals)
        url = html.unescape(older.group(1)) if older else None
    assert pages == -(-len(every) // 20)
    assert seen == [f"{s['occurredAt'][:10]} {s['occurredAt'][11:16]} UTC" for s in every]

    for source, label in (("bombora", "Bombora"), ("website", "Website")):
        api = ws.get("/accounts/crm-1/signals", params={"source": source}).json()["data"]["data"]
        shown = section(admin.get(f"/accounts/{seeded['rtp_aid']}?source={source}").text, "signals")
        sources = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", shown)
        assert sources == [label] * len(api), source
        assert f'<option value="{source}" selected>' in shown
    bombora = section(admin.get(f"/accounts/{seeded['rtp_aid']}?source=bombora").text, "signals")
    assert "CRM Software" in bombora
    assert "compositeScore</span> 77" in bombora
    bad = admin.get(f"/accounts/{seeded['rtp_aid']}?source=fax")
    assert bad.status_code == 400
    assert "source 'fax' is not one of" in html.unescape(bad.text)
    broken = admin.get(f"/accounts/{seeded['rtp_aid']}?signals_cursor=nonsense")
    assert broken.status_code == 400


def test_activities_show_twenty_with_a_link_to_older(
    admin: ConsoleClient, seeded: dict[str, Any]
) -> None:
    body = section(admin.get(f"/accounts/{seeded['rtp_aid']}").text, "activities")
    titles = re.findall(r"Discovery call (\d+)", body)
    assert titles == [str(n) for n in range(1, 21)]
    older = re.search(r'<a href="([^"]+)" rel="next">Older activities</a>', body)
    assert older
    rest = section(admin.get(html.unescape(older.group(1))).text, "activities")
    assert re.findall(r"Discovery call (\d+)", rest) == [str(n) for n in range(21, 26)]
    assert "Older activities" not in rest
    assert "Newest activities" in rest


def test_an_external_id_redirects_to_the_rtp_aid_address(
    admin: ConsoleClient, seeded: dict[str, Any]
) -> None:
    answer = admin.get("/accounts/crm-1?source=g2")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/accounts/{seeded['rtp_aid']}?source=g2"


def test_another_teams_account_and_unknown_keys_are_404(
    app: FastAPI, database: Database, admin: ConsoleClient, member: ConsoleClient, ws: Workspace
) -> None:
    ws.push(account(1, domain="acme.com", name="Acme Corp"))
    mine = rtp_aid(ws, "crm-1")
    assert member.get(f"/accounts/{mine}").status_code == 200  # members may read accounts
    other = create_workspace(app, database, name="Other team")
    other.push(account(1, domain="acme.com", name="Their Acme"))
    theirs = rtp_aid(other, "crm-1")
    for key in (theirs, "0" * 24, "no-such-account"):
        answer = admin.get(f"/accounts/{key}")
        assert answer.status_code == 404, key
        assert "No account of this team" in html.unescape(answer.text)
        assert "Their Acme" not in answer.text
    assert "Acme Corp" in admin.get("/accounts/crm-1", follow_redirects=True).text
    other.close()


def test_an_account_never_scored_shows_empty_sections(admin: ConsoleClient, ws: Workspace) -> None:
    ws.push(account(1, domain="acme.com", name="Acme Corp"))
    body = admin.get(f"/accounts/{rtp_aid(ws, 'crm-1')}").text
    words = text(body)
    assert "Not scored yet" in words
    assert "No score history in the last 90 days" in words
    assert "no stage move yet" in words
    assert "No deal is linked" in words
    assert "No sales activities" in words
    assert "In no segment" in words


def test_a_signed_out_visitor_is_sent_to_sign_in(app: FastAPI, ws: Workspace) -> None:
    ws.push(account(1, domain="acme.com"))
    with TestClient(app, follow_redirects=False) as client:
        answer = client.get(f"/accounts/{rtp_aid(ws, 'crm-1')}")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in?next=/accounts/")


def test_deals_show_twenty_then_up_to_a_hundred(admin: ConsoleClient, ws: Workspace) -> None:
    ws.push(account(1, domain="acme.com", name="Acme Corp"))
    deals = [
        {
            "externalDealId": f"deal-{n}",
            "name": f"Deal number {n}",
            "associatedAccounts": [{"externalId": "crm-1"}],
        }
        for n in range(1, 23)
    ]
    assert ws.post("/deals", {"deals": deals}).status_code == 200
    page = f"/accounts/{rtp_aid(ws, 'crm-1')}"
    first = section(admin.get(page).text, "deals")
    assert len(re.findall(r"Deal number \d+", first)) == 20
    more = re.search(r'<a href="([^"]+)">Show up to 100 deals</a>', first)
    assert more
    every = section(admin.get(html.unescape(more.group(1))).text, "deals")
    assert sorted(re.findall(r"Deal number (\d+)", every), key=int) == [
        str(n) for n in range(1, 23)
    ]
    assert "Show up to" not in every
    assert admin.get(f"{page}?deals=500").status_code == 400


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://www.linkedin.com/company/acme", True),
        ("HTTP://linkedin.com/company/acme", True),
        ("javascript:alert(document.cookie)", False),
        (" javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("linkedin.com/company/acme", False),
    ],
)
def test_only_web_addresses_become_links(
    admin: ConsoleClient, ws: Workspace, url: str, linked: bool
) -> None:
    ws.push(account(7, linkedinUrl=url))
    page = admin.get(f"/accounts/{rtp_aid(ws, 'crm-7')}")
    assert page.status_code == 200
    shown = html.escape(url)
    assert shown in page.text
    assert (f'<a href="{shown}"' in page.text) is linked
    assert ('href="javascript' in page.text.lower()) is False
