"""DELETE /deals/{externalDealId} removes a deal: out of lists and scoring, pushable anew."""

import pytest
from sqlalchemy import select

from intentsync.db.models import Account
from tests.factories import CRM, V1, account


def deal(external_deal_id: str, stage: str = "closedwon") -> dict:
    return {
        "externalDealId": external_deal_id,
        "name": "Renewal " + external_deal_id,
        "amount": 5000,
        "stageId": stage,
        "associatedAccounts": [{"externalId": "crm-1"}],
    }


def inputs_ms(ws) -> int:
    with ws.db.transaction() as session:
        value: int = session.scalar(
            select(Account.inputs_ms).where(
                Account.team_id == ws.team_id, Account.external_id == "crm-1"
            )
        )
        return value


@pytest.mark.parametrize("base", [CRM, V1])
def test_a_deleted_deal_leaves_the_list_and_its_account_rescores(ws, base):
    ws.push(account(1))
    surface = ws.surface(base)
    assert surface.post("/deals", {"deals": [deal("d-1"), deal("d-2")]}).status_code == 200
    flagged = inputs_ms(ws)
    response = surface.delete("/deals/d-1")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"message": "Deal deleted successfully"}
    listed = surface.get("/deals").json()["data"]["data"]
    assert [d["externalDealId"] for d in listed] == ["d-2"]
    assert inputs_ms(ws) > flagged  # the next incremental run scores the account without it
    again = surface.delete("/deals/d-1")
    assert again.status_code == 404
    assert again.json()["customMessage"] == (
        "Deal with externalDealId 'd-1' not found; it may already be deleted"
    )
    result = surface.post("/deals", {"deals": [deal("d-1")]}).json()["data"]["results"][0]
    assert result["isNew"] is True


def test_a_deleted_deal_no_longer_counts_in_scoring(ws):
    from intentsync.scoring.job import run_team

    ws.push(account(1))
    ws.post("/deals", {"deals": [deal("d-1")]})
    run_team(ws.db, team_id=ws.team_id, full=True)
    with_deal = ws.get("/accounts/crm-1").json()["data"]["rtp_journey_stage"]
    ws.delete("/deals/d-1")
    run_team(ws.db, team_id=ws.team_id)
    without = ws.get("/accounts/crm-1").json()["data"]
    assert with_deal == "Opportunity"  # an open deal makes the account an opportunity
    assert without["rtp_journey_stage"] == "Unaware"
