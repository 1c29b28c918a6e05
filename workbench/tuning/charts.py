"""Figures of a tuned recommendation (matplotlib, no pyplot state).

- :func:`rank_probability_chart`: each option, in tuned order, as one bar split into its
  chances of each rank over the bootstrap draws (SMAA's rank acceptability), with the
  share of draws in which it is first written beside it;
- :func:`weights_chart`: the criteria weights overall and by stakeholder group;
- :func:`rank_probability_figure`: :func:`rank_probability_chart` of a
  :class:`~workbench.tuning.tune.TuningResult` and option labels (no stored version needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch

if TYPE_CHECKING:
    from workbench.tuning.tune import TuningResult

__all__ = ["draws_phrase", "rank_probability_chart", "rank_probability_figure", "weights_chart"]


def draws_phrase(doc: Mapping[str, Any]) -> str:
    """ "N draws (participants resampled[, evidence drawn])"; evidence only if a criterion."""
    drawn = ", evidence drawn" if "evidence" in doc.get("criteria", ()) else ""
    return f"{doc['n_draws']} draws (participants resampled{drawn})"


def rank_probability_chart(doc: Mapping[str, Any]) -> Figure:
    """Rank probabilities of a tuning doc (:func:`workbench.tuning.versions.tuning_doc`)."""
    ranking = list(doc["ranking"])
    n = len(ranking)
    fig = Figure(figsize=(9, 0.9 + 0.45 * n), layout="constrained")
    ax = fig.subplots()
    colours = colormaps["Blues_r"](np.linspace(0.15, 0.85, max(n, 2)))
    for i, r in enumerate(ranking):
        left = 0.0
        for k, p in enumerate(r["rank_probabilities"]):
            if p > 0:
                ax.barh(i, p, left=left, color=colours[k], edgecolor="white", height=0.7)
            left += p
        ax.text(1.02, i, f"first in {r['p_first']:.0%}", va="center", fontsize=8)
    ax.set_yticks(range(n), [f"{r['rank']}. {r['label']}" for r in ranking])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.18)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel(f"share of {draws_phrase(doc)}")
    handles = [Patch(color=colours[k], label=f"{k + 1}") for k in range(n)]
    ax.legend(handles=handles, title="rank", ncols=min(n, 8), fontsize=7, title_fontsize=7,
              loc="lower center", bbox_to_anchor=(0.45, 1.0), frameon=False)  # fmt: skip
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def weights_chart(doc: Mapping[str, Any]) -> Figure:
    """Criteria weights overall (first bar group) and per stakeholder group."""
    criteria = list(doc["criteria"])
    rows = {"overall": doc["weights"], **doc.get("group_weights", {})}
    fig = Figure(figsize=(9, 0.9 + 0.4 * len(rows) * max(1, len(criteria)) / 2),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    height = 0.8 / max(len(criteria), 1)
    colours = colormaps["tab10"](np.arange(len(criteria)) % 10)
    for j, c in enumerate(criteria):
        values = [float(w.get(c, 0.0)) for w in rows.values()]
        ax.barh(np.arange(len(rows)) + j * height, values, height=height, color=colours[j],
                label=c.replace("_", " "))  # fmt: skip
    ax.set_yticks(np.arange(len(rows)) + 0.4 - height / 2, list(rows))
    ax.invert_yaxis()
    ax.set_xlabel("weight (mean share of the 100 points)")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def rank_probability_figure(
    result: TuningResult, labels: Mapping[str, str] | None = None
) -> Figure:
    """:func:`rank_probability_chart` of a tuning result; ``labels``: option key -> name."""
    names = dict(labels or {})
    ranking = [
        {
            "rank": r.rank,
            "label": names.get(r.option, r.option),
            "p_first": r.p_first,
            "rank_probabilities": list(r.rank_probabilities),
        }
        for r in result.ranking
    ]
    return rank_probability_chart(
        {"ranking": ranking, "n_draws": result.n_draws, "criteria": list(result.criteria)}
    )
