"""An attacker who reads every table of a report's family (tests/unit/reporting/
test_family.py): the worlds of counts, the tables published from them, and the interval
reasoning that bounds every group the attacker can name."""

from __future__ import annotations

from dataclasses import dataclass

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
