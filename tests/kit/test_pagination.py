import pytest

from intentsync.kit.errors import ValidationFailed
from intentsync.kit.pagination import decode_cursor, encode_cursor, page_request


def test_cursor_round_trips_exact_values():
    token = encode_cursor(12345, 1_764_000_000_123)
    assert token == "cAAAAAAAAMDkAAAGatpfoew"
    assert decode_cursor(token) == (12345, 1_764_000_000_123)


def test_cursor_is_never_all_digits_so_it_cannot_be_read_as_an_offset():
    assert not encode_cursor(0, 0).isdigit()


@pytest.mark.parametrize(
    "token", ["x", "c", "cAAAA", "c!!!!!!!!!!!!!!!!!!!!!!", "dAAAAAAAAMDkAAABmrw8Uns"]
)
def test_malformed_cursor_is_rejected(token):
    assert decode_cursor(token) is None


def test_numeric_cursor_is_an_offset():
    page = page_request(100, "200")
    assert page.offset == 200
    assert page.after_id is None


def test_keyset_cursor_pins_the_sync_timestamp():
    page = page_request(10, encode_cursor(7, 99))
    assert (page.after_id, page.pinned_sync_ms, page.offset) == (7, 99, None)


def test_last_sync_is_parsed_to_milliseconds():
    assert page_request(10, None, "2026-04-30T10:00:00.123Z").changed_after_ms == 1_777_543_200_123
    assert page_request(10, None, "2026-04-30T10:00:00Z").changed_after_ms == 1_777_543_200_000
    assert page_request(10, None, "2026-04-30T12:00:00+02:00").changed_after_ms == 1_777_543_200_000


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", "1700000000"])
def test_invalid_last_sync_is_a_validation_error(value):
    with pytest.raises(ValidationFailed) as caught:
        page_request(10, None, value)
    assert caught.value.errors == [
        {
            "property": "lastSync",
            "constraints": {"isISO8601": "lastSync must be a valid ISO 8601 date string"},
            "path": "lastSync",
        }
    ]


def test_cursor_with_out_of_range_values_is_rejected():
    import base64
    import struct

    raw = struct.pack(">QQ", 2**64 - 1, 5)
    assert decode_cursor("c" + base64.urlsafe_b64encode(raw).decode().rstrip("=")) is None


def test_a_cursor_cannot_pin_a_stamp_past_four_digit_years():
    from intentsync.kit.pagination import MAX_SYNC_MS, decode_cursor, encode_cursor

    assert decode_cursor(encode_cursor(1, MAX_SYNC_MS)) == (1, MAX_SYNC_MS)
    assert decode_cursor(encode_cursor(1, MAX_SYNC_MS + 1)) is None


@pytest.mark.parametrize("cursor", ["²", "①", "٣", "\uff11\uff12", "1²", "\u00b9\u00b2"])
def test_non_ascii_digits_are_not_an_offset(cursor):
    with pytest.raises(ValidationFailed) as caught:
        page_request(10, cursor)
    assert list(caught.value.errors[0]["constraints"]) == ["isValidCursor"]


@pytest.mark.parametrize("digits", [21, 4_301, 100_000])
def test_long_digit_strings_are_refused_before_they_are_converted(digits):
    with pytest.raises(ValidationFailed) as caught:
        page_request(10, "9" * digits)
    assert caught.value.errors[0]["constraints"] == {
        "max": "cursor must not be greater than 10000000"
    }


def test_leading_zeros_within_twenty_characters_are_an_offset():
    assert page_request(10, "0" * 18 + "42").offset == 42
