import random
from datetime import UTC, datetime, timedelta, timezone

from intentsync.kit.clock import format_ms, parse_iso8601, to_ms
from intentsync.kit.ids import is_object_id, new_object_id, object_id


def test_format_ms_is_iso_utc_with_milliseconds():
    assert format_ms(1_777_543_200_007) == "2026-04-30T10:00:00.007Z"
    assert format_ms(0) == "1970-01-01T00:00:00.000Z"


def test_object_id_layout_is_time_tag_counter():
    assert (
        object_id(0x6A21B885, bytes.fromhex("5a81c58936"), 0x372C2D) == "6a21b8855a81c58936372c2d"
    )


def test_new_object_ids_are_24_hex_and_distinct():
    ids = {new_object_id(1_777_543_200) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_object_id(i) for i in ids)
    assert not is_object_id("6A21B8855A81C58936372C2D")


def test_to_ms_floors_to_whole_milliseconds_before_and_after_the_epoch():
    assert to_ms(parse("2026-04-30T10:00:00.0079Z")) == 1_777_543_200_007
    assert to_ms(parse("2026-04-30T12:00:00.007999+02:00")) == 1_777_543_200_007
    assert to_ms(parse("1970-01-01T00:00:00Z")) == 0
    assert to_ms(parse("1969-12-31T23:59:59.9999Z")) == -1  # floor, not towards zero
    assert to_ms(parse("1969-12-31T23:59:59.001Z")) == -999


def test_to_ms_matches_whole_number_arithmetic_on_every_kind_of_instant():
    rng = random.Random(7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for _ in range(5_000):
        instant = epoch + timedelta(microseconds=rng.randrange(-(10**16), 10**16))
        zone = timezone(timedelta(minutes=rng.randrange(-23 * 60, 23 * 60)))
        value = instant.astimezone(zone)
        delta = instant - epoch
        expected = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
        assert to_ms(value) == expected


def parse(text: str) -> datetime:
    parsed = parse_iso8601(text)
    assert parsed is not None
    return parsed
