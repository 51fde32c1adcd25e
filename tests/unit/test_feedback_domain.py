"""feedback's pure rules against hand-computed cases: averages, NPS, detractors, trend, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.feedback import domain
from services.feedback.domain import Rating, Scores, TrendPoint
from shared.errors import Conflict, IllegalTransition


def rating(csat: int, value: int, nps: int | None, effort: int | None, segment: str,
           at: datetime) -> Rating:
    return Rating(csat=csat, perceived_value=value, nps=nps, effort=effort, segment=segment, at=at)


def day(year: int, month: int, dom: int) -> datetime:
    return datetime(year, month, dom, 12, tzinfo=UTC)


@pytest.mark.parametrize(("values", "expected"), [
    ([4, 5, 5], 4.67),          # 14 / 3 = 4.666…
    ([1, 2], 1.5),
    ([None, 3], 3.0),           # unanswered questions do not count
    ([2, 2, 2, 2, 2, 2, 2, 3], 2.13),  # 17 / 8 = 2.125: halves go away from zero, not to even
    ([], None),
    ([None, None], None),
])
def test_average_is_mean_of_given_answers_to_two_places(values, expected):
    assert domain.average(values) == expected


@pytest.mark.parametrize(("answers", "expected"), [
    ([10, 9, 8, 7, 6, 0], 0.0),     # 2 promoters, 2 passives, 2 detractors
    ([10, 9, 9, 3], 50.0),          # (3 - 1) / 4
    ([9, 5, 5], -33.33),            # (1 - 2) / 3 = -33.333…
    ([10, 7, 8], 33.33),            # passives (7-8) only dilute
    ([10], 100.0),
    ([0, 6], -100.0),
    ([None, 10, None, 6], 0.0),     # only the responses that gave an nps count
    ([None, None], None),
    ([], None),
])
def test_nps_is_promoters_minus_detractors_in_percent(answers, expected):
    assert domain.net_promoter_score(answers) == expected


@pytest.mark.parametrize(("csat", "nps", "flags"), [
    (2, None, ["csat"]),
    (1, 0, ["csat", "nps"]),
    (3, 6, ["nps"]),
    (5, 6, ["nps"]),
    (3, 7, []),
    (3, None, []),
    (5, 10, []),
])
def test_detractor_rule_is_low_csat_or_low_nps(csat, nps, flags):
    reasons = domain.detractor_reasons(csat, nps)
    assert [reason.split()[0] for reason in reasons] == flags


def test_scores_and_segments_on_a_hand_computed_set():
    ratings = [
        rating(5, 4, 10, 2, "executive", day(2026, 1, 10)),
        rating(2, 2, 3, 6, "delivery_team", day(2026, 1, 20)),
        rating(4, 5, None, None, "executive", day(2026, 2, 5)),
        rating(3, 3, 8, 4, "executive", day(2026, 3, 1)),
        rating(4, 4, 6, 3, "delivery_team", day(2026, 3, 10)),
    ]
    # csat 18/5, value 18/5, nps (1 promoter - 2 detractors)/4, effort 15/4
    assert domain.scores(ratings) == Scores(5, 3.6, 3.6, -25.0, 3.75)
    assert domain.scores_by_segment(ratings) == {
        "delivery_team": Scores(2, 3.0, 3.0, -100.0, 4.5),
        "executive": Scores(3, 4.0, 4.0, 50.0, 3.0),
    }
    assert list(domain.scores_by_segment(ratings)) == ["delivery_team", "executive"]
    assert domain.monthly_trend(ratings, day(2025, 12, 15), day(2026, 3, 15)) == [
        TrendPoint("2025-12", None, None, 0),
        TrendPoint("2026-01", 3.5, 3.0, 2),
        TrendPoint("2026-02", 4.0, 5.0, 1),
        TrendPoint("2026-03", 3.5, 3.5, 2),
    ]


def test_scores_of_nothing_are_null_not_zero():
    assert domain.scores([]) == Scores(0, None, None, None, None)
    assert domain.scores_by_segment([]) == {}


def test_months_cross_the_year_and_use_utc():
    assert domain.months_between(day(2025, 11, 20), day(2026, 2, 3)) == [
        "2025-11", "2025-12", "2026-01", "2026-02"]
    assert domain.months_between(day(2026, 3, 1), day(2026, 3, 31)) == ["2026-03"]
    # 23:30 UTC on 31 March is already April in UTC+5; the month is the UTC one.
    april_in_the_east = datetime(2026, 3, 31, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=5)))
    assert domain.month_of(april_in_the_east) == "2026-03"


def test_window_start_counts_days_back_from_now():
    assert domain.window_start(day(2026, 3, 15), 90) == day(2025, 12, 15)


def test_overdue_is_open_and_strictly_older_than_the_deadline():
    now = day(2026, 3, 15)
    assert domain.is_overdue("open", now - timedelta(days=8), now, 7)
    assert not domain.is_overdue("open", now - timedelta(days=7), now, 7)
    assert not domain.is_overdue("resolved", now - timedelta(days=30), now, 7)
    assert domain.overdue_cutoff(now, 7) == day(2026, 3, 8)


def test_an_alert_is_resolved_once_and_not_reassigned_after():
    domain.check_resolvable("open")
    domain.check_assignable("open")
    with pytest.raises(IllegalTransition) as resolved_twice:
        domain.check_resolvable("resolved")
    assert resolved_twice.value.status == 409 and resolved_twice.value.extra["allowed"] == []
    with pytest.raises(Conflict):
        domain.check_assignable("resolved")
