"""What matters most: criteria weights from dot voting (each participant spreads a budget
of points over the workshop's criteria).

A criterion's weight is the mean of the points it received divided by the budget, over
the participants whose allocation is complete (a number for every criterion, adding up
to the budget, as the feedback service stores it): overall and per stakeholder group.
The weights of each group add up to 1. Pure numpy on the integer-coded arrays of a
:class:`workbench.participation.analysis.FeedbackFrame`; no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CriterionWeights:
    """Mean points / budget per criterion, overall and per stakeholder group.

    ``overall`` and each row of ``by_group`` follow ``criteria``; they are NaN where
    nobody gave points. ``groups`` are the stakeholder groups (sorted keys, "" for
    none given) with at least one complete allocation, ``group_n`` their sizes.
    """

    criteria: tuple[str, ...]
    criterion_labels: tuple[str, ...]
    budget: int
    overall: FloatArray
    n: int
    groups: tuple[str, ...]
    by_group: FloatArray
    group_n: IntArray

    @property
    def asked(self) -> bool:
        """True if the workshop asks for points at all."""
        return self.budget > 0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (NaN becomes None)."""

        def weights(row: FloatArray) -> dict[str, float | None]:
            return {
                c: (None if not np.isfinite(x) else float(x))
                for c, x in zip(self.criteria, row, strict=True)
            }

        return {
            "budget": self.budget,
            "participants": self.n,
            "overall": weights(self.overall),
            "by_group": {
                g: {"participants": int(n), "weights": weights(row)}
                for g, n, row in zip(self.groups, self.group_n, self.by_group, strict=True)
            },
        }


def points_matrix(
    participant: IntArray, criterion: IntArray, value: IntArray, *, n_criteria: int, budget: int
) -> tuple[IntArray, IntArray]:
    """(participant codes, participants × criteria points) of the complete allocations.

    An allocation is complete when the participant gave a number to every criterion and
    the numbers add up to ``budget``; anything else (a half-written answer from outside
    the services) is left out. Participants are in ascending code order.
    """
    participant = np.asarray(participant, dtype=np.int64)
    if budget <= 0 or n_criteria <= 0 or participant.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n_criteria), dtype=np.int64)
    who, row = np.unique(participant, return_inverse=True)
    grid = np.zeros((len(who), n_criteria), dtype=np.int64)
    given = np.zeros((len(who), n_criteria), dtype=np.int64)
    np.add.at(grid, (row, np.asarray(criterion)), np.asarray(value, dtype=np.int64))
    np.add.at(given, (row, np.asarray(criterion)), 1)
    complete = (given == 1).all(axis=1) & (grid.sum(axis=1) == budget)
    return who[complete], grid[complete]


def criterion_weights(
    participant: IntArray,
    criterion: IntArray,
    value: IntArray,
    *,
    participant_groups: Sequence[str],
    criteria: Sequence[str],
    criterion_labels: Sequence[str],
    budget: int,
) -> CriterionWeights:
    """Criteria weights (mean points / ``budget``) overall and per stakeholder group.

    ``participant`` codes index ``participant_groups``; ``criterion`` codes index
    ``criteria``. See :func:`points_matrix` for which allocations count.
    """
    n_crit = len(criteria)
    who, grid = points_matrix(participant, criterion, value, n_criteria=n_crit, budget=budget)
    scale = float(budget) if budget > 0 else 1.0
    overall = grid.mean(axis=0) / scale if len(who) else np.full(n_crit, np.nan)
    group_of = np.array([participant_groups[p] or "" for p in who], dtype=object)
    groups = tuple(sorted(set(group_of.tolist())))
    by_group = np.full((len(groups), n_crit), np.nan)
    group_n = np.zeros(len(groups), dtype=np.int64)
    for i, group in enumerate(groups):
        members = group_of == group
        by_group[i] = grid[members].mean(axis=0) / scale
        group_n[i] = int(members.sum())
    return CriterionWeights(
        criteria=tuple(criteria),
        criterion_labels=tuple(criterion_labels),
        budget=budget,
        overall=np.asarray(overall, dtype=np.float64),
        n=len(who),
        groups=groups,
        by_group=by_group,
        group_n=group_n,
    )
