"""The model card of a profiling model version (markdown, ``card.md`` in the version folder).

It says what the model is for (it supports counsellors and decides nothing), what it was
trained on (SYNTHETIC when it was), how well it does on held-out rows, the fairness audit
at the decision threshold with every breach of the configured limits, the accuracy–equity
trade-off across thresholds, the justifications log of any protected attribute used as a
feature, the GDPR lawful basis and the data minimisation applied, and what counsellors'
overrides signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.profiling.fairness import FairnessAudit, FairnessLimits
from workbench.profiling.features import FeatureSet
from workbench.profiling.model import INTERVAL_NOTE
from workbench.profiling.schema import COLUMNS, PROTECTED

__all__ = ["DEFAULT_LAWFUL_BASIS", "CardFacts", "model_card"]

DEFAULT_LAWFUL_BASIS = "not stated: the PES's data protection officer must fill this in"
_DOC = {c.name: c.doc for c in COLUMNS}
_COMPUTED = {
    "isco_major": "first digit of `isco` (ISCO-08 major group; `none` when no previous job)",
    "region_ltu_share": "REAL long-term unemployment share of the person's `region` "
    "(Eurostat lfst_r_lfu2ltu, % of the unemployed)",
    "region_ltu_imputed": "1 when the region has no value in that file and the EU27 value was used",
    "own_transport": "`own_transport` as yes / no / unknown",
}


@dataclass(frozen=True)
class CardFacts:
    """Everything the card states about one version."""

    version: str
    synthetic: bool
    data_source: str
    training_hash: str
    n_train: int
    n_test: int
    metrics: dict[str, float]
    audit: FairnessAudit
    limits: FairnessLimits
    threshold: float
    feature_set: FeatureSet
    columns_held: tuple[str, ...]
    method: str
    lawful_basis: str = DEFAULT_LAWFUL_BASIS
    minimisation: str = ""
    override_signals: tuple[str, ...] = ()
    figure: str | None = None  # file name of the trade-off figure in the version folder


def _f(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _table(heads: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [_row(heads), _row(["---"] * len(heads)), *(_row(r) for r in rows)]


def model_card(facts: CardFacts) -> str:
    """The markdown card of one profiling version."""
    f = facts
    version = f"version {f.version}" if f.version else "candidate version"
    lines = [f"# Model card: `profiling`, {version}", ""]
    if f.synthetic:
        lines += [
            "> **SYNTHETIC TRAINING DATA.** This version was trained on made-up jobseekers "
            "(the workbench's documented synthetic generator). Its numbers describe the "
            "generator, not any real population: **not for use with real jobseekers.**",
            "",
        ]
    lines += [
        "## Intended use",
        "",
        "Estimates the risk that a jobseeker is still unemployed 12 months after registering "
        "(long-term unemployment), with an interval. **It supports counsellors; it decides "
        "nothing.** A counsellor sees the risk, its interval and the reasons of each pathway "
        "step, and accepts, changes or rejects each step with a reason (every override is "
        "logged). It must not be used to refuse a service, to sanction, or for any decision "
        "taken without a person (GDPR Art. 22).",
        "",
        "## Model",
        "",
        f"Logistic regression on one-hot encoded categories and standardised numbers, "
        f"calibrated with `CalibratedClassifierCV` ({f.method}, 5 folds, ensemble). "
        f"{INTERVAL_NOTE}",
        "",
        "## Training data",
        "",
        f"- Source: {f.data_source}" + (" (**SYNTHETIC**)" if f.synthetic else ""),
        f"- {f.n_train + f.n_test} rows: {f.n_train} for training, {f.n_test} held out "
        "(fixed seed, stratified on the outcome) for the metrics and the fairness audit",
        f"- Share long-term unemployed: {_f(f.metrics.get('base_rate'))}",
        f"- Training data sha256: `{f.training_hash}`",
        "",
        *_features(f),
        *_performance(f),
        *_fairness(f),
        *_tradeoff(f),
        "## Counsellor overrides",
        "",
    ]
    if f.override_signals:
        lines += [f"- {s}" for s in f.override_signals]
    else:
        lines.append(
            "None recorded for this version yet. Aggregated overrides (e.g. a step counsellors "
            "reject for one group far more often) are listed here when the card is rebuilt."
        )
    lines += [
        "",
        "## Limits",
        "",
        "- The audit covers the held-out rows only; groups under "
        f"{f.audit.min_group_size} people are reported but not judged.",
        "- Parity in the audit is not fairness in the counsellor's room: the overrides and "
        "the monitoring template measure what happens in use.",
        "- The region feature is a 2025 regional figure; it does not follow the economy.",
    ]
    if f.synthetic:
        lines.append("- Trained on synthetic data: retrain on the PES's own table before use.")
    return "\n".join(lines) + "\n"


def _features(f: CardFacts) -> list[str]:
    fs = f.feature_set
    used = set(fs.inputs)
    rows = [(f"`{x}`", "category" if x in fs.categorical else "number",
             _COMPUTED.get(x, _DOC.get(x, ""))) for x in fs.features]  # fmt: skip
    lines = [
        "## Features and data minimisation",
        "",
        *_table(["feature", "kind", "what"], rows),
        "",
        f"- Columns held: {', '.join(f'`{c}`' for c in f.columns_held)}",
        "- Held but not a feature: "
        + (", ".join(f"`{c}`" for c in f.columns_held if c not in used | {"ltu"}) or "none"),
        "- The outcome `ltu` is used for training and the audit only.",
    ]
    audit_only = [a for a in PROTECTED if a not in fs.policy.justified]
    lines.append(
        "- Protected attributes kept for the fairness audit only: "
        + (", ".join(f"`{a}`" for a in audit_only) or "none")
    )
    if fs.policy.justified:
        lines.append(
            "- **Protected attributes used as features (justified below):** "
            + ", ".join(f"`{a}`" for a in fs.policy.justified)
        )
    if f.minimisation:
        lines.append(f"- Minimisation stated by the PES: {f.minimisation}")
    lines += [f"- Note: {n}" for n in fs.notes]
    lines += ["", "### Justifications log", ""]
    if fs.policy.justifications:
        lines += _table(
            ["attribute", "by", "when (UTC)", "reason"],
            [(j.attribute, j.by, j.at, j.reason) for j in fs.policy.justifications],
        )
    else:
        lines.append("None: no protected attribute is a feature of this version.")
    lines += [
        "",
        "## Lawful basis (GDPR Art. 6)",
        "",
        f"{f.lawful_basis or DEFAULT_LAWFUL_BASIS}",
        "",
    ]
    return lines


def _performance(f: CardFacts) -> list[str]:
    m = f.metrics
    rows = [
        ("AUC (ROC)", _f(m.get("test_auc"))),
        ("Brier score (lower is better)", _f(m.get("test_brier"))),
        ("Log loss", _f(m.get("test_log_loss"))),
        ("Mean interval width (risk_high - risk_low)", _f(m.get("mean_interval_width"))),
    ]
    return ["## Performance on the held-out rows", "", *_table(["metric", "value"], rows), ""]


def _fairness(f: CardFacts) -> list[str]:
    a, t = f.audit, f.audit.threshold(f.threshold)
    calib = {(c.attribute, c.group): c for c in a.calibration}
    rows = []
    for g in (g for g in a.groups if g.threshold == t):
        c = calib[(g.attribute, g.group)]
        rows.append((g.attribute, g.group, g.count, _f(g.selection_rate),
                     _f(g.false_positive_rate), _f(g.false_negative_rate),
                     _f(c.mean_predicted), _f(c.observed_rate), g.note))  # fmt: skip
    lines = [
        f"## Fairness audit at the decision threshold {t:g}",
        "",
        f"A person is flagged at risk when the predicted probability is at least {t:g}. "
        "Computed with fairlearn's MetricFrame on the held-out rows.",
        "",
        *_table(["attribute", "group", "n", "selection rate", "false positive rate",
                 "false negative rate", "mean predicted", "observed rate", "note"], rows),
        "",
        *_table(
            ["attribute", "demographic parity diff.", "ratio", "equalized odds diff.", "ratio"],
            [(d.attribute, _f(d.dp_difference), _f(d.dp_ratio), _f(d.eo_difference),
              _f(d.eo_ratio)) for d in a.disparities if d.threshold == t],
        ),
        "",
        f"Limits: demographic parity and equalized odds differences at most "
        f"{f.limits.max_dp_difference:g} / {f.limits.max_eo_difference:g}; ratios at least "
        f"{f.limits.min_dp_ratio:g} / {f.limits.min_eo_ratio:g} (four-fifths rule).",
        "",
    ]  # fmt: skip
    breaches = a.breaches(f.limits, t)
    if breaches:
        lines += [
            f"**{len(breaches)} breach(es): this version cannot be approved without a "
            "recorded override (who, why).**",
            "",
            *(f"- {b}" for b in breaches),
        ]
    else:
        lines.append("No breach of the limits at this threshold.")
    return [*lines, ""]


_TRADEOFF_HEADS = (
    "threshold", "accuracy", "balanced accuracy", "selection rate", "false positive rate",
    "false negative rate", "largest equalized odds diff.", "breaches",
)  # fmt: skip


def _tradeoff(f: CardFacts) -> list[str]:
    a = f.audit
    rows = []
    for s in a.overall:
        eo = [d.eo_difference for d in a.disparities if d.threshold == s.threshold]
        eo = [x for x in eo if not math.isnan(x)]
        rows.append(
            (
                f"{s.threshold:g}",
                *map(_f, (s.accuracy, s.balanced_accuracy, s.selection_rate)),
                *map(_f, (s.false_positive_rate, s.false_negative_rate)),
                _f(max(eo)) if eo else "—",
                len(a.breaches(f.limits, s.threshold)),
            )
        )
    lines = [
        "## Accuracy–equity trade-off",
        "",
        "The same audit at other decision thresholds: a lower threshold flags more people.",
        "",
        *_table(_TRADEOFF_HEADS, rows),
        "",
    ]
    if f.figure:
        lines += [f"![Accuracy against equalized odds difference by threshold]({f.figure})", ""]
    return lines
