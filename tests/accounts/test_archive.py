"""DELETE /accounts archives an account: gone from reads, restored by a push, synced as deleted."""

from tests.factories import account


def test_smoke(ws):
    ws.push(account(1))
    r = ws.delete("/accounts/crm-1")
    assert r.status_code == 200, r.text
    r = ws.get("/accounts/crm-1")
    assert r.status_code == 404
    print(r.json())
    print(ws.get("/accounts/deleted").json())
    print(ws.push(account(1)))
    print(ws.get("/accounts/crm-1").json())
