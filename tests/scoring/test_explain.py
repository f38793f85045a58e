"""Score explanations on both bases: the worked example end to end, and the parts add up."""

from datetime import date, timedelta

import pytest

from intentsync.scoring.job import run_team
from tests import clock
from tests.factories import account

EPOCH = date(1970, 1, 1)

pytestmark = pytest.mark.usefixtures("same_day")


def last_wednesday() -> date:
    today = clock.TODAY
    return today - timedelta(days=(today.weekday() - 2) % 7)


AS_OF = last_wednesday()  # Bombora weeks start on Monday: ages 2 and 9 are week starts


def at(age: int) -> str:
    return f"{(AS_OF - timedelta(days=age)).isoformat()}T09:00:00Z"


def worked_example(domain: str) -> list[dict]:
    """SCORING.md's worked example, dated relative to AS_OF."""
    web = {"source": "website", "domain": domain}
    signals = [
        {
            **web,
            "type": "pricing",
            "occurredAt": at(2),
            "attributes": {"pageViewId": f"p{n}", "visitorId": f"v{n % 2}"},
        }
        for n in range(3)
    ]
    signals.append(
        {
            **web,
            "type": "demo",
            "occurredAt": at(10),
            "attributes": {"pageViewId": "d", "visitorId": "v0"},
        }
    )
    signals += [
        {
            **web,
            "type": "content",
            "occurredAt": at(20),
            "attributes": {"pageViewId": f"c{n}", "visitorId": "v1"},
        }
        for n in range(5)
    ]
    g2 = {"source": "g2", "domain": domain}
    signals += [
        {**g2, "type": "compare", "occurredAt": at(3), "quantity": 2},
        {**g2, "type": "pricing", "occurredAt": at(3)},
        {**g2, "type": "category", "occurredAt": at(10), "quantity": 4},
    ]
    for topic, score, age in [
        ("a", 85, 2),
        ("b", 72, 2),
        ("c", 64, 2),
        ("d", 58, 2),
        ("a", 90, 9),
        ("e", 70, 9),
    ]:
        signals.append(
            {
                "source": "bombora",
                "domain": domain,
                "type": "surge",
                "occurredAt": at(age),
                "attributes": {"topic": topic, "compositeScore": score},
            }
        )
    li = {"source": "linkedin", "domain": domain}
    signals += [
        {**li, "type": "impression", "occurredAt": at(5), "quantity": 300},
        {**li, "type": "click", "occurredAt": at(12), "quantity": 2},
        {**li, "type": "engagement", "occurredAt": at(12), "quantity": 3},
    ]
    return signals


def test_the_worked_example_end_to_end_on_both_bases(ws):
    ws.push(account(1, domain="acme.com"))
    response = ws.post("/signals", {"signals": worked_example("acme.com")})
    assert response.json()["data"]["summary"]["failed"] == 0, response.text
    report = run_team(ws.db, team_id=ws.team_id, as_of=(AS_OF - EPOCH).days)
    assert report.status == "succeeded", report.errors

    crm = ws.get("/accounts/crm-1/score")
    assert crm.status_code == 200, crm.text
    data = crm.json()["data"]
    scores = {s["source"]: s["score"] for s in data["sources"]}
    assert scores == {"website": 70, "g2": 61, "bombora": 59, "linkedin": 45, "sales": 0}
    raws = {s["source"]: round(s["rawPoints"], 2) for s in data["sources"]}
    assert raws == {"website": 35.69, "g2": 23.84, "bombora": 13.29, "linkedin": 8.96, "sales": 0}
    assert data["rtp_account_score"] == 52
    assert data["asOf"] == AS_OF.isoformat()
    assert data["configVersion"] == 1
    # The explanation adds up: buckets to raw points, weights and sub-scores to the overall.
    for source in data["sources"]:
        assert round(sum(source["buckets"].values()), 3) == round(source["rawPoints"], 3)
    weights = sum(s["weight"] for s in data["sources"])
    weighted = sum(s["weight"] * s["score"] for s in data["sources"])
    assert (2 * weighted + weights) // (2 * weights) == 52
    assert data["sources"][0]["buckets"]["visitors"] == 6
    assert data["sources"][0]["field"] == "rtp_website_intent_score"
    assert len(data["topSignals"]) == 5
    assert data["topSignals"][0] == {
        "source": "website",
        "type": "pricing",
        "occurredOn": (AS_OF - timedelta(days=2)).isoformat(),
        "quantity": 3,
        "points": round(24 * 0.5 ** (2 / 14), 4),
    }
    assert data["stage"]["name"] == "Consideration"
    assert data["stage"]["reason"] == "overall score 52 ≥ 40"

    listed = ws.get("/accounts/crm-1").json()["data"]
    assert listed["rtp_account_score"] == 52
    assert listed["rtp_website_intent_score"] == 70
    assert listed["rtp_advertising_activity_score"] == 45
    assert listed["rtp_intent_signals"] == [
        {k: v for k, v in s.items() if k != "points"} for s in data["topSignals"]
    ]

    v1 = ws.v1.get(f"/accounts/{data['rtp_aid']}/score")
    assert v1.status_code == 200, v1.text
    assert {k: v for k, v in v1.json()["data"].items() if k != "stage"} == {
        k: v for k, v in data.items() if k != "stage"
    }


def test_a_never_scored_account_explains_itself(ws):
    ws.push(account(1))
    data = ws.get("/accounts/crm-1/score").json()["data"]
    assert data["asOf"] is None
    assert data["rtp_account_score"] == 0
    assert data["stage"]["name"] == "Unaware"
    assert data["stage"]["reason"] == "not scored yet"
    assert [s["weight"] for s in data["sources"]] == [30, 20, 20, 15, 15]


def test_an_account_without_evidence_is_scored_and_says_why_it_is_zero(ws):
    ws.push(account(1), account(2, domain="busy.com"))
    ws.post(
        "/signals",
        {
            "signals": [
                {"source": "g2", "domain": "busy.com", "type": "pricing", "occurredAt": at(1)}
            ]
        },
    )
    report = run_team(ws.db, team_id=ws.team_id)
    assert (report.accounts_total, report.accounts_scored) == (2, 2)
    data = ws.get("/accounts/crm-1/score").json()["data"]
    assert data["asOf"] == clock.TODAY.isoformat()
    assert data["configVersion"] == 1
    assert data["scoredAt"] is not None
    assert data["rtp_account_score"] == 0
    assert all(s["score"] == 0 for s in data["sources"])
    assert data["topSignals"] == []
    assert data["stage"]["name"] == "Unaware"
    assert data["stage"]["reason"] == "overall score 0 < 10 and no signals in the last 30 days"


def test_unknown_and_malformed_accounts(ws):
    missing = ws.get("/accounts/nope/score")
    assert missing.status_code == 404
    assert missing.json()["customMessage"] == "Account with externalId 'nope' not found"
    assert ws.v1.get("/accounts/zzz/score").status_code == 400
    assert ws.v1.get("/accounts/0123456789abcdef01234567/score").status_code == 404


def test_an_external_id_with_a_slash_has_its_explanation(ws):
    ws.push(account(1, externalId="team/7"))
    response = ws.get("/accounts/team/7/score")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["externalId"] == "team/7"


def test_the_explanation_matches_its_documented_model(ws):
    from intentsync.scoring.schemas import ScoreExplanation

    ws.push(account(1, domain="acme.com"))
    ws.post("/signals", {"signals": worked_example("acme.com")})
    run_team(ws.db, team_id=ws.team_id, as_of=(AS_OF - EPOCH).days)
    data = ws.get("/accounts/crm-1/score").json()["data"]
    assert ScoreExplanation.model_validate(data).model_dump() == data


def test_signal_quantities_read_back_as_sent(ws):
    ws.push(account(1, domain="acme.com"))
    g2 = {"source": "g2", "domain": "acme.com", "occurredAt": at(1)}
    signals = [{**g2, "type": "pricing", "quantity": 3}, {**g2, "type": "compare", "quantity": 2.5}]
    assert ws.post("/signals", {"signals": signals}).status_code == 200
    assert run_team(ws.db, team_id=ws.team_id, as_of=(AS_OF - EPOCH).days).status == "succeeded"
    listed = ws.get("/accounts/crm-1").json()["data"]["rtp_intent_signals"]
    top = ws.v1.get(f"/accounts/{ws.get('/accounts/crm-1').json()['data']['rtp_aid']}/score")
    for shown in (listed, top.json()["data"]["topSignals"]):
        quantities = {s["type"]: s["quantity"] for s in shown}
        assert quantities == {"pricing": 3, "compare": 2.5}
        assert (type(quantities["pricing"]), type(quantities["compare"])) == (int, float)
