"""Small-group suppression: every number the tool shows goes through this module. Pure:
no Flask, no database.

A report is a table of counts (rows: groups such as departments, courses or weeks;
columns: categories such as not started / in progress / completed) with its row totals,
column totals and grand total. It is published as a family of tables: unfiltered, and
for every course, every department and every course and department the filters offer.
Someone who wants a small group's number can read all of them, and every number in every
one is a sum over the same people, so they cannot be suppressed one by one (issue 11:
"Dept One 6, Dept Two hidden, Dept Solo hidden, total 12" unfiltered, and a total of 5
for Dept Two alone, give Dept Solo = 1). So the family is one `Cube`: counts along every
dimension (course, department, the table's rows, its columns) with every total, and each
table is a slice of it (`SuppressedCube.view`); a number shown in two tables is the same
cell, hidden in both or in neither.

The rule that guarantees safety: every relation between published numbers that could
pin a cell is a *line* of the cube: the cells along one dimension (the departments of
one course, the courses of one department, a table's row or column) and their total.
1. Primary. A count of 1 to min_size-1 is hidden, and so is every cell inside it (a
   group too small to report at all; its zeros too, which would say where its few people
   are not).
2. Differencing. A cell is hidden where the same cell with a filter removed differs from
   it by 1 to min_size-1 (the people outside the filter would be a small group).
3. Complementary. Wherever a line, of any dimension, has exactly one hidden count, its
   value follows from the rest, so another cell of that line is hidden (one with people:
   a hidden zero is too easily worked out; inside the line before its total; the
   smallest), until every line has none or at least two; a line whose only hidden cells
   are zeros of a small group gets two. Subtracting tables (the unfiltered total minus
   every department shown) then always meets at least two unknowns with people in them.
   Complements go inside a line before its total, so they land in the finest tables
   (course and department together) where they can and the broad ones stay useful.
Every choice is deterministic: the same counts always give the same hidden cells.

Zero is shown: it reveals no person. A person in several courses counts in each course's
table and once in the unfiltered one, so a course line is not an exact sum; it is
suppressed as if it were (see `tests/unit/reporting/test_family.py` for what an attacker
who reads every table can and cannot work out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

TOTAL = "__total__"
Key = tuple[str, str]
Box = tuple[str, ...]  # a cell of a cube: one value per dimension, TOTAL for all of them


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


def suppress(table: CountTable, min_size: int = 5,
             broader: Sequence[CountTable] = ()) -> SuppressedTable:
    """One table on its own (a cube of two dimensions), with differencing against the
    same table on broader populations."""
    counts: dict[Box, int] = {(r, c): table.get(r, c) for r in table.rows
                              for c in table.columns}
    cube = build_cube(("row", "column"), counts,
                      fixed={"row": table.rows, "column": table.columns})
    references = [{tuple(key): value for key, value in b.full().items()} for b in broader]
    result = suppress_cube(cube, min_size, references=references)
    return result.view("row", "column", table.rows, table.columns)


@dataclass(frozen=True)
class Cube:
    """Counts along named dimensions with every total. Each dimension's values (`levels`,
    TOTAL last) number its cells; a cell is stored under one integer code (mixed radix),
    which keeps the whole family of a large organisation (200 courses, 20 departments)
    quick to suppress."""
    dims: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    counts: Mapping[int, int]  # code -> count, every cell there is; a cell not here is 0

    @property
    def strides(self) -> tuple[int, ...]:
        strides, step = [], 1
        for level in reversed(self.levels):
            strides.append(step)
            step *= len(level)
        return tuple(reversed(strides))

    def code(self, box: Box) -> int | None:
        code = 0
        for value, level, stride in zip(box, self.levels, self.strides, strict=True):
            if value not in level:
                return None
            code += level.index(value) * stride
        return code

    def box(self, code: int) -> Box:
        return tuple(level[(code // stride) % len(level)]
                     for level, stride in zip(self.levels, self.strides, strict=True))

    def values_of(self, dim: str) -> tuple[str, ...]:
        return self.levels[self.dims.index(dim)][:-1]

    @property
    def values(self) -> dict[Box, int]:
        return {self.box(code): count for code, count in self.counts.items()}


def build_cube(dims: Sequence[str], counts: Mapping[Box, int], *,
               fixed: Mapping[str, Sequence[str]] | None = None,
               counted_totals: Sequence[str] = ()) -> Cube:
    """The cube of these counts (one value per dimension) with every total summed, except
    along `counted_totals`, whose TOTAL cells the caller counted (people in any course,
    who may be in several). A dimension in `fixed` always shows all its values (zero
    where nobody is) wherever the rest of the cell exists; any other shows the values
    that occur."""
    fixed = fixed or {}
    levels = []
    for i, name in enumerate(dims):
        found = {box[i] for box in counts} - {TOTAL}
        if TOTAL in {box[i] for box in counts} and name not in counted_totals:
            raise ValueError(f"a total along {name} is summed here, not given")
        given = list(fixed.get(name, ()))
        levels.append((*given, *sorted(found - set(given)), TOTAL))
    cube = Cube(tuple(dims), tuple(levels), {})
    strides = cube.strides
    index = [{value: k * stride for k, value in enumerate(level)}
             for level, stride in zip(levels, strides, strict=True)]
    cells: dict[int, int] = defaultdict(int)
    for box, count in counts.items():
        cells[sum(index[i][value] for i, value in enumerate(box))] += int(count)
    for i, name in enumerate(dims):  # zeros where the rest of the cell exists
        if name in fixed:
            stride, size = strides[i], len(levels[i])
            bases = {code - ((code // stride) % size) * stride for code in cells}
            steps = [k * stride for k in range(len(fixed[name]))]
            for base in bases:
                for step in steps:
                    cells.setdefault(base + step, 0)
    for i, name in enumerate(dims):  # totals
        if name in counted_totals:
            continue
        stride, size = strides[i], len(levels[i])
        total_at = (size - 1) * stride
        totals: dict[int, int] = defaultdict(int)
        for code, count in cells.items():
            totals[code - ((code // stride) % size) * stride + total_at] += count
        cells.update(totals)
    return Cube(cube.dims, cube.levels, dict(cells))


def cut(dims: Sequence[str], counts: Mapping[Box, int], where: Mapping[str, str | None],
        *, whole: Sequence[str] = (), counted_totals: Sequence[str] = ()
        ) -> tuple[dict[Box, int], tuple[str, ...]]:
    """The counts of only the cells a table at `where` reads, for `build_cube`, and the
    dimensions whose totals are then given rather than summed. Along each dimension of
    `where` (but those in `whole`: the table's rows) a cell keeps its value only if it
    is the one `where` names, and is added into TOTAL: so the table's cells of the cube
    built from the cut are the very cells of the cube built from every count (a cube of
    200 courses by 20 departments, cut to one course and one department, is a few
    hundred cells, not tens of thousands). A dimension in `counted_totals` has its TOTAL
    among the counts: it keeps those and the named value's, nothing is added."""
    sliced = [(i, where[name], name in counted_totals) for i, name in enumerate(dims)
              if name in where and name not in whole]
    out: dict[Box, int] = defaultdict(int)
    for box, count in counts.items():
        boxes = [box]
        for i, value, given in sliced:
            if given:
                boxes = [b for b in boxes if b[i] == TOTAL or b[i] == value]
                if not boxes:
                    break
            else:
                summed = [(*b[:i], TOTAL, *b[i + 1:]) for b in boxes]
                boxes = summed + boxes if box[i] == value else summed
        for b in boxes:
            out[b] += count
    return dict(out), tuple(dict.fromkeys([*counted_totals, *(dims[i] for i, _, _ in sliced)]))


@dataclass(frozen=True)
class SuppressedCube:
    cube: Cube
    hidden: frozenset[int]  # codes
    min_size: int

    def view(self, rows_dim: str, columns_dim: str, rows: Sequence[str],
             columns: Sequence[str], where: Mapping[str, str | None] | None = None,
             present_rows_only: bool = False) -> SuppressedTable:
        """One table of the family: rows_dim by columns_dim, every other dimension at its
        value in `where` (absent or None: all). With present_rows_only, only the rows
        with a cell in this slice (the departments of a course, say)."""
        where = where or {}
        if where.get(rows_dim) is not None:  # filtered on the rows: that row alone
            rows = [r for r in rows if r == where[rows_dim]] or [str(where[rows_dim])]

        def code(row: str, column: str) -> int | None:
            coordinates = []
            for name in self.cube.dims:
                if name == rows_dim and row != TOTAL:
                    coordinates.append(row)
                elif name == columns_dim:
                    coordinates.append(column)
                else:
                    value = where.get(name)
                    coordinates.append(TOTAL if value is None else value)
            return self.cube.code(tuple(coordinates))

        counts = self.cube.counts
        if present_rows_only:
            rows = [r for r in rows if code(r, TOTAL) in counts]
        values: dict[Key, int | None] = {}
        for row in [*rows, TOTAL]:
            for column in [*columns, TOTAL]:
                cell = code(row, column)
                values[(row, column)] = (None if cell in self.hidden
                                         else counts.get(cell, 0) if cell is not None else 0)
        return SuppressedTable(tuple(rows), tuple(columns), values, self.min_size)


def suppress_cube(cube: Cube, min_size: int = 5, differencing: Sequence[str] = (),
                  references: Sequence[Mapping[Box, int]] = ()) -> SuppressedCube:
    """Hide what must be hidden in the whole cube (the rules at the top). `differencing`:
    the filter dimensions; `references`: the same cells counted on broader populations
    (a table suppressed on its own), for differencing against them."""
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    counts = cube.counts
    n = len(cube.dims)
    strides = cube.strides
    sizes = [len(level) for level in cube.levels]
    total_index = [size - 1 for size in sizes]

    def small(value: int) -> bool:
        return 0 < value < min_size

    codes = sorted(counts)
    digit_of: dict[int, list[int]] = {}
    levels: list[list[int]] = [[] for _ in range(n + 1)]  # codes by how many TOTALs
    for code in codes:
        digit = [(code // strides[i]) % sizes[i] for i in range(n)]
        digit_of[code] = digit
        levels[sum(1 for i in range(n) if digit[i] == total_index[i])].append(code)
    # 1. Small groups and everything inside them, coarsest first.
    inside_small: set[int] = set()
    for level in reversed(levels):
        for code in level:
            digit = digit_of[code]
            if small(counts[code]) or any(
                    code + (total_index[i] - digit[i]) * strides[i] in inside_small
                    for i in range(n) if digit[i] != total_index[i]):
                inside_small.add(code)
    hidden = set(inside_small)
    # 2. Differencing against the same cell with one or more filters removed.
    filters = [cube.dims.index(name) for name in differencing]
    widenings = [removed for k in range(1, len(filters) + 1)
                 for removed in combinations(filters, k)]
    encoded = [{cube.code(box): value for box, value in reference.items()}
               for reference in references]
    for code in codes:
        value, digit = counts[code], digit_of[code]
        for removed in widenings:
            if any(digit[i] == total_index[i] for i in removed):
                continue
            wider = code
            for i in removed:
                wider += (total_index[i] - digit[i]) * strides[i]
            if small(counts.get(wider, 0) - value):
                hidden.add(code)
                break
        for reference in encoded:
            if code in reference and small(reference[code] - value):
                hidden.add(code)
    # 3. Complements, line by line. Only hidden cells with people protect one another: a
    # hidden zero is too easily worked out as zero (nothing can be below it). So a line
    # with exactly one hidden count gets another, and so does a line whose only hidden
    # cells are zeros of a small group (they would be its total less what is shown).
    # A line is (dimension, the code of its first cell); only lines through a hidden cell
    # can ever need a complement, so only those are looked at.
    def lines_through(code: int) -> list[tuple[int, int]]:
        digit = digit_of[code]
        return [(i, code - digit[i] * strides[i]) for i in range(n)]

    counted: dict[tuple[int, int], int] = defaultdict(int)  # hidden cells with people
    anything: dict[tuple[int, int], int] = defaultdict(int)  # hidden cells
    for code in hidden:
        for line in lines_through(code):
            anything[line] += 1
            counted[line] += counts[code] != 0
    pending = sorted(anything, reverse=True)
    queued = set(pending)
    while pending:
        line = pending.pop()
        queued.discard(line)
        if counted[line] > 1 or (counted[line] == 0 and not anything[line]):
            continue
        i, start = line
        stride = strides[i]
        if not counts.get(start + total_index[i] * stride, 0):
            continue  # the total is zero, so is every cell: nothing to protect here
        candidates = [code for code in range(start, start + sizes[i] * stride, stride)
                      if counts.get(code) and code not in hidden]
        if not candidates:
            continue
        chosen = min(candidates, key=lambda c: (
            _cost(digit_of[c][i] == total_index[i], counts[c]), c))
        hidden.add(chosen)
        for other in lines_through(chosen):
            anything[other] += 1
            counted[other] += 1
            if other not in queued:
                queued.add(other)
                pending.append(other)
    return SuppressedCube(cube, frozenset(hidden), min_size)


def hide_small_groups(cube: Cube, groups: Sequence[str], sizes: Cube,
                      min_size: int = 5) -> SuppressedCube:
    """Rule 1 alone, for a report whose counts an admin may list by name but whose
    groups are people (readiness: a department's employees). Every cell of a group (its
    values along `groups`) that has 1 to min_size-1 people, or lies inside such a group,
    is hidden; a group's people are the cell of `sizes` with the same values along
    `groups` and every other dimension TOTAL. Nothing more is hidden: no differencing
    and no complements, since each number is also shown exactly, and listed, by an
    administration report (see `reporting.services`)."""
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    in_sizes = [sizes.dims.index(name) for name in groups]
    small: set[Box] = set()
    for code, count in sizes.counts.items():
        if 0 < count < min_size:
            box = sizes.box(code)
            if all(value == TOTAL for i, value in enumerate(box) if i not in in_sizes):
                small.add(tuple(box[i] for i in in_sizes))
    in_cube = [cube.dims.index(name) for name in groups]
    # A cell lies inside each group made by widening some of its values to TOTAL.
    widenings = [set(widened) for k in range(len(groups) + 1)
                 for widened in combinations(range(len(groups)), k)]
    hidden = set()
    for code in cube.counts if small else ():
        box = cube.box(code)
        group = [box[i] for i in in_cube]
        if any(tuple(TOTAL if k in widened else value for k, value in enumerate(group))
               in small for widened in widenings):
            hidden.add(code)
    return SuppressedCube(cube, frozenset(hidden), min_size)


def _cost(is_total: bool, value: int) -> tuple[int, int]:
    """Which cell to hide as a complement on a line: a cell of the line before its total
    (the finer table), then the smallest."""
    return (int(is_total), value)


@dataclass(frozen=True)
class Family:
    """Every table of one report: its cube, the dimensions a table shows as rows and as
    columns, and the filters (the dimensions a table fixes to one value, or leaves whole)."""
    cube: Cube
    rows_dim: str
    columns_dim: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    filters: tuple[str, ...]
    present_rows_only: bool = False  # rows are the values that occur (departments, say)

    def suppress(self, min_size: int) -> SuppressedCube:
        return suppress_cube(self.cube, min_size, differencing=self.filters)

    def table(self, suppressed: SuppressedCube,
              where: Mapping[str, str | None]) -> SuppressedTable:
        return suppressed.view(self.rows_dim, self.columns_dim, self.rows, self.columns,
                               {k: v for k, v in where.items() if k in self.filters},
                               self.present_rows_only)
