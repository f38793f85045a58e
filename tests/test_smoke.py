def test_list_accounts_starts_empty(ws):
    body = ws.get("/accounts").json()
    assert body["data"]["data"] == []
