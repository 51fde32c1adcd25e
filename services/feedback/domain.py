"""feedback's rules: score scales, NPS, the detractor rule, alert states and summary math. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.errors import Conflict, IllegalTransition


class Segment(StrEnum):
    EXECUTIVE = "executive"
    PROGRAM_LEADER = "program_leader"
    DELIVERY_TEAM = "delivery_team"
    FUNCTIONAL_PARTNER = "functional_partner"
    OTHER = "other"


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class SurveyStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


RETIRED = "retired"
DELIVERED = "delivered"

# Contract §4 scales.
CSAT_RANGE = (1, 5)
PERCEIVED_VALUE_RANGE = (1, 5)
NPS_RANGE = (0, 10)
EFFORT_RANGE = (1, 7)

# Contract §4: a detractor is csat <= 2 or nps <= 6; NPS promoters answer 9 or 10.
LOW_CSAT = 2
NPS_DETRACTOR_MAX = 6
NPS_PROMOTER_MIN = 9

PLACES = Decimal("0.01")


# --- detractor follow-up --------------------------------------------------------------------

def detractor_reasons(csat: int, nps: int | None) -> list[str]:
    """Why a response needs follow-up; empty when it does not."""
    reasons = []
    if csat <= LOW_CSAT:
        reasons.append(f"csat {csat} is {LOW_CSAT} or less")
    if nps is not None and nps <= NPS_DETRACTOR_MAX:
        reasons.append(f"nps {nps} is a detractor score ({NPS_DETRACTOR_MAX} or less)")
    return reasons


def overdue_cutoff(now: datetime, overdue_days: int) -> datetime:
    """Open alerts opened before this moment are overdue."""
    return now - timedelta(days=overdue_days)


def is_overdue(status: str, opened_at: datetime, now: datetime, overdue_days: int) -> bool:
    return status == AlertStatus.OPEN and opened_at < overdue_cutoff(now, overdue_days)


def check_resolvable(status: str) -> None:
    """An alert is resolved once; a second resolve is a conflict that names no allowed move."""
    if status != AlertStatus.OPEN:
        raise IllegalTransition(status, AlertStatus.RESOLVED.value, [])


def check_assignable(status: str) -> None:
    if status != AlertStatus.OPEN:
        raise Conflict(f"a {status} alert cannot be reassigned")


# --- summary math ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Rating:
    """One response as the summaries see it."""

    csat: int
    perceived_value: int
    nps: int | None
    effort: int | None
    segment: str
    at: datetime


@dataclass(frozen=True)
class Scores:
    """Headline numbers over a set of ratings; null where no rating answered the question."""

    responses: int
    csat_avg: float | None
    perceived_value_avg: float | None
    nps: float | None
    effort_avg: float | None


@dataclass(frozen=True)
class TrendPoint:
    period: str
    csat_avg: float | None
    perceived_value_avg: float | None
    responses: int


def _two_places(numerator: int, denominator: int) -> float:
    """numerator / denominator to 2 decimals, halves away from zero, with no binary drift."""
    return float((Decimal(numerator) / Decimal(denominator)).quantize(PLACES, ROUND_HALF_UP))


def average(values: Iterable[int | None]) -> float | None:
    """Mean of the answers given (nulls skipped), to 2 decimals; null when none were given."""
    given = [value for value in values if value is not None]
    return _two_places(sum(given), len(given)) if given else None


def net_promoter_score(answers: Iterable[int | None]) -> float | None:
    """% promoters (9-10) minus % detractors (0-6) over the answers given; null when none."""
    given = [answer for answer in answers if answer is not None]
    if not given:
        return None
    promoters = sum(1 for answer in given if answer >= NPS_PROMOTER_MIN)
    detractors = sum(1 for answer in given if answer <= NPS_DETRACTOR_MAX)
    return _two_places(100 * (promoters - detractors), len(given))


def scores(ratings: Iterable[Rating]) -> Scores:
    ratings = list(ratings)
    return Scores(responses=len(ratings),
                  csat_avg=average(r.csat for r in ratings),
                  perceived_value_avg=average(r.perceived_value for r in ratings),
                  nps=net_promoter_score(r.nps for r in ratings),
                  effort_avg=average(r.effort for r in ratings))


def scores_by_segment(ratings: Iterable[Rating]) -> dict[str, Scores]:
    """Scores per customer segment, only for segments that answered, keys in name order."""
    grouped: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        grouped[rating.segment].append(rating)
    return {segment: scores(grouped[segment]) for segment in sorted(grouped)}


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) a moment falls in, as YYYY-MM."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(start: datetime, end: datetime) -> list[str]:
    """Every calendar month (UTC) from start's to end's, both included, ascending."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    year, month = start.year, start.month
    months = []
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_trend(ratings: Iterable[Rating], start: datetime, end: datetime) -> list[TrendPoint]:
    """One point per calendar month of the window, ascending; a month without answers shows 0."""
    grouped: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        grouped[month_of(rating.at)].append(rating)
    points = []
    for period in months_between(start, end):
        month = grouped.get(period, [])
        points.append(TrendPoint(period=period, csat_avg=average(r.csat for r in month),
                                 perceived_value_avg=average(r.perceived_value for r in month),
                                 responses=len(month)))
    return points


def window_start(now: datetime, window_days: int) -> datetime:
    return now - timedelta(days=window_days)
