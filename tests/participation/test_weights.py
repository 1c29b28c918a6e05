"""Criteria weights from the points (what matters most), worked out by hand on planted data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from workbench.participation.analysis import FeedbackFrame, analyse, frame_weights, round_weights
from workbench.participation.weights import criterion_weights, points_matrix

SPEC = {
    "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
    "criteria": [
        {"key": "eff", "label": "Effectiveness"},
        {"key": "fea", "label": "Feasibility"},
        {"key": "fair", "label": "Fairness"},
    ],
    "points": 100,
}
#: participant id -> (group, points for eff, fea, fair)
PLANTED = {
    1: ("employers", (60, 30, 10)),
    2: ("employers", (40, 50, 10)),
    3: ("unions", (10, 20, 70)),
    4: ("unions", (20, 20, 60)),
    5: ("ngos", (0, 0, 100)),
}


def _frame(rows: list[tuple[int, str, str, Any]], spec: dict[str, Any] = SPEC) -> FeedbackFrame:
    return FeedbackFrame.from_rows(
        workshop_id=1,
        round_number=1,
        spec=spec,
        scale_max=5,
        statements=[],
        participants=[(pid, group) for pid, (group, _) in PLANTED.items()] + [(6, "employers")],
        rows=rows,
    )


def _planted_rows() -> list[tuple[int, str, str, Any]]:
    keys = ("eff", "fea", "fair")
    return [
        (pid, "points", f"points:{k}", v)
        for pid, (_, values) in PLANTED.items()
        for k, v in zip(keys, values, strict=True)
    ]


def test_weights_by_hand() -> None:
    w = frame_weights(_frame(_planted_rows()))
    # overall: eff (60+40+10+20+0)/5 = 26 -> 0.26; fea (30+50+20+20+0)/5 = 24; fair 50
    np.testing.assert_allclose(w.overall, [0.26, 0.24, 0.50])
    assert w.n == 5 and w.budget == 100
    assert w.groups == ("employers", "ngos", "unions")
    assert w.group_n.tolist() == [2, 1, 2]
    # employers: (60+40)/2 = 50, (30+50)/2 = 40, 10; ngos 0, 0, 100; unions 15, 20, 65
    np.testing.assert_allclose(
        w.by_group, [[0.50, 0.40, 0.10], [0.0, 0.0, 1.0], [0.15, 0.20, 0.65]]
    )
    np.testing.assert_allclose(w.by_group.sum(axis=1), 1.0)
    data = w.as_dict()
    assert data["overall"] == {"eff": 0.26, "fea": 0.24, "fair": 0.5}
    assert data["by_group"]["unions"] == {
        "participants": 2,
        "weights": {"eff": 0.15, "fea": 0.2, "fair": 0.65},
    }


def test_incomplete_or_odd_allocations_do_not_count() -> None:
    rows = _planted_rows()
    rows += [
        (6, "points", "points:eff", 100),  # participant 6: one criterion only
        (6, "points", "points:fea", 50),  # and a sum of 150
        (99, "points", "points:eff", 100),  # not a participant of the workshop
        (1, "points", "points:nope", 5),  # not a criterion
        (2, "rating", "rating:a:eff", 4),  # other kinds are not points
    ]
    w = frame_weights(_frame(rows))
    assert w.n == 5
    np.testing.assert_allclose(w.overall, [0.26, 0.24, 0.50])
    who, grid = points_matrix(
        np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([60, 40, 100]), n_criteria=2, budget=100
    )
    assert who.tolist() == [0] and grid.tolist() == [[60, 40]]  # participant 1 gave one only


def test_no_points_and_no_budget() -> None:
    empty = frame_weights(_frame([]))
    assert empty.n == 0 and np.isnan(empty.overall).all() and empty.groups == ()
    assert empty.as_dict()["overall"] == {"eff": None, "fea": None, "fair": None}
    off = frame_weights(_frame(_planted_rows(), {**SPEC, "points": None}))
    assert not off.asked and off.n == 0
    direct = criterion_weights(
        np.array([0, 0]),
        np.array([0, 1]),
        np.array([3, 7]),
        participant_groups=[""],
        criteria=["x", "y"],
        criterion_labels=["X", "Y"],
        budget=10,
    )
    assert direct.groups == ("",) and direct.overall.tolist() == pytest.approx([0.3, 0.7])


def test_analyse_carries_the_weights_and_counts_point_givers_as_active() -> None:
    result = analyse(_frame(_planted_rows()))
    assert result.participants == 5
    assert result.active_by_group == {"employers": 2, "ngos": 1, "unions": 2}
    assert result.weights is not None
    np.testing.assert_allclose(result.weights.overall, [0.26, 0.24, 0.50])
    assert result.as_dict()["weights"]["participants"] == 5


def test_round_weights_reads_the_database(env: Any) -> None:
    env.open()
    tokens = env.participants(3, groups=["employers", "unions"])
    for token, (eff, fea) in zip(tokens, [(70, 30), (20, 80), (50, 50)], strict=True):
        env.submit(token, "points", {"effectiveness": eff, "feasibility": fea})
    w = round_weights(env.db, env.wid, 1)
    # overall (70+20+50)/3 / 100; employers p0, p2: (70+50)/2 = 60; unions p1: 20
    np.testing.assert_allclose(w.overall, [140 / 300, 160 / 300])
    assert w.groups == ("employers", "unions") and w.group_n.tolist() == [2, 1]
    np.testing.assert_allclose(w.by_group, [[0.6, 0.4], [0.2, 0.8]])
    assert round_weights(env.db, env.wid, 2).n == 0  # a round nobody answered
