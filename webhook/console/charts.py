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
    """Grouped vertical bars in a plot stretched to its box (``preserveAspectRatio="none"``):
    the axes' labels are HTML beside it, so text stays legible at any width."""

    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    grid: list[Label] = field(default_factory=list)  # top to bottom: y of each line, value
    x_labels: list[str] = field(default_factory=list)  # one per slot ("" when skipped)
    maximum: int = 0

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def slots(self) -> int:
        return len(self.x_labels)


def nice_ceiling(value: float) -> int:
    """The top of a 4-step axis at or above ``value``: 4 × a round step (1, 1.2, 1.5, 2, … 8
    × 10ⁿ, whole numbers only), so every grid line is a whole number."""
    wanted = max(value, 1) / 4
    magnitude = 10 ** math.floor(math.log10(wanted)) if wanted >= 1 else 1
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = round(factor * magnitude, 6)
        if step >= wanted and float(step).is_integer():
            return int(4 * step)
    return int(40 * magnitude)  # pragma: no cover - factor 10 always fits


def column_chart(
    labels: Sequence[str],
    titles: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 600,
    height: int = 200,
    label_every: int = 1,
) -> ColumnChart:
    """Bars of ``series`` side by side in each slot; ``titles`` name the slots in tooltips."""
    chart = ColumnChart(width=width, height=height)
    top_value = max((v for s in series for v in s.values), default=0)
    chart.maximum = nice_ceiling(top_value)
    for i in range(4, -1, -1):
        chart.grid.append(
            Label(0, round(height - height * i / 4, 2), _short(chart.maximum * i / 4))
        )
    slots = max(len(labels), 1)
    slot_w = width / slots
    gap = slot_w * 0.2
    bar_w = (slot_w - gap) / max(len(series), 1)
    for index, label in enumerate(labels):
        x0 = index * slot_w + gap / 2
        for n, one in enumerate(series):
            value = one.values[index]
            h = height * value / chart.maximum
            chart.bars.append(
                Bar(
                    x=round(x0 + n * bar_w, 2),
                    y=round(height - h, 2),
                    width=round(bar_w * 0.92, 2),
                    height=round(h, 2),
                    css=one.css,
                    title=f"{titles[index]} · {one.name}: {value}",
                )
            )
        chart.x_labels.append(label if index % label_every == 0 else "")
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
