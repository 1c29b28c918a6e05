"""Cells compared between two versions: every kind of change, ordering and storage."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.registry import Cell, diff_cells
from workbench.registry.diff import CellChange, cells_from_text, cells_to_text


def test_each_kind_of_change_is_named() -> None:
    before = {
        "same": Cell(0.5, 0.4, 0.6, 10),
        "up": Cell(0.2, 0.1, 0.3, 8),
        "down": Cell(0.9, 0.8, 1.0, 8),
        "narrower": Cell(0.5, 0.3, 0.7, 10),
        "lost": Cell(0.3, 0.2, 0.4, 6),
        "gone": Cell(0.1, n=3),
        "found": Cell(None, n=2),
        "still_none": Cell(None, n=1),
    }
    after = {
        "same": Cell(0.5 + 1e-12, 0.4, 0.6, 10),  # float noise is no move
        "up": Cell(0.5, 0.4, 0.6, 9),
        "down": Cell(0.8, 0.7, 0.9, 9),
        "narrower": Cell(0.5, 0.4, 0.6, 14),
        "lost": Cell(None, n=2),
        "new": Cell(0.0, n=4),
        "found": Cell(0.6, 0.5, 0.7, 5),
        "still_none": Cell(None, n=2),
    }
    changes = diff_cells(before, after)
    assert [(c.key, c.change) for c in changes] == [
        ("up", "moved"),
        ("down", "moved"),
        ("lost", "became_insufficient"),
        ("found", "became_sufficient"),
        ("new", "appeared"),
        ("gone", "disappeared"),
        ("narrower", "revised"),
        ("still_none", "revised"),
    ]
    assert changes[0].delta == pytest.approx(0.3) and changes[1].delta == pytest.approx(-0.1)
    assert changes[-2].delta == 0.0 and changes[-1].delta is None


def test_labels_fall_back_to_the_key() -> None:
    [change] = diff_cells({}, {"k": Cell(1.0, label="training · long")})
    assert change.label == "training · long"
    [change] = diff_cells({"k": Cell(1.0)}, {})
    assert change.label == "k"


def test_non_finite_numbers_are_stored_as_none() -> None:
    text = cells_to_text({"a": Cell(math.nan, -math.inf, math.inf, 3, "A")})
    assert cells_from_text(text) == {"a": Cell(None, None, None, 3, "A")}


numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
cells = st.builds(Cell, numbers, numbers, numbers, st.integers(0, 10**6), st.text(max_size=20))


@given(
    st.dictionaries(st.text(max_size=8), cells, max_size=8),
    st.dictionaries(st.text(max_size=8), cells, max_size=8),
)
def test_diffs_round_trip_and_cover_every_differing_key(before, after) -> None:
    changes = diff_cells(before, after)
    once = [CellChange.from_json(c.to_json()) for c in changes]
    assert [CellChange.from_json(c.to_json()) for c in once] == once
    assert [c.key for c in once] == [c.key for c in changes]
    stored = cells_from_text(cells_to_text(after))
    assert set(stored) == set(after)
    assert {c.key for c in changes} >= set(before) ^ set(after)
    assert diff_cells(stored, stored) == []
