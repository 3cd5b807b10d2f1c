"""The mutu baku charts' geometry: bars as wide as the share within the standard, and each
step's strip with its bins, the standard's line and the median and 90th percentile marks."""
from datetime import timedelta

from webapp.reports import charts
from webapp.reports.services import BIN_COUNT, StepFigures
from webapp.reports.steps import measure

MIN = timedelta(minutes=1)


def _figures(key="disposisi", bins=(0, 0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 1), median=7 * MIN, p90=15 * MIN):
    count = sum(bins)
    return StepFigures(measure=measure(key), count=count, within=sum(bins[:4]), median=median, p90=p90,
                       slowest=20 * MIN if count else None, bins=tuple(bins))


def test_bars_show_the_share_within_and_an_empty_step_apart():
    chart = charts.share_bars([_figures(), _figures("tiba", bins=(0,) * BIN_COUNT, median=None, p90=None)])
    full, empty = chart.bars
    assert full.percent == 43 and full.within_width == round(charts.BAR_WIDTH * 3 / 7, 1)
    assert full.within_width + full.over_width == charts.BAR_WIDTH and full.label == "2 · Disposisi"
    assert empty.percent is None and empty.within_width == 0 and empty.y == charts.BAR_HEIGHT + charts.BAR_GAP


def test_the_strip_puts_the_standard_at_a_third_and_marks_median_and_p90():
    strip = charts.strip(_figures())
    assert strip.width == BIN_COUNT * charts.STRIP_BIN and strip.standard_x == 4 * charts.STRIP_BIN
    tallest = max(strip.bins, key=lambda b: b.height)
    assert tallest.count == 2 and tallest.height == charts.STRIP_HEIGHT and tallest.within
    assert strip.bins[12].count == 1 and not strip.bins[12].within and strip.bins[12].high is None
    assert strip.bins[5].height == charts.STRIP_HEIGHT / 2
    assert strip.median.x == 7 / 5 * 4 * charts.STRIP_BIN and strip.p90.x == 3 * 4 * charts.STRIP_BIN
    slow = charts.strip(_figures(median=timedelta(hours=1), p90=timedelta(hours=2)))
    assert slow.median.x == slow.p90.x == (BIN_COUNT - 0.5) * charts.STRIP_BIN      # off the scale: the last bin
