"""An account's past through the API on both surfaces: scores per day, stages, signals, trends."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from intentsync.db.models import Account, ScoreHistory
from intentsync.scoring.job import run_team
from intentsync.segments import service as segments
from tests import clock
from tests.factories import account
from tests.scoring.test_explain import AS_OF, worked_example

EPOCH = date(1970, 1, 1)
DAY = clock.DAY

pytestmark = pytest.mark.usefixtures("same_day")


def iso(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


def at(day: int, hour: int = 9) -> str:
    return f"{iso(day)}T{hour:02d}:00:00Z"


def run(ws, day, **options):
    report = run_team(ws.db, team_id=ws.team_id, as_of=day, **options)
    assert report.status == "succeeded", report.errors
    return report


def stored_days(ws, external_id):
    rtp_aid = ws.get(f"/accounts/{external_id}").json()["data"]["rtp_aid"]
    with ws.db.transaction(write=False) as session:
        pk = session.scalar(select(Account.id).where(Account.rtp_aid == rtp_aid))
        return list(
            session.scalars(
                select(ScoreHistory.day).where(ScoreHistory.account_id == pk).order_by("day")
            )
        )


def score(ws, external_id):
    return ws.get(f"/accounts/{external_id}").json()["data"]["rtp_account_score"]


def g2(domain, day, kind="pricing", quantity=1):
    return {
        "source": "g2",
        "domain": domain,
        "type": kind,
        "occurredAt": at(day),
        "quantity": quantity,
    }


@pytest.fixture
def scored(ws):
    """crm-1 gathers G2 evidence over three runs; crm-2 never has any."""
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    signals = [g2("acme.com", DAY - 20, quantity=3), g2("acme.com", DAY - 20, "compare", 2)]
    assert ws.post("/signals", {"signals": signals}).json()["data"]["summary"]["failed"] == 0
    seen = {}
    for day in (DAY - 20, DAY - 15):
        run(ws, day)
        seen[day] = score(ws, "crm-1")
    more = [g2("acme.com", DAY - 5, "category", 4), g2("acme.com", DAY - 6, quantity=2)]
    ws.post("/signals", {"signals": more})
    run(ws, DAY - 5)
    seen[DAY - 5] = score(ws, "crm-1")
    return seen


def test_history_is_one_point_per_day_carried_forward(ws, scored):
    assert len(set(scored.values())) == 3, scored  # every run moved the score
    data = ws.get("/accounts/crm-1/score/history", params={"days": 30}).json()["data"]
    assert (data["from"], data["to"], data["externalId"]) == (iso(DAY - 29), iso(DAY), "crm-1")
    points = data["points"]
    # Days before the first run are left out; then one point a day up to today, newest last.
    assert [p["asOf"] for p in points] == [iso(d) for d in range(DAY - 20, DAY + 1)]
    for point in points:
        day = (date.fromisoformat(point["asOf"]) - EPOCH).days
        holds = max(d for d in scored if d <= day)
        assert point["rtp_account_score"] == scored[holds], point
    last = ws.get("/accounts/crm-1").json()["data"]
    assert points[-1] == {
        "asOf": iso(DAY),
        **{k: last[k] for k in points[-1] if k != "asOf"},
    }
    assert points[-1]["rtp_g2_intent_score"] > 0
    assert points[-1]["rtp_website_intent_score"] == 0
    default = ws.get("/accounts/crm-1/score/history").json()["data"]
    assert default["from"] == iso(DAY - 89)
    assert default["points"] == points


def test_history_keeps_a_row_only_when_a_score_changes(ws, scored):
    assert stored_days(ws, "crm-1") == [DAY - 20, DAY - 15, DAY - 5]
    assert stored_days(ws, "crm-2") == [DAY - 20]  # zero at the first run, zero ever since
    run(ws, DAY - 5, full=True)  # the same day again, nothing new
    assert stored_days(ws, "crm-1") == [DAY - 20, DAY - 15, DAY - 5]
    quiet = ws.get("/accounts/crm-2/score/history", params={"days": 3}).json()["data"]["points"]
    assert [p["rtp_account_score"] for p in quiet] == [0, 0, 0]


def test_trends_come_from_history_and_serve_segment_rules(ws, scored):
    change_7d = scored[DAY - 5] - scored[DAY - 15]  # 7 days before DAY-5 carries DAY-15's score
    explained = ws.get("/accounts/crm-1/score").json()["data"]
    assert (explained["scoreChange7d"], explained["scoreChange30d"]) == (change_7d, 0)
    quiet = ws.get("/accounts/crm-2/score").json()["data"]
    assert (quiet["scoreChange7d"], quiet["scoreChange30d"]) == (0, 0)
    with ws.db.transaction() as session:
        surging = segments.create_segment(
            session,
            team_id=ws.team_id,
            name="Surging",
            type_="dynamic",
            status="active",
            rules={"field": "score_change_7d", "operator": "eq", "value": change_7d},
        ).segment_id
    rows = ws.get("/accounts").json()["data"]["data"]
    members = [
        r["externalId"] for r in rows if surging in {s["segmentId"] for s in r["rtp_segments"]}
    ]
    assert members == ["crm-1"]
    # A month on with no new evidence the 30-day trend sees the whole climb and fall.
    run(ws, DAY + 25)
    later = ws.get("/accounts/crm-1/score").json()["data"]
    assert later["scoreChange30d"] == score(ws, "crm-1") - scored[DAY - 5]


def test_retention_drops_superseded_rows_and_keeps_the_carried_value(ws, scored):
    run(ws, DAY, retention_days=400)
    kept = stored_days(ws, "crm-1")
    assert kept[:3] == [DAY - 20, DAY - 15, DAY - 5]
    run(ws, DAY + 1, retention_days=12)  # cutoff DAY-11: DAY-15 still carries into it
    assert stored_days(ws, "crm-1")[:2] == [DAY - 15, DAY - 5]
    assert stored_days(ws, "crm-2") == [DAY - 20]  # the only value is never dropped
    points = ws.get("/accounts/crm-1/score/history", params={"days": 18}).json()["data"]
    assert points["points"][0] == {**points["points"][0], "asOf": iso(DAY - 15)}
    assert points["points"][0]["rtp_account_score"] == scored[DAY - 15]


def test_a_run_without_history_writes_none(ws):
    ws.push(account(1, domain="acme.com"))
    ws.post("/signals", {"signals": [g2("acme.com", DAY - 1)]})
    run(ws, DAY, history=False)
    assert stored_days(ws, "crm-1") == []
    assert ws.get("/accounts/crm-1/score/history").json()["data"]["points"] == []
    assert score(ws, "crm-1") > 0


def test_stages_newest_first_with_their_reasons(ws):
    ws.push(account(1, domain="acme.com"))
    ws.post("/signals", {"signals": worked_example("acme.com")})
    wednesday = (AS_OF - EPOCH).days
    run(ws, wednesday - 18)  # only the oldest website visits are known by then
    run(ws, wednesday)
    data = ws.get("/accounts/crm-1/stages").json()["data"]
    moves = data["transitions"]
    assert len(moves) >= 2, moves
    assert data["stage"] == moves[0]["to"]
    assert moves[-1]["from"] == "Unaware"
    assert [m["at"] for m in moves] == sorted((m["at"] for m in moves), reverse=True)
    for newer, older in pairwise(moves):
        assert newer["from"] == older["to"]
    assert moves[0]["reason"] == "overall score 52 ≥ 40"
    assert all(m["reason"] for m in moves)


def test_signal_timeline_pages_newest_first_and_filters_by_source(ws):
    ws.push(account(1, domain="acme.com"), account(2, domain="other.com"))
    signals = [g2("acme.com", DAY - n, quantity=n + 1) for n in range(5)]
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
    assert ws.post("/signals", {"signals": signals}).json()["data"]["summary"]["failed"] == 0

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ws.get("/accounts/crm-1/signals", params=params).json()["data"]
        assert len(page["data"]) <= 2
        seen += page["data"]
        if not page["hasNextPage"]:
            assert page["nextCursor"] is None
            break
        cursor = page["nextCursor"]
    assert len(seen) == 6
    assert [s["occurredAt"] for s in seen] == sorted((s["occurredAt"] for s in seen), reverse=True)
    bombora = [s for s in seen if s["source"] == "bombora"]
    assert bombora[0]["attributes"]["topic"] == "CRM Software"
    assert bombora[0]["occurredAt"].startswith(iso(DAY - 2))

    only = ws.get("/accounts/crm-1/signals", params={"source": "g2"}).json()["data"]
    assert [s["quantity"] for s in only["data"]] == [1, 2, 3, 4, 5]
    assert {s["source"] for s in only["data"]} == {"g2"}
    none = ws.get("/accounts/crm-1/signals", params={"source": "linkedin"}).json()["data"]
    assert none == {"data": [], "nextCursor": None, "hasNextPage": False}


def test_both_surfaces_agree(ws, scored):
    rtp_aid = ws.get("/accounts/crm-1").json()["data"]["rtp_aid"]
    for tail in ("score/history?days=40", "stages", "signals?limit=1", "signals?source=g2"):
        crm = ws.get(f"/accounts/crm-1/{tail}")
        v1 = ws.v1.get(f"/accounts/{rtp_aid}/{tail}")
        assert crm.status_code == v1.status_code == 200, (crm.text, v1.text)
        assert crm.json()["data"] == v1.json()["data"]
    cursor = ws.get("/accounts/crm-1/signals?limit=1").json()["data"]["nextCursor"]
    crm_next = ws.get("/accounts/crm-1/signals", params={"limit": 1, "cursor": cursor})
    v1_next = ws.v1.get(f"/accounts/{rtp_aid}/signals", params={"limit": 1, "cursor": cursor})
    assert crm_next.json()["data"] == v1_next.json()["data"]


@pytest.mark.parametrize("tail", ["score/history", "stages", "signals"])
def test_unknown_accounts_and_bad_parameters(ws, tail):
    ws.push(account(1))
    missing = ws.get(f"/accounts/nope/{tail}")
    assert missing.status_code == 404
    assert missing.json()["customMessage"] == "Account with externalId 'nope' not found"
    assert ws.v1.get(f"/accounts/zzz/{tail}").status_code == 400
    assert ws.v1.get(f"/accounts/0123456789abcdef01234567/{tail}").status_code == 404
    other = ws.get(f"/accounts/team/7/{tail}")
    assert other.status_code == 404
    assert other.json()["customMessage"] == "Account with externalId 'team/7' not found"


@pytest.mark.parametrize(
    ("tail", "params", "prop"),
    [
        ("score/history", {"days": 0}, "days"),
        ("score/history", {"days": 401}, "days"),
        ("score/history", {"days": "many"}, "days"),
        ("signals", {"source": "fax"}, "source"),
        ("signals", {"limit": 0}, "limit"),
        ("signals", {"cursor": "not-ours"}, "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(ws, tail, params, prop):
    ws.push(account(1))
    response = ws.get(f"/accounts/crm-1/{tail}", params=params)
    assert response.status_code == 400, response.text
    assert [e["property"] for e in response.json()["data"]] == [prop]


def test_an_external_id_with_a_slash_has_its_history(ws):
    ws.push(account(1, externalId="team/7"))
    for tail in ("score/history", "stages", "signals"):
        response = ws.get(f"/accounts/team/7/{tail}")
        assert response.status_code == 200, response.text
    refused = ws.post("/accounts", {"accounts": [account(2, externalId="a/stages")]})
    assert "reserved" in str(refused.json())


def test_history_rows_count_stays_small(ws, scored):
    with ws.db.transaction(write=False) as session:
        rows = session.scalar(
            select(func.count()).select_from(ScoreHistory).where(ScoreHistory.team_id == ws.team_id)
        )
    assert rows == 4  # three changes for crm-1, one first value for crm-2


def test_a_change_of_trend_alone_moves_no_account_into_the_delta(ws):
    ws.push(account(1, domain="acme.com"), account(2, domain="quiet.com"))
    run(ws, DAY - 10)  # both score 0
    rtp_aid = ws.get("/accounts/crm-2").json()["data"]["rtp_aid"]
    with ws.db.transaction() as session:
        pk = session.scalar(select(Account.id).where(Account.rtp_aid == rtp_aid))
        # What an earlier run left: crm-2 scored 12 eight days ago, then fell back to 0.
        for day, points in ((DAY - 8, 12), (DAY - 6, 0)):
            session.add(
                ScoreHistory(
                    account_id=pk,
                    day=day,
                    team_id=ws.team_id,
                    account_score=points,
                    website_score=0,
                    g2_score=0,
                    bombora_score=0,
                    advertising_score=0,
                )
            )
    before = ws.get("/accounts/crm-2").json()["data"]
    sync = ws.get("/accounts").json()["data"]["syncTimestamp"]
    report = run(ws, DAY, full=True)
    assert ws.get("/accounts/crm-2/score").json()["data"]["scoreChange7d"] == -12
    assert ws.get("/accounts/crm-2").json()["data"] == before
    assert ws.get("/accounts", params={"lastSync": sync}).json()["data"]["data"] == []
    assert report.accounts_changed == 0


def test_every_stored_score_comes_back_under_its_own_name(ws):
    ws.push(account(1, domain="acme.com"))
    run(ws, DAY - 3)
    rtp_aid = ws.get("/accounts/crm-1").json()["data"]["rtp_aid"]
    with ws.db.transaction() as session:
        pk = session.scalar(select(Account.id).where(Account.rtp_aid == rtp_aid))
        session.add(
            ScoreHistory(
                account_id=pk,
                day=DAY - 1,
                team_id=ws.team_id,
                account_score=11,
                website_score=22,
                g2_score=33,
                bombora_score=44,
                advertising_score=55,
            )
        )
    crm = ws.get("/accounts/crm-1/score/history", params={"days": 2})
    v1 = ws.v1.get(f"/accounts/{rtp_aid}/score/history", params={"days": 2})
    for answer in (crm, v1):
        assert answer.json()["data"]["points"][0] == {
            "asOf": iso(DAY - 1),
            "rtp_account_score": 11,
            "rtp_website_intent_score": 22,
            "rtp_g2_intent_score": 33,
            "rtp_bombora_intent_score": 44,
            "rtp_advertising_activity_score": 55,
        }
