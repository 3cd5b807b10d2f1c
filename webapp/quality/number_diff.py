"""Where two NIK / No. KK differ, without showing either whole.

The usual mask shows the first and last four digits (`6306••••••••0001`): two numbers that differ
only in the middle look the same. Side by side, each number keeps that mask, the common middle
digits stay hidden, and the positions that differ are marked; a differing middle digit is shown
only while few differ (at most MAX_SHOWN), so a comparison never spells out a whole number."""
from __future__ import annotations

from dataclasses import dataclass

MASK = "•"
HIDDEN_DIFF = "✱"          # a differing middle position whose digit stays hidden
VISIBLE_EDGE = 4
MAX_SHOWN = 4


@dataclass(frozen=True)
class Digit:
    char: str
    differs: bool


def compare_numbers(a: str | None, b: str | None) -> tuple[list[Digit], list[Digit], int] | None:
    """Both 16-digit numbers masked as above, and how many positions differ; None when they
    cannot be compared digit by digit (one missing, another length): show them with `|mask`."""
    a, b = (a or "").strip(), (b or "").strip()
    if len(a) != 16 or len(b) != 16:
        return None
    middle = range(VISIBLE_EDGE, len(a) - VISIBLE_EDGE)
    differing = [i for i in range(len(a)) if a[i] != b[i]]
    show_middle = sum(1 for i in differing if i in middle) <= MAX_SHOWN
    left, right = [], []
    for i, (ca, cb) in enumerate(zip(a, b)):
        differs = ca != cb
        if i not in middle:
            left.append(Digit(ca, differs))
            right.append(Digit(cb, differs))
        elif not differs:
            left.append(Digit(MASK, False))
            right.append(Digit(MASK, False))
        elif show_middle:
            left.append(Digit(ca, True))
            right.append(Digit(cb, True))
        else:
            left.append(Digit(HIDDEN_DIFF, True))
            right.append(Digit(HIDDEN_DIFF, True))
    return left, right, len(differing)
