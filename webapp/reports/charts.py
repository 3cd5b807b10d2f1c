"""The dashboard's charts as plain geometry for small SVG templates (reports/_charts.html): no
chart library, no script, nothing from outside. Sizes are in the SVG's own units (viewBox);
the page scales them.

    share_bars(steps) -> ShareChart     one bar per step: the share within its standard
    strip(figures) -> Strip             one step's durations, binned in quarters of its standard
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from webapp.reports.services import BIN_COUNT, QUARTERS, StepFigures

BAR_LABEL_WIDTH = 200
BAR_WIDTH = 320
BAR_HEIGHT = 22
BAR_GAP = 12
BAR_VALUE_WIDTH = 70

STRIP_BIN = 18                 # width of one bin (a quarter of the standard)
STRIP_HEIGHT = 36              # tallest bar
STRIP_TOP = 6
STRIP_AXIS = 14                # room for the axis labels below


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    heading: str
    within_width: float
    over_width: float
    percent: int | None
    within: int
    count: int


@dataclass(frozen=True)
class ShareChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = BAR_LABEL_WIDTH
    bar_width: int = BAR_WIDTH
    bar_height: int = BAR_HEIGHT


def share_bars(steps: list[StepFigures]) -> ShareChart:
    bars = []
    for row, figures in enumerate(steps):
        share = figures.share_within
        within = BAR_WIDTH * share if share is not None else 0.0
        m = figures.measure
        label = str(m.label) if m.rule is not None else f"{m.step.number} · {m.label}"
        bars.append(Bar(y=row * (BAR_HEIGHT + BAR_GAP), label=label,
                        heading=figures.measure.heading, within_width=round(within, 1),
                        over_width=round(BAR_WIDTH - within, 1) if share is not None else 0.0,
                        percent=figures.percent_within, within=figures.within, count=figures.count))
    height = max(1, len(steps)) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    return ShareChart(bars=bars, width=BAR_LABEL_WIDTH + BAR_WIDTH + BAR_VALUE_WIDTH, height=height)


@dataclass(frozen=True)
class StripBin:
    x: int
    y: float
    height: float
    count: int
    within: bool
    low: timedelta               # the bin holds durations in (low, high]; the last one: over low
    high: timedelta | None


@dataclass(frozen=True)
class Marker:
    x: float
    value: timedelta


@dataclass(frozen=True)
class Strip:
    bins: list[StripBin]
    width: int
    height: int
    baseline: int
    standard_x: int
    standard: timedelta
    median: Marker | None
    p90: Marker | None
    ticks: list[tuple[int, int]]          # (x, multiple of the standard) under the axis


def _x_of(value: timedelta, standard: timedelta) -> float:
    """Where a duration sits on the strip (the last bin's middle for anything over 3×)."""
    quarters = max(value / standard * QUARTERS, 0.0)
    return round(min(quarters, BIN_COUNT - 0.5) * STRIP_BIN, 1)


def strip(figures: StepFigures) -> Strip:
    standard = figures.measure.standard
    tallest = max(figures.bins) if figures.bins else 0
    baseline = STRIP_TOP + STRIP_HEIGHT
    bins = []
    for i, count in enumerate(figures.bins):
        height = round(STRIP_HEIGHT * count / tallest, 1) if tallest else 0.0
        if count and height < 2:
            height = 2.0                                   # one case still shows
        last = i == BIN_COUNT - 1
        bins.append(StripBin(x=i * STRIP_BIN, y=round(baseline - height, 1), height=height, count=count,
                             within=i < QUARTERS, low=standard * i / QUARTERS,
                             high=None if last else standard * (i + 1) / QUARTERS))
    return Strip(bins=bins, width=BIN_COUNT * STRIP_BIN, height=baseline + STRIP_AXIS, baseline=baseline,
                 standard_x=QUARTERS * STRIP_BIN, standard=standard,
                 median=Marker(_x_of(figures.median, standard), figures.median) if figures.median is not None else None,
                 p90=Marker(_x_of(figures.p90, standard), figures.p90) if figures.p90 is not None else None,
                 ticks=[(k * QUARTERS * STRIP_BIN, k) for k in range(0, 4)])
