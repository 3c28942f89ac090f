"""Small-cell suppression (learning/suppression.py): worked examples, and attacks written
here, independently of the module, that try to recover hidden counts from published ones."""

from __future__ import annotations

import random
import time
from collections.abc import Hashable
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clusterwise.learning.suppression import (
    Node,
    masked,
    suppress_children,
    suppress_line,
    suppress_table,
    suppress_tree,
)

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


# --- counts over an org tree, suppressed top-down ------------------------------------------


def tree_table(tree: Node) -> tuple[list[Node], list[list[int]], list[Relation]]:
    """Every unit (root first), its row (counts, then total), and every relation a reader of
    all the pages can use: each unit's line, and for each unit with children each column of
    its children (categories and totals) against the unit's own cell."""
    units: list[Node] = []
    todo = [tree]
    while todo:
        node = todo.pop(0)
        units.append(node)
        todo.extend(node.children)
    index = {id(node): i for i, node in enumerate(units)}
    table = [[*node.counts, sum(node.counts)] for node in units]
    width = len(tree.counts)
    found: list[Relation] = []
    for i, node in enumerate(units):
        found.append(([(i, j) for j in range(width)], (i, width)))
        kids = [index[id(child)] for child in node.children]
        if kids:
            found += [([(k, j) for k in kids], (i, j)) for j in range(width + 1)]
    return units, table, found


def published_pages(tree: Node, masks) -> dict[Cell, int]:
    """Every cell shown on some unit's page (its own figures and its children's), checking
    that no cell is shown on one page and hidden on another."""
    units, table, _ = tree_table(tree)
    index = {id(node): i for i, node in enumerate(units)}
    shown: dict[Cell, int] = {}
    blanked: set[Cell] = set()
    for page in units:
        for on_page in [page, *page.children]:
            i = index[id(on_page)]
            for j, value in enumerate(masked(table[i], masks[on_page.key])):
                if value is None:
                    blanked.add((i, j))
                else:
                    shown[(i, j)] = value
    assert not blanked & shown.keys(), "a cell hidden on one page is shown on another"
    return shown


def unit(key: str, counts: list[int], *children: Node) -> Node:
    return Node(key, counts, children)


def family(counts: list[list[int]], parent_hidden: list[bool]):
    """One parent and its children, as the attacker sees them: the children's masks from
    `suppress_children` below the parent's fixed mask."""
    children = [unit(f"child {i}", row) for i, row in enumerate(counts)]
    parent = unit("parent", [sum(column) for column in zip(*counts, strict=True)], *children)
    hidden = suppress_children(counts, minimum=10, parent_hidden=parent_hidden)
    masks: dict[Hashable, list[bool]] = {"parent": parent_hidden}
    masks |= {child.key: row for child, row in zip(children, hidden, strict=True)}
    return hidden, tree_attack(parent, masks)


def tree_attack(tree: Node, masks) -> tuple[dict[Cell, int], dict[Cell, Fraction]]:
    """What the two attacks recover from every page of the tree."""
    _, table, found = tree_table(tree)
    shown = published_pages(tree, masks)
    mask = [[(i, j) not in shown for j in range(len(row))] for i, row in enumerate(table)]
    return subtraction_attack(table, mask, found), linear_attack(table, mask, found)


# Two trees whose hidden counts leak unless a parent's hidden cell needs two hidden children's
# cells under it, and the parent's hidden columns are linked through the children. Random
# trees rarely need these rules (versions without them passed the property test below for
# 950 to 6,700 random trees before failing), so the property test always runs these too.
PARTNERED_BY_THE_PARENT = unit(
    "R",
    [1, 5, 1],
    unit("A", [0, 1, 0]),
    unit("B", [1, 4, 1], unit("C", [0, 4, 0]), unit("D", [1, 0, 1])),
)
UNLINKED = unit(
    "R",
    [0, 1, 4, 2],
    unit("A", [0, 0, 0, 1]),
    unit("B", [0, 1, 4, 1], unit("C", [0, 0, 0, 1]), unit("D", [0, 1, 4, 0])),
)


def test_a_small_count_gets_its_partners_among_the_children_not_in_the_parent_row() -> None:
    counts = [[20, 0], [4, 15]]
    # On the whole table, the 4 would be paired with the parent's 24 and 15 (hidden from
    # above or not, they are not this table's to hide):
    assert suppress_table(counts, minimum=10)[-1] == [True, True, False]
    # Here the parent's row stays as it was decided, all shown. The 4 is paired with the 20
    # in its column and with the 15 in its row; the 15's column has only the 0 left among
    # the children, so the 0 is hidden rather than the parent's 15.
    hidden, (by_subtraction, by_elimination) = family(counts, [False, False, False])
    assert hidden == [[True, True, False], [True, True, False]]
    assert by_subtraction == by_elimination == {}


def test_a_parent_cell_hidden_from_above_gets_two_hidden_children_in_its_column() -> None:
    counts = [[12, 20, 40], [25, 40, 30], [30, 35, 50]]
    # Nothing is small here, but the parent's 67 girls and its total were hidden higher up:
    # each of the two columns hides two children's cells, the smallest, which pair up in
    # rows 0 and 1.
    hidden, (by_subtraction, by_elimination) = family(counts, [True, False, False, True])
    assert hidden == [[True, False, False, True], [True, False, False, True], [False] * 4]
    assert by_subtraction == by_elimination == {}


def test_a_single_child_takes_its_parents_mask() -> None:
    # The fallback: a column whose parent's cell is hidden has no second child to pair it
    # with, and the only child's counts are its parent's, so its mask is the parent's: every
    # child cell of a hidden column is hidden, as safe as the parent's cell it equals.
    parent_hidden = suppress_line([4, 30, 0], minimum=10)
    assert parent_hidden == [True, True, False, False]
    hidden, (by_subtraction, by_elimination) = family([[4, 30, 0]], parent_hidden)
    assert hidden == [parent_hidden]
    assert by_subtraction == by_elimination == {}


def test_a_parents_hidden_cell_is_not_a_partner_for_one_hidden_child_cell() -> None:
    # R publishes 5 and 7, so its two hidden 1s add up to 2. Counting the parent's hidden
    # cell as a partner, one hidden child cell per hidden parent cell would do: A shows its
    # 0s, so B's 1s are R's; C shows its 0s, so D's 1s are B's; and D's hidden total, 2,
    # is their sum: R's 7 - 5. Yet every line hides two cells or none, and no hidden cell
    # is a bridge in any one table, counting the parent's row.
    tree = PARTNERED_BY_THE_PARENT
    partnered_by_the_parent = {
        "R": [True, False, True, False],
        "A": [False, True, False, True],
        "B": [True, True, True, True],
        "C": [False, True, False, True],
        "D": [True, False, True, True],
    }
    by_subtraction, by_elimination = tree_attack(tree, partnered_by_the_parent)
    assert by_subtraction == {}
    assert by_elimination == {(4, 3): 2}  # D's total
    # Two hidden children's cells under each hidden parent cell: here, everything.
    masks = suppress_tree(tree, minimum=5)
    assert masks["R"] == partnered_by_the_parent["R"]
    assert masks["D"] == [True] * 4
    assert tree_attack(tree, masks) == ({}, {})


def test_the_parents_hidden_cells_are_linked_through_the_children() -> None:
    # R shows its 0 and its total 7. In B's table, C hides its 1 and its total, D its 1 and
    # 4 (its total 5 shown): each of B's hidden cells has a partner, but B's 1 and 4 are
    # D's, which add up to D's 5. In R's table A shows its 0s, so R's 1 and 4 are B's: they
    # add up to 5 and R's third count is 7 - 5 = 2.
    tree = UNLINKED
    unlinked = {
        "R": [False, True, True, True, False],
        "A": [False, False, False, True, True],
        "B": [False, True, True, True, True],
        "C": [False, False, False, True, True],
        "D": [False, True, True, False, False],
    }
    assert tree_attack(tree, unlinked) == ({}, {(0, 3): 2})  # R's third count
    # Here B's columns 1 and 2 are linked to its column 3 and total through C and D.
    masks = suppress_tree(tree, minimum=5)
    assert masks["R"] == unlinked["R"]
    assert masks["C"][1:] == masks["D"][1:] == [True] * 4
    assert tree_attack(tree, masks) == ({}, {})


def test_a_tree_is_suppressed_top_down_with_one_mask_per_unit() -> None:
    schools = [unit(f"school {n}", counts) for n, counts in enumerate([[3, 20], [25, 40]])]
    cluster = unit("cluster", [28, 60], *schools)
    tree = unit("block", [58, 95], cluster, unit("cluster 2", [30, 35]))
    masks = suppress_tree(tree, minimum=10)
    assert masks["block"] == [False, False, False]
    assert (
        masks["cluster"]
        == suppress_children([[28, 60], [30, 35]], minimum=10, parent_hidden=masks["block"])[0]
    )
    assert [masks["school 0"], masks["school 1"]] == suppress_children(
        [[3, 20], [25, 40]], minimum=10, parent_hidden=masks["cluster"]
    )
    assert masks["school 0"][0]


def test_inconsistent_trees_and_parent_masks_are_refused() -> None:
    with pytest.raises(ValueError, match="sums"):
        suppress_tree(unit("R", [5, 5], unit("A", [5, 4])), minimum=10)
    with pytest.raises(ValueError, match="twice"):
        suppress_tree(unit("R", [5, 5], unit("A", [5, 5], unit("A", [5, 5]))), minimum=10)
    with pytest.raises(ValueError, match="one flag"):
        suppress_children([[1, 2], [3, 4]], minimum=10, parent_hidden=[True, True])
    with pytest.raises(ValueError, match="one cell"):
        suppress_children([[1, 2], [3, 4]], minimum=10, parent_hidden=[True, False, False])
    assert suppress_children([], minimum=10, parent_hidden=[False]) == []


def test_forty_children_in_four_categories_take_a_few_milliseconds() -> None:
    rng = random.Random(40)
    counts = [[rng.choice([0, 1, 3, 6, 9, 12, 25, 40]) for _ in range(4)] for _ in range(40)]
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        hidden = suppress_children(
            counts, minimum=10, parent_hidden=[True, False, True, False, True]
        )
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.01
    children = [unit(f"child {i}", row) for i, row in enumerate(counts)]
    parent = unit("parent", [sum(column) for column in zip(*counts, strict=True)], *children)
    masks: dict[Hashable, list[bool]] = {"parent": [True, False, True, False, True]}
    masks |= {child.key: row for child, row in zip(children, hidden, strict=True)}
    assert tree_attack(parent, masks) == ({}, {})


@st.composite
def trees(draw) -> Node:
    """A root with 1–3 levels below it, 1–5 children per unit (one in five units other than
    the root and above the last level has none), 2–4 categories; the leaves count 0–40, every other unit the sum of its
    children."""
    width = draw(st.integers(2, 4))
    depth = draw(st.integers(1, 3))
    leaf_count = st.integers(0, 40) | st.sampled_from([0, 1, 2, 3, 4, 6, 9])

    def grow(key: str, level: int) -> Node:
        if level == depth or (level > 0 and draw(st.sampled_from([False] * 4 + [True]))):
            return Node(key, draw(st.lists(leaf_count, min_size=width, max_size=width)))
        children = [grow(f"{key}.{n}", level + 1) for n in range(draw(st.integers(1, 5)))]
        sums = [sum(child.counts[j] for child in children) for j in range(width)]
        return Node(key, sums, children)

    return grow("root", 0)


@settings(max_examples=200, deadline=None, database=None)
@given(tree=trees(), minimum=st.integers(5, 12))
@example(tree=PARTNERED_BY_THE_PARENT, minimum=5)
@example(tree=UNLINKED, minimum=5)
def test_no_hidden_count_in_a_tree_can_be_recovered_from_all_its_pages(tree, minimum) -> None:
    masks = suppress_tree(tree, minimum=minimum)
    units, table, _ = tree_table(tree)
    assert masks.keys() == {node.key for node in units}
    for i, row in enumerate(table):
        assert len(masks[units[i].key]) == len(row)
        for j, n in enumerate(row):
            if 0 < n < minimum:
                assert masks[units[i].key][j], f"the small count {n} of {units[i].key} is shown"
    by_subtraction, by_elimination = tree_attack(tree, masks)
    assert by_subtraction == {}
    assert by_elimination == {}
