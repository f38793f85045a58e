import copy
import dataclasses
import json
import math

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.scoring.config import (
    POINT_SOURCES,
    SIGNAL_TYPES,
    SOURCES,
    default_config,
    merged_with_defaults,
    parse_config,
    set_value,
)


def with_value(path: str, value):
    doc = default_config()
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    node[last] = value
    return doc


def refused(doc) -> str:
    with pytest.raises(BadRequest) as caught:
        parse_config(doc, version=1)
    return caught.value.custom_message


def refused_set(path: str, raw: str) -> str:
    with pytest.raises(BadRequest) as caught:
        set_value(default_config(), path, raw)
    return caught.value.custom_message


# --- defaults ---------------------------------------------------------------------------------


def test_default_config_is_json_with_the_documented_layout():
    doc = default_config()
    assert json.loads(json.dumps(doc)) == doc
    assert list(doc) == ["weights", "enabled", "sources", "stages"]
    assert doc["weights"] == {"website": 30, "g2": 20, "bombora": 20, "linkedin": 15, "sales": 15}
    assert doc["enabled"] == dict.fromkeys(SOURCES, True)
    assert list(doc["sources"]) == list(SOURCES)
    assert doc["sources"]["bombora"] == {
        "window_days": 56,
        "half_life_days": 21,
        "k": 15,
        "min_score": 60,
        "baseline": 50,
        "divisor": 5,
        "top_topics": 5,
    }
    assert doc["sources"]["linkedin"]["half_life_by_type"] == {"impression": 7}
    assert doc["stages"] == {
        "consideration_overall": 40,
        "consideration_sub_score": 50,
        "consideration_days": 14,
        "aware_overall": 10,
        "aware_days": 30,
        "downgrade_days": 7,
    }
    for source in POINT_SOURCES:
        assert list(doc["sources"][source]["points"]) == list(SIGNAL_TYPES[source])
        assert list(doc["sources"][source]["caps"]) == list(SIGNAL_TYPES[source])


def test_default_config_is_a_fresh_copy_each_time():
    doc = default_config()
    doc["sources"]["website"]["points"]["demo"] = 99
    assert default_config()["sources"]["website"]["points"]["demo"] == 10


def test_parse_default_config():
    config = parse_config(default_config(), version=3)
    assert config.version == 3
    assert dict(config.weights) == {
        "website": 30,
        "g2": 20,
        "bombora": 20,
        "linkedin": 15,
        "sales": 15,
    }
    website = config.point_sources["website"]
    assert (website.window_days, website.half_life_days, website.k) == (90, 14.0, 30.0)
    assert website.points["demo"] == 10.0
    assert website.caps["content"] == 10.0
    linkedin = config.point_sources["linkedin"]
    assert linkedin.half_life("impression") == 7.0
    assert linkedin.half_life("click") == 30.0
    assert linkedin.points["impression"] == 0.02
    assert (config.visitors.points, config.visitors.window_days, config.visitors.cap) == (3, 30, 12)
    assert (config.long_call.minutes, config.long_call.bonus) == (10, 1.0)
    assert config.bombora.top_topics == 5
    assert config.stages.downgrade_days == 7


def test_parsed_config_is_read_only():
    config = parse_config(default_config(), version=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.version = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.weights["website"] = 1  # type: ignore[index]


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("weights.website", 1001, "weights.website must be a whole number from 0 to 1000"),
        ("weights.website", -1, "weights.website must be a whole number from 0 to 1000"),
        ("weights.g2", 2.5, "weights.g2 must be a whole number from 0 to 1000"),
        ("weights.g2", "20", "weights.g2 must be a whole number from 0 to 1000"),
        ("weights.g2", True, "weights.g2 must be a whole number from 0 to 1000"),
        ("enabled.bombora", "yes", "enabled.bombora must be true or false"),
        ("enabled.bombora", 1, "enabled.bombora must be true or false"),
        (
            "sources.website.half_life_days",
            0,
            "sources.website.half_life_days must be a number above 0",
        ),
        ("sources.g2.k", -1, "sources.g2.k must be a number above 0"),
        ("sources.bombora.k", 0, "sources.bombora.k must be a number above 0"),
        (
            "sources.website.window_days",
            0,
            "sources.website.window_days must be a whole number from 1 to 3650",
        ),
        (
            "sources.sales.window_days",
            3651,
            "sources.sales.window_days must be a whole number from 1 to 3650",
        ),
        (
            "sources.website.points.demo",
            -1,
            "sources.website.points.demo must be a number of 0 or more",
        ),
        (
            "sources.linkedin.caps.click",
            math.nan,
            "sources.linkedin.caps.click must be a number of 0 or more",
        ),
        (
            "sources.linkedin.half_life_by_type.impression",
            0,
            "sources.linkedin.half_life_by_type.impression must be a number above 0",
        ),
        (
            "sources.bombora.min_score",
            101,
            "sources.bombora.min_score must be a number of 0 or more and at most 100",
        ),
        (
            "sources.bombora.top_topics",
            0,
            "sources.bombora.top_topics must be a whole number from 1 to 100",
        ),
        (
            "sources.website.visitor_window_days",
            0,
            "sources.website.visitor_window_days must be a whole number from 1 to 3650",
        ),
        (
            "stages.downgrade_days",
            -1,
            "stages.downgrade_days must be a whole number from 0 to 3650",
        ),
        ("stages.aware_overall", 101, "stages.aware_overall must be a whole number from 0 to 100"),
        ("sources.website.points", "lots", "sources.website.points must be an object"),
        ("weights", [30], "weights must be an object"),
    ],
)
def test_validation_messages(path, value, message):
    assert refused(with_value(path, value)) == message


def test_whole_numbers_may_be_written_as_floats():
    config = parse_config(with_value("weights.website", 40.0), version=1)
    assert config.weights["website"] == 40
    assert isinstance(config.weights["website"], int)


def test_unknown_settings_are_named_with_the_valid_keys():
    doc = default_config()
    doc["sources"]["website"]["pointz"] = {}
    message = refused(doc)
    assert message.startswith("unknown setting 'sources.website.pointz'; valid keys here: ")
    assert "points" in message
    assert "half_life_by_type" in message
    assert refused(with_value("extra", 1)) == (
        "unknown setting 'extra'; valid keys here: weights, enabled, sources, stages"
    )
    assert refused(with_value("sources.website.points.webinar", 5)).startswith(
        "unknown setting 'sources.website.points.webinar'; valid keys here: demo, pricing,"
    )
    assert refused(with_value("sources.linkedin.half_life_by_type.surge", 5)).startswith(
        "unknown setting 'sources.linkedin.half_life_by_type.surge'"
    )
    assert refused(with_value("weights.twitter", 5)) == (
        "unknown setting 'weights.twitter'; valid keys here: website, g2, bombora, linkedin, sales"
    )


def test_bombora_has_no_points_or_caps():
    assert refused(with_value("sources.bombora.points", {})).startswith(
        "unknown setting 'sources.bombora.points'"
    )


def test_at_least_one_source_must_count():
    expected = "at least one source must be enabled with a weight above 0"
    all_off = default_config()
    all_off["enabled"] = dict.fromkeys(SOURCES, False)
    assert refused(all_off) == expected
    zero_weights = default_config()
    zero_weights["weights"] = dict.fromkeys(SOURCES, 0)
    assert refused(zero_weights) == expected
    only_zero_enabled = default_config()
    only_zero_enabled["enabled"] = {**dict.fromkeys(SOURCES, False), "g2": True}
    only_zero_enabled["weights"]["g2"] = 0
    assert refused(only_zero_enabled) == expected


def test_a_config_that_is_not_an_object_is_refused():
    assert refused([]) == "the scoring config must be a JSON object"


# --- merging stored documents over the defaults -------------------------------------------------


def test_merged_with_defaults_fills_missing_settings():
    stored = {"weights": {"website": 50}, "sources": {"website": {"points": {"demo": 12}}}}
    before = copy.deepcopy(stored)
    merged = merged_with_defaults(stored)
    assert stored == before
    expected = default_config()
    expected["weights"]["website"] = 50
    expected["sources"]["website"]["points"]["demo"] = 12
    assert merged == expected
    assert merged_with_defaults({}) == default_config()


def test_merged_with_defaults_takes_a_stored_half_life_map_whole():
    stored = {"sources": {"linkedin": {"half_life_by_type": {"click": 10}}}}
    merged = merged_with_defaults(stored)
    assert merged["sources"]["linkedin"]["half_life_by_type"] == {"click": 10}


def test_an_older_partial_document_parses():
    config = parse_config({"enabled": {"bombora": False}}, version=1)
    assert config.enabled["bombora"] is False
    assert config.weights["website"] == 30
    assert config.stages.aware_days == 30


# --- set_value ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw", "expected"),
    [
        ("weights.website", "40", 40),
        ("enabled.bombora", "false", False),
        ("sources.website.points.demo", "12.5", 12.5),
        ("sources.linkedin.half_life_by_type.impression", "5", 5),
        ("sources.linkedin.half_life_by_type.click", "45", 45),
        ("sources.sales.long_call_minutes", " 15 ", 15),
        ("stages.downgrade_days", "3", 3),
    ],
)
def test_set_value_sets_one_setting_in_a_new_document(path, raw, expected):
    doc = default_config()
    new = set_value(doc, path, raw)
    assert doc == default_config()
    node = new
    for key in path.split("."):
        node = node[key]
    assert node == expected
    parse_config(new, version=2)


def test_set_value_adds_a_half_life_map_to_a_source_without_one():
    new = set_value(default_config(), "sources.website.half_life_by_type.demo", "7")
    assert new["sources"]["website"]["half_life_by_type"] == {"demo": 7}
    assert parse_config(new, version=2).point_sources["website"].half_life("demo") == 7.0


def test_set_value_can_replace_a_map_whole():
    new = set_value(default_config(), "sources.linkedin.half_life_by_type", "{}")
    assert parse_config(new, version=2).point_sources["linkedin"].half_life("impression") == 30.0


def test_set_value_returns_a_complete_document_from_an_older_one():
    new = set_value({"weights": {"g2": 10}}, "weights.website", "40")
    expected = default_config()
    expected["weights"].update(website=40, g2=10)
    assert new == expected


def test_set_value_refuses_unknown_paths():
    assert refused_set("weights.webiste", "40") == (
        "unknown setting 'weights.webiste'; valid keys here: website, g2, bombora, linkedin, sales"
    )
    assert refused_set("sources.website.pointz", "1").startswith(
        "unknown setting 'sources.website.pointz'; valid keys here: window_days, half_life_days,"
    )
    assert refused_set("sources.website.points.webinar", "1").startswith(
        "unknown setting 'sources.website.points.webinar'"
    )
    assert refused_set("sources.bombora.half_life_by_type.surge", "1").startswith(
        "unknown setting 'sources.bombora.half_life_by_type'"
    )
    assert refused_set("weights.website.extra", "1") == (
        "'weights.website' is a single setting and has no 'extra'"
    )


@pytest.mark.parametrize("path", ["", "weights..website", ".weights", "weights."])
def test_set_value_refuses_malformed_paths(path):
    assert refused_set(path, "1") == f"a setting path looks like 'weights.website', not '{path}'"


def test_set_value_refuses_values_parse_config_would_refuse():
    assert refused_set("weights.website", "-5") == (
        "weights.website must be a whole number from 0 to 1000"
    )
    assert refused_set("enabled.website", "maybe") == "enabled.website must be true or false"
    assert refused_set("sources.g2.k", "NaN") == "sources.g2.k must be a number above 0"
    assert refused_set("weights", '{"website": "x"}') == (
        "weights.website must be a whole number from 0 to 1000"
    )


def test_set_value_refuses_to_switch_everything_off():
    doc = default_config()
    for source in SOURCES[:-1]:
        doc = set_value(doc, f"enabled.{source}", "false")
    with pytest.raises(BadRequest) as caught:
        set_value(doc, "enabled.sales", "false")
    assert caught.value.custom_message == (
        "at least one source must be enabled with a weight above 0"
    )
