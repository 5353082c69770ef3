"""A report's whole family of tables against an attacker who reads every one of them
(issue 11, finding 5): the unfiltered table and every course, department and course and
department the filters offer, as `services.protected` cuts them. The attacker knows how
every number is made (a sum of the people in some course, department, row and column)
and bounds every unknown by interval reasoning over all published numbers and totals at
once; no group of 1 to K-1 people may be pinned to its size, whichever table it is in,
and no two published numbers may differ by such a group."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from lms_plugin.reporting.suppression import TOTAL, Family, build_cube

K = 5
COURSE, DEPARTMENT = "course", "department"
BIG = 10**6


@dataclass(frozen=True)
class World:
    """Counts of people by (course, department, row, column); each person learns in one
    course. `shape`: "table" (fixed rows, like modules or the pipeline), "departments"
    (the rows are the departments) or "courses" (the rows are the courses)."""
    shape: str
    courses: tuple[str, ...]
    departments: tuple[str, ...]
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    atoms: dict[tuple[str, str, str, str], int]

    def row_of(self, atom: tuple[str, str, str, str]) -> str:
        course, department, row, _ = atom
        return {"table": row, "departments": department, "courses": course}[self.shape]


def family(world: World) -> Family:
    """The family as services builds it: queries count per course and for everyone."""
    both = (COURSE, DEPARTMENT)
    if world.shape == "table":
        counts = {}
        for (c, d, r, col), n in world.atoms.items():
            if n:
                counts[(c, d, r, col)] = n
                counts[(TOTAL, d, r, col)] = counts.get((TOTAL, d, r, col), 0) + n
        cube = build_cube((COURSE, DEPARTMENT, "row", "column"), counts,
                          fixed={"row": world.rows, "column": world.columns},
                          counted_totals=(COURSE,))
        return Family(cube, "row", "column", world.rows, world.columns, both)
    counts = {}
    for (c, d, _, col), n in world.atoms.items():
        if n:
            counts[(c, d, col)] = counts.get((c, d, col), 0) + n
    if world.shape == "departments":
        for (_, d, col), n in list(counts.items()):
            counts[(TOTAL, d, col)] = counts.get((TOTAL, d, col), 0) + n
        cube = build_cube((COURSE, DEPARTMENT, "column"), counts,
                          fixed={"column": world.columns}, counted_totals=(COURSE,))
        return Family(cube, DEPARTMENT, "column", world.departments, world.columns, both,
                      present_rows_only=True)
    cube = build_cube((COURSE, DEPARTMENT, "column"), counts, fixed={"column": world.columns})
    return Family(cube, COURSE, "column", world.courses, world.columns, both,
                  present_rows_only=True)


def published(world: World) -> list[tuple[dict[str, str | None], object]]:
    fam = family(world)
    suppressed = fam.suppress(K)
    return [({COURSE: c, DEPARTMENT: d}, fam.table(suppressed, {COURSE: c, DEPARTMENT: d}))
            for c in (None, *world.courses) for d in (None, *world.departments)]


def members(world: World, where: dict[str, str | None], row: str, column: str) -> frozenset:
    """The atoms (people) a cell counts."""
    return frozenset(
        atom for atom in world.atoms
        if (where[COURSE] is None or atom[0] == where[COURSE])
        and (where[DEPARTMENT] is None or atom[1] == where[DEPARTMENT])
        and (row == TOTAL or world.row_of(atom) == row)
        and (column == TOTAL or atom[3] == column))


def attack(world: World, views) -> tuple[dict, dict]:
    """Interval propagation over every published number (and every row a table leaves
    out, which the attacker knows is zero). Returns the bounds of every group the
    attacker can name, and the truth."""
    known: dict[frozenset, int] = {}
    groups: set[frozenset] = set()
    for where, table in views:
        for row in [*table.rows, TOTAL]:
            for column in [*table.columns, TOTAL]:
                group = members(world, where, row, column)
                groups.add(group)
                if table.values[(row, column)] is not None:
                    known[group] = table.values[(row, column)]
        if world.shape != "table":  # rows left out of a table are nobody
            for row in set(world.departments if world.shape == "departments"
                           else world.courses) - set(table.rows):
                group = members(world, where, row, TOTAL)
                known[group] = 0
                groups.add(group)
    # Differences between a published number and a broader one: groups too.
    for small in list(known):
        for large in list(known):
            if small < large:
                groups.add(large - small)
    atoms = sorted(world.atoms)
    index = {a: i for i, a in enumerate(atoms)}
    group_list = sorted(groups, key=lambda g: sorted(g))
    lo = [0] * len(atoms) + [known.get(g, 0) for g in group_list]
    hi = [BIG] * len(atoms) + [known.get(g, BIG) for g in group_list]
    equations = [([index[a] for a in g], len(atoms) + k) for k, g in enumerate(group_list)]
    for _ in range(400):
        changed = False
        for parts, total in equations:
            low = sum(lo[p] for p in parts)
            high = sum(hi[p] for p in parts)
            if low > lo[total] or high < hi[total]:
                lo[total], hi[total] = max(lo[total], low), min(hi[total], high)
                changed = True
            for p in parts:
                new_lo = max(lo[p], lo[total] - (high - hi[p]))
                new_hi = min(hi[p], hi[total] - (low - lo[p]))
                if (new_lo, new_hi) != (lo[p], hi[p]):
                    low += new_lo - lo[p]
                    high += new_hi - hi[p]
                    lo[p], hi[p] = new_lo, new_hi
                    changed = True
        if not changed:
            break
    bounds = {g: (lo[len(atoms) + k], hi[len(atoms) + k]) for k, g in enumerate(group_list)}
    truth = {g: sum(world.atoms[a] for a in g) for g in group_list}
    return bounds, truth


counts = st.sampled_from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20])


@st.composite
def worlds(draw) -> World:
    shape = draw(st.sampled_from(["table", "departments", "courses"]))
    courses = tuple(f"c{i}" for i in range(draw(st.integers(1, 3))))
    departments = tuple(f"d{i}" for i in range(draw(st.integers(1, 3))))
    rows = tuple(f"r{i}" for i in range(draw(st.integers(1, 3)) if shape == "table" else 1))
    columns = tuple(f"k{i}" for i in range(draw(st.integers(1, 3))))
    atoms = {atom: draw(counts) for atom in product(courses, departments, rows, columns)}
    return World(shape, courses, departments, rows, columns, atoms)


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_no_small_group_can_be_pinned_from_every_table_at_once(world):
    views = published(world)
    bounds, truth = attack(world, views)
    pinned = []
    for group, (lo, hi) in bounds.items():
        assert lo <= truth[group] <= hi  # the attacker is sound
        if 0 < truth[group] < K and lo == hi:
            pinned.append((sorted(group), truth[group]))
    assert not pinned, pinned


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_every_shown_number_is_true_and_every_small_one_hidden(world):
    for where, table in published(world):
        for (row, column), value in table.values.items():
            truth = sum(world.atoms[a] for a in members(world, where, row, column))
            assert value is None or value == truth
            if 0 < truth < K:
                assert value is None


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_nothing_is_hidden_where_no_group_is_small(world):
    """Every count of at least K (or none) in every course and department: every number
    and every difference is then 0 or at least K, and every table is shown whole."""
    world = World(world.shape, world.courses, world.departments, world.rows, world.columns,
                  {a: (n if n == 0 or n >= K else n + K) for a, n in world.atoms.items()})
    for _, table in published(world):
        assert None not in table.values.values()
