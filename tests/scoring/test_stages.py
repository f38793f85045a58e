import pytest

from intentsync.kit.clock import DAY_MS
from intentsync.scoring.compute import DailySignal, score_account
from intentsync.scoring.config import ScoringConfig, default_config, parse_config, set_value
from intentsync.scoring.stages import candidate_stage, entered_ms, iso_day, next_stage

AS_OF = 20_777  # 2026-11-20
DEFAULT = parse_config(default_config(), version=1)


def sig(source, type_, age, quantity=1.0, detail="", value=0.0):
    return DailySignal(source, type_, AS_OF - age, quantity, detail, value)


def stage_of(signals, *, open_deals=0, won_deals=0, config: ScoringConfig = DEFAULT):
    score = score_account(signals, as_of=AS_OF, config=config)
    return candidate_stage(
        signals,
        as_of=AS_OF,
        score=score,
        open_deals=open_deals,
        won_deals=won_deals,
        config=config,
    )


def test_iso_day():
    assert iso_day(AS_OF) == "2026-11-20"
    assert iso_day(0) == "1970-01-01"


# --- candidate_stage ----------------------------------------------------------------------------

STRONG_WEBSITE = [sig("website", "demo", 0, 10), sig("website", "pricing", 0, 10)]


def test_won_deal_makes_a_customer_whatever_else_happens():
    assert stage_of(STRONG_WEBSITE, open_deals=2, won_deals=1) == ("Customer", "has a won deal")
    assert stage_of([], won_deals=3) == ("Customer", "has 3 won deals")


def test_open_deal_makes_an_opportunity():
    assert stage_of(STRONG_WEBSITE, open_deals=1) == ("Opportunity", "has an open deal")
    assert stage_of([], open_deals=2) == ("Opportunity", "has 2 open deals")


def test_consideration_by_overall_score():
    signals = [
        *STRONG_WEBSITE,
        sig("g2", "pricing", 0, 4),
        sig("g2", "compare", 0, 7),
        sig("bombora", "surge", 0, 1, "crm", 100),
        sig("bombora", "surge", 0, 1, "erp", 100),
    ]
    assert stage_of(signals) == ("Consideration", "overall score 62 ≥ 40")


def test_consideration_by_a_sub_score():
    # 2 LinkedIn lead forms 40 days ago: sub-score 55, overall 8, no strong signal
    assert stage_of([sig("linkedin", "lead_form", 40, 2)]) == (
        "Consideration",
        "LinkedIn score 55 ≥ 50",
    )


@pytest.mark.parametrize(
    ("source", "type_", "reason"),
    [
        ("website", "demo", "website demo page view on 2026-11-07"),
        ("website", "pricing", "website pricing page view on 2026-11-07"),
        ("g2", "pricing", "G2 pricing signal on 2026-11-07"),
        ("g2", "compare", "G2 compare signal on 2026-11-07"),
        ("g2", "competitor", "G2 competitor signal on 2026-11-07"),
        ("sales", "inbound", "inbound sales touch on 2026-11-07"),
    ],
)
def test_consideration_by_a_strong_signal_in_the_last_14_days(source, type_, reason):
    assert stage_of([sig(source, type_, 13)]) == ("Consideration", reason)
    older, _ = stage_of([sig(source, type_, 14)])
    assert older == "Aware"


def test_strong_signal_reason_names_the_newest_one():
    signals = [sig("website", "demo", 10), sig("g2", "compare", 3), sig("website", "pricing", 3)]
    assert stage_of(signals) == ("Consideration", "website pricing page view on 2026-11-17")


def test_aware_by_overall_score():
    signals = [sig("website", "product", 15, 6), sig("g2", "profile", 15, 5)]
    assert stage_of(signals) == ("Aware", "overall score 16 ≥ 10")


@pytest.mark.parametrize(
    ("signal", "reason"),
    [
        (sig("linkedin", "impression", 29, 10), "LinkedIn impression signal on 2026-10-22"),
        (sig("linkedin", "lead_form", 29, 0.1), "LinkedIn lead form signal on 2026-10-22"),
        (sig("website", "content", 29), "website content page view on 2026-10-22"),
        (sig("sales", "outbound_email", 5), "outbound sales email on 2026-11-15"),
        (sig("sales", "outbound_call", 5), "outbound sales call on 2026-11-15"),
        (sig("sales", "connected_call", 5), "connected sales call on 2026-11-15"),
        (
            sig("bombora", "surge", 4, 1, "crm", 60),
            "Bombora surge on 'crm' in the week of 2026-11-16",
        ),
    ],
)
def test_aware_by_any_signal_in_the_last_30_days(signal, reason):
    assert stage_of([signal]) == ("Aware", reason)


def test_unaware_when_nothing_recent_counts():
    expected = ("Unaware", "overall score 0 < 10 and no signals in the last 30 days")
    assert stage_of([]) == expected
    assert stage_of([sig("linkedin", "impression", 30, 10)]) == expected
    assert stage_of([sig("website", "ignored", 0, 10)]) == expected
    assert stage_of([sig("bombora", "surge", 0, 1, "crm", 59)]) == expected
    assert stage_of([sig("website", "content", 0, 0)]) == expected
    assert stage_of([sig("website", "demo", -1)]) == expected
    assert stage_of([sig("website", "visitor", 0, 1, "v1")])[0] == "Unaware"


def test_disabled_sources_are_no_evidence():
    config = parse_config(set_value(default_config(), "enabled.website", "false"), version=2)
    assert stage_of(STRONG_WEBSITE, config=config)[0] == "Unaware"


def test_thresholds_come_from_the_config():
    doc = set_value(default_config(), "stages.consideration_days", "30")
    config = parse_config(doc, version=2)
    assert stage_of([sig("website", "demo", 20)], config=config) == (
        "Consideration",
        "website demo page view on 2026-10-31",
    )


# --- next_stage ---------------------------------------------------------------------------------


def decide(current, candidate, *, pending=None, since=None, as_of=AS_OF, downgrade_days=7):
    return next_stage(
        current=current,
        candidate=candidate,
        reason="why",
        pending_stage=pending,
        pending_since_day=since,
        as_of=as_of,
        downgrade_days=downgrade_days,
    )


def test_moving_up_is_at_once():
    decision = decide("Aware", "Consideration", pending="Unaware", since=AS_OF - 3)
    assert decision.stage == "Consideration"
    assert decision.changed
    assert decision.reason == "why"
    assert (decision.pending_stage, decision.pending_since_day) == (None, None)


def test_same_stage_is_no_change_and_clears_pending():
    decision = decide("Aware", "Aware", pending="Unaware", since=AS_OF - 3)
    assert (decision.stage, decision.changed) == ("Aware", False)
    assert (decision.pending_stage, decision.pending_since_day) == (None, None)


def test_moving_down_starts_a_pending_downgrade():
    decision = decide("Consideration", "Aware")
    assert (decision.stage, decision.changed) == ("Consideration", False)
    assert (decision.pending_stage, decision.pending_since_day) == ("Aware", AS_OF)
    assert decision.reason == "Aware pending since 2026-11-20 (0 of 7 days): why"


def test_moving_down_waits_until_the_lower_stage_held_7_days():
    since = AS_OF - 6
    decision = decide("Consideration", "Aware", pending="Aware", since=since)
    assert (decision.stage, decision.changed) == ("Consideration", False)
    assert (decision.pending_stage, decision.pending_since_day) == ("Aware", since)

    decision = decide("Consideration", "Aware", pending="Aware", since=AS_OF - 7)
    assert (decision.stage, decision.changed) == ("Aware", True)
    assert decision.reason == "why; Aware held for 7 days"
    assert (decision.pending_stage, decision.pending_since_day) == (None, None)


def test_pending_restarts_when_the_lower_candidate_changes():
    decision = decide("Consideration", "Unaware", pending="Aware", since=AS_OF - 10)
    assert (decision.stage, decision.changed) == ("Consideration", False)
    assert (decision.pending_stage, decision.pending_since_day) == ("Unaware", AS_OF)


def test_daily_flapping_never_moves_down():
    current, pending, since = "Consideration", None, None
    for day in range(20):
        candidate = "Aware" if day % 2 == 0 else "Consideration"
        decision = decide(current, candidate, pending=pending, since=since, as_of=AS_OF + day)
        current, pending, since = decision.stage, decision.pending_stage, decision.pending_since_day
        assert current == "Consideration"


def test_a_steady_lower_candidate_moves_down_on_the_seventh_day():
    current, pending, since = "Consideration", None, None
    moved_on = None
    for day in range(10):
        decision = decide(current, "Aware", pending=pending, since=since, as_of=AS_OF + day)
        current, pending, since = decision.stage, decision.pending_stage, decision.pending_since_day
        if decision.changed:
            moved_on = day
            break
    assert (current, moved_on) == ("Aware", 7)


@pytest.mark.parametrize(
    ("current", "candidate"),
    [
        ("Consideration", "Opportunity"),
        ("Opportunity", "Aware"),
        ("Opportunity", "Unaware"),
        ("Customer", "Opportunity"),
        ("Customer", "Consideration"),
    ],
)
def test_deal_driven_stages_change_at_once(current, candidate):
    decision = decide(current, candidate, pending="Aware", since=AS_OF - 1)
    assert (decision.stage, decision.changed) == (candidate, True)
    assert (decision.pending_stage, decision.pending_since_day) == (None, None)


def test_zero_downgrade_days_moves_down_at_once():
    assert decide("Consideration", "Aware", downgrade_days=0).stage == "Aware"


@pytest.mark.parametrize("current", ["", "Lead", "unaware"])
def test_an_unknown_current_stage_counts_as_unaware(current):
    assert decide(current, "Unaware").changed is False
    assert decide(current, "Unaware").stage == "Unaware"
    assert decide(current, "Aware").stage == "Aware"
    assert decide(current, "Aware").changed is True


def test_an_unknown_candidate_is_a_bug():
    with pytest.raises(ValueError, match="unknown journey stage"):
        decide("Aware", "Lead")


# --- entered_ms ---------------------------------------------------------------------------------


def test_a_run_as_of_a_past_day_enters_the_stage_at_the_start_of_that_day():
    stamp = AS_OF * DAY_MS + 5 * 3_600_000
    assert entered_ms(as_of=AS_OF - 7, stamp=stamp) == (AS_OF - 7) * DAY_MS
    assert entered_ms(as_of=AS_OF, stamp=stamp) == stamp
    assert entered_ms(as_of=AS_OF + 1, stamp=stamp) == stamp
