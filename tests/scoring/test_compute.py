import dataclasses
import math
import random
from types import MappingProxyType

import pytest

from intentsync.scoring.compute import (
    AccountScore,
    Contribution,
    DailySignal,
    SourceScore,
    overall_score,
    round_half_up,
    score_account,
    sub_score,
)
from intentsync.scoring.config import (
    SOURCES,
    ScoringConfig,
    default_config,
    parse_config,
    set_value,
)

AS_OF = 20_777  # 2026-11-20
DEFAULT = parse_config(default_config(), version=1)


def config_with(*settings: tuple[str, str]) -> ScoringConfig:
    doc = default_config()
    for path, raw in settings:
        doc = set_value(doc, path, raw)
    return parse_config(doc, version=2)


def sig(source, type_, age, quantity=1.0, detail="", value=0.0):
    return DailySignal(source, type_, AS_OF - age, quantity, detail, value)


def surge(age, topic, score):
    return sig("bombora", "surge", age, 1.0, topic, score)


def score(signals, config=DEFAULT, **kwargs) -> AccountScore:
    return score_account(signals, as_of=AS_OF, config=config, **kwargs)


def raw_of(signals, source, config=DEFAULT) -> float:
    return score(signals, config).sources[source].raw


def decay(age, half_life):
    return 0.5 ** (age / half_life)


WORKED_EXAMPLE = [
    sig("website", "pricing", 2, 3),
    sig("website", "demo", 10, 1),
    sig("website", "content", 20, 5),
    sig("website", "visitor", 2, 1, "visitor-a"),
    sig("website", "visitor", 10, 1, "visitor-b"),
    sig("g2", "compare", 3, 2),
    sig("g2", "pricing", 3, 1),
    sig("g2", "category", 10, 4),
    surge(2, "crm", 85),
    surge(2, "sales automation", 72),
    surge(2, "lead scoring", 64),
    surge(2, "email", 58),
    surge(9, "crm", 90),
    surge(9, "sales automation", 70),
    sig("linkedin", "impression", 5, 300),
    sig("linkedin", "click", 12, 2),
    sig("linkedin", "engagement", 12, 3),
]


# --- the worked example of the model spec ---------------------------------------------------


def test_worked_example_sub_scores_and_overall():
    result = score(WORKED_EXAMPLE)
    assert {s: result.sources[s].score for s in SOURCES} == {
        "website": 70,
        "g2": 61,
        "bombora": 59,
        "linkedin": 45,
        "sales": 0,
    }
    assert result.overall == 52


def test_worked_example_raw_values():
    result = score(WORKED_EXAMPLE)
    assert round(result.sources["website"].raw, 2) == 35.69
    assert round(result.sources["g2"].raw, 2) == 23.84
    assert round(result.sources["bombora"].raw, 2) == 13.29
    assert round(result.sources["linkedin"].raw, 2) == 8.96
    assert result.sources["sales"] == SourceScore(score=0, raw=0.0, buckets={}, enabled=True)
    website = result.sources["website"].buckets
    assert website["visitors"] == 6.0
    assert website["pricing"] == pytest.approx(24 * decay(2, 14))
    assert result.sources["linkedin"].buckets["impression"] == pytest.approx(3.657, abs=1e-3)
    # the older Bombora week (W = 12 -> 8.92) loses to the newer one: weeks are not summed
    assert result.sources["bombora"].buckets == {"surge": pytest.approx(14.2 * decay(2, 21))}


def test_worked_example_top_contributions():
    top = score(WORKED_EXAMPLE).top
    assert [(c.source, c.type, c.detail) for c in top] == [
        ("website", "pricing", ""),
        ("g2", "compare", ""),
        ("g2", "pricing", ""),
        ("bombora", "surge", "crm"),
        ("website", "demo", ""),
    ]
    assert top[0] == Contribution("website", "pricing", AS_OF - 2, 3, "", 24 * decay(2, 14))
    assert top[3].points == pytest.approx(7 * decay(2, 21))


# --- caps, windows, decay -------------------------------------------------------------------


def test_cap_limits_the_bucket_but_not_the_contribution():
    result = score([sig("website", "demo", 0, 10)])
    assert result.sources["website"].buckets == {"demo": 40.0}
    assert result.sources["website"].raw == 40.0
    assert result.sources["website"].score == 74  # 100 * (1 - e^(-40/30)) = 73.64
    assert result.top[0].points == 100.0


def test_caps_are_per_type():
    result = score([sig("website", "demo", 0, 10), sig("website", "pricing", 0, 10)])
    assert result.sources["website"].buckets == {"demo": 40.0, "pricing": 40.0}
    assert result.sources["website"].raw == 80.0


@pytest.mark.parametrize(
    ("source", "type_", "window", "half_life"),
    [
        ("website", "content", 90, 14),
        ("g2", "category", 90, 14),
        ("linkedin", "click", 90, 30),
        ("sales", "inbound", 90, 21),
    ],
)
def test_window_edge_is_included_and_one_day_later_is_not(source, type_, window, half_life):
    points = DEFAULT.point_sources[source].points[type_]
    assert raw_of([sig(source, type_, window)], source) == pytest.approx(
        points * decay(window, half_life)
    )
    assert raw_of([sig(source, type_, window + 1)], source) == 0.0


def test_future_signals_are_ignored():
    result = score([sig("website", "demo", -1), surge(-1, "crm", 90)])
    assert result.sources["website"].raw == 0.0
    assert result.sources["bombora"].raw == 0.0
    assert result.top == ()


def test_bombora_window_edges():
    assert raw_of([surge(56, "crm", 60)], "bombora") == pytest.approx(2 * decay(56, 21))
    assert raw_of([surge(57, "crm", 90)], "bombora") == 0.0


def test_age_zero_has_no_decay():
    assert raw_of([sig("g2", "pricing", 0, 2)], "g2") == 20.0


def test_linkedin_impressions_decay_faster_than_other_types():
    assert raw_of([sig("linkedin", "impression", 7, 100)], "linkedin") == pytest.approx(1.0)
    assert raw_of([sig("linkedin", "click", 30, 1)], "linkedin") == pytest.approx(1.0)


def test_half_life_by_type_can_be_changed_and_added():
    slower = config_with(("sources.linkedin.half_life_by_type.impression", "14"))
    assert raw_of([sig("linkedin", "impression", 14, 100)], "linkedin", slower) == pytest.approx(
        1.0
    )
    faster_demo = config_with(("sources.website.half_life_by_type.demo", "7"))
    assert raw_of([sig("website", "demo", 7)], "website", faster_demo) == pytest.approx(5.0)
    assert raw_of([sig("website", "pricing", 14)], "website", faster_demo) == pytest.approx(4.0)


def test_unknown_sources_types_and_non_positive_quantities_earn_nothing():
    result = score(
        [
            sig("twitter", "like", 0, 5),
            sig("website", "webinar", 0, 5),
            sig("website", "demo", 0, -3),
            sig("website", "demo", 0, 0),
            sig("website", "ignored", 0, 50),
        ]
    )
    assert all(result.sources[s].raw == 0.0 for s in SOURCES)
    assert result.overall == 0
    assert result.top == ()


# --- website visitors and sales long calls ---------------------------------------------------


def test_visitors_are_distinct_and_not_decayed():
    result = score(
        [
            sig("website", "visitor", 0, 1, "a"),
            sig("website", "visitor", 5, 1, "a"),
            sig("website", "visitor", 29, 1, "b"),
        ]
    )
    assert result.sources["website"].buckets == {"visitors": 6.0}
    assert result.top == ()  # visitors are not signals a salesperson can read


def test_visitor_window_is_the_last_30_days_ages_0_to_29():
    assert raw_of([sig("website", "visitor", 29, 1, "a")], "website") == 3.0
    assert raw_of([sig("website", "visitor", 30, 1, "a")], "website") == 0.0
    assert raw_of([sig("website", "visitor", -1, 1, "a")], "website") == 0.0


def test_visitors_are_capped_and_need_an_id():
    five = [sig("website", "visitor", 1, 1, f"v{i}") for i in range(5)]
    assert raw_of(five, "website") == 12.0
    assert raw_of([sig("website", "visitor", 1, 1, "")], "website") == 0.0


def test_long_call_bonus_joins_the_connected_call_bucket():
    result = score([sig("sales", "connected_call", 0, 2), sig("sales", "connected_call_long", 0)])
    assert result.sources["sales"].buckets == {"connected_call": 9.0}
    assert ("sales", "connected_call_long", 1.0) in [
        (c.source, c.type, c.points) for c in result.top
    ]
    decayed = [sig("sales", "connected_call", 21, 2), sig("sales", "connected_call_long", 21)]
    assert raw_of(decayed, "sales") == pytest.approx(4.5)


def test_long_call_bonus_shares_the_connected_call_cap():
    signals = [sig("sales", "connected_call", 0, 4), sig("sales", "connected_call_long", 0, 3)]
    assert score(signals).sources["sales"].buckets == {"connected_call": 16.0}


# --- Bombora ---------------------------------------------------------------------------------


def test_bombora_week_sums_its_top_5_topics_only():
    week = [surge(0, f"topic {n}", s) for n, s in enumerate((100, 95, 90, 85, 80, 75))]
    result = score(week)
    assert result.sources["bombora"].raw == 40.0  # 10 + 9 + 8 + 7 + 6; 75 (p = 5) is 6th
    assert sorted(c.points for c in result.top) == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert result.sources["bombora"].score == round_half_up(100 * (1 - math.exp(-40 / 15)))


def test_bombora_min_score_drops_topics_above_the_baseline():
    assert raw_of([surge(0, "crm", 59)], "bombora") == 0.0
    assert raw_of([surge(0, "crm", 60)], "bombora") == 2.0


def test_bombora_takes_the_best_decayed_week_not_the_sum():
    weeks = [surge(0, "crm", 60), surge(7, "crm", 100), surge(7, "erp", 100)]
    assert raw_of(weeks, "bombora") == pytest.approx(20 * decay(7, 21))


def test_bombora_duplicate_topic_in_a_week_counts_once_at_its_highest():
    assert raw_of([surge(0, "crm", 70), surge(0, "crm", 80)], "bombora") == 6.0


# --- rounding and the overall score ---------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.5, 1), (1.5, 2), (2.5, 3), (2.4999, 2), (51.75, 52), (0.0, 0), (-0.5, 0), (99.5, 100)],
)
def test_round_half_up(x, expected):
    assert round_half_up(x) == expected


def test_round_half_up_of_the_float_just_below_a_half():
    assert round_half_up(0.49999999999999994) == 0


def test_sub_score_saturates():
    assert sub_score(0.0, 30) == 0
    assert sub_score(30 * math.log(2), 30) == 50
    assert sub_score(1e6, 15) == 100


def test_overall_is_integer_round_half_up():
    config = config_with(
        ("enabled.bombora", "false"),
        ("enabled.linkedin", "false"),
        ("enabled.sales", "false"),
        ("weights.website", "1"),
        ("weights.g2", "1"),
    )
    assert overall_score({"website": 1, "g2": 0}, config) == 1  # 0.5 -> 1
    assert overall_score({"website": 1}, config) == 1  # a missing score counts 0
    assert overall_score({"website": 100, "g2": 100}, config) == 100


def test_disabled_source_leaves_the_denominator():
    config = config_with(("enabled.bombora", "false"))
    result = score(WORKED_EXAMPLE, config)
    # (30·70 + 20·61 + 15·45 + 15·0) / 80 = 49.94
    assert result.overall == 50
    assert result.sources["bombora"] == SourceScore(score=0, raw=0.0, buckets={}, enabled=False)
    assert all(c.source != "bombora" for c in result.top)


def test_all_sources_disabled_gives_zero():
    nothing = dataclasses.replace(DEFAULT, enabled=MappingProxyType(dict.fromkeys(SOURCES, False)))
    result = score(WORKED_EXAMPLE, nothing)
    assert result.overall == 0
    assert result.top == ()
    assert all(not s.enabled and s.score == 0 for s in result.sources.values())


def test_zero_weight_source_is_scored_but_does_not_count():
    config = config_with(("weights.bombora", "0"))
    result = score(WORKED_EXAMPLE, config)
    assert result.sources["bombora"].score == 59
    assert result.overall == 50  # same denominator of 80 as when disabled


# --- the top contributions --------------------------------------------------------------------


def test_result_does_not_depend_on_row_order():
    expected = score(WORKED_EXAMPLE, top_n=50)
    shuffled = list(WORKED_EXAMPLE)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert score(shuffled, top_n=50) == expected


def test_top_ties_go_to_newer_day_then_source_type_detail():
    signals = [
        sig("website", "demo", 14),  # 5.0, older
        sig("website", "content", 0, 5),  # 5.0
        sig("sales", "outbound_email", 0, 5),  # 5.0, "sales" < "website"
        sig("sales", "outbound_call", 0, 5),  # 5.0, same source, type before email
        surge(0, "b", 75),  # 5.0, "bombora" first
        surge(0, "a", 75),  # 5.0, topic "a" before "b"
    ]
    top = score(list(reversed(signals)), top_n=10).top
    assert [(c.source, c.type, c.detail) for c in top] == [
        ("bombora", "surge", "a"),
        ("bombora", "surge", "b"),
        ("sales", "outbound_call", ""),
        ("sales", "outbound_email", ""),
        ("website", "content", ""),
        ("website", "demo", ""),
    ]
    assert {c.points for c in top} == {5.0}


def test_top_n_limits_the_list():
    assert len(score(WORKED_EXAMPLE).top) == 5
    assert len(score(WORKED_EXAMPLE, top_n=2).top) == 2
    assert score(WORKED_EXAMPLE, top_n=0).top == ()
