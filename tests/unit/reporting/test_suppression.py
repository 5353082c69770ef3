"""The suppression function, and attackers who try to undo it: solving a line for its one
hidden cell, bounding hidden cells from every sum at once, and differencing two views."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lms_plugin.reporting.suppression import (
    TOTAL,
    CountTable,
    SuppressedTable,
    build_cube,
    cut,
    hide_small_groups,
    suppress,
)

K = 5


def table(rows: dict[str, dict[str, int]]) -> CountTable:
    columns = tuple(dict.fromkeys(c for cells in rows.values() for c in cells))
    return CountTable(tuple(rows), columns,
                      {(r, c): v for r, cells in rows.items() for c, v in cells.items()})


def bounds(view: SuppressedTable) -> dict[tuple[str, str], tuple[int, int]]:
    """What an attacker can work out about each hidden cell from all the sums together:
    interval propagation over every row, column and margin equation, values >= 0."""
    known = {k: v for k, v in view.values.items() if v is not None}
    ceiling = sum(v for k, v in known.items() if TOTAL not in k) + 10_000
    if view.total is not None:
        ceiling = view.total
    lo = {k: known.get(k, 0) for k in view.values}
    hi = {k: known.get(k, ceiling) for k in view.values}
    lines = []
    for r in [*view.rows, TOTAL]:
        lines.append(([(r, c) for c in view.columns], (r, TOTAL)))
    for c in [*view.columns, TOTAL]:
        lines.append(([(r, c) for r in view.rows], (TOTAL, c)))
    changed = True
    while changed:
        changed = False
        for inner, total in lines:
            new = {total: (max(lo[total], sum(lo[k] for k in inner)),
                           min(hi[total], sum(hi[k] for k in inner)))}
            for k in inner:
                others_lo = sum(lo[o] for o in inner if o != k)
                others_hi = sum(hi[o] for o in inner if o != k)
                new[k] = (max(lo[k], lo[total] - others_hi), min(hi[k], hi[total] - others_lo))
            for k, (a, b) in new.items():
                if (a, b) != (lo[k], hi[k]):
                    lo[k], hi[k] = a, b
                    changed = True
    return {k: (lo[k], hi[k]) for k in view.hidden}


def test_small_cells_are_hidden_and_zero_and_large_cells_shown():
    view = suppress(table({"Finance": {"done": 3, "not": 40}, "Ops": {"done": 0, "not": 50},
                           "Sales": {"done": 20, "not": 30}}), K)
    assert view.get("Finance", "done") is None
    assert view.get("Ops", "done") == 0
    assert view.get("Ops", "not") == 50
    assert view.total == 143


def test_a_lone_hidden_cell_gets_a_complement_in_its_row_and_column():
    view = suppress(table({"Finance": {"done": 3, "not": 40}, "Ops": {"done": 12, "not": 50},
                           "Sales": {"done": 20, "not": 30}}), K)
    hidden = view.hidden
    assert ("Finance", "done") in hidden
    for line_row in ("Finance",):
        assert sum(1 for c in ("done", "not", TOTAL) if (line_row, c) in hidden) >= 2
    assert sum(1 for r in ("Finance", "Ops", "Sales", TOTAL) if (r, "done") in hidden) >= 2
    assert bounds(view)[("Finance", "done")][0] < bounds(view)[("Finance", "done")][1]


def test_a_group_below_the_minimum_is_hidden_whole():
    view = suppress(table({"Tiny team": {"done": 2, "not": 1}, "Ops": {"done": 12, "not": 50},
                           "Sales": {"done": 20, "not": 30}}), K)
    assert view.row_total("Tiny team") is None
    assert view.get("Tiny team", "not") is None
    lo, hi = bounds(view)[("Tiny team", TOTAL)]
    assert lo < hi


def test_a_table_of_fewer_than_the_minimum_shows_nothing():
    view = suppress(table({"A": {"x": 2, "y": 1}}), K)
    assert all(v is None for v in view.values.values())


def test_differencing_a_filtered_view_against_the_unfiltered_one_reveals_nothing():
    """Everyone in Finance, and Finance within course 7: the two views differ by 2 people
    in the 'done' cell. Suppressing the narrower view against the broader one hides it."""
    everyone = table({"Finance": {"done": 22, "not": 40}, "Ops": {"done": 12, "not": 50}})
    course7 = table({"Finance": {"done": 20, "not": 40}, "Ops": {"done": 12, "not": 45}})
    broad = suppress(everyone, K)
    naive = suppress(course7, K)
    # Without the reference, subtracting the views reveals 2 people in Finance not in course 7.
    assert broad.get("Finance", "done") - naive.get("Finance", "done") == 2
    narrow = suppress(course7, K, broader=[everyone])
    assert differences(broad, narrow) == []
    assert narrow.get("Finance", "done") is None
    for key, (lo, hi) in bounds(narrow).items():
        assert lo < hi, key


def differences(broad: SuppressedTable, narrow: SuppressedTable) -> list[tuple]:
    """Cells visible in both views whose difference is a small group."""
    found = []
    for key, value in narrow.values.items():
        other = broad.values.get(key)
        if value is not None and other is not None and 0 < other - value < K:
            found.append((key, other - value))
    return found


counts = st.integers(min_value=0, max_value=60)
grids = st.integers(min_value=1, max_value=5).flatmap(lambda rows: st.integers(
    min_value=1, max_value=4).flatmap(lambda cols: st.lists(
        st.lists(counts, min_size=cols, max_size=cols), min_size=rows, max_size=rows)))


def to_table(grid: list[list[int]]) -> CountTable:
    return table({f"r{i}": {f"c{j}": v for j, v in enumerate(row)}
                  for i, row in enumerate(grid)})


@settings(max_examples=300, deadline=None)
@given(grids)
@example(grid=[[0, 0, 1], [0, 0, 5]])
@example(grid=[[0, 0], [1, 5]])
@example(grid=[[1, 5], [5, 5]])
def test_no_line_ever_has_exactly_one_hidden_cell(grid):
    """Unless the whole line is zero: a hidden zero in a line whose shown total is 0 tells
    nothing the total does not (found by hypothesis: [[0, 0, 1], [0, 0, 5]] hides the small
    row r0 whole, and column c0 is then one hidden zero beside a zero and a zero total;
    there is nothing with people left to hide in it)."""
    table_ = to_table(grid)
    view = suppress(table_, K)
    true = table_.full()
    rows, cols = [*view.rows, TOTAL], [*view.columns, TOTAL]
    lines = [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]
    for line in lines:
        hidden = [key for key in line if view.values[key] is None]
        if len(hidden) == 1:
            assert all(true[key] == 0 for key in line), (line, hidden)


@settings(max_examples=300, deadline=None)
@given(grids)
def test_every_small_cell_is_hidden_and_every_shown_value_is_true(grid):
    source = to_table(grid)
    view = suppress(source, K)
    truth = source.full()
    for key, value in view.values.items():
        assert value is None or value == truth[key]
        if 0 < truth[key] < K:
            assert value is None, key


@settings(max_examples=300, deadline=None)
@given(grids)
def test_no_small_cell_can_be_pinned_down_from_all_the_sums(grid):
    source = to_table(grid)
    view = suppress(source, K)
    truth = source.full()
    for key, (lo, hi) in bounds(view).items():
        assert lo <= truth[key] <= hi  # the attacker is sound
        if 0 < truth[key] < K:
            assert lo < hi, (key, truth[key], grid)


@settings(max_examples=200, deadline=None)
@given(grids, st.data())
def test_no_view_differs_from_its_broader_view_by_a_small_group(grid, data):
    broad_source = to_table(grid)
    narrow_grid = [[data.draw(st.integers(0, v)) for v in row] for row in grid]
    narrow_source = to_table(narrow_grid)
    broad = suppress(broad_source, K)
    narrow = suppress(narrow_source, K, broader=[broad_source])
    assert differences(broad, narrow) == []


def test_small_groups_hide_only_their_own_cells():
    """Readiness: a department (in a course) with 1 to K-1 people has no figure at all,
    its zeros included; nothing else is hidden, small counts of a large group included."""
    dims = ("course", "department", "state")
    counts = {("__total__", "Ops", "yes"): 2, ("__total__", "Ops", "no"): 10,
              ("__total__", "Legal", "yes"): 1, ("__total__", "Legal", "no"): 2,
              ("a", "Ops", "yes"): 2, ("a", "Ops", "no"): 1,
              ("b", "Ops", "no"): 9, ("b", "Legal", "yes"): 1, ("b", "Legal", "no"): 2}
    cube = build_cube(dims, counts, fixed={"state": ("yes", "no")},
                      counted_totals=("course",))
    result = hide_small_groups(cube, ("course", "department"), cube, K)
    hidden = {cube.box(code) for code in result.hidden}
    # 3 people each: Legal, Legal in course b, Ops in course a, and course a as a whole.
    small = {("__total__", "Legal"), ("b", "Legal"), ("a", "Ops"), ("a", "__total__")}
    assert hidden == {box for box in cube.values if box[:2] in small}
    assert ("__total__", "Legal", "no") in hidden and ("a", "Ops", "yes") in hidden
    assert ("__total__", "Ops", "yes") not in hidden  # 2 supporters of a group of 12
    assert ("__total__", "__total__", "yes") not in hidden
    assert hide_small_groups(cube, ("course", "department"), cube, 1).hidden == frozenset()


def test_a_fixed_dimension_shows_every_value_wherever_the_rest_of_the_cell_exists():
    """Zeros for every value of a fixed dimension, only beside cells that exist, and the
    totals summed over them (the zero filling is done once per such cell)."""
    dims = ("course", "department", "state")
    counts = {("a", "x", "yes"): 2, ("a", "x", "maybe"): 1, ("b", "y", "no"): 1}
    cube = build_cube(dims, counts, fixed={"state": ("yes", "no", "maybe")})
    values = cube.values
    for course, department in (("a", "x"), ("b", "y")):
        assert {state for (c, d, state) in values if (c, d) == (course, department)} == {
            "yes", "no", "maybe", "__total__"}
    assert values[("a", "x", "no")] == 0 and values[("b", "y", "yes")] == 0
    assert not any((c, d) in {("a", "y"), ("b", "x")} for (c, d, _) in values)
    assert values[("a", "x", "__total__")] == 3
    assert values[("__total__", "__total__", "yes")] == 2
    assert values[("__total__", "__total__", "no")] == 1
    assert values[("__total__", "y", "maybe")] == 0
    assert values[("__total__", "__total__", "__total__")] == 4


# A family's counts as the pass gives them: by course (TOTAL: everyone, counted once, so
# not the sum of the courses) and department, then a row and a column.
COURSES, DEPARTMENTS, ROWS, COLUMNS = ("a", "b", "c"), ("x", "y", "z"), ("r1", "r2"), ("k1", "k2")
people = st.dictionaries(
    st.tuples(st.sampled_from(DEPARTMENTS), st.sampled_from(ROWS), st.sampled_from(COLUMNS),
              st.frozensets(st.sampled_from(COURSES), max_size=2)),
    st.integers(min_value=1, max_value=9), max_size=12)


def family_counts(groups: dict[tuple[str, str, str, frozenset[str]], int]
                  ) -> dict[tuple[str, ...], int]:
    counts: dict[tuple[str, ...], int] = {}
    for (department, row, column, courses), n in groups.items():
        for course in (TOTAL, *courses):
            box = (course, department, row, column)
            counts[box] = counts.get(box, 0) + n
    return counts


@settings(max_examples=200)
@given(people, st.sampled_from((None, *COURSES)), st.sampled_from((None, *DEPARTMENTS)),
       st.sampled_from(("row", "department", "course")))
def test_a_cut_cube_shows_every_table_of_its_filters_as_the_whole_cube_does(
        groups, course, department, rows_dim):
    """An administration report builds only the cells its filters' table reads
    (`cut`): that table, and its small groups hidden, are the whole cube's, for every
    filter and whichever dimension the rows are."""
    counts = family_counts(groups)
    dims = ("course", "department", "row", "column")
    given_totals: tuple[str, ...] = ("course",)
    if rows_dim == "course":  # the courses report: enrolments, the course total summed
        counts = {box: n for box, n in counts.items() if box[0] != TOTAL}
        given_totals = ()
    where = {"course": course, "department": department}
    shown_rows = {"row": ROWS, "department": DEPARTMENTS, "course": COURSES}[rows_dim]
    fixed = {"column": COLUMNS}
    whole = build_cube(dims, counts, fixed=fixed, counted_totals=given_totals)
    part, part_totals = cut(dims, counts, where, whole=(rows_dim,),
                            counted_totals=given_totals)
    sliced = build_cube(dims, part, fixed=fixed, counted_totals=part_totals)
    present = rows_dim != "row"
    groups_of = ("course", "department")
    for size in (1, K):
        expected = hide_small_groups(whole, groups_of, whole, size).view(
            rows_dim, "column", shown_rows, COLUMNS, where, present)
        got = hide_small_groups(sliced, groups_of, sliced, size).view(
            rows_dim, "column", shown_rows, COLUMNS, where, present)
        assert got == expected
    assert len(sliced.counts) <= len(whole.counts)
