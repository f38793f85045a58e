import pytest

from intentsync.custom_fields.values import (
    MAX_KEY_LENGTH,
    MAX_VALUES,
    FieldDef,
    check_values,
    key_for_label,
    key_length_error,
    value_error,
)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Contract Value", "CONTRACT_VALUE_C"),
        ("Net-Revenue", "NET-REVENUE_C"),
        ("Revenue (USD)", "REVENUE_(USD)_C"),
        ("crm stage", "CRM_STAGE_C"),
        ("a  b", "A__B_C"),
    ],
)
def test_key_for_label(label, key):
    assert key_for_label(label) == key


NUMBER = FieldDef("ARR_C", "number", ())
DATE = FieldDef("RENEWAL_C", "date", ())
SINGLE = FieldDef("SOURCE_C", "singleSelection", ("inbound", "outbound"))
MULTI = FieldDef("PRODUCTS_C", "multiSelection", ("a", "b", "c"))
LINE = FieldDef("NOTE_C", "singleLineText", ())
TEXT = FieldDef("BIO_C", "multiLineText", ())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (NUMBER, 12),
        (NUMBER, 12.5),
        (DATE, "2026-04-30"),
        (DATE, "2026-04-30T10:00:00Z"),
        (SINGLE, "inbound"),
        (MULTI, ["a", "c"]),
        (MULTI, []),
        (LINE, "hello"),
        (TEXT, "line one\nline two"),
        (NUMBER, None),
    ],
)
def test_values_that_fit(field, value):
    assert value_error(field, value) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (NUMBER, "12", "Custom field 'ARR_C' expects a number, got '12'"),
        (NUMBER, True, "Custom field 'ARR_C' expects a number, got True"),
        (DATE, "next week", "Custom field 'RENEWAL_C' expects an ISO 8601 date, got 'next week'"),
        (
            SINGLE,
            "partner",
            "Custom field 'SOURCE_C' must be one of: inbound, outbound; got 'partner'",
        ),
        (MULTI, ["a", "z"], "Custom field 'PRODUCTS_C' options must be among: a, b, c; got 'z'"),
        (MULTI, "a", "Custom field 'PRODUCTS_C' expects a list of options, got 'a'"),
        (MULTI, ["a", "a"], "Custom field 'PRODUCTS_C' lists an option more than once"),
        (LINE, 5, "Custom field 'NOTE_C' expects text, got 5"),
        (LINE, "a\nb", "Custom field 'NOTE_C' is single-line text; remove the line breaks"),
    ],
)
def test_values_that_do_not_fit(field, value, expected):
    assert value_error(field, value) == expected


def test_check_values_names_all_unknown_keys():
    fields = {"ARR_C": NUMBER}
    assert (
        check_values(fields, {"X_C": 1, "ARR_C": 2, "Y_C": 3})
        == "Custom field key(s) not found: X_C, Y_C"
    )
    assert check_values(fields, {"ARR_C": 2}) is None


def test_check_values_names_five_unknown_keys_and_counts_the_rest():
    values = {f"K{n}_C": 1 for n in range(8)}
    assert check_values({}, values) == (
        "Custom field key(s) not found: K0_C, K1_C, K2_C, K3_C, K4_C and 3 more"
    )


def test_check_values_clips_a_long_unknown_key():
    assert check_values({}, {"A" * 1000: 1}) == (
        f"Custom field key(s) not found: {'A' * 60}... (940 more characters)"
    )


def test_check_values_refuses_more_keys_than_the_limit():
    fields = {f"K{n}_C": NUMBER for n in range(MAX_VALUES + 1)}
    assert check_values(fields, dict.fromkeys(fields, 1)) == (
        f"customFields may set at most {MAX_VALUES} fields at once; got {MAX_VALUES + 1}"
    )
    assert check_values(fields, dict.fromkeys(list(fields)[:MAX_VALUES], 1)) is None


@pytest.mark.parametrize(("label", "length"), [("ß" * 149, 300), ("ß" * 150, 302)])
def test_key_length_is_measured_after_upper_casing(label, length):
    key = key_for_label(label)
    assert len(key) == length
    assert (key_length_error(key) is None) == (length <= MAX_KEY_LENGTH)
