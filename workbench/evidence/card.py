"""The effectiveness model's card (Markdown), written from the fitted model alone.

Every figure on the card is read from :class:`~workbench.evidence.model.EffectivenessModel`:
the training-data hash, row counts per cell, cross-validated log-loss and calibration,
which CKW patterns the data reproduce and which they cannot show, and the known limits.
"""

from __future__ import annotations

import pandas as pd

from workbench.evidence.model import MIN_CELL_STUDIES, MIN_CELL_VOTES, EffectivenessModel
from workbench.evidence.votecount import MIN_ROWS, MIN_STUDIES, MODEL_HORIZONS, MODEL_TYPES

__all__ = ["model_card"]


def _pct(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.0%}"


def _counts_table(model: EffectivenessModel) -> list[str]:
    cells = model.cells
    first = cells.drop_duplicates(["programme_type", "horizon"])
    lines = [
        "| programme type | " + " | ".join(MODEL_HORIZONS) + " |",
        "| --- | " + " | ".join("---" for _ in MODEL_HORIZONS) + " |",
    ]
    for ptype in MODEL_TYPES:
        row = []
        for horizon in MODEL_HORIZONS:
            hit = first[(first["programme_type"] == ptype) & (first["horizon"] == horizon)]
            r = hit.iloc[0]
            row.append(
                f"{int(r['votes'])} votes / {int(r['studies'])} studies "
                f"(+{int(r['votes_positive'])} −{int(r['votes_negative'])})"
            )
        lines.append(f"| {ptype} | " + " | ".join(row) + " |")
    return lines


def _figures_table(model: EffectivenessModel) -> list[str]:
    ref = model.vote.reference
    cells = model.cells[
        (model.cells["target_group"] == "general")
        & (model.cells["unemployment_context"] == ref["unemployment_context"])
    ]
    lines = [
        "| programme type | horizon | P(significantly positive) [95% interval] | "
        "P(significantly negative) | votes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in cells.itertuples(index=False):
        if r.status != "ok":
            figure, negative = "insufficient evidence", "—"
        else:
            figure = f"{_pct(r.p_positive)} [{_pct(r.p_positive_low)}, {_pct(r.p_positive_high)}]"
            negative = _pct(r.p_negative)
        lines.append(f"| {r.programme_type} | {r.horizon} | {figure} | {negative} | {r.votes} |")
    return lines


def _meta_lines(model: EffectivenessModel) -> list[str]:
    if not model.meta:
        return ["No group of comparable effect sizes with standard errors was large enough."]
    lines = [
        "| type | unit | horizon | k | studies | pooled [95% CI] | τ² | I² |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for g in model.meta:
        unit = f"{g.unit} {g.currency}".strip()
        single = " (one study)" if g.single_study else ""
        lines.append(
            f"| {g.programme_type} | {unit} | {g.horizon} | {g.k} | {g.n_studies}{single} | "
            f"{g.estimate:,.3g} [{g.ci_low:,.3g}, {g.ci_high:,.3g}] | {g.tau2:,.3g} | "
            f"{g.i2:.0%} |"
        )
    regressions = [g for g in model.meta if g.regression]
    for g in regressions:
        lines.append("")
        lines.append(
            f"Meta-regression (PyMARE, REML) for {g.programme_type} in {g.unit} "
            f"{g.currency}: residual τ² {g.regression_tau2:,.3g}, I² {g.regression_i2:.0%}."
        )
        for t in g.regression:
            lines.append(
                f"- {t.name}: {t.estimate:,.3g} [{t.ci_low:,.3g}, {t.ci_high:,.3g}], "
                f"p = {t.p_value:.3f}"
            )
    return lines


def model_card(model: EffectivenessModel, *, version: str = "", status: str = "candidate") -> str:
    """The model card as Markdown."""
    m = model.metrics
    vote = model.vote
    lines = [
        f"# Model card: almp_effectiveness {version}".rstrip(),
        "",
        f"**Status when fitted:** {status}. Approvals and rollbacks are recorded in the "
        "registry (`workbench model show almp_effectiveness`); only a version approved by a "
        "named expert feeds runs.",
        "",
        "## Intended use",
        "Rank ALMP types for a region's context by how often published evaluations found "
        "them significantly positive, with intervals and the evidence behind each figure. "
        "It supports a region's own deliberation with its stakeholders; it does not decide "
        "for them, and it is not a forecast of a programme's effect in that region.",
        "",
        "## Training data",
        f"- SHA-256 of the evidence table: `{model.training_hash}`",
        "- Rows: "
        + ", ".join(
            f"{k.removeprefix('rows_')} {v}"
            for k, v in model.counts.items()
            if k.startswith("rows_")
        ),
        f"- Votes used by the vote-count model: {vote.n_rows} from {vote.n_studies} studies",
        "- Rows not used as votes: "
        + ("; ".join(f"{reason}: {n}" for reason, n in vote.excluded.items()) or "none"),
        "",
        "Votes per programme type and horizon (significantly positive +, negative −):",
        "",
        *_counts_table(model),
        "",
        "## Method",
        "- **Vote count** (after Card, Kluve & Weber 2010, 2018): an ordered probit "
        "(statsmodels `OrderedModel`) of significantly negative < insignificant < "
        "significantly positive on programme type, horizon, target group and unemployment "
        f"context; standard errors {vote.cov_type}.",
        f"- **Support rule** (fixed in advance): a level gets its own term only with at least "
        f"{MIN_ROWS} votes from {MIN_STUDIES} studies; otherwise it is pooled with the "
        "reference and labelled so. A type x horizon cell needs "
        f"{MIN_CELL_VOTES} votes from {MIN_CELL_STUDIES} studies; "
        "otherwise it says *insufficient evidence*.",
        "- Terms in this fit: " + (", ".join(t.name for t in vote.terms) or "none"),
        "- Pooled levels: "
        + ("; ".join(f"{f}: {', '.join(levels)}" for f, levels in vote.pooled.items()) or "none"),
        "- Intervals: 95% from 2,000 draws of the clustered parameter distribution (fixed seed).",
        "- **Meta-analysis** of comparable effect sizes (same type, unit and currency, with a "
        "standard error): random effects, DerSimonian-Laird with τ² truncated at 0 (PyMARE); "
        "meta-regression on horizon and context with PyMARE (REML).",
        "",
        "## Figures (general population, reference context)",
        "",
        *_figures_table(model),
        "",
        "## Effect sizes",
        "",
        *_meta_lines(model),
        "",
        "## Validation (cross-validated, whole studies left out)",
    ]
    if m.get("cv_scored"):
        better = m["cv_log_loss"] < m["cv_log_loss_baseline"]
        lines += [
            f"- Log-loss {m['cv_log_loss']:.3f} against {m['cv_log_loss_baseline']:.3f} for the "
            f"base rates; Brier {m['cv_brier']:.3f} against {m['cv_brier_baseline']:.3f} "
            f"({int(m['cv_scored'])} votes scored in {int(m['cv_folds'])} folds, "
            f"{int(m['cv_unscored'])} not scored).",
            "- "
            + (
                "The model predicts held-out studies better than the base rates."
                if better
                else "**The model does not predict held-out studies better than the base "
                "rates.** Its figures describe the coded evidence; they are not a reliable "
                "forecast for a new study."
            ),
            f"- Calibration in the large: mean predicted P(positive) "
            f"{m['cv_mean_p_positive']:.2f}, observed share {m['cv_observed_positive']:.2f}.",
            "",
            "| predicted P(positive) | votes | mean predicted | observed |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c['bin_low']:.1f}–{c['bin_high']:.1f} | {int(c['n'])} | "
            f"{c['mean_predicted']:.2f} | {c['observed']:.2f} |"
            for c in model.calibration
        ]
    else:
        lines.append("- Not enough studies to cross-validate.")
    lines += ["", "## Card, Kluve & Weber's patterns in this evidence", ""]
    lines += ["| pattern | source | verdict | figures |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {p['claim']} | {p['source']} | **{p['verdict']}** | {p['detail']} |"
        for p in model.patterns
    ]
    lines += [
        "",
        "## Known limits",
        "- The base is small and hand-coded from published sentences; 37 of the 89 "
        "estimates are read from secondary sources. Many estimates lack a standard error or "
        "a stated significance and only count where their significance is known.",
        "- Unemployment context is stated or derived for few rows, so context effects "
        "cannot be separated unless a term appears above.",
        "- Skill level and cycle phase are not coded in the evidence and do not enter.",
        "- A cell whose votes all agree has no finite maximum-likelihood estimate; its "
        "interval comes from the raw share (Jeffreys).",
        "- Estimates of one study are clustered, not independent; single-study groups in "
        "the meta-analysis summarise that study, not between-study heterogeneity.",
        "- Warnings from the fit: " + ("; ".join(vote.warnings) or "none"),
        "",
        "## Ethics",
        "AI stays subordinate to people: the model ranks evidence; a named expert approves "
        "each version; a region's stakeholders weigh the ranking against their own "
        "knowledge in the workshop.",
    ]
    return "\n".join(lines) + "\n"
