"""Small builders with realistic defaults for tests."""

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intentsync.auth.service import generate_key
from intentsync.db.engine import Database
from intentsync.segments.service import create_segment
from intentsync.teams.service import create_team, create_user

CRM = "/api/v1/crm"
V1 = "/api/v1"


@dataclass
class Surface:
    """One API base (CRM or /api/v1) over a workspace's client."""

    client: TestClient
    base: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self.base + path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.client.post(self.base + path, json=body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.client.put(self.base + path, json=body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.client.patch(self.base + path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.delete(self.base + path, **kwargs)


@dataclass
class Workspace:
    app: FastAPI
    db: Database
    team_id: int
    user_id: int
    email: str
    key: str
    client: TestClient = field(repr=False)

    @property
    def v1(self) -> Surface:
        return Surface(self.client, V1)

    def surface(self, base: str) -> Surface:
        return Surface(self.client, base)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.surface(CRM).get(path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.surface(CRM).post(path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.surface(CRM).put(path, body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.surface(CRM).patch(path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.surface(CRM).delete(path, **kwargs)

    def segment(
        self, *, name: str = "Q2 Targets", type_: str = "static", status: str = "active"
    ) -> str:
        with self.db.transaction() as session:
            return create_segment(
                session, team_id=self.team_id, name=name, type_=type_, status=status
            ).segment_id

    def push(self, *accounts: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = self.post("/accounts", {"accounts": list(accounts), **extra})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def custom_field(self, label: str, label_type: str, **extra: Any) -> str:
        response = self.post(
            "/accounts/custom-field", {"label": label, "labelType": label_type, **extra}
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["data"][0]["key"]
        return key

    def discover(self, *domains: str) -> None:
        """Accounts known by domain only, as intent signals create them."""
        from sqlalchemy import update

        from intentsync.db.models import Account

        self.push(
            *[{"externalId": f"tmp-{d}", "domain": d, "name": d.split(".")[0]} for d in domains]
        )
        with self.db.transaction() as session:
            session.execute(
                update(Account)
                .where(Account.team_id == self.team_id, Account.external_id.like("tmp-%"))
                .values(external_id=None)
            )

    def close(self) -> None:
        self.client.close()


def account(n: int | str, **overrides: Any) -> dict[str, Any]:
    body = {"externalId": f"crm-{n}", "domain": f"company{n}.com", "name": f"Company {n}"}
    body.update(overrides)
    return body


def create_workspace(app: FastAPI, db: Database, *, name: str = "Test team") -> Workspace:
    email = f"user-{secrets.token_hex(6)}@example.com"
    with db.transaction() as session:
        team = create_team(session, name=name)
        user = create_user(session, team_id=team.id, email=email)
        key = generate_key(session, email=email)
        team_id, user_id = team.id, user.id
    client = TestClient(app, headers={"X-Api-Key": key}, raise_server_exceptions=False)
    return Workspace(
        app=app, db=db, team_id=team_id, user_id=user_id, email=email, key=key, client=client
    )
