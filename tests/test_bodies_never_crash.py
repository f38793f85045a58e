"""Property: whatever JSON a client sends, the answer is a 2xx/4xx in the envelope, never a 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import CRM

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "acme.com", "https://www.x.io/a", "crm-1", "NOTE_C", "number", "\x00"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
account_like = st.fixed_dictionaries(
    {},
    optional={
        "externalId": json_values,
        "domain": json_values,
        "name": json_values,
        "shortName": json_values,
        "linkedinUrl": json_values,
        "tags": json_values,
        "customFields": json_values,
    },
)
BODIES = {
    ("POST", "/accounts"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"accounts": st.one_of(st.lists(account_like, max_size=3), json_values)},
            optional={"segmentId": json_values},
        ),
    ),
    ("POST", "/accounts/custom-field"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "label": json_values,
                "labelType": st.one_of(json_values, st.sampled_from(["number", "singleSelection"])),
            },
            optional={"options": json_values, "description": json_values},
        ),
    ),
    ("PATCH", "/accounts/external-ids"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "mappings": st.lists(
                    st.fixed_dictionaries(
                        {}, optional={"domain": json_values, "externalId": json_values}
                    ),
                    max_size=3,
                )
            }
        ),
    ),
    ("PUT", "/accounts/crm-1"): st.one_of(
        json_values,
        st.fixed_dictionaries({}, optional={"customFields": json_values, "name": json_values}),
    ),
}


@pytest.mark.parametrize(("method", "path"), list(BODIES))
def test_any_json_body_gets_an_enveloped_non_5xx_answer(ws, method, path):
    ws.push({"externalId": "crm-1", "domain": "seed.com", "name": "Seed"})
    ws.custom_field("Note", "singleLineText")

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(body=BODIES[(method, path)])
    def check(body):
        response = ws.client.request(method, CRM + path, json=body)
        assert response.status_code < 500, response.text
        envelope = response.json()
        assert envelope["statusCode"] == response.status_code
        assert envelope["path"] == CRM + path
        if response.status_code >= 400:
            assert envelope["message"]
            assert envelope["customMessage"]

    check()


def test_nul_characters_are_refused_not_stored(ws):
    response = ws.post(
        "/accounts", {"accounts": [{"externalId": "e\x00", "domain": "a.com", "name": "A\x00B"}]}
    )
    assert response.status_code == 400
    assert response.json()["data"][0]["constraints"] == {
        "noNulCharacters": "externalId must not contain NUL characters"
    }
    key = ws.custom_field("Note", "singleLineText")
    ws.push({"externalId": "crm-1", "domain": "seed.com", "name": "Seed"})
    response = ws.put("/accounts/crm-1", {"customFields": {key: "x\x00"}})
    assert response.status_code == 400


def test_nul_in_the_url_is_refused(ws):
    assert ws.get("/accounts/a%00b").status_code == 400
    assert ws.get("/accounts", params={"cursor": "\x00"}).status_code == 400
