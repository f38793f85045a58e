"""Property: whatever JSON a client sends, the answer is a 2xx/4xx in the envelope, never a 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intentsync.kit.pagination import encode_cursor
from tests.factories import CRM, V1

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
    ("POST", "/deals"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "deals": st.lists(
                    st.fixed_dictionaries(
                        {"externalDealId": st.one_of(st.just("d1"), json_values)},
                        optional={
                            "name": json_values,
                            "amount": json_values,
                            "startDate": json_values,
                            "ownerEmail": json_values,
                            "stageLabel": json_values,
                            "associatedAccounts": st.one_of(
                                json_values,
                                st.lists(
                                    st.fixed_dictionaries(
                                        {},
                                        optional={"externalId": json_values, "domain": json_values},
                                    ),
                                    max_size=2,
                                ),
                            ),
                        },
                    ),
                    max_size=3,
                )
            }
        ),
    ),
    ("POST", "/deal-stages"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "pipelines": st.lists(
                    st.fixed_dictionaries(
                        {"pipelineId": json_values, "pipelineLabel": json_values},
                        optional={
                            "stages": st.lists(
                                st.fixed_dictionaries(
                                    {}, optional={"stageId": json_values, "stageLabel": json_values}
                                ),
                                max_size=3,
                            )
                        },
                    ),
                    max_size=3,
                )
            }
        ),
    ),
    ("POST", "/sales-activities"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "activities": st.lists(
                    st.fixed_dictionaries(
                        {
                            "externalActivityId": st.one_of(st.just("a1"), json_values),
                            "activityType": st.one_of(
                                st.sampled_from(["call", "email", "meeting"]), json_values
                            ),
                            "occurredAt": st.one_of(st.just("2026-01-01T00:00:00Z"), json_values),
                            "domain": json_values,
                            "ownerEmail": st.one_of(st.just("a@b.co"), json_values),
                            "contacts": st.one_of(st.just([{"email": "c@d.co"}]), json_values),
                        },
                        optional={
                            "direction": json_values,
                            "durationMinutes": json_values,
                            "from": json_values,
                        },
                    ),
                    max_size=3,
                )
            }
        ),
    ),
    ("POST", "/signals"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "signals": st.lists(
                    st.fixed_dictionaries(
                        {
                            "source": st.one_of(
                                st.sampled_from(["website", "g2", "bombora", "linkedin"]),
                                json_values,
                            ),
                            "domain": st.one_of(st.just("acme.com"), json_values),
                            "occurredAt": st.one_of(st.just("2026-01-01T00:00:00Z"), json_values),
                            "type": st.one_of(
                                st.sampled_from(["pricing", "surge", "click", "demo"]),
                                json_values,
                            ),
                        },
                        optional={
                            "quantity": json_values,
                            "key": json_values,
                            "attributes": st.one_of(
                                json_values,
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "topic": json_values,
                                        "compositeScore": json_values,
                                        "pageViewId": json_values,
                                        "visitorId": json_values,
                                        "companyName": json_values,
                                    },
                                ),
                            ),
                        },
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


V1_BODIES = {
    ("POST", "/accounts"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"accounts": st.one_of(st.lists(account_like, max_size=3), json_values)},
            optional={"upsert": json_values, "segmentId": json_values},
        ),
    ),
    ("PUT", "/accounts/RTP"): st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "customFields": json_values,
                "name": json_values,
                "tags": json_values,
                "shortName": json_values,
                "domain": json_values,
            },
        ),
    ),
}
CASES = [(CRM, m, p) for m, p in BODIES] + [(V1, m, p) for m, p in V1_BODIES]


@pytest.mark.parametrize(("base", "method", "path"), CASES)
def test_any_json_body_gets_an_enveloped_non_5xx_answer(ws, base, method, path):
    seeded = ws.push({"externalId": "crm-1", "domain": "seed.com", "name": "Seed"})
    ws.custom_field("Note", "singleLineText")
    path = path.replace("RTP", seeded["results"][0]["rtp_aid"])
    strategy = (BODIES if base == CRM else V1_BODIES)[
        (method, path.replace(seeded["results"][0]["rtp_aid"], "RTP"))
    ]

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(body=strategy)
    def check(body):
        response = ws.client.request(method, base + path, json=body)
        assert response.status_code < 500, response.text
        envelope = response.json()
        assert envelope["statusCode"] == response.status_code
        assert envelope["path"] == base + path
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


def test_an_escaped_backslash_before_u0000_is_text_not_nul(ws):
    # JSON "\\u0000" is the six characters \u0000, which the NUL pre-check must not refuse.
    response = ws.post(
        "/accounts", {"accounts": [{"externalId": "e1", "domain": "a.com", "name": "A\\u0000B"}]}
    )
    assert response.status_code == 200
    assert response.json()["data"]["summary"]["created"] == 1
    assert ws.get("/accounts/e1").json()["data"]["name"] == "A\\u0000B"


def test_nul_in_the_url_is_refused(ws):
    assert ws.get("/accounts/a%00b").status_code == 400
    assert ws.get("/accounts", params={"cursor": "\x00"}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"lastSync": "0001-01-01T00:00:00+14:00"},
        {"lastSync": "9999-12-31T23:59:59.999999-14:00"},
        {"lastSync": "2026-04-30T25:00:00Z"},
        {"limit": "99999999999999999999999"},
        {"cursor": "99999999999999999999999"},
        {"cursor": "c" + "A" * 22},
        {"cursor": "\u00b2"},
        {"cursor": "\u2460"},
        {"cursor": "9" * 4_301},
        {"cursor": encode_cursor(2**31, 1)},  # past a 32-bit id column
    ],
)
@pytest.mark.parametrize("path", ["/accounts", "/deals", "/sales-activities", "/segments"])
def test_extreme_query_values_never_cause_a_5xx(ws, params, path):
    for base in (CRM, V1):
        response = ws.client.get(base + path, params=params)
        assert response.status_code < 500, response.text
        assert response.json()["statusCode"] == response.status_code


@pytest.mark.parametrize("cursor", ["\u00b2", "\u2460", "9" * 4_301, "1" * 21])
@pytest.mark.parametrize("path", ["/accounts", "/deals", "/sales-activities", "/segments"])
def test_unreadable_cursors_are_a_400_on_every_list(ws, cursor, path):
    for base in (CRM, V1):
        response = ws.client.get(base + path, params={"cursor": cursor})
        assert response.status_code == 400, response.text
        assert list(response.json()["data"][0]["constraints"]) in (["isValidCursor"], ["max"])
