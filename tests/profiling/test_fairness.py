"""The fairness audit of the profiling model, checked against values computed by hand.

The small frame has 12 jobseekers, 6 women (F) and 6 men (M); y = 1 means the person
became long-term unemployed, p is the model's probability, flagged when p >= threshold.

    F: (y, p) = (1, .9) (1, .7) (1, .4) (0, .6) (0, .8) (0, .2)
    M: (y, p) = (1, .6) (1, .3) (1, .2) (1, .4) (0, .5) (0, .1)
"""

import io
import json
import math
from fractions import Fraction as Fr
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InvalidInput
from workbench.profiling.fairness import FairnessAudit, FairnessLimits, audit

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

F = [(1, 0.9), (1, 0.7), (1, 0.4), (0, 0.6), (0, 0.8), (0, 0.2)]
M = [(1, 0.6), (1, 0.3), (1, 0.2), (1, 0.4), (0, 0.5), (0, 0.1)]
Y = [y for y, _ in F + M]
P = [p for _, p in F + M]
SEX = pd.DataFrame({"sex": ["F"] * 6 + ["M"] * 6})


@pytest.fixture(scope="module")
def small() -> FairnessAudit:
    # both groups have exactly 6 people: judged at min_group_size=6 (the bound is inclusive)
    return audit(Y, P, SEX, min_group_size=6)


def close(a: float, b: Fr | float) -> bool:
    return math.isclose(a, float(b), abs_tol=1e-12)


def test_group_rates_at_threshold_half_match_the_hand_count(small: FairnessAudit) -> None:
    # t = 0.5. F flags .9 .7 .6 .8 -> 4 of 6; TP 2 (.9 .7), FN 1 (.4), FP 2 (.6 .8), TN 1.
    f = small.group("sex", "F", 0.5)
    assert f.count == 6
    assert close(f.selection_rate, Fr(4, 6))
    assert close(f.false_positive_rate, Fr(2, 3))  # FP / negatives = 2/3
    assert close(f.false_negative_rate, Fr(1, 3))  # FN / positives = 1/3
    # M flags .6 and .5 (p = t counts) -> 2 of 6; TP 1, FN 3, FP 1, TN 1.
    m = small.group("sex", "M", 0.5)
    assert close(m.selection_rate, Fr(2, 6))
    assert close(m.false_positive_rate, Fr(1, 2))
    assert close(m.false_negative_rate, Fr(3, 4))
    assert f.note == m.note == ""


def test_parity_metrics_at_threshold_half_match_the_hand_count(small: FairnessAudit) -> None:
    d = small.disparity("sex", 0.5)
    assert close(d.dp_difference, Fr(4, 6) - Fr(2, 6))  # 1/3
    assert close(d.dp_ratio, Fr(2, 6) / Fr(4, 6))  # 1/2
    # TPR F 2/3, M 1/4 -> gap 5/12; FPR F 2/3, M 1/2 -> gap 1/6; EO difference = max = 5/12
    assert close(d.eo_difference, max(Fr(2, 3) - Fr(1, 4), Fr(2, 3) - Fr(1, 2)))
    # ratios: TPR (1/4)/(2/3) = 3/8, FPR (1/2)/(2/3) = 3/4; EO ratio = min = 3/8
    assert close(d.eo_ratio, Fr(3, 8))
    assert d.dp_groups == d.eo_groups == ("F", "M")


def test_overall_accuracy_and_calibration_match_the_hand_count(small: FairnessAudit) -> None:
    by_t = {s.threshold: s for s in small.overall}
    assert sorted(by_t) == [0.3, 0.5, 0.7]
    # t = 0.5: correct = TP + TN = (2 + 1) + (1 + 1) = 5 of 12
    assert close(by_t[0.5].accuracy, Fr(5, 12))
    # balanced: TPR 3/7 (3 of 7 positives flagged), TNR 2/5 -> (3/7 + 2/5) / 2 = 29/70
    assert close(by_t[0.5].balanced_accuracy, Fr(29, 70))
    assert close(by_t[0.5].selection_rate, Fr(6, 12))
    assert close(by_t[0.5].false_positive_rate, Fr(3, 5))
    assert close(by_t[0.5].false_negative_rate, Fr(4, 7))
    # t = 0.3: F flags all but .2 (TP 3, FP 2, TN 1); M all but .2 and .1 (TP 3, FP 1, TN 1)
    assert close(by_t[0.3].accuracy, Fr(8, 12))
    assert close(small.disparity("sex", 0.3).dp_difference, Fr(5, 6) - Fr(4, 6))
    assert close(small.disparity("sex", 0.3).eo_difference, Fr(1) - Fr(3, 4))  # TPR 1 vs 3/4
    # t = 0.7: F flags .9 .7 .8 (TP 2, FP 1); M flags no one -> TPR 0, FPR 0
    assert close(by_t[0.7].accuracy, Fr(6, 12))
    assert close(small.disparity("sex", 0.7).dp_ratio, 0)
    assert close(small.disparity("sex", 0.7).eo_difference, Fr(2, 3))
    cal = {c.group: c for c in small.calibration}
    # F: mean p = 3.6/6 = .6, observed 3/6; Brier = (.01+.09+.36+.36+.64+.04)/6 = 1.5/6
    assert close(cal["F"].mean_predicted, 0.6) and close(cal["F"].observed_rate, 0.5)
    assert close(cal["F"].brier_score, 0.25)
    # M: mean p = 2.1/6 = .35, observed 4/6; Brier = (.16+.49+.64+.36+.25+.01)/6 = 1.91/6
    assert close(cal["M"].mean_predicted, 0.35) and close(cal["M"].observed_rate, Fr(4, 6))
    assert close(cal["M"].brier_score, 1.91 / 6)


def test_breaches_at_default_limits_name_attribute_metric_value_and_limit(
    small: FairnessAudit,
) -> None:
    found = small.breaches(FairnessLimits(), 0.5)
    assert found == [
        "sex: demographic parity difference 0.333 exceeds the maximum 0.100 at threshold 0.5"
        " (selection rate 0.667 for F vs 0.333 for M)",
        "sex: demographic parity ratio 0.500 is below the minimum 0.800 (four-fifths rule)"
        " at threshold 0.5 (selection rate 0.667 for F vs 0.333 for M)",
        "sex: equalized odds difference 0.417 exceeds the maximum 0.100 at threshold 0.5"
        " (gaps: true positive rate 0.417, false positive rate 0.167)",
        "sex: equalized odds ratio 0.375 is below the minimum 0.800 (four-fifths rule)"
        " at threshold 0.5 (gaps: true positive rate 0.417, false positive rate 0.167)",
    ]
    relaxed = FairnessLimits(
        max_dp_difference=0.34, max_eo_difference=0.42, min_dp_ratio=0.5, min_eo_ratio=0.37
    )
    assert small.breaches(relaxed, 0.5) == []
    # just inside each relaxed limit: one notch stricter brings each breach back
    stricter = FairnessLimits(0.33, 0.41, 0.51, 0.38)
    assert len(small.breaches(stricter, 0.5)) == 4
    with pytest.raises(InvalidInput, match=r"0\.4 was not audited"):
        small.breaches(FairnessLimits(), 0.4)
    with pytest.raises(InvalidInput, match="max_dp_difference"):
        FairnessLimits(max_dp_difference=1.5)


def test_small_groups_and_undefined_rates_are_reported_not_dropped() -> None:
    # 16-24: 3 people (< 5, too small); 25-49: 6 people, none long-term unemployed
    # (FNR undefined, out of the equalized-odds comparison); 50+: 6 people, both outcomes.
    young = [(1, 0.9), (0, 0.8), (1, 0.7)]
    middle = [(0, p) for p in (0.1, 0.2, 0.6, 0.3, 0.4, 0.7)]
    older = [(1, 0.8), (1, 0.6), (0, 0.2), (0, 0.55), (1, 0.4), (0, 0.1)]
    rows = young + middle + older
    age = pd.DataFrame({"age_band": ["16-24"] * 3 + ["25-49"] * 6 + ["50+"] * 6})
    a = audit([y for y, _ in rows], [p for _, p in rows], age, min_group_size=5)
    y = a.group("age_band", "16-24", 0.5)
    assert y.count == 3 and math.isnan(y.selection_rate) and math.isnan(y.false_positive_rate)
    assert y.note == "too small to judge (n=3 < 5)"
    cal = {c.group: c for c in a.calibration}
    assert math.isnan(cal["16-24"].mean_predicted) and cal["16-24"].note == y.note
    mid = a.group("age_band", "25-49", 0.5)
    assert close(mid.selection_rate, Fr(2, 6)) and close(mid.false_positive_rate, Fr(2, 6))
    assert math.isnan(mid.false_negative_rate) and "false negative rate undefined" in mid.note
    d = a.disparity("age_band", 0.5)
    # DP over 25-49 (2/6) and 50+ (.8 .6 .55 -> 3/6) only; with 16-24 (3/3) it would be 2/3
    assert d.dp_groups == ("25-49", "50+") and close(d.dp_difference, Fr(1, 2) - Fr(1, 3))
    assert close(d.dp_ratio, Fr(2, 3))
    assert d.eo_groups == ("50+",) and math.isnan(d.eo_difference) and math.isnan(d.eo_ratio)
    assert "16-24 (too small to judge (n=3 < 5))" in d.note and "25-49 (no one" in d.note
    found = a.breaches(FairnessLimits(max_dp_difference=0.2, min_dp_ratio=0.6), 0.5)
    assert found == [f"age_band: equalized odds cannot be judged at 0.5: {d.note}"]
    assert "too small to judge" in a.table_html(0.5) and "<td>—</td>" in a.table_html(0.5)


def test_too_few_people_cannot_pass_the_gate() -> None:
    a = audit(Y, P, SEX)  # default minimum: 30 people per group, so nothing can be judged
    assert a.min_group_size == 30 and math.isnan(a.group("sex", "F", 0.5).selection_rate)
    found = a.breaches(FairnessLimits(), 0.5)
    assert len(found) == 2 and all("cannot be judged" in b for b in found)


def test_no_one_flagged_leaves_ratios_undefined_without_a_breach() -> None:
    a = audit(Y, P, SEX, thresholds=(0.95,), min_group_size=6)
    d = a.disparity("sex", 0.95)
    assert d.dp_difference == 0 and math.isnan(d.dp_ratio) and math.isnan(d.eo_ratio)
    assert "no one is flagged" in d.note
    assert a.breaches(FairnessLimits(), 0.95) == []


def test_as_dict_round_trips_through_json(small: FairnessAudit) -> None:
    sensitive = pd.DataFrame({"sex": ["F"] * 6 + ["M"] * 6 + ["X"] * 2, "origin": ["a", "b"] * 7})
    a = audit([*Y, 1, 0], [*P, 0.5, 0.5], sensitive, min_group_size=6)
    text = json.dumps(a.as_dict(), allow_nan=False)  # NaN of group X became null
    assert "null" in text
    back = FairnessAudit.from_dict(json.loads(text))
    assert back.as_dict() == a.as_dict()
    assert back.table_html(0.5) == a.table_html(0.5)
    assert back.breaches(FairnessLimits(), 0.5) == a.breaches(FairnessLimits(), 0.5)
    assert math.isnan(back.group("sex", "X", 0.5).selection_rate)
    with pytest.raises(InvalidInput, match="not a fairness audit"):
        FairnessAudit.from_dict({"n": 3})


def test_table_html_is_escaped_and_shows_the_numbers() -> None:
    a = audit(Y, P, pd.DataFrame({"sex": ["<b>F&</b>"] * 6 + ["M"] * 6}), min_group_size=6)
    table = a.table_html(0.5)
    assert "&lt;b&gt;F&amp;&lt;/b&gt;" in table and "<b>" not in table
    assert "<td>0.667</td>" in table and "<td>0.750</td>" in table  # F selection, M FNR
    assert "demographic parity difference 0.333, ratio 0.500" in table


@pytest.mark.parametrize(
    ("y_true", "y_prob", "sensitive", "key", "fragment"),
    [
        (
            [0, 1],
            [0.1, 0.2, 0.3],
            pd.DataFrame({"s": list("ab")}),
            "",
            "y_true has 2, y_prob has 3",
        ),
        ([0, 2, 1], [0.1] * 3, pd.DataFrame({"s": list("abc")}), "y_true", "row 1 (2)"),
        ([0, 1, 1], [0.1, float("nan"), 1.2], pd.DataFrame({"s": list("abc")}), "y_prob", "NaN"),
        ([0, 1, 1], [0.1, 0.5, 1.2], pd.DataFrame({"s": list("abc")}), "y_prob", "row 2 (1.2)"),
        ([0, 1], [0.1, 0.2], pd.DataFrame({"s": ["a", None]}), "sensitive[s]", "missing in row 1"),
        ([0, 1], [0.1, 0.2], pd.DataFrame(index=[0, 1]), "sensitive", "has no columns"),
        ([0, 1], [0.1, 0.2], [["a"], ["b"]], "sensitive", "must be a pandas DataFrame"),
        (["x", 1], [0.1, 0.2], pd.DataFrame({"s": list("ab")}), "y_true", "must be numbers"),
        ([], [], pd.DataFrame({"s": []}), "", "no rows to audit"),
    ],
)
def test_bad_input_says_what_and_where(y_true, y_prob, sensitive, key, fragment) -> None:
    with pytest.raises(InvalidInput) as caught:
        audit(y_true, y_prob, sensitive)
    assert any(p.key == key and fragment in p.message for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]


def test_bad_thresholds_and_group_size() -> None:
    with pytest.raises(InvalidInput) as caught:
        audit(Y, P, SEX, thresholds=(0.5, 1.5, 0.5), min_group_size=0)
    keys = [p.key for p in caught.value.problems]
    assert keys == ["thresholds", "thresholds", "min_group_size"]


values = st.one_of(st.sampled_from([0, 1, 2, -1, True, 0.5]), st.floats())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    y_true=st.lists(values, max_size=12),
    y_prob=st.lists(st.one_of(st.floats(0, 1), st.floats()), max_size=12),
    groups=st.lists(st.sampled_from(["a", "b", "c", None, 1]), max_size=12),
    minimum=st.integers(1, 4),
)
def test_fuzz_only_raises_invalid_input_or_audits(y_true, y_prob, groups, minimum) -> None:
    try:
        a = audit(y_true, y_prob, pd.DataFrame({"g": groups}), min_group_size=minimum)
    except InvalidInput as e:
        assert e.problems
        return
    json.dumps(a.as_dict(), allow_nan=False)
    assert sum(g.count for g in a.groups if g.threshold == 0.5) == len(y_true)
    assert all(isinstance(b, str) for b in a.breaches(FairnessLimits(), 0.5))


def synthetic(n: int = 900, seed: int = 7) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Synthetic jobseekers whose model over-predicts risk for one origin group."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n),
        "origin": rng.choice(["native", "foreign"], n, p=[0.7, 0.3]),
        "age_band": rng.choice(["16-24", "25-49", "50+"], n, p=[0.2, 0.55, 0.25]),
    })  # fmt: skip
    logit = rng.normal(-0.4, 1.2, n) + 0.6 * (frame["age_band"] == "50+")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    bias = 0.9 * (frame["origin"] == "foreign") + 0.2 * (frame["sex"] == "female")
    prob = 1 / (1 + np.exp(-(logit + bias + rng.normal(0, 0.6, n))))
    return y, prob.to_numpy(), frame


def test_tradeoff_figure_renders_the_audited_points() -> None:
    y, prob, frame = synthetic()
    a = audit(y, prob, frame)
    fig = a.tradeoff_figure()
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    for attr in ("sex", "origin", "age_band"):
        xs, ys = lines[attr].get_data()
        assert list(xs) == [a.disparity(attr, t).eo_difference for t in a.thresholds]
        assert list(ys) == [s.accuracy for s in a.overall]
    # the model's bias against the foreign-origin group is visible at every threshold
    assert all(a.disparity("origin", t).eo_difference > 0.1 for t in a.thresholds)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n" and len(buf.getvalue()) > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "profiling-fairness-tradeoff.png").write_bytes(buf.getvalue())
