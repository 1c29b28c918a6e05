"""The point estimate and the sensitivity scenarios (workbench.tuning.sensitivity)."""

from __future__ import annotations

import numpy as np

from workbench.tuning.inputs import encode, validate
from workbench.tuning.scores import one_hot
from workbench.tuning.sensitivity import point_estimate, scenarios
from workbench.tuning.weights import expected_shares

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
#: Employers tip the balance: without them the unions' and NGOs' reach wins.
TIPPED = {
    "employers": (10, {"feasibility": 100, "reach": 0}),
    "unions": (4, {"feasibility": 30, "reach": 70}),
    "ngos": (4, {"feasibility": 40, "reach": 60}),
}


def _run(planted, scores, rule="equal", method="weighted-sum", expected_mix=None):
    points, ratings = planted(TIPPED, scores)
    inputs = validate(points, ratings, CRITERIA, OPTIONS, expected_mix=expected_mix)
    enc = encode(inputs)
    expected = None
    if inputs.expected_mix:
        expected, _ = expected_shares(inputs.expected_mix, enc.groups, np.ones(3, dtype=bool))
    ratings_t = one_hot(enc)
    base = point_estimate(inputs, enc, ratings_t, rule=rule, method=method, expected=expected)
    found = scenarios(inputs, enc, ratings_t, base, rule=rule, method=method, expected=expected)
    return inputs, base, {s["label"]: s for s in found}


def test_dropping_the_tipping_group_changes_the_top_option(planted, scores) -> None:
    inputs, base, found = _run(planted, scores)
    # equal: feasibility (1 + 0.3 + 0.4) / 3 = 0.567 > 0.5 -> training first
    np.testing.assert_allclose(base.weights, [1.7 / 3, 1.3 / 3])
    assert inputs.options[base.order[0]] == "training"
    assert set(found) == {"group rule as-present", "method topsis", "without employers",
                          "without ngos", "without unions"}  # fmt: skip
    gone = found["without employers"]
    assert (gone["top"], gone["top_changed"], gone["dropped_group"]) == ("subsidy", True,
                                                                         "employers")  # fmt: skip
    # weights (0.35, 0.65): subsidy .65, training .35, jsa 1/3
    assert gone["order"] == ["subsidy", "training", "jsa"]
    kept = found["without unions"]
    assert (kept["top"], kept["top_changed"]) == ("training", False)
    # as-present: (10 + 1.2 + 1.6) / 18 = 0.711 -> training stays first
    assert found["group rule as-present"]["top"] == "training"
    assert found["method topsis"]["method"] == "topsis"
    assert set(found["method topsis"]["preferences"]) == set(OPTIONS)


def test_expected_mix_scenario_only_with_an_expected_mix(planted, scores) -> None:
    mix = {"employers": 1, "unions": 4, "ngos": 4}
    _, _, found = _run(planted, scores, rule="as-present", expected_mix=mix)
    # expected-mix: (1 * 1 + 4 * 0.3 + 4 * 0.4) / 9 = 0.422 < 0.5 -> subsidy first
    assert found["group rule expected-mix"]["top"] == "subsidy"
    assert found["group rule expected-mix"]["top_changed"]
    assert found["group rule equal"]["top"] == "training"
    assert "group rule as-present" not in found


def test_point_estimate_counts_select_participants(planted, scores) -> None:
    points, ratings = planted(TIPPED, scores)
    inputs = validate(points, ratings, CRITERIA, OPTIONS)
    enc = encode(inputs)
    ratings_t = one_hot(enc)
    common = {"rule": "as-present", "method": "weighted-sum", "expected": None}
    base = point_estimate(inputs, enc, ratings_t, **common)
    twice = point_estimate(inputs, enc, ratings_t, counts=np.full(len(enc.participants), 2),
                           **common)  # fmt: skip
    np.testing.assert_allclose(twice.weights, base.weights)
    np.testing.assert_allclose(twice.hist, 2 * base.hist)
    nobody = point_estimate(inputs, enc, ratings_t, counts=np.zeros(len(enc.participants)),
                            fallback=base, **common)  # fmt: skip
    np.testing.assert_allclose(nobody.weights, base.weights)
    np.testing.assert_allclose(nobody.cell_medians, base.cell_medians)
