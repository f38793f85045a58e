"""Hold every JSON response a test receives to the OpenAPI document's schema for its status."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from intentsync.monitoring.endpoints import PATHS as MONITORING_PATHS

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorEnvelope"}


@dataclass(frozen=True)
class Template:
    path: str
    pattern: re.Pattern[str]
    operations: dict[str, Any]


def _pattern(path: str) -> re.Pattern[str]:
    # A CRM externalId may hold slashes, so a parameter matches any non-empty text.
    parts = re.split(r"\{[^}]+\}", path)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def _templates(document: dict[str, Any]) -> list[Template]:
    templates = [Template(p, _pattern(p), ops) for p, ops in document["paths"].items()]

    # Literal paths win over templated ones, as routing has them first; then the longest.
    def rank(t: Template) -> tuple[int, int]:
        return t.path.count("{"), -len(re.sub(r"\{[^}]+\}", "", t.path))

    return sorted(templates, key=rank)


class Documents:
    """Each app's document and compiled validators, made once per app."""

    def __init__(self, app: FastAPI) -> None:
        self.document = app.openapi()
        self.templates = _templates(self.document)
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = repr(schema)
        if key not in self._validators:
            rooted = {**schema, "components": self.document["components"]}
            self._validators[key] = Draft202012Validator(
                rooted, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
        return self._validators[key]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for template in self.templates:
            if template.pattern.match(path) and method.lower() in template.operations:
                return template.path, template.operations[method.lower()]
        return None

    def schema_for(self, method: str, path: str, status: int) -> dict[str, Any] | None:
        """The documented schema, or None when the API does not document this path at all."""
        found = self.operation(method, path)
        if found is None:
            known = any(t.pattern.match(path) for t in self.templates)
            if status >= 400 or known:
                return ERROR_SCHEMA  # unknown path (404) or method (405): the error envelope
            return None  # /openapi.json, /docs: not part of the API
        template, operation = found
        response = operation["responses"].get(str(status))
        if response is None:
            raise AssertionError(
                f"{method} {path} answered {status}, which {template} does not document "
                f"(documented: {', '.join(operation['responses'])})"
            )
        content = response.get("content", {})
        json_content = content.get("application/json")
        return json_content.get("schema") if json_content else None


@lru_cache(maxsize=16)
def documents(app: FastAPI) -> Documents:
    return Documents(app)


def check_response(app: FastAPI, response: httpx.Response) -> None:
    """Fail on a JSON body that its operation's documented schema does not allow."""
    if response.status_code == 204 or response.request.method in ("OPTIONS", "HEAD"):
        return
    media = response.headers.get("content-type", "").split(";", 1)[0].strip()
    method, path = response.request.method, response.request.url.path
    if path in MONITORING_PATHS:
        return  # outside the API and its document; tests/monitoring checks their answers
    schema = documents(app).schema_for(method, path, response.status_code)
    if schema is None or media != "application/json":
        return
    try:
        documents(app).validator(schema).validate(response.json())
    except ValidationError as exc:
        raise AssertionError(
            f"{method} {path} -> {response.status_code} does not match its documented schema: "
            f"{exc.message} at {'/'.join(map(str, exc.absolute_path))}"
        ) from None
