"""Small server-side charts: series in, SVG primitives out (the template draws them).

No JavaScript chart library and no inline styles (the CSP forbids both): a chart is a
``viewBox`` plus rectangles, lines and labels with coordinates computed here, each bar with
a ``<title>`` tooltip; the template adds a text table beside every chart for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    css: str
    values: Sequence[int]


@dataclass(slots=True)
class ColumnChart:
    """Grouped vertical bars over a time axis, with a few horizontal grid lines."""

    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    grid: list[Label] = field(default_factory=list)  # y of each line and its value
    x_labels: list[Label] = field(default_factory=list)
    baseline: float = 0.0
    plot_left: float = 0.0
    plot_right: float = 0.0
    maximum: int = 0

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def column_chart(
    labels: Sequence[str],
    titles: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 220,
    label_every: int = 1,
) -> ColumnChart:
    """Bars of ``series`` side by side in each slot; ``titles`` name the slots in tooltips."""
    left, right, top, bottom = 40.0, 6.0, 10.0, 24.0
    chart = ColumnChart(width=width, height=height, plot_left=left, plot_right=width - right)
    top_value = max((v for s in series for v in s.values), default=0)
    chart.maximum = nice_ceiling(top_value)
    plot_h = height - top - bottom
    chart.baseline = top + plot_h
    for i in range(5):
        value = chart.maximum * i / 4
        y = chart.baseline - plot_h * i / 4
        chart.grid.append(Label(left - 6, round(y, 1), _short(value)))
    slots = max(len(labels), 1)
    slot_w = (width - left - right) / slots
    gap = max(slot_w * 0.18, 1.0)
    bar_w = (slot_w - gap) / max(len(series), 1)
    for index, label in enumerate(labels):
        x0 = left + index * slot_w + gap / 2
        for n, one in enumerate(series):
            value = one.values[index]
            h = plot_h * value / chart.maximum
            chart.bars.append(
                Bar(
                    x=round(x0 + n * bar_w, 2),
                    y=round(chart.baseline - h, 2),
                    width=round(max(bar_w - 1, 1), 2),
                    height=round(h, 2),
                    css=one.css,
                    title=f"{titles[index]} · {one.name}: {value}",
                )
            )
        if index % label_every == 0:
            chart.x_labels.append(Label(round(x0 + (slot_w - gap) / 2, 1), height - 6, label))
    return chart


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a horizontal bar list: the bar spans ``share`` (0–100) of its track."""

    key: str
    label: str
    value: int
    share: float
    percent: float | None = None


def bar_rows(items: Sequence[tuple[str, str, int]], *, base: int | None = None) -> list[Row]:
    """``(key, label, value)`` items as rows scaled to the largest value; ``base`` (e.g. the
    messages sent, for a funnel) adds a percentage of it, capped at 100."""
    top = max((value for _key, _label, value in items), default=0)
    rows = []
    for key, label, value in items:
        share = round(100 * value / top, 2) if top else 0.0
        percent = None
        if base is not None:
            percent = round(min(100.0, 100 * value / base), 1) if base else 0.0
        rows.append(Row(key=key, label=label, value=value, share=share, percent=percent))
    return rows
