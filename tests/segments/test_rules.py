"""Segment rules: validation messages name the path; every operator on every field type."""

import pytest

from intentsync.custom_fields.values import FieldDef
from intentsync.kit.errors import BadRequest
from intentsync.segments.matching import evaluate, matcher, matching
from intentsync.segments.rules import (
    MAX_CONDITIONS,
    AccountFacts,
    Condition,
    Group,
    fields_used,
    validate_rules,
)

FIELDS = {
    "ARR_C": FieldDef("ARR_C", "number", ()),
    "RENEWAL_C": FieldDef("RENEWAL_C", "date", ()),
    "TIER_C": FieldDef("TIER_C", "singleSelection", ("Gold", "Silver")),
    "PRODUCTS_C": FieldDef("PRODUCTS_C", "multiSelection", ("crm", "ads", "web")),
    "NOTE_C": FieldDef("NOTE_C", "singleLineText", ()),
    "BIO_C": FieldDef("BIO_C", "multiLineText", ()),
}

ACME = AccountFacts(
    account_score=72,
    website_intent_score=40,
    g2_intent_score=10,
    bombora_intent_score=0,
    advertising_activity_score=55,
    open_deal_count=2,
    open_deal_amount=12500.5,
    won_deal_count=1,
    days_in_stage=14,
    journey_stage="Consideration",
    domain="acme.com",
    name="Acme Corp",
    external_id="CRM-Acme-7",
    tags=["VIP", "emea"],
    custom_fields={
        "ARR_C": 250000,
        "RENEWAL_C": "2026-06-30T23:30:00Z",
        "TIER_C": "Gold",
        "PRODUCTS_C": ["crm", "ads"],
        "NOTE_C": "Champion left in March",
    },
)
BLANK = AccountFacts(domain="blank.io", name="Blank")


def cond(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


def check(field, operator, value, facts=ACME):
    return evaluate(validate_rules(cond(field, operator, value), custom_fields=FIELDS), facts)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("account_score", "eq", 72, True),
        ("account_score", "eq", 72.0, True),
        ("account_score", "neq", 72, False),
        ("account_score", "in", [1, 72], True),
        ("account_score", "nin", [1, 72], False),
        ("account_score", "gt", 72, False),
        ("account_score", "gte", 72, True),
        ("account_score", "lt", 73, True),
        ("account_score", "lte", 71, False),
        ("account_score", "between", [72, 80], True),
        ("account_score", "between", [0, 71.9], False),
        ("account_score", "is_empty", False, True),
        ("account_score", "is_empty", True, False),
        ("website_intent_score", "gte", 40, True),
        ("g2_intent_score", "eq", 10, True),
        ("bombora_intent_score", "eq", 0, True),
        ("bombora_intent_score", "is_empty", True, False),  # zero is a value
        ("advertising_activity_score", "between", [50, 60], True),
        ("open_deal_count", "gte", 2, True),
        ("open_deal_amount", "gt", 12500, True),
        ("won_deal_count", "eq", 1, True),
        ("days_in_stage", "lt", 14, False),
        ("days_in_stage", "lte", 14, True),
    ],
)
def test_number_fields(field, operator, value, expected):
    assert check(field, operator, value) is expected


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("eq", "Consideration", True),
        ("eq", "consideration", True),  # stages are matched whatever their case
        ("neq", "Aware", True),
        ("in", ["Aware", "Consideration"], True),
        ("nin", ["Aware", "Consideration"], False),
        ("gt", "Aware", True),  # stages compare by their place in the journey
        ("gte", "Consideration", True),
        ("lt", "Consideration", False),
        ("lte", "Opportunity", True),
        ("between", ["Aware", "Opportunity"], True),
        ("between", ["Opportunity", "Customer"], False),
        ("is_empty", False, True),
    ],
)
def test_journey_stage(operator, value, expected):
    assert check("journey_stage", operator, value) is expected
    assert check("rtp_journey_stage", operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("domain", "eq", "ACME.com", True),
        ("domain", "eq", "https://www.acme.com/pricing", True),  # cleaned like pushed domains
        ("domain", "neq", "acme.com", False),
        ("domain", "in", ["globex.com", "acme.com"], True),
        ("domain", "nin", ["globex.com"], True),
        ("domain", "contains", ".COM", True),
        ("domain", "contains", "acme.de", False),
        ("domain", "is_empty", True, False),
        ("name", "eq", "acme corp", True),
        ("name", "contains", "CORP", True),
        ("name", "in", ["ACME CORP"], True),
        ("name", "neq", "Globex", True),
        ("customFields.NOTE_C", "contains", "champion", True),
        ("customFields.NOTE_C", "eq", "champion left in march", True),
        ("customFields.NOTE_C", "is_empty", False, True),
        ("customFields.BIO_C", "is_empty", True, True),
        ("customFields.BIO_C", "contains", "x", False),
        ("customFields.BIO_C", "neq", "x", True),  # a missing value is not equal to anything
        ("customFields.BIO_C", "nin", ["x"], True),
        ("customFields.BIO_C", "eq", "x", False),
        ("customFields.BIO_C", "in", ["x"], False),
    ],
)
def test_text_fields_ignore_case(field, operator, value, expected):
    assert check(field, operator, value) is expected


@pytest.mark.parametrize(
    ("operator", "value", "expected", "when_missing"),
    [
        ("eq", "Gold", True, False),
        ("eq", "Silver", False, False),
        ("neq", "Silver", True, True),
        ("in", ["Silver", "Gold"], True, False),
        ("nin", ["Gold"], False, True),
        ("is_empty", False, True, False),
        ("is_empty", True, False, True),
    ],
)
def test_single_selection(operator, value, expected, when_missing):
    assert check("customFields.TIER_C", operator, value) is expected
    assert check("customFields.TIER_C", operator, value, BLANK) is when_missing


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("eq", "2026-06-30", True),  # compared as UTC calendar days
        ("eq", "2026-07-01T01:00:00+02:00", True),  # 2026-06-30T23:00Z is still the 30th
        ("eq", "2026-07-01T03:00:00+02:00", False),
        ("neq", "2026-06-29", True),
        ("in", ["2026-01-01", "2026-06-30"], True),
        ("nin", ["2026-06-30"], False),
        ("gt", "2026-06-29", True),
        ("gte", "2026-06-30", True),
        ("lt", "2026-06-30", False),
        ("lte", "2026-06-30T00:00:00Z", True),
        ("between", ["2026-06-01", "2026-06-30"], True),
        ("between", ["2026-07-01", "2026-12-31"], False),
        ("is_empty", False, True),
    ],
)
def test_date_field(operator, value, expected):
    assert check("customFields.RENEWAL_C", operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected", "when_missing"),
    [
        ("external_id", "eq", "crm-acme-7", True, False),
        ("externalId", "contains", "ACME", True, False),  # the wire's spelling names it too
        ("external_id", "in", ["x", "CRM-ACME-7"], True, False),
        ("external_id", "neq", "x", True, True),  # a missing value is not equal to anything
        ("external_id", "nin", ["crm-acme-7"], False, True),
        ("external_id", "is_empty", True, False, True),
        ("external_id", "contains", "crm-acme-8", False, False),
    ],
)
def test_external_id_is_text_that_may_be_missing(field, operator, value, expected, when_missing):
    assert check(field, operator, value) is expected
    assert check(field, operator, value, BLANK) is when_missing


@pytest.mark.parametrize(
    ("field", "fragment", "expected"),
    [
        ("name", "über", True),  # every letter folds, not only ASCII ones
        ("name", "ÜBER", True),
        ("name", "straße", True),
        ("name", "strasse", False),  # folding is lower-casing: ß is not ss
        ("name", "uber", False),
        ("external_id", "öl", True),
        ("external_id", "ÄRZTE-Öl", True),
    ],
)
def test_contains_folds_case_beyond_ascii(field, fragment, expected):
    facts = AccountFacts(domain="uber.example", name="Über Straße GmbH", external_id="ÄRZTE-ÖL-1")
    assert check(field, "contains", fragment, facts) is expected


def test_a_missing_or_unreadable_date_is_empty_and_never_compares():
    broken = AccountFacts(custom_fields={"RENEWAL_C": "someday"})
    for facts in (BLANK, broken):
        assert check("customFields.RENEWAL_C", "lt", "2030-01-01", facts) is False
        assert check("customFields.RENEWAL_C", "is_empty", True, facts) is True


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("contains", "vip", True),  # tags ignore case
        ("contains", "VI", False),  # contains on a list means "has this element"
        ("has_any", ["na", "EMEA"], True),
        ("has_any", ["na", "apac"], False),
        ("has_all", ["vip", "emea"], True),
        ("has_all", ["vip", "na"], False),
        ("nin", ["na", "apac"], True),  # has none of them
        ("nin", ["na", "vip"], False),
        ("is_empty", False, True),
        ("is_empty", True, False),
    ],
)
def test_tags(operator, value, expected):
    assert check("tags", operator, value) is expected


def test_tags_on_an_account_without_tags():
    assert check("tags", "is_empty", True, BLANK) is True
    assert check("tags", "nin", ["vip"], BLANK) is True
    assert check("tags", "has_any", ["vip"], BLANK) is False


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("contains", "crm", True),
        ("contains", "web", False),
        ("has_any", ["web", "ads"], True),
        ("has_all", ["crm", "ads"], True),
        ("has_all", ["crm", "web"], False),
        ("nin", ["web"], True),
        ("is_empty", True, False),
    ],
)
def test_multi_selection(operator, value, expected):
    assert check("customFields.PRODUCTS_C", operator, value) is expected


def test_custom_number_and_lower_case_key():
    assert check("customFields.ARR_C", "between", [100000, 300000]) is True
    assert check("customFields.arr_c", "gte", 250000) is True
    assert check("customFields.ARR_C", "gt", 0, BLANK) is False
    assert check("customFields.ARR_C", "is_empty", True, BLANK) is True


@pytest.mark.parametrize(
    ("alias", "field"),
    [
        ("rtp_account_score", "account_score"),
        ("rtp_website_intent_score", "website_intent_score"),
        ("rtp_g2_intent_score", "g2_intent_score"),
        ("rtp_bombora_intent_score", "bombora_intent_score"),
        ("rtp_advertising_activity_score", "advertising_activity_score"),
        ("rtp_journey_stage", "journey_stage"),
    ],
)
def test_wire_names_are_aliases(alias, field):
    value = "Aware" if field == "journey_stage" else 1
    rule = validate_rules(cond(alias, "gte", value), custom_fields={})
    assert isinstance(rule, Condition)
    assert rule.field == field


def test_nested_groups_and_or():
    doc = {
        "and": [
            cond("account_score", "gte", 50),
            {
                "or": [
                    cond("tags", "contains", "vip"),
                    {"and": [cond("open_deal_count", "gte", 1), cond("domain", "contains", "io")]},
                ]
            },
        ]
    }
    rule = validate_rules(doc, custom_fields=FIELDS)
    assert isinstance(rule, Group)
    assert rule.combinator == "and"
    assert evaluate(rule, ACME) is True
    assert evaluate(rule, ACME._replace(tags=[])) is False
    assert evaluate(rule, ACME._replace(tags=[], domain="acme.io")) is True
    assert evaluate(rule, ACME._replace(account_score=49)) is False
    three = validate_rules(
        {"or": [cond("account_score", "eq", n) for n in (1, 2, 72)]}, custom_fields={}
    )
    assert evaluate(three, ACME) is True
    assert evaluate(three, BLANK) is False
    assert fields_used(rule) == {"account_score", "tags", "open_deal_count", "domain"}


def test_matcher_is_compiled_once_and_matching_returns_ids():
    rule = validate_rules({"and": [cond("account_score", "gt", 50)]}, custom_fields={})
    assert matcher(rule) is matcher(rule)
    accounts = [(1, ACME), (2, BLANK), (3, ACME._replace(account_score=51))]
    assert matching(rule, accounts) == {1, 3}


def test_nesting_five_deep_is_allowed():
    doc = cond("name", "eq", "x")
    for depth in range(5):
        doc = {"and" if depth % 2 else "or": [doc]}
    validate_rules(doc, custom_fields={})
    with pytest.raises(BadRequest) as caught:
        validate_rules({"and": [doc]}, custom_fields={})
    assert caught.value.custom_message == (
        "rules.and[0].or[0].and[0].or[0].and[0]: groups nest at most 5 deep"
    )


def test_at_most_100_conditions():
    validate_rules({"or": [cond("account_score", "eq", n) for n in range(100)]}, custom_fields={})
    with pytest.raises(BadRequest) as caught:
        validate_rules(
            {"or": [cond("account_score", "eq", n) for n in range(MAX_CONDITIONS + 1)]},
            custom_fields={},
        )
    assert caught.value.custom_message == "rules.or[100]: a rule has at most 100 conditions"


FIELD_LIST = (
    "account_score, website_intent_score, g2_intent_score, bombora_intent_score, "
    "advertising_activity_score, open_deal_count, open_deal_amount, won_deal_count, "
    "days_in_stage, score_change_7d, score_change_30d, journey_stage, domain, name, "
    "external_id, tags, customFields.<KEY> "
    "(rtp_ wire names and externalId work too)"
)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"and": [cond("name", "eq", "x"), cond("name", "eq", "y"), cond("score", "eq", 1)]},
            f"rules.and[2].field: unknown field 'score'; fields are: {FIELD_LIST}",
        ),
        (
            {"and": [cond("account_score", "contains", 1)]},
            "rules.and[0].operator: 'contains' does not apply to number field 'account_score'; "
            "use one of: eq, neq, in, nin, gt, gte, lt, lte, between, is_empty",
        ),
        (
            {"or": [cond("name", "eq", "x"), cond("customFields.ARR_X", "eq", 1)]},
            "rules.or[1].field: unknown custom field key 'ARR_X'; active keys are: "
            "ARR_C, BIO_C, NOTE_C, PRODUCTS_C, RENEWAL_C, TIER_C",
        ),
        (
            {"and": [cond("name", "like", "x")]},
            "rules.and[0].operator: unknown operator 'like'; "
            "use one of: eq, neq, in, nin, contains, is_empty",
        ),
        (
            {"and": [cond("tags", "eq", "x")]},
            "rules.and[0].operator: 'eq' does not apply to list field 'tags'; "
            "use one of: contains, has_any, has_all, nin, is_empty",
        ),
        (
            cond("customFields.TIER_C", "contains", "Go"),
            "rules.operator: 'contains' does not apply to single-selection field "
            "'customFields.TIER_C'; use one of: eq, neq, in, nin, is_empty",
        ),
        (
            cond("customFields.RENEWAL_C", "contains", "2026"),
            "rules.operator: 'contains' does not apply to date field 'customFields.RENEWAL_C'; "
            "use one of: eq, neq, in, nin, gt, gte, lt, lte, between, is_empty",
        ),
        (
            cond("name", "gt", "b"),
            "rules.operator: 'gt' does not apply to text field 'name'; "
            "use one of: eq, neq, in, nin, contains, is_empty",
        ),
        (
            cond("account_score", "gte", "50"),
            "rules.value: 'account_score' takes a number, got '50'",
        ),
        (
            cond("account_score", "eq", True),
            "rules.value: 'account_score' takes a number, got True",
        ),
        (
            cond("account_score", "in", []),
            "rules.value: in takes a non-empty list, got []",
        ),
        (
            cond("account_score", "in", [1, "2"]),
            "rules.value[1]: 'account_score' takes a number, got '2'",
        ),
        (
            cond("account_score", "between", [3]),
            "rules.value: between takes a list of two values, low then high; got [3]",
        ),
        (cond("account_score", "between", [9, 3]), "rules.value: between needs low <= high"),
        (
            cond("account_score", "is_empty", "yes"),
            "rules.value: is_empty takes true or false, got 'yes'",
        ),
        (
            cond("journey_stage", "eq", "Won"),
            "rules.value: 'Won' is not a journey stage; "
            "stages are: Unaware, Aware, Consideration, Opportunity, Customer",
        ),
        (
            cond("journey_stage", "between", ["Customer", "Aware"]),
            "rules.value: between needs low <= high",
        ),
        (
            cond("customFields.TIER_C", "in", ["Gold", "Bronze"]),
            "rules.value[1]: 'Bronze' is not an option of 'customFields.TIER_C'; "
            "options are: Gold, Silver",
        ),
        (
            cond("customFields.RENEWAL_C", "gt", "next week"),
            "rules.value: 'customFields.RENEWAL_C' takes an ISO 8601 date such as 2026-01-31, "
            "got 'next week'",
        ),
        (
            cond("name", "eq", " "),
            "rules.value: 'name' takes non-empty text, got ' '; use is_empty to match missing "
            "values",
        ),
        (cond("domain", "eq", "not a domain"), "rules.value: 'not a domain' is not a valid domain"),
        (cond("tags", "has_any", "vip"), "rules.value: has_any takes a non-empty list, got 'vip'"),
        (
            {"and": []},
            "rules.and: expected a non-empty list of rules",
        ),
        (
            {"and": [cond("name", "eq", "x")], "or": []},
            'rules: a group has either "and" or "or", not both',
        ),
        ({"and": [cond("name", "eq", "x")], "not": 1}, "rules: unknown key 'not' in a group"),
        (
            {"and": [{"field": "name", "operator": "eq"}]},
            "rules.and[0].value: missing",
        ),
        (
            {"and": [{**cond("name", "eq", "x"), "negate": True}]},
            "rules.and[0]: unknown key 'negate'; a condition has field, operator and value",
        ),
        (
            {"or": [cond("name", "eq", "x"), "name = x"]},
            'rules.or[1]: expected a group {"and": [...]} or {"or": [...]} or a condition '
            '{"field", "operator", "value"}, got \'name = x\'',
        ),
        (
            [cond("name", "eq", "x")],
            'rules: expected a group {"and": [...]} or {"or": [...]} or a condition '
            '{"field", "operator", "value"}, got '
            "[{'field': 'name', 'operator': 'eq', 'value': 'x'}]",
        ),
        (
            {"any": [cond("name", "eq", "x")]},
            'rules: expected a group with "and" or "or", or a condition with "field", '
            '"operator" and "value"',
        ),
        ({"field": 3, "operator": "eq", "value": 1}, "rules.field: expected a field name, got 3"),
    ],
)
def test_validation_messages_name_the_path(doc, message):
    with pytest.raises(BadRequest) as caught:
        validate_rules(doc, custom_fields=FIELDS)
    assert caught.value.custom_message == message


def test_unknown_custom_key_without_any_fields():
    with pytest.raises(BadRequest) as caught:
        validate_rules(cond("customFields.ARR_C", "eq", 1), custom_fields={})
    assert caught.value.custom_message == (
        "rules.field: unknown custom field key 'ARR_C'; active keys are: none defined"
    )


def test_a_bare_condition_is_a_rule():
    rule = validate_rules(cond("rtp_account_score", "gt", 10), custom_fields={})
    assert rule == Condition(field="account_score", kind="number", operator="gt", value=10)
    assert evaluate(rule, ACME) is True
