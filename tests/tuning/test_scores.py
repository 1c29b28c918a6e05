"""Option scores per criterion (workbench.tuning.scores)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.tuning.inputs import EVIDENCE, encode, validate
from workbench.tuning.mcda import normalise
from workbench.tuning.scores import (
    decision_matrix,
    evidence_point,
    histograms,
    medians,
    one_hot,
    score_table,
)

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
GROUPS = {
    "employers": (9, {"feasibility": 70, "reach": 30}),
    "unions": (6, {"feasibility": 30, "reach": 70}),
}


@pytest.fixture
def noisy(planted, scores):
    points, ratings = planted(GROUPS, scores, noise=2, seed=5)
    inputs = validate(points, ratings, CRITERIA, OPTIONS)
    return inputs, encode(inputs), ratings


def test_round_medians_and_iqr_equal_numpy_on_the_raw_ratings(noisy) -> None:
    inputs, enc, ratings = noisy
    hist = histograms(np.ones((1, len(enc.participants))), one_hot(enc), enc)
    med = medians(hist)[0]
    matrix = decision_matrix(med[None, :], None, enc)[0]
    rows = pd.DataFrame(score_table(inputs, hist, normalise(matrix)))
    for _, row in rows.iterrows():
        raw = ratings.loc[
            (ratings["option"] == row["option"]) & (ratings["criterion"] == row["criterion"]),
            "value",
        ].to_numpy()
        q1, q2, q3 = np.percentile(raw, [25, 50, 75])
        assert (row["n"], row["median"], row["q1"], row["q3"]) == (len(raw), q2, q1, q3)
        assert row["iqr"] == pytest.approx(q3 - q1)
        i, j = inputs.options.index(row["option"]), inputs.rated.index(row["criterion"])
        assert matrix[i, j] == q2


def test_bootstrap_histograms_equal_repeated_raw_ratings(noisy) -> None:
    _, enc, ratings = noisy
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(5, len(enc.participants)))
    counts[:, 0] = 1  # keep every cell rated
    med = medians(histograms(counts, one_hot(enc), enc))
    by_participant = dict(zip(enc.participants, range(len(enc.participants)), strict=True))
    options = sorted(OPTIONS)
    for d in range(5):
        reps = counts[d, ratings["participant"].map(by_participant).to_numpy()]
        drawn = ratings.loc[ratings.index.repeat(reps)]
        expected = drawn.groupby(["option", "criterion"])["value"].median()
        for (option, criterion), value in expected.items():
            cell = options.index(option) * 2 + CRITERIA.index(criterion)
            assert med[d, cell] == value


def test_empty_cells_fall_back_to_the_round_median(noisy) -> None:
    _, enc, _ = noisy
    hist = histograms(np.zeros((2, len(enc.participants))), one_hot(enc), enc)
    assert hist.sum() == 0
    assert np.isnan(medians(hist)).all()
    fallback = np.arange(enc.n_cells, dtype=float)
    np.testing.assert_array_equal(medians(hist, fallback), np.tile(fallback, (2, 1)))


def test_evidence_column_and_insufficient_flag(planted, scores) -> None:
    points, ratings = planted(GROUPS, scores)
    ev = {"training": (0.7, 0.55, 0.85), "subsidy": None, "jsa": (0.4, 0.2, 0.6)}
    inputs = validate(points, ratings, CRITERIA, OPTIONS, evidence=ev)
    enc = encode(inputs)
    point = evidence_point(inputs)
    np.testing.assert_allclose(point, [0.4, 0.0, 0.7])  # jsa, subsidy, training
    hist = histograms(np.ones((1, len(enc.participants))), one_hot(enc), enc)
    matrix = decision_matrix(medians(hist), point, enc)[0]
    assert matrix.shape == (3, 3)
    np.testing.assert_allclose(matrix[:, 2], point)
    np.testing.assert_allclose(matrix[2, :2], [5, 2])  # training: feasibility 5, reach 2
    rows = [r for r in score_table(inputs, hist, normalise(matrix)) if r["criterion"] == EVIDENCE]
    flags = {r["option"]: (r["score"], r["low"], r["insufficient_evidence"]) for r in rows}
    assert flags == {"jsa": (0.4, 0.2, False), "subsidy": (0.0, None, True),
                     "training": (0.7, 0.55, False)}  # fmt: skip
    per_draw = decision_matrix(np.repeat(medians(hist), 4, axis=0), np.ones((4, 3)), enc)
    assert per_draw.shape == (4, 3, 3) and (per_draw[:, :, 2] == 1).all()
    assert evidence_point(validate(points, ratings, CRITERIA, OPTIONS)) is None
