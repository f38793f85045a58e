"""Account rows are read by position from one table, so no two wire fields can swap."""

from sqlalchemy import update

from intentsync.accounts.schemas import ACCOUNT_ROW, AccountOut
from intentsync.db.models import Account
from tests.factories import account

SCORES = {
    "account_score": ("rtp_account_score", 11),
    "advertising_score": ("rtp_advertising_activity_score", 22),
    "website_score": ("rtp_website_intent_score", 33),
    "g2_score": ("rtp_g2_intent_score", 44),
    "bombora_score": ("rtp_bombora_intent_score", 55),
}


def test_the_table_declares_every_field_of_account_out_in_its_order():
    """All but rtp_segments, which comes from the memberships after the row's own fields."""
    documented = [f.serialization_alias or f.alias for f in AccountOut.model_fields.values()]
    assert [*ACCOUNT_ROW.wire_names, "rtp_segments"] == documented


def test_distinct_stored_values_come_back_under_their_own_names_on_both_surfaces(ws):
    ws.push(
        account("swap", shortName="short", linkedinUrl="https://linkedin.example/x", tags=["t1"])
    )
    stored = {column: value for column, (_, value) in SCORES.items()}
    with ws.db.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.team_id == ws.team_id, Account.external_id == "crm-swap")
            .values(
                **stored,
                journey_stage="Consideration",
                intent_signals=[
                    {"source": "g2", "type": "x", "occurredOn": "2026-01-02", "quantity": 2}
                ],
            )
        )
    listed = ws.get("/accounts").json()["data"]["data"]
    (crm,) = [a for a in listed if a["externalId"] == "crm-swap"]
    rtp_aid = crm["rtp_aid"]
    (v1,) = [a for a in ws.v1.get("/accounts").json()["data"]["data"] if a["rtp_aid"] == rtp_aid]
    reads = [
        crm,
        ws.get("/accounts/crm-swap").json()["data"],
        v1,
        ws.v1.get(f"/accounts/{rtp_aid}").json()["data"],
    ]
    for got in reads:
        assert {wire: got[wire] for wire, _ in SCORES.values()} == dict(SCORES.values())
        assert got["rtp_journey_stage"] == "Consideration"
        assert (got["externalId"], got["name"], got["domain"]) == (
            "crm-swap",
            "Company swap",
            "companyswap.com",
        )
        assert (got["shortName"], got["linkedinUrl"]) == ("short", "https://linkedin.example/x")
        assert got["rtp_intent_signals"] == [
            {"source": "g2", "type": "x", "occurredOn": "2026-01-02", "quantity": 2}
        ]
        assert got["tags"] == ["t1"]
        assert got["customFields"] == {}
        assert AccountOut.model_validate(got).model_dump() == got
