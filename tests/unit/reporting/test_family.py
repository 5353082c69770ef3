"""A report's whole family of tables against an attacker who reads every one of them
(issue 11, finding 5): the unfiltered table and every course, department and course and
department the filters offer, as `services.protected` cuts them. The attacker knows how
every number is made (a sum of the people in some course, department, row and column)
and bounds every unknown by interval reasoning over all published numbers and totals at
once; no group of 1 to K-1 people may be pinned to its size, whichever table it is in,
and no two published numbers may differ by such a group."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.suppression_attacks import K, World, attack, members, published

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
