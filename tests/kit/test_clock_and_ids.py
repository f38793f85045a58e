from intentsync.kit.clock import format_ms
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
