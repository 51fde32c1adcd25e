"""Chart geometry for the server-rendered SVGs. Pure: numbers in, shapes out, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# One colour per scoring factor; every one has at least 3:1 contrast against white (WCAG 1.4.11).
FACTOR_COLOURS: dict[str, str] = {
    "strategic_importance": "#1f4e9c",
    "segment_weight": "#6a3d9a",
    "pain": "#b8322a",
    "reach": "#a15c00",
    "repeat_demand": "#1b7837",
    "satisfaction_gap": "#b0196f",
    "effort": "#0b7285",
    "age": "#6b5a00",
    "maturity_fit": "#50616f",
    "volume_dampening": "#8c1d18",
}
SPARE_COLOURS = ("#374151", "#7c2d12", "#14532d", "#3730a3", "#831843")
FACTOR_LABELS: dict[str, str] = {
    "strategic_importance": "Strategic importance",
    "segment_weight": "Segment weight",
    "pain": "Pain (severity, urgency)",
    "reach": "Reach (people affected)",
    "repeat_demand": "Repeat demand",
    "satisfaction_gap": "Satisfaction gap",
    "effort": "Quick win (value per effort)",
    "age": "Waiting time",
    "maturity_fit": "Maturity fit",
    "volume_dampening": "Volume dampening",
}


def factor_label(name: str) -> str:
    return FACTOR_LABELS.get(name, name.replace("_", " ").capitalize())


def factor_colour(name: str) -> str:
    if name in FACTOR_COLOURS:
        return FACTOR_COLOURS[name]
    return SPARE_COLOURS[sum(map(ord, name)) % len(SPARE_COLOURS)]


@dataclass(frozen=True)
class Segment:
    name: str
    label: str
    colour: str
    x: float
    width: float
    contribution: float
    value: float
    weight: float


@dataclass(frozen=True)
class StackedBar:
    """Positive contributions stacked from 0; what negative ones take away is hatched at the end."""

    segments: list[Segment]
    minus_x: float
    minus_width: float
    score: float
    summary: str


def positive_total(factors: Iterable[Mapping]) -> float:
    return sum(max(float(f.get("contribution", 0.0)), 0.0) for f in factors)


def stacked_bar(factors: Sequence[Mapping], scale: float, width: float = 1000.0) -> StackedBar:
    """Geometry of one item's factor bar; `scale` is the largest positive total on the page."""
    scale = scale if scale > 0 else 1.0
    segments, x = [], 0.0
    ordered = sorted(factors, key=lambda f: -float(f.get("contribution", 0.0)))
    for factor in ordered:
        contribution = float(factor.get("contribution", 0.0))
        if contribution <= 0:
            continue
        share = contribution / scale * width
        segments.append(Segment(factor["name"], factor_label(factor["name"]),
                                factor_colour(factor["name"]), round(x, 2), round(share, 2),
                                contribution, float(factor.get("value", 0.0)),
                                float(factor.get("weight", 0.0))))
        x += share
    minus = -sum(min(float(f.get("contribution", 0.0)), 0.0) for f in factors)
    minus_width = min(minus / scale * width, x)
    score = sum(float(f.get("contribution", 0.0)) for f in factors)
    top = ", ".join(f"{s.label} {s.contribution:.2f}" for s in segments[:3])
    summary = f"Score {score:.2f}: largest contributions {top or 'none'}"
    if minus > 0:
        summary += f"; {minus:.2f} taken away by dampening"
    return StackedBar(segments, round(x - minus_width, 2), round(minus_width, 2), score, summary)


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    label: str
    value: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: float
    plot_height: float
    series: dict[str, list[LinePoint]]
    y_ticks: list[tuple[float, float]]
    x_labels: list[tuple[float, str]]
    threshold_y: float | None


def line_chart(periods: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
               low: float = 1.0, high: float = 5.0, threshold: float | None = None,
               width: int = 340, height: int = 150) -> LineChart:
    """Points of one or more series over periods, on a fixed low..high scale."""
    left, top, right, bottom = 30, 10, 18, 26
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(index: int) -> float:
        if len(periods) <= 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(periods) - 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return top + plot_h * (1 - (clamped - low) / (high - low))

    lines = {name: [LinePoint(round(x_of(i), 1), round(y_of(v), 1), periods[i], v)
                    for i, v in enumerate(values) if v is not None]
             for name, values in series.items()}
    ticks = [(round(y_of(v), 1), v) for v in _ticks(low, high)]
    step = max(1, len(periods) // 6)
    x_labels = [(round(x_of(i), 1), p) for i, p in enumerate(periods) if i % step == 0]
    return LineChart(width, height, left, top, plot_w, plot_h, lines, ticks, x_labels,
                     round(y_of(threshold), 1) if threshold is not None else None)


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = 1.0 if span <= 5 else (span / 4)
    values, value = [], low
    while value <= high + 1e-9:
        values.append(round(value, 2))
        value += step
    return values


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_labels(periods: Sequence[str]) -> list[str]:
    """`2026-03` → `Mar`; the first label and every January carry the year."""
    labels = []
    for index, period in enumerate(periods):
        year, _, month = period.partition("-")
        if not month.isdigit() or not 1 <= int(month) <= 12:
            labels.append(period)
            continue
        name = MONTHS[int(month) - 1]
        labels.append(f"{name} {year}" if index == 0 or month == "01" else name)
    return labels


def recent_points(points: Sequence[Mapping], at_least: int = 6) -> list[Mapping]:
    """The trend from its first month with answers, but never fewer than `at_least` months."""
    first = next((i for i, p in enumerate(points) if p.get("responses")), len(points))
    return list(points[max(0, min(first, len(points) - at_least)):])


def points_attr(points: Sequence[LinePoint]) -> str:
    return " ".join(f"{p.x},{p.y}" for p in points)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    width: float
    below: bool
    note: str


def meter_bars(rows: Sequence[tuple[str, float | None, str]], *, high: float, floor: float,
               width: float = 100.0) -> list[Bar]:
    """Horizontal bars as percentages of `high`; `below` marks a value under the floor."""
    bars = []
    for label, value, note in rows:
        share = 0.0 if value is None else max(0.0, min(value / high, 1.0)) * width
        bars.append(Bar(label, value, round(share, 2), value is not None and value < floor, note))
    return bars
