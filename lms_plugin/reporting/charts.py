"""Charts as plain data for the SVG templates: stacked percentage bars per group, and a
column per week. Built only from suppressed tables: a hidden value is never drawn, and
the chart says where something was hidden. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from .suppression import SuppressedTable

# Colour-blind-safe (Okabe-Ito) with enough contrast on white for the 3:1 graphics rule.
PALETTE = ("#8a8a8a", "#c26a00", "#006e9e", "#7a3a8c", "#007a5e", "#b3004b")


@dataclass(frozen=True)
class Segment:
    x: float  # percent of the bar's width
    width: float
    colour: str
    label: str
    value: int


@dataclass(frozen=True)
class Bar:
    label: str
    total: int | None
    segments: tuple[Segment, ...]
    hidden: bool  # some value of this group is hidden: not drawn


def stacked_bars(view: SuppressedTable, row_labels: dict[str, str],
                 column_labels: dict[str, str]) -> list[Bar]:
    bars = []
    for row in view.rows:
        values = [view.get(row, c) for c in view.columns]
        total = view.row_total(row)
        if total is None or any(v is None for v in values) or not total:
            bars.append(Bar(row_labels.get(row, row), total, (), total is None or
                            any(v is None for v in values)))
            continue
        x = 0.0
        segments = []
        for i, column in enumerate(view.columns):
            value = values[i] or 0
            width = 100.0 * value / total
            segments.append(Segment(round(x, 2), round(width, 2), PALETTE[i % len(PALETTE)],
                                    column_labels.get(column, column), value))
            x += width
        bars.append(Bar(row_labels.get(row, row), total, tuple(segments), False))
    return bars


@dataclass(frozen=True)
class Column:
    label: str
    value: int | None
    height: float  # percent of the tallest


def weekly_columns(view: SuppressedTable) -> list[Column]:
    totals = [view.row_total(r) for r in view.rows]
    peak = max((t for t in totals if t), default=0)
    return [Column(row, total, round(100.0 * total / peak, 2) if total and peak else 0.0)
            for row, total in zip(view.rows, totals, strict=True)]


def legend(columns: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(PALETTE[i % len(PALETTE)], labels.get(c, c)) for i, c in enumerate(columns)]
