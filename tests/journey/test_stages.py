def test_journey_stages_in_order(ws):
    response = ws.get("/journey-stages")
    assert response.status_code == 200
    assert response.json()["data"] == [
        "Unaware",
        "Aware",
        "Consideration",
        "Opportunity",
        "Customer",
    ]
