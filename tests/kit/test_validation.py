"""A value of nothing but white space is empty, exactly as str.strip() sees it."""

import sys

import pytest
from pydantic import BaseModel, ValidationError

from intentsync.accounts.schemas import AccountIn
from intentsync.kit.validation import translate

WHITE_SPACE = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def errors_for(name: str) -> list[dict]:
    try:
        AccountIn.model_validate({"externalId": "e", "domain": "acme.com", "name": name})
    except ValidationError as exc:
        return translate(exc.errors(), AccountIn)
    return []


def test_the_white_space_set_is_what_strip_removes():
    assert WHITE_SPACE.strip() == ""
    assert "\x1c\x1d\x1e\x1f" in WHITE_SPACE  # not Unicode White_Space, yet strip() drops them


@pytest.mark.parametrize("name", ["", " ", "\t\n", WHITE_SPACE, *WHITE_SPACE])
def test_blank_values_are_refused_as_empty(name):
    assert errors_for(name) == [
        {
            "property": "name",
            "constraints": {"isNotEmpty": "name should not be empty"},
            "path": "name",
        }
    ]


@pytest.mark.parametrize("name", ["a", f"{WHITE_SPACE}a{WHITE_SPACE}", "\u200b", "-", "0"])
def test_a_value_with_anything_else_is_kept_as_sent(name):
    assert errors_for(name) == []
    model: BaseModel = AccountIn.model_validate(
        {"externalId": "e", "domain": "acme.com", "name": name}
    )
    assert model.name == name  # type: ignore[attr-defined]
