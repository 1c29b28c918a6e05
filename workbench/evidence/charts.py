"""Figures of the evidence and policy-mix templates (matplotlib, no pyplot state).

- :func:`forest_plot`: each pooled group's estimates with 95% CIs and the pooled diamond;
- :func:`vote_shares`: the share of significantly positive / insignificant / negative
  votes by programme type and horizon, with the model's P(positive) and its interval;
- :func:`ranking_chart`: a recommendation's P(positive) with intervals, in rank order,
  insufficient evidence shown as such (no number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.evidence.meta import Z95, comparable_rows
from workbench.evidence.votecount import MODEL_HORIZONS, MODEL_TYPES, vote_rows

if TYPE_CHECKING:
    from workbench.evidence.model import EffectivenessModel
    from workbench.evidence.recommend import Recommendation

__all__ = ["forest_plot", "ranking_chart", "vote_shares"]

_GREEN, _GREY, _RED, _BLUE = "#1a9850", "#bdbdbd", "#d73027", "#2c7fb8"


def forest_plot(model: EffectivenessModel, evidence: pd.DataFrame) -> Figure:
    """One panel per pooled group (all horizons): estimates, CIs and the pooled effect."""
    groups = [g for g in model.meta if g.horizon == "all"]
    rows = comparable_rows(evidence).set_index("id")
    heights = [max(2.0, 0.42 * (g.k + 2)) for g in groups] or [2.0]
    fig = Figure(figsize=(10, sum(heights) + 0.6), layout="constrained")
    if not groups:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "No comparable effect sizes with standard errors", ha="center")
        ax.set_axis_off()
        return fig
    axes = fig.subplots(len(groups), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, g in zip(axes, groups, strict=True):
        sub = rows.loc[g.ids].sort_values(["horizon", "estimate"])
        se = np.sqrt(sub["variance"].to_numpy())
        eff = sub["effect"].to_numpy()
        y = np.arange(len(sub))[::-1] + 2
        ax.errorbar(eff, y, xerr=Z95 * se, fmt="s", color="#333333", ms=4, capsize=2)
        labels = [
            f"{i} {s[:28]} ({h})"
            for i, s, h in zip(sub.index, sub["study"], sub["horizon"], strict=True)
        ]
        diamond_x = [g.ci_low, g.estimate, g.ci_high, g.estimate]
        ax.fill(diamond_x, [0.5, 0.8, 0.5, 0.2], color=_BLUE)
        ax.set_yticks([*y, 0.5], [*labels, f"Pooled (k={g.k}, I² {g.i2:.0%})"], fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        unit = f"{g.unit.replace('_', ' ')} {g.currency}".strip()
        single = ", one study" if g.single_study else ""
        ax.set_title(
            f"{g.programme_type.replace('_', ' ')}: effect in {unit} (random effects, DL{single})",
            fontsize=9,
            loc="left",
        )
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("Published effect sizes with 95% intervals (positive = beneficial)", fontsize=10)
    return fig


def vote_shares(model: EffectivenessModel, evidence: pd.DataFrame) -> Figure:
    """Stacked shares of the votes by type x horizon, with the model's P(positive)."""
    votes, _ = vote_rows(evidence)
    ref = model.vote.reference
    cells = model.cells[
        (model.cells["target_group"] == ref["target_group"])
        & (model.cells["unemployment_context"] == ref["unemployment_context"])
    ].set_index(["programme_type", "horizon"])
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    axes = fig.subplots(1, len(MODEL_HORIZONS), sharey=True)
    for ax, horizon in zip(axes, MODEL_HORIZONS, strict=True):
        for i, ptype in enumerate(MODEL_TYPES):
            sub = votes[(votes["programme_type"] == ptype) & (votes["horizon"] == horizon)]
            n = len(sub)
            left = 0.0
            for outcome, colour in (
                ("positive_significant", _GREEN),
                ("insignificant", _GREY),
                ("negative_significant", _RED),
            ):
                share = float((sub["significance"] == outcome).mean()) if n else 0.0
                ax.barh(i, share, left=left, color=colour, height=0.6)
                left += share
            cell = cells.loc[(ptype, horizon)]
            if cell["status"] == "ok":
                low, high = cell["p_positive_low"], cell["p_positive_high"]
                ax.errorbar(
                    cell["p_positive"],
                    i + 0.38,
                    xerr=[[cell["p_positive"] - low], [high - cell["p_positive"]]],
                    fmt="o",
                    color="black",
                    ms=4,
                    capsize=2,
                )
            else:
                ax.text(0.02, i + 0.38, "insufficient evidence", fontsize=7, color="#555555")
            ax.text(1.02, i, f"n={n}", fontsize=7, va="center")
        ax.set_xlim(0, 1.12)
        ax.set_title(f"{horizon} run", fontsize=9)
        ax.set_xlabel("share of votes")
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(range(len(MODEL_TYPES)), [t.replace("_", " ") for t in MODEL_TYPES])
    axes[0].invert_yaxis()
    fig.suptitle(
        "Votes: significantly positive (green), insignificant (grey), significantly negative "
        "(red). Dot: model P(positive), 95% interval",
        fontsize=9,
    )
    return fig


def ranking_chart(recommendation: Recommendation) -> Figure:
    """P(significantly positive) with intervals per type and target group, rank order."""
    groups = recommendation.target_groups
    fig = Figure(figsize=(10, 1.0 + 2.2 * len(groups)), layout="constrained")
    axes = fig.subplots(len(groups), 1, squeeze=False)[:, 0]
    for ax, group in zip(axes, groups, strict=True):
        options = recommendation.by_group[group]
        for i, o in enumerate(options):
            if o.sufficient and o.p_positive is not None:
                low = o.p_positive - (o.p_positive_low or 0.0)
                high = (o.p_positive_high or 0.0) - o.p_positive
                ax.errorbar(
                    o.p_positive, i, xerr=[[low], [high]], fmt="o", color=_GREEN, ms=6, capsize=3
                )
                ax.text(
                    1.02,
                    i,
                    f"{o.votes} est., {o.studies} stud{'y' if o.studies == 1 else 'ies'}",
                    fontsize=7,
                    va="center",
                )
            else:
                ax.text(0.01, i, "insufficient evidence", fontsize=8, va="center", color="#555555")
        ax.set_yticks(range(len(options)), [f"{o.rank}. {o.label}" for o in options])
        ax.invert_yaxis()
        ax.set_xlim(0, 1.2)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_title(
            f"{group.replace('_', ' ')}: chance an estimate is significantly positive "
            f"({recommendation.horizon} run, {recommendation.context['unemployment']} "
            "unemployment)",
            fontsize=9,
            loc="left",
        )
        ax.spines[["top", "right"]].set_visible(False)
    return fig
