import orjson
import pytest

from intentsync.kit.json_limits import MAX_DEPTH, TooDeep, clip, depth_exceeds, find_nul, loads


def nested(levels: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def test_depth_counts_arrays_and_objects_not_scalars():
    assert not depth_exceeds(1, 0)
    assert not depth_exceeds([], 1)
    assert depth_exceeds([], 0)
    assert not depth_exceeds({"a": [{"b": 1}]}, 3)
    assert depth_exceeds({"a": [{"b": {}}]}, 3)


def test_depth_walk_handles_documents_far_past_the_recursion_limit():
    assert depth_exceeds(nested(100_000), MAX_DEPTH)
    assert find_nul(nested(100_000, "a\x00b")) == (0,) * 100_000


def test_loads_accepts_the_limit_and_refuses_one_level_more():
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == nested(MAX_DEPTH - 1, [])
    with pytest.raises(TooDeep, match="more than 32 levels deep"):
        loads(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    with pytest.raises(TooDeep):
        loads("[" * 300 + "]" * 300)


def test_loads_refuses_what_the_parser_cannot_nest_with_the_same_error():
    with pytest.raises(TooDeep):
        loads(b"[" * 100_000)
    with pytest.raises(orjson.JSONDecodeError):
        loads(b"[1,")


def test_brackets_inside_strings_do_not_count_as_depth():
    assert loads(orjson.dumps(["[" * 100])) == ["[" * 100]


def test_find_nul_reports_the_first_path_keys_before_values():
    assert find_nul({"a": ["x", {"b\x00": "y\x00"}]}) == ("a", 1, "b\x00")
    assert find_nul({"a": "ok", "b": ["fine", "no\x00"]}) == ("b", 1)
    assert find_nul({"a": ["x"], "b": 1}) is None


def test_clip_keeps_short_text_and_says_how_much_it_dropped():
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 3) == "abc... (3 more characters)"
