"""Fairness audit of an at-risk profiling model, computed with fairlearn's ``MetricFrame``.

A jobseeker is flagged *at risk* of long-term unemployment (12+ months) when the model's
calibrated probability is at least the decision threshold. For each threshold and each
protected attribute (sex, origin, disability, age band…) :func:`audit` reports, by group:
count, selection rate, false positive and false negative rates, and calibration (mean
predicted probability, observed rate, Brier score); per attribute, demographic parity and
equalized odds as differences and ratios; per threshold, accuracy and balanced accuracy
(the accuracy–equity trade-off). Flanders' VDAB model flagged jobseekers of foreign origin
who did find work about 2.6 times as often as others: a false positive rate gap.

Groups too small to judge (fewer than ``min_group_size`` people) and rates that are
undefined (no positives or no negatives in a group) are reported as NaN with a note and
left out of the disparity comparison, which says so; they are never silently dropped.
:meth:`FairnessAudit.breaches` is the registry's approval gate.
"""

from __future__ import annotations

import html
import math
import numbers
import warnings
from dataclasses import asdict, dataclass, fields
from typing import Any, Self

import numpy as np
import pandas as pd
from fairlearn import metrics as flm
from matplotlib.figure import Figure
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, balanced_accuracy_score, brier_score_loss

from workbench.exceptions import InvalidInput, Problem

__all__ = ["FairnessAudit", "FairnessLimits", "audit"]

SOURCE = "fairness audit"
NAN = float("nan")


@dataclass(frozen=True)
class FairnessLimits:
    """The disparities a candidate may show before its approval needs a recorded override.

    Differences are the gap between the most and least affected group (0 = parity); ratios
    are the smallest rate over the largest (1 = parity). The ratio limits of 0.8 are the
    "four-fifths rule" of the US EEOC Uniform Guidelines on Employee Selection Procedures,
    29 CFR 1607.4(D). All four are configurable (a PES, works council or data protection
    officer may agree stricter or looser ones).
    """

    max_dp_difference: float = 0.10
    max_eo_difference: float = 0.10
    min_dp_ratio: float = 0.8
    min_eo_ratio: float = 0.8

    def __post_init__(self) -> None:
        bad = [
            Problem("fairness limits", f.name, f"must be a number in [0, 1], got {v!r}")
            for f in fields(self)
            if not (isinstance(v := getattr(self, f.name), int | float) and 0 <= v <= 1)
        ]
        if bad:
            raise InvalidInput(bad)


@dataclass(frozen=True)
class GroupMetrics:
    """Classification metrics of one group at one threshold (NaN when not judgeable)."""

    attribute: str
    group: str
    threshold: float
    count: int
    selection_rate: float
    false_positive_rate: float
    false_negative_rate: float
    note: str = ""


@dataclass(frozen=True)
class GroupCalibration:
    """Calibration of one group (threshold-free): predicted vs observed, Brier score."""

    attribute: str
    group: str
    count: int
    mean_predicted: float
    observed_rate: float
    brier_score: float
    note: str = ""


@dataclass(frozen=True)
class Disparity:
    """Demographic parity and equalized odds of one attribute at one threshold.

    ``dp_groups``/``eo_groups`` are the groups compared; fewer than two means the
    metric cannot be judged (NaN, explained in ``note``).
    """

    attribute: str
    threshold: float
    dp_difference: float
    dp_ratio: float
    eo_difference: float
    eo_ratio: float
    dp_groups: tuple[str, ...]
    eo_groups: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class ThresholdSummary:
    """Overall performance at one decision threshold."""

    threshold: float
    accuracy: float
    balanced_accuracy: float
    selection_rate: float
    false_positive_rate: float
    false_negative_rate: float


@dataclass(frozen=True)
class FairnessAudit:
    """The result of :func:`audit`; JSON round trip by :meth:`as_dict`/:meth:`from_dict`."""

    n: int
    min_group_size: int
    thresholds: tuple[float, ...]
    attributes: tuple[str, ...]
    overall: tuple[ThresholdSummary, ...]
    groups: tuple[GroupMetrics, ...]
    calibration: tuple[GroupCalibration, ...]
    disparities: tuple[Disparity, ...]

    def threshold(self, value: float) -> float:
        """The audited threshold equal to ``value``; InvalidInput if it was not audited."""
        for t in self.thresholds:
            if math.isclose(t, value, abs_tol=1e-9):
                return t
        audited = ", ".join(f"{t:g}" for t in self.thresholds)
        raise InvalidInput(
            [Problem(SOURCE, "threshold", f"{value!r} was not audited (audited: {audited})")]
        )

    def group(self, attribute: str, group: str, threshold: float) -> GroupMetrics:
        """The metrics of one group at one threshold."""
        t = self.threshold(threshold)
        for g in self.groups:
            if (g.attribute, g.group, g.threshold) == (attribute, group, t):
                return g
        raise InvalidInput([Problem(SOURCE, attribute, f"no group {group!r}")])

    def disparity(self, attribute: str, threshold: float) -> Disparity:
        """Demographic parity and equalized odds of ``attribute`` at ``threshold``."""
        t = self.threshold(threshold)
        for d in self.disparities:
            if (d.attribute, d.threshold) == (attribute, t):
                return d
        raise InvalidInput([Problem(SOURCE, attribute, "not an audited attribute")])

    def breaches(self, limits: FairnessLimits, threshold: float) -> list[str]:
        """What exceeds ``limits`` at the decision threshold in use, one sentence each.

        A disparity that cannot be judged (fewer than two groups large enough, or with
        both outcomes) is a breach too: the gate fails closed. Empty means approvable.
        """
        t = self.threshold(threshold)
        out: list[str] = []
        for attr in self.attributes:
            d = self.disparity(attr, t)
            rows = {g.group: g for g in self.groups if g.attribute == attr and g.threshold == t}
            checks: list[tuple[str, float, float]] = []
            why: dict[str, str] = {}
            if len(d.dp_groups) < 2:
                out.append(f"{attr}: demographic parity cannot be judged at {t:g}: {d.note}")
            else:
                rate = {g: rows[g].selection_rate for g in d.dp_groups}
                hi, lo = max(rate, key=rate.__getitem__), min(rate, key=rate.__getitem__)
                why["demographic"] = (
                    f" (selection rate {rate[hi]:.3f} for {hi} vs {rate[lo]:.3f} for {lo})"
                )
                checks += [
                    ("demographic parity difference", d.dp_difference, limits.max_dp_difference),
                    ("demographic parity ratio", d.dp_ratio, limits.min_dp_ratio),
                ]
            if len(d.eo_groups) < 2:
                out.append(f"{attr}: equalized odds cannot be judged at {t:g}: {d.note}")
            else:
                fpr = [rows[g].false_positive_rate for g in d.eo_groups]
                fnr = [rows[g].false_negative_rate for g in d.eo_groups]
                why["equalized"] = (
                    f" (gaps: true positive rate {max(fnr) - min(fnr):.3f}, "
                    f"false positive rate {max(fpr) - min(fpr):.3f})"
                )
                checks += [
                    ("equalized odds difference", d.eo_difference, limits.max_eo_difference),
                    ("equalized odds ratio", d.eo_ratio, limits.min_eo_ratio),
                ]
            for name, value, limit in checks:
                ratio = name.endswith("ratio")
                if value < limit if ratio else value > limit:  # NaN (0/0) is no breach
                    verb = "is below the minimum" if ratio else "exceeds the maximum"
                    rule = " (four-fifths rule)" if ratio else ""
                    out.append(
                        f"{attr}: {name} {value:.3f} {verb} {limit:.3f}{rule} "
                        f"at threshold {t:g}{why[name.split()[0]]}"
                    )
        return out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for the model card (NaN → None)."""
        return _json_safe({"schema": 1, **asdict(self)})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The audit back from :meth:`as_dict` (None → NaN)."""
        try:
            return cls(
                n=int(data["n"]),
                min_group_size=int(data["min_group_size"]),
                thresholds=tuple(float(t) for t in data["thresholds"]),
                attributes=tuple(data["attributes"]),
                overall=tuple(_load(ThresholdSummary, r) for r in data["overall"]),
                groups=tuple(_load(GroupMetrics, r) for r in data["groups"]),
                calibration=tuple(_load(GroupCalibration, r) for r in data["calibration"]),
                disparities=tuple(_load(Disparity, r) for r in data["disparities"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInput(
                [Problem("model card", "fairness", f"not a fairness audit: {e!r}")]
            ) from e

    def table_html(self, threshold: float) -> str:
        """An escaped HTML table by attribute and group at ``threshold``, with disparities."""
        t = self.threshold(threshold)
        calib = {(c.attribute, c.group): c for c in self.calibration}
        heads = ("Attribute", "Group", "n", "Selection rate", "False positive rate",
                 "False negative rate", "Mean predicted", "Observed rate", "Note")  # fmt: skip
        out = [
            '<table class="fairness-audit">',
            f"<caption>Fairness audit at decision threshold {t:g} (flagged at risk when the "
            f"predicted probability is at least {t:g})</caption>",
            "<thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in heads) + "</tr></thead>",
            "<tbody>",
        ]
        for attr in self.attributes:
            for g in (g for g in self.groups if g.attribute == attr and g.threshold == t):
                c = calib[(attr, g.group)]
                cells = [attr, g.group, str(g.count), _fmt(g.selection_rate),
                         _fmt(g.false_positive_rate), _fmt(g.false_negative_rate),
                         _fmt(c.mean_predicted), _fmt(c.observed_rate), g.note]  # fmt: skip
                out.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
            d = self.disparity(attr, t)
            summary = (
                f"{attr}: demographic parity difference {_fmt(d.dp_difference)}, ratio "
                f"{_fmt(d.dp_ratio)}; equalized odds difference {_fmt(d.eo_difference)}, "
                f"ratio {_fmt(d.eo_ratio)}" + (f". {d.note}" if d.note else "")
            )
            out.append(
                f'<tr class="disparity"><td colspan="{len(heads)}">{html.escape(summary)}</td></tr>'
            )
        return "\n".join([*out, "</tbody>", "</table>"])

    def tradeoff_figure(self, limits: FairnessLimits | None = None) -> Figure:
        """Accuracy against equalized odds difference across thresholds, one line per attribute."""
        limits = limits or FairnessLimits()
        fig = Figure(figsize=(7.5, 4.8), layout="constrained")
        ax = fig.subplots()
        accuracy = {s.threshold: s.accuracy for s in self.overall}
        for attr in self.attributes:
            pts = [(self.disparity(attr, t).eo_difference, accuracy[t], t) for t in self.thresholds]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=attr)
            for x, y, t in pts:
                if not math.isnan(x):
                    ax.annotate(f"t={t:g}", (x, y), textcoords="offset points", xytext=(5, 4),
                                fontsize=8)  # fmt: skip
        ax.axvline(limits.max_eo_difference, color="0.35", linestyle="--", linewidth=1)
        ax.text(limits.max_eo_difference, 0.02, f" limit {limits.max_eo_difference:g}",
                transform=ax.get_xaxis_transform(), fontsize=8, color="0.35")  # fmt: skip
        ax.set_xlabel("Equalized odds difference (0 = parity; worse to the right)")
        ax.set_ylabel("Accuracy")
        ax.set_title("Accuracy–equity trade-off across decision thresholds (t)")
        ax.margins(x=0.12, y=0.12)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        ax.legend(
            title="Protected attribute", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1)
        )
        return fig


def audit(
    y_true: Any,
    y_prob: Any,
    sensitive: pd.DataFrame,
    *,
    thresholds: tuple[float, ...] = (0.3, 0.5, 0.7),
    min_group_size: int = 30,
) -> FairnessAudit:
    """Audit predictions by the protected attributes in ``sensitive`` (one column each).

    ``y_true`` is 1 for a person who became long-term unemployed, ``y_prob`` the
    calibrated probability of that; a person is flagged when ``y_prob >= threshold``.
    All input problems are reported together as :class:`InvalidInput`.
    """
    y, prob, frame, ts = _validate(y_true, y_prob, sensitive, thresholds, min_group_size)
    flags = {t: (prob >= t).astype(int) for t in ts}
    overall, groups, calibration, disparities = [], [], [], []  # type: ignore[var-annotated]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, col in enumerate(frame.columns):
            attr, labels = str(col), frame[col].astype(str).to_numpy()
            feature = pd.Series(labels, name=attr)
            size = pd.Series(1, index=labels).groupby(level=0).sum()
            pos = pd.Series(y, index=labels).groupby(level=0).sum()
            notes = {g: _group_note(int(size[g]), int(pos[g]), min_group_size) for g in size.index}
            dp_ok = [g for g in size.index if size[g] >= min_group_size]
            eo_ok = [g for g in dp_ok if 0 < pos[g] < size[g]]
            cf = flm.MetricFrame(
                metrics=_CALIBRATION, y_true=y, y_pred=prob, sensitive_features=feature
            )
            for g, row in cf.by_group.iterrows():
                values = [float(row[k]) if g in dp_ok else NAN for k in list(_CALIBRATION)[1:]]
                calibration.append(GroupCalibration(attr, g, int(row["count"]), *values, notes[g]))
            for t in ts:
                mf = flm.MetricFrame(
                    metrics=_RATES, y_true=y, y_pred=flags[t], sensitive_features=feature
                )
                if i == 0:
                    overall.append(_summary(t, y, flags[t], mf.overall))
                for g, row in mf.by_group.iterrows():
                    ok, n, p = g in dp_ok, int(row["count"]), int(pos[g])
                    rates = (
                        float(row["selection_rate"]) if ok else NAN,
                        float(row["false_positive_rate"]) if ok and p < n else NAN,
                        float(row["false_negative_rate"]) if ok and p > 0 else NAN,
                    )
                    groups.append(GroupMetrics(attr, g, t, n, *rates, notes[g]))
                disparities.append(
                    _disparity(attr, t, y, flags[t], labels, dp_ok, eo_ok, notes, min_group_size)
                )
    parts = (overall, groups, calibration, disparities)
    return FairnessAudit(
        len(y), min_group_size, ts, tuple(map(str, frame.columns)), *map(tuple, parts)
    )


def _observed_rate(y_true: Any, y_pred: Any) -> float:
    """The share of the group who became long-term unemployed."""
    return float(np.mean(y_true))


def _brier(y_true: Any, y_pred: Any) -> float:
    """sklearn's Brier score with both labels declared (a group may have only one)."""
    return float(brier_score_loss(y_true, y_pred, labels=[0, 1]))


_RATES = {
    "count": flm.count,
    "selection_rate": flm.selection_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
}
_CALIBRATION = {
    "count": flm.count,
    "mean_predicted": flm.mean_prediction,
    "observed_rate": _observed_rate,
    "brier_score": _brier,
}


def _summary(t: float, y: np.ndarray, flagged: np.ndarray, mf: pd.Series) -> ThresholdSummary:
    fpr = float(mf["false_positive_rate"]) if not y.all() else NAN
    fnr = float(mf["false_negative_rate"]) if y.any() else NAN
    acc, bacc = accuracy_score(y, flagged), balanced_accuracy_score(y, flagged)
    return ThresholdSummary(t, float(acc), float(bacc), float(mf["selection_rate"]), fpr, fnr)


def _group_note(n: int, positives: int, minimum: int) -> str:
    if n < minimum:
        return f"too small to judge (n={n} < {minimum})"
    if positives == 0:
        return "no one became long-term unemployed: false negative rate undefined"
    if positives == n:
        return "everyone became long-term unemployed: false positive rate undefined"
    return ""


def _disparity(
    attr: str,
    t: float,
    y: np.ndarray,
    flagged: np.ndarray,
    labels: np.ndarray,
    dp_ok: list[str],
    eo_ok: list[str],
    notes: dict[str, str],
    minimum: int,
) -> Disparity:
    """fairlearn's parity metrics over the groups that can be judged."""
    said: list[str] = []
    left_out = [f"{g} ({notes[g]})" for g in notes if g not in eo_ok]
    if left_out:
        said.append("left out of the comparison: " + ", ".join(left_out))
    dp_d = dp_r = eo_d = eo_r = NAN
    if len(dp_ok) >= 2:
        m = np.isin(labels, dp_ok)
        kw = {"sensitive_features": labels[m]}
        dp_d = float(flm.demographic_parity_difference(y[m], flagged[m], **kw))
        dp_r = float(flm.demographic_parity_ratio(y[m], flagged[m], **kw))
        if math.isnan(dp_r):
            said.append("demographic parity ratio undefined: no one is flagged")
    else:
        said.append(f"fewer than two groups with at least {minimum} people")
    if len(eo_ok) >= 2:
        m = np.isin(labels, eo_ok)
        kw = {"sensitive_features": labels[m]}
        eo_d = float(flm.equalized_odds_difference(y[m], flagged[m], **kw))
        eo_r = float(flm.equalized_odds_ratio(y[m], flagged[m], **kw))
        if math.isnan(eo_r):  # fairlearn's min() is NaN when the TPR ratio is 0/0
            parts = [flm.true_positive_rate_ratio(y[m], flagged[m], **kw),
                     flm.false_positive_rate_ratio(y[m], flagged[m], **kw)]  # fmt: skip
            defined = [float(p) for p in parts if not math.isnan(p)]
            eo_r = min(defined) if defined else NAN
            said.append("equalized odds ratio from the defined rate ratios only (0/0 otherwise)")
    elif len(dp_ok) >= 2:
        said.append(f"fewer than two groups with at least {minimum} people and both outcomes")
    return Disparity(attr, t, dp_d, dp_r, eo_d, eo_r, tuple(dp_ok), tuple(eo_ok), "; ".join(said))


def _rows(mask: np.ndarray, values: np.ndarray | None = None) -> str:
    idx = np.flatnonzero(mask)
    shown = [f"{i} ({float(values[i]):g})" if values is not None else str(i) for i in idx[:5]]
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return f"row{'s' if len(idx) > 1 else ''} {', '.join(shown)}{more}"


def _numbers(values: Any, key: str, problems: list[Problem]) -> np.ndarray | None:
    try:
        if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as e:
        problems.append(Problem(SOURCE, key, f"must be numbers ({e})"))
        return None
    if arr.ndim != 1:
        problems.append(Problem(SOURCE, key, f"must be one-dimensional, got shape {arr.shape}"))
        return None
    return arr


def _validate(
    y_true: Any, y_prob: Any, sensitive: Any, thresholds: Any, min_group_size: Any
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, tuple[float, ...]]:
    problems: list[Problem] = []
    y = _numbers(y_true, "y_true", problems)
    if y is not None and (bad := ~np.isin(y, (0.0, 1.0))).any():
        msg = f"must be 0 or 1 (1 = long-term unemployed); other values in {_rows(bad, y)}"
        problems.append(Problem(SOURCE, "y_true", msg))
    prob = _numbers(y_prob, "y_prob", problems)
    if prob is not None and (bad := np.isnan(prob)).any():
        problems.append(Problem(SOURCE, "y_prob", f"is missing (NaN) in {_rows(bad)}"))
    if prob is not None and (bad := (prob < 0) | (prob > 1)).any():
        problems.append(
            Problem(SOURCE, "y_prob", f"must be in [0, 1]; other values in {_rows(bad, prob)}")
        )
    frame = sensitive.to_frame() if isinstance(sensitive, pd.Series) else sensitive
    if not isinstance(frame, pd.DataFrame):
        msg = f"must be a pandas DataFrame, one column per protected attribute, not {type(frame)}"
        problems.append(Problem(SOURCE, "sensitive", msg))
        frame = None
    elif frame.shape[1] == 0:
        msg = "has no columns: give at least one protected attribute (e.g. sex, origin)"
        problems.append(Problem(SOURCE, "sensitive", msg))
    elif frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        problems.append(Problem(SOURCE, "sensitive", f"has duplicate columns: {', '.join(dup)}"))
    else:
        for col in frame.columns:
            if (bad := frame[col].isna().to_numpy()).any():
                msg = f"is missing in {_rows(bad)}: fill it (e.g. 'unknown') or drop those rows"
                problems.append(Problem(SOURCE, f"sensitive[{col}]", msg))
    sizes = {k: len(v) for k, v in (("y_true", y), ("y_prob", prob), ("sensitive", frame))
             if v is not None}  # fmt: skip
    if len(set(sizes.values())) > 1:
        said = ", ".join(f"{k} has {n}" for k, n in sizes.items())
        problems.append(Problem(SOURCE, "", f"lengths differ: {said}"))
    elif sizes and not any(sizes.values()):
        problems.append(Problem(SOURCE, "", "no rows to audit"))
    ts: list[float] = []
    for t in thresholds if isinstance(thresholds, tuple | list) else [thresholds]:
        if not isinstance(t, numbers.Real) or isinstance(t, bool) or not 0 <= t <= 1:
            problems.append(Problem(SOURCE, "thresholds", f"{t!r} is not a number in [0, 1]"))
        else:
            ts.append(float(t))
    if not ts or len(set(ts)) != len(ts):
        problems.append(Problem(SOURCE, "thresholds", "give one or more distinct thresholds"))
    if (
        isinstance(min_group_size, bool)
        or not isinstance(min_group_size, numbers.Integral)
        or min_group_size < 1
    ):
        problems.append(Problem(SOURCE, "min_group_size", f"{min_group_size!r} is not an int ≥ 1"))
    if problems:
        raise InvalidInput(problems)
    assert y is not None and prob is not None and frame is not None
    return y.astype(int), prob, frame.reset_index(drop=True), tuple(sorted(ts))


def _fmt(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.3f}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _load(cls: type, row: dict[str, Any]) -> Any:
    def back(v: Any) -> Any:
        return NAN if v is None else tuple(v) if isinstance(v, list) else v

    return cls(**{f.name: back(row[f.name]) for f in fields(cls)})
