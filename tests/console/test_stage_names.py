"""Stage names a team shows in the console: every page uses them, the API and exports never do."""

import csv
import html
import io
import re

import pytest
from fastapi import FastAPI

from intentsync.db.engine import Database
from intentsync.journey.service import stage_names
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.scoring.job import run_team
from tests.console.conftest import ConsoleClient, add_user, sign_in
from tests.factories import Workspace, account, create_workspace
from tests.scoring.test_explain import AS_OF, EPOCH, worked_example

SAVE = "/settings/stages/names"
RENAMED = {"Unaware": "Cold", "Aware": "Warming", "Consideration": "Evaluating"}
FUNNEL_ROW = re.compile(
    r'<tr data-stage="([^"]+)">\s*<th scope="row"><a href="([^"]+)">([^<]*)</a></th>'
)
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')
BADGE = re.compile(r'<span class="badge">([^<]*)</span>')


def form(**names: str) -> dict[str, str]:
    """The whole form as a browser sends it: every stage, renamed or as shown by default."""
    return {f"name.{stage}": names.get(stage, stage) for stage in JOURNEY_STAGES}


def rename(admin: ConsoleClient, data: dict[str, str]) -> str:
    answer = admin.post(SAVE, data, token_from="/settings/stages")
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["location"] == "/settings/stages?done=stage-names"
    return answer.headers["location"]


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def names_of(database: Database, team_id: int) -> dict[str, str]:
    with database.transaction() as session:
        return stage_names(session, team_id=team_id)


@pytest.fixture
def journey(ws: Workspace) -> dict[str, str]:
    """Acme climbs Unaware → Aware → Consideration over two runs; Quiet stays Unaware.

    Both are members of a static segment. Returns the addresses of their pages.
    """
    segment = ws.segment(name="Targets")
    ws.push(
        account(1, domain="acme.com", name="Acme"),
        account(2, domain="quiet.com", name="Quiet"),
        segmentId=segment,
    )
    assert ws.post("/signals", {"signals": worked_example("acme.com")}).status_code == 200
    as_of = (AS_OF - EPOCH).days
    for day in (as_of - 18, as_of):
        report = run_team(ws.db, team_id=ws.team_id, as_of=day)
        assert report.status == "succeeded", report.errors
    acme = ws.get("/accounts/crm-1").json()["data"]
    assert acme["rtp_journey_stage"] == "Consideration"
    quiet = ws.get("/accounts/crm-2").json()["data"]
    assert quiet["rtp_journey_stage"] == "Unaware"
    return {
        "acme": f"/accounts/{acme['rtp_aid']}",
        "quiet": f"/accounts/{quiet['rtp_aid']}",
        "segment": f"/segments/{segment}",
    }


def test_the_form_shows_every_stage_with_its_name(admin: ConsoleClient) -> None:
    page = admin.get("/settings/stages")
    assert page.status_code == 200
    for n, stage in enumerate(JOURNEY_STAGES, start=1):
        assert f'<th scope="row">{stage}</th>' in page.text
        assert f'<label for="stage-name-{n}">Shown as' in page.text
        assert f'name="name.{stage}" value="{stage}"' in page.text
    assert 'action="/settings/stages/names"' in page.text
    assert "API (<code>rtp_journey_stage</code>), CSV exports and segment rules keep" in page.text
    assert 'id="deal-stages-title"' in page.text  # the deal-stage mapping stays on this page


def test_renamed_stages_show_on_every_console_page(
    admin: ConsoleClient, ws: Workspace, journey: dict[str, str]
) -> None:
    rename(admin, form(**RENAMED))
    saved = admin.get("/settings/stages?done=stage-names").text
    assert "The stage names were saved" in saved
    assert 'name="name.Consideration" value="Evaluating"' in saved

    overview = admin.get("/").text
    shown = {s: RENAMED.get(s, s) for s in JOURNEY_STAGES}
    assert FUNNEL_ROW.findall(overview) == [
        (s, f"/accounts?stage={s}", shown[s]) for s in JOURNEY_STAGES
    ]
    chart = section(overview, "funnel-title")
    chart = chart[chart.index("<svg") : chart.index("</svg>")]
    for stage, name in RENAMED.items():
        assert f'data-label="{name}"' in chart
        assert f'data-label="{stage}"' not in chart
    moves = words(section(overview, "moves-title"))
    assert "Warming → Evaluating" in moves
    assert "Cold → Warming" in moves
    assert "Consideration" not in moves
    assert BADGE.findall(section(overview, "surging-title")) == ["Evaluating"]

    listing = admin.get("/accounts").text
    select = listing[listing.index('id="f-stage"') : listing.index("</select>")]
    assert OPTION.findall(select) == [("", "Any stage")] + [(s, shown[s]) for s in JOURNEY_STAGES]
    assert sorted(BADGE.findall(listing)) == ["Cold", "Evaluating"]

    acme = admin.get(journey["acme"]).text
    assert '<span class="badge" title="Journey stage">Evaluating</span>' in acme
    assert "<h3>Stage: Evaluating</h3>" in acme
    timeline = words(section(acme, "stages"))
    assert "Warming → Evaluating" in timeline
    assert "Cold → Warming" in timeline
    assert "Aware" not in timeline
    quiet = admin.get(journey["quiet"]).text
    assert "Still in Cold: no stage move yet." in words(section(quiet, "stages"))

    members = section(admin.get(journey["segment"]).text, "members-heading")
    assert "<td>Evaluating</td>" in members
    assert "<td>Cold</td>" in members
    assert "Consideration" not in members


def test_the_stage_filter_still_filters_by_the_canonical_stage(
    admin: ConsoleClient, journey: dict[str, str]
) -> None:
    rename(admin, form(**RENAMED))
    considering = admin.get("/accounts?stage=Consideration").text
    assert journey["acme"] in considering
    assert journey["quiet"] not in considering
    assert '<option value="Consideration" selected>Evaluating</option>' in considering
    cold = admin.get("/accounts?stage=Unaware").text
    assert journey["quiet"] in cold
    assert journey["acme"] not in cold
    assert admin.get("/accounts?stage=Evaluating").status_code == 400  # a name, not a stage


def test_the_api_and_csv_exports_keep_the_canonical_names(
    admin: ConsoleClient, ws: Workspace, journey: dict[str, str]
) -> None:
    rename(admin, form(**RENAMED))
    assert ws.v1.get("/journey-stages").json()["data"] == list(JOURNEY_STAGES)
    assert ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"] == "Consideration"
    moves = ws.get("/accounts/crm-1/stages").json()["data"]["transitions"]
    assert [(m["from"], m["to"]) for m in moves] == [
        ("Aware", "Consideration"),
        ("Unaware", "Aware"),
    ]

    export = admin.get("/accounts.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["stage"] for r in rows) == ["Consideration", "Unaware"]
    members = admin.get(f"{journey['segment']}/members.csv")
    assert members.status_code == 200
    stages = sorted(r["rtp_journey_stage"] for r in csv.DictReader(io.StringIO(members.text)))
    assert stages == ["Consideration", "Unaware"]
    for text in (export.text, members.text):
        assert not any(name in text for name in RENAMED.values())


def _field_error(page: str, stage: str) -> str:
    """The message shown right after the stage's field, or '' when the field has none."""
    found = re.search(
        rf'name="name\.{stage}"[^>]*aria-invalid="true">\s*<p class="error" id="[^"]+">([^<]+)</p>',
        page,
    )
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize(
    ("names", "stage", "message"),
    [
        (
            {"Aware": "Evaluating", "Consideration": " evaluating "},
            "Consideration",
            "Aware is also shown as 'Evaluating'",
        ),
        ({"Opportunity": "x" * 41}, "Opportunity", "at most 40 characters (this name has 41)"),
        ({"Customer": "Won\x07 deal"}, "Customer", "Remove the control characters"),
        ({"Customer": "Won\ndeal"}, "Customer", "Remove the control characters"),
        ({"Unaware": "aware"}, "Unaware", "'aware' is the name of the Aware stage"),
    ],
)
def test_bad_names_are_refused_next_to_their_field_and_nothing_is_saved(
    admin: ConsoleClient,
    database: Database,
    ws: Workspace,
    names: dict[str, str],
    stage: str,
    message: str,
) -> None:
    data = form(**{"Aware": "Warming", **names})
    answer = admin.post(SAVE, data, token_from="/settings/stages")
    assert answer.status_code == 400
    assert "The stage names were not saved" in answer.text
    assert message in _field_error(answer.text, stage)
    for other in JOURNEY_STAGES:
        if other not in (stage, "Aware"):
            assert _field_error(answer.text, other) == ""
    typed = html.escape(data[f"name.{stage}"].strip(), quote=True)
    assert f'name="name.{stage}" value="{typed}"' in answer.text  # what was typed is kept
    assert names_of(database, ws.team_id) == {s: s for s in JOURNEY_STAGES}  # not even Warming


def test_an_unknown_stage_is_a_400_and_changes_nothing(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    answer = admin.post(
        SAVE, {**form(Aware="Warming"), "name.Qualified": "Hot"}, token_from="/settings/stages"
    )
    assert answer.status_code == 400
    assert "&#39;Qualified&#39; is not a journey stage" in answer.text
    assert names_of(database, ws.team_id) == {s: s for s in JOURNEY_STAGES}


def test_names_are_trimmed_forty_characters_fit_and_an_empty_name_resets(
    admin: ConsoleClient, database: Database, ws: Workspace
) -> None:
    longest = "Ready to talk to sales about a contract"[:39] + "!"
    assert len(longest) == 40
    rename(admin, form(Consideration="  Evaluating  ", Customer=longest, Aware="aware"))
    assert names_of(database, ws.team_id) == {
        "Unaware": "Unaware",
        "Aware": "aware",  # a stage may change the case of its own name
        "Consideration": "Evaluating",
        "Opportunity": "Opportunity",
        "Customer": longest,
    }
    # Swapping names between two stages is one save: checked against the result, not the past.
    rename(admin, form(Consideration="", Customer="Evaluating", Aware="Aware"))
    assert names_of(database, ws.team_id) == {
        **{s: s for s in JOURNEY_STAGES},
        "Customer": "Evaluating",
    }
    page = admin.get("/settings/stages").text
    assert 'name="name.Consideration" value="Consideration"' in page
    rename(admin, form(Customer=""))
    assert names_of(database, ws.team_id) == {s: s for s in JOURNEY_STAGES}


def test_only_an_admin_saves_names_and_members_see_them(
    admin: ConsoleClient,
    member: ConsoleClient,
    database: Database,
    ws: Workspace,
    journey: dict[str, str],
) -> None:
    refused = member.post(SAVE, form(Consideration="Hijacked"), token_from="/")
    assert refused.status_code == 403
    assert member.get("/settings/stages").status_code == 403
    assert names_of(database, ws.team_id) == {s: s for s in JOURNEY_STAGES}
    no_token = admin.client.post(SAVE, data=form(Consideration="Forged"))
    assert no_token.status_code == 403
    assert names_of(database, ws.team_id)["Consideration"] == "Consideration"

    rename(admin, form(**RENAMED))
    seen = member.get("/").text
    assert ("Consideration", "/accounts?stage=Consideration", "Evaluating") in FUNNEL_ROW.findall(
        seen
    )


def test_another_team_keeps_its_own_names(
    app: FastAPI, database: Database, admin: ConsoleClient, ws: Workspace, journey: dict[str, str]
) -> None:
    rename(admin, form(**RENAMED))
    other = create_workspace(app, database, name="Other team")
    client = sign_in(app, add_user(database, other.team_id, role="admin"))
    try:
        other.push(account(7, domain="rival.com", name="Rival"))
        overview = client.get("/").text
        assert [name for _, _, name in FUNNEL_ROW.findall(overview)] == list(JOURNEY_STAGES)
        listing = client.get("/accounts").text
        assert BADGE.findall(listing) == ["Unaware"]
        assert "Cold" not in listing
        form_page = client.get("/settings/stages").text
        assert 'name="name.Consideration" value="Consideration"' in form_page
        # Names are unique within a team only: the other team may use the same one.
        answer = client.post(SAVE, form(Consideration="Evaluating"), token_from="/settings/stages")
        assert answer.status_code == 303
        assert names_of(database, other.team_id)["Consideration"] == "Evaluating"
        assert names_of(database, other.team_id)["Unaware"] == "Unaware"
        assert names_of(database, ws.team_id) == {s: RENAMED.get(s, s) for s in JOURNEY_STAGES}
    finally:
        client.close()
        other.close()
