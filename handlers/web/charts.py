"""Bar charts as inline SVG, drawn on the server: the figures page needs no script.

One chart per rate (按期答复率, 办结率, 满意率): a bar per week, its height the rate, none where
the rate is undefined (nothing to divide by) rather than a made-up zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.figures.compute import Figures, Stats, percent

WIDTH, HEIGHT, GAP = 320, 120, 6
"""The chart's drawing box (scaled by the page to the screen's width)."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    """The week's first day (MM-DD)."""
    value: str
    """The rate in words, ``80%`` or ``—``."""


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT


RATES = (
    ("按期答复率", "on_time_rate"),
    ("办结率", "resolve_rate"),
    ("满意率", "satisfaction_rate"),
)


def rate_charts(weeks: Sequence[Stats], labels: Sequence[str]) -> list[Chart]:
    """A chart of each rate of the weeks' totals, weeks labelled by ``labels``."""
    return [Chart(title, _bars([w.total for w in weeks], attribute, labels)) for title, attribute
            in RATES]  # fmt: skip


def _bars(figures: Sequence[Figures], attribute: str, labels: Sequence[str]) -> tuple[Bar, ...]:
    slot = WIDTH / max(len(figures), 1)
    bars = []
    for index, (one, label) in enumerate(zip(figures, labels, strict=True)):
        rate: float | None = getattr(one, attribute)
        height = 0.0 if rate is None else rate * HEIGHT
        bars.append(
            Bar(index * slot + GAP / 2, HEIGHT - height, slot - GAP, height, label, percent(rate))
        )
    return tuple(bars)
