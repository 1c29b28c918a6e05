"""Planted workshop rounds for the tuning tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest

Groups = Mapping[str, tuple[int, Mapping[str, int]]]
Scores = Mapping[str, Mapping[str, int]]


def planted_round(
    groups: Groups,
    scores: Scores,
    *,
    noise: int = 0,
    seed: int = 0,
    scale: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points and ratings: every member of a group gives the group's points, and rates
    option o on criterion c at ``scores[o][c]`` (plus uniform noise in +-``noise``)."""
    rng = np.random.default_rng(seed)
    points, ratings = [], []
    for group, (size, allocation) in groups.items():
        for i in range(size):
            pid = f"{group}-{i:03d}"
            points += [(pid, group, c, v) for c, v in allocation.items()]
            for option, row in scores.items():
                for criterion, value in row.items():
                    jitter = int(rng.integers(-noise, noise + 1)) if noise else 0
                    ratings.append(
                        (pid, group, option, criterion, int(np.clip(value + jitter, 1, scale)))
                    )
    return (
        pd.DataFrame(points, columns=["participant", "group", "criterion", "points"]),
        pd.DataFrame(ratings, columns=["participant", "group", "option", "criterion", "value"]),
    )


@pytest.fixture
def planted() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    """The :func:`planted_round` builder."""
    return planted_round


#: Two options that each win on one criterion: training is feasible, subsidy reaches many.
SCORES = {
    "training": {"feasibility": 5, "reach": 2},
    "subsidy": {"feasibility": 2, "reach": 5},
    "jsa": {"feasibility": 3, "reach": 3},
}


@pytest.fixture
def scores() -> dict[str, dict[str, int]]:
    """Planted option scores (see :data:`SCORES`)."""
    return {o: dict(row) for o, row in SCORES.items()}
