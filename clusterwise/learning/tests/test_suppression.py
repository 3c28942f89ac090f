"""Small-cell suppression (learning/suppression.py): worked examples, and attacks written
here, independently of the module, that try to recover hidden counts from published ones."""

from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterwise.learning.suppression import masked, suppress_line, suppress_table

Cell = tuple[int, int]
Relation = tuple[list[Cell], Cell]  # the parts add up to the total


# --- the attacker's view of a table ---------------------------------------------------------


def with_margins(counts, *, row_totals: bool, column_totals: bool) -> list[list[int]]:
    rows, columns = len(counts), len(counts[0])
    table = [list(row) for row in counts]
    if row_totals:
        for i in range(rows):
            table[i].append(sum(counts[i]))
    if column_totals:
        totals = [sum(counts[i][j] for i in range(rows)) for j in range(columns)]
        if row_totals:
            totals.append(sum(totals))
        table.append(totals)
    return table


def relations(rows: int, columns: int, *, row_totals: bool, column_totals: bool) -> list[Relation]:
    """Every sum a reader can check: rows, columns, and the margins against the grand total."""
    found: list[Relation] = []
    if row_totals:
        found += [([(i, j) for j in range(columns)], (i, columns)) for i in range(rows)]
    if column_totals:
        found += [([(i, j) for i in range(rows)], (rows, j)) for j in range(columns)]
    if row_totals and column_totals:
        grand_total = (rows, columns)
        found.append(([(rows, j) for j in range(columns)], grand_total))
        found.append(([(i, columns) for i in range(rows)], grand_total))
    return found


def subtraction_attack(table, mask, found: list[Relation]) -> dict[Cell, int]:
    """Hidden cells worked out one relation at a time: where a relation has exactly one
    unknown, it is the total minus the known parts (or the sum of the parts)."""
    known = {(i, j): n for i, row in enumerate(table) for j, n in enumerate(row) if not mask[i][j]}
    progress = True
    while progress:
        progress = False
        for parts, total in found:
            unknown = [cell for cell in [*parts, total] if cell not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            if cell == total:
                known[cell] = sum(known[part] for part in parts)
            else:
                known[cell] = known[total] - sum(known[p] for p in parts if p != cell)
            progress = True
    return {(i, j): n for (i, j), n in known.items() if mask[i][j]}


def linear_attack(table, mask, found: list[Relation]) -> dict[Cell, Fraction]:
    """Hidden cells worked out from any combination of the relations: Gauss-Jordan
    elimination over the hidden cells; a cell is pinned down when a reduced equation
    names it alone."""
    hidden = [(i, j) for i, row in enumerate(mask) for j, is_hidden in enumerate(row) if is_hidden]
    column_of = {cell: k for k, cell in enumerate(hidden)}
    equations = []  # coefficients over the hidden cells, then the right-hand side
    for parts, total in found:
        coefficients = [Fraction(0)] * len(hidden)
        right = Fraction(0)
        for cell, sign in [*((part, 1) for part in parts), (total, -1)]:
            if cell in column_of:
                coefficients[column_of[cell]] += sign
            else:
                right -= sign * table[cell[0]][cell[1]]
        equations.append([*coefficients, right])
    pivot_row = 0
    for k in range(len(hidden)):
        chosen = next((e for e in range(pivot_row, len(equations)) if equations[e][k]), None)
        if chosen is None:
            continue
        equations[pivot_row], equations[chosen] = equations[chosen], equations[pivot_row]
        pivot = equations[pivot_row]
        pivot[:] = [x / pivot[k] for x in pivot]
        for e, equation in enumerate(equations):
            if e != pivot_row and equation[k]:
                factor = equation[k]
                equation[:] = [x - factor * p for x, p in zip(equation, pivot, strict=True)]
        pivot_row += 1
    recovered = {}
    for equation in equations:
        named = [k for k in range(len(hidden)) if equation[k]]
        if len(named) == 1:
            recovered[hidden[named[0]]] = equation[-1] / equation[named[0]]
    return recovered


def attack(counts, mask, *, row_totals: bool = True, column_totals: bool = True):
    table = with_margins(counts, row_totals=row_totals, column_totals=column_totals)
    found = relations(
        len(counts), len(counts[0]), row_totals=row_totals, column_totals=column_totals
    )
    return table, subtraction_attack(table, mask, found), linear_attack(table, mask, found)


def mask_of(table, hidden: set[Cell]) -> list[list[bool]]:
    return [[(i, j) in hidden for j in range(len(row))] for i, row in enumerate(table)]


def hidden_cells(mask) -> set[Cell]:
    return {(i, j) for i, row in enumerate(mask) for j, is_hidden in enumerate(row) if is_hidden}


# --- the attacks themselves -----------------------------------------------------------------


def test_the_attacks_recover_a_small_cell_hidden_on_its_own() -> None:
    counts = [[3, 20], [25, 40]]
    table = with_margins(counts, row_totals=True, column_totals=True)
    _, by_subtraction, by_elimination = attack(counts, mask_of(table, {(0, 0)}))
    assert by_subtraction == {(0, 0): 3}
    assert by_elimination == {(0, 0): 3}


def test_the_attacks_recover_a_hidden_total_and_the_cell_behind_it() -> None:
    counts = [[3, 20], [25, 40]]
    table = with_margins(counts, row_totals=True, column_totals=True)
    # The cell and its row total are hidden, but the column gives the cell, then the row
    # gives the total.
    _, by_subtraction, _ = attack(counts, mask_of(table, {(0, 0), (0, 2)}))
    assert by_subtraction == {(0, 0): 3, (0, 2): 23}


# --- worked examples ------------------------------------------------------------------------


def test_a_small_cell_gets_one_partner_in_its_row_and_one_in_its_column() -> None:
    counts = [[3, 20, 30], [25, 40, 50], [15, 35, 45]]
    mask = suppress_table(counts, minimum=10)
    # Row 0 hides the 20 (its smallest other count), column 0 the 15; that leaves row 2
    # with one hidden cell, so it hides its 35, which column 1 already pairs with the 20.
    assert hidden_cells(mask) == {(0, 0), (0, 1), (2, 0), (2, 1)}
    assert len(mask) == 4
    assert all(len(row) == 4 for row in mask)
    _, by_subtraction, by_elimination = attack(counts, mask)
    assert by_subtraction == by_elimination == {}


def test_a_small_cell_in_a_line_is_paired_with_the_smallest_other_count() -> None:
    assert suppress_line([12, 4, 30, 15], minimum=10) == [True, True, False, False, False]


def test_a_line_whose_only_other_cell_is_the_total_hides_the_total() -> None:
    assert suppress_line([4], minimum=10) == [True, True]


def test_a_nonzero_total_is_hidden_rather_than_a_zero() -> None:
    assert suppress_line([4, 0], minimum=10) == [True, False, True]


def test_ties_go_to_the_first_cell_and_the_result_is_the_same_every_time() -> None:
    assert suppress_line([4, 12, 12], minimum=10) == [True, True, False, False]
    counts = [[5, 11, 11], [11, 11, 30], [11, 40, 50]]
    assert suppress_table(counts, minimum=10) == suppress_table(counts, minimum=10)


def test_zeros_are_not_hidden_on_their_own() -> None:
    assert suppress_line([0, 0, 25], minimum=10) == [False] * 4
    assert hidden_cells(suppress_table([[0, 20], [0, 30]], minimum=10)) == set()


def test_a_minimum_of_one_hides_nothing() -> None:
    assert hidden_cells(suppress_table([[1, 2], [0, 3]], minimum=1)) == set()


def test_a_small_total_is_hidden_and_paired_inside_its_line() -> None:
    # 6 + 2 = 8 < 10: the total is small itself; both counts are small too.
    assert suppress_line([6, 2, 0], minimum=10) == [True, True, False, True]


def test_without_totals_only_the_small_cells_are_hidden() -> None:
    assert suppress_line([4, 0, 30], minimum=10, total=False) == [True, False, False]
    mask = suppress_table([[4, 30], [20, 30]], minimum=10, row_totals=False, column_totals=False)
    assert mask == [[True, False], [False, False]]


def test_totals_on_one_side_add_a_margin_on_that_side_only() -> None:
    counts = [[4, 30], [20, 30]]
    by_row = suppress_table(counts, minimum=10, column_totals=False)
    assert by_row == [[True, True, False], [False, False, False]]
    by_column = suppress_table(counts, minimum=10, row_totals=False)
    assert by_column == [[True, False], [True, False], [False, False]]


def test_a_hidden_cell_that_alone_links_two_hidden_blocks_gets_a_partner() -> None:
    # Two 2×2 blocks of small cells, joined only by the 5 at (0, 2). Every line hides
    # none or at least two cells, yet rows 0 and 1 minus columns 0 and 1 leave the 5:
    counts = [
        [3, 4, 5, 40],
        [6, 7, 30, 31],
        [32, 33, 8, 2],
        [34, 35, 1, 9],
    ]
    t = with_margins(counts, row_totals=True, column_totals=True)
    small = {(i, j) for i, row in enumerate(counts) for j, n in enumerate(row) if n < 10}
    rows_0_and_1, columns_0_and_1 = t[0][4] + t[1][4], t[4][0] + t[4][1]
    # What rows 0–1 publish outside columns 0–1, less what columns 0–1 hold outside rows 0–1:
    published_around_it = t[0][3] + t[1][2] + t[1][3] - (t[2][0] + t[2][1] + t[3][0] + t[3][1])
    assert rows_0_and_1 - columns_0_and_1 - published_around_it == 5
    _, by_subtraction, by_elimination = attack(counts, mask_of(t, small))
    assert by_subtraction == {}
    assert by_elimination == {(0, 2): 5}

    # So a cell joining the two blocks is hidden too: the smallest, the 30 at (1, 2).
    mask = suppress_table(counts, minimum=10)
    assert hidden_cells(mask) == small | {(1, 2)}
    _, by_subtraction, by_elimination = attack(counts, mask)
    assert by_subtraction == by_elimination == {}


def test_ragged_or_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        suppress_table([[1, 2], [3]], minimum=10)
    with pytest.raises(ValueError, match="negative"):
        suppress_line([4, -1], minimum=10)


def test_masked_blanks_the_hidden_values() -> None:
    assert masked([12, 4, 30], [False, True, False]) == [12, None, 30]
    assert masked(["40%", "7%"], [True, False]) == [None, "7%"]
    with pytest.raises(ValueError):
        masked([1, 2], [True])


def test_a_forty_by_twelve_table_takes_well_under_fifty_milliseconds() -> None:
    rng = random.Random(12)
    counts = [[rng.choice([0, 1, 3, 6, 9, 12, 25, 40]) for _ in range(12)] for _ in range(40)]
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        mask = suppress_table(counts, minimum=10)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05
    _, by_subtraction, _ = attack(counts, mask)
    assert by_subtraction == {}


# --- properties -----------------------------------------------------------------------------

# Zeros and small counts turn up more often than uniform draws from 0–60 would give them.
count = st.integers(0, 60) | st.sampled_from([0, 1, 2, 4, 9])
tables = st.integers(1, 8).flatmap(
    lambda columns: st.lists(
        st.lists(count, min_size=columns, max_size=columns), min_size=1, max_size=8
    )
)
cases = {
    "counts": tables,
    "minimum": st.integers(5, 12),
    "row_totals": st.booleans(),
    "column_totals": st.booleans(),
}


@settings(max_examples=300, deadline=None, database=None)
@given(**cases)
def test_no_hidden_count_can_be_recovered_by_subtraction(
    counts, minimum, row_totals, column_totals
) -> None:
    mask = suppress_table(
        counts, minimum=minimum, row_totals=row_totals, column_totals=column_totals
    )
    table = with_margins(counts, row_totals=row_totals, column_totals=column_totals)
    assert [len(row) for row in mask] == [len(row) for row in table]
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            if 0 < n < minimum:
                assert mask[i][j], f"the small count {n} at {(i, j)} is published"
    found = relations(
        len(counts), len(counts[0]), row_totals=row_totals, column_totals=column_totals
    )
    assert subtraction_attack(table, mask, found) == {}


@settings(max_examples=300, deadline=None, database=None)
@given(**cases)
def test_no_hidden_count_can_be_recovered_from_any_combination_of_sums(
    counts, minimum, row_totals, column_totals
) -> None:
    mask = suppress_table(
        counts, minimum=minimum, row_totals=row_totals, column_totals=column_totals
    )
    table = with_margins(counts, row_totals=row_totals, column_totals=column_totals)
    found = relations(
        len(counts), len(counts[0]), row_totals=row_totals, column_totals=column_totals
    )
    assert linear_attack(table, mask, found) == {}
