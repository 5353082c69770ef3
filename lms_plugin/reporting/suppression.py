"""Small-group suppression: every aggregate the tool shows goes through `suppress`.

A report is a table of counts (rows: groups such as departments, courses or weeks;
columns: categories such as not started / in progress / completed) with its row totals,
column totals and grand total. Pure: no Flask, no database.

1. Primary suppression. A count of 1 to min_size-1 is hidden; so is a whole row or
   column whose total is below min_size (a group too small to report at all), and the
   whole table when its grand total is.
2. Differencing. Given the same table computed on broader populations (the view with a
   filter removed), a cell is hidden where the difference between the broader count and
   this one is 1 to min_size-1: otherwise subtracting the two views would reveal that
   small group.
3. Complementary suppression. Rows, columns and the two margins are sums; wherever one
   of those lines has exactly one hidden cell, its value could be worked out from the
   total, so a second cell on the line is hidden too (the smallest one at or above
   min_size where there is one, so as little as possible is lost), until no line has
   exactly one hidden cell.

Zero is shown: it reveals no person. Everything else about the table is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

TOTAL = "__total__"
Key = tuple[str, str]


@dataclass(frozen=True)
class CountTable:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: Mapping[Key, int] = field(default_factory=dict)

    def get(self, row: str, column: str) -> int:
        return int(self.counts.get((row, column), 0))

    def row_total(self, row: str) -> int:
        return sum(self.get(row, c) for c in self.columns)

    def column_total(self, column: str) -> int:
        return sum(self.get(r, column) for r in self.rows)

    @property
    def total(self) -> int:
        return sum(self.row_total(r) for r in self.rows)

    def full(self) -> dict[Key, int]:
        """Every cell including the margins: (row, TOTAL), (TOTAL, column), (TOTAL, TOTAL)."""
        grid = {(r, c): self.get(r, c) for r in self.rows for c in self.columns}
        grid.update({(r, TOTAL): self.row_total(r) for r in self.rows})
        grid.update({(TOTAL, c): self.column_total(c) for c in self.columns})
        grid[(TOTAL, TOTAL)] = self.total
        return grid


@dataclass(frozen=True)
class SuppressedTable:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: Mapping[Key, int | None]  # None: hidden
    min_size: int

    def get(self, row: str, column: str) -> int | None:
        return self.values[(row, column)]

    def row_total(self, row: str) -> int | None:
        return self.values[(row, TOTAL)]

    def column_total(self, column: str) -> int | None:
        return self.values[(TOTAL, column)]

    @property
    def total(self) -> int | None:
        return self.values[(TOTAL, TOTAL)]

    @property
    def hidden(self) -> set[Key]:
        return {k for k, v in self.values.items() if v is None}


def _lines(rows: Sequence[str], columns: Sequence[str]) -> Iterable[list[Key]]:
    all_rows, all_columns = [*rows, TOTAL], [*columns, TOTAL]
    for r in all_rows:
        yield [(r, c) for c in all_columns]
    for c in all_columns:
        yield [(r, c) for r in all_rows]


def suppress(table: CountTable, min_size: int = 5,
             broader: Sequence[CountTable] = ()) -> SuppressedTable:
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    grid = table.full()
    hidden: set[Key] = set()

    def small(value: int) -> bool:
        return 0 < value < min_size

    if small(grid[(TOTAL, TOTAL)]):
        hidden = set(grid)
    for key, value in grid.items():
        if small(value):
            hidden.add(key)
    for r in table.rows:
        if small(grid[(r, TOTAL)]):
            hidden |= {(r, c) for c in [*table.columns, TOTAL]}
    for c in table.columns:
        if small(grid[(TOTAL, c)]):
            hidden |= {(r, c) for r in [*table.rows, TOTAL]}
    for reference in broader:
        ref = reference.full()
        for key, value in grid.items():
            if key in ref and small(ref[key] - value):
                hidden.add(key)

    lines = list(_lines(table.rows, table.columns))
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for k in line if k in hidden) != 1:
                continue
            candidates = [k for k in line if k not in hidden]
            if not candidates:
                continue
            hidden.add(min(candidates, key=lambda k: _cost(k, grid[k], min_size)))
            changed = True
    return SuppressedTable(table.rows, table.columns,
                           {k: (None if k in hidden else v) for k, v in grid.items()},
                           min_size)


def _cost(key: Key, value: int, min_size: int) -> tuple[int, int, int]:
    """Which cell to hide as a complement: an inner cell before a total, a cell big
    enough to protect the small one (>= min_size) before a smaller one, then the smallest."""
    is_total = TOTAL in key
    return (int(is_total), 0 if value >= min_size else 1, value)
