"""The tuned recommendation's figures render from a tuning doc."""

from __future__ import annotations

import io

from workbench.tuning import tune
from workbench.tuning.charts import rank_probability_chart, weights_chart
from workbench.tuning.versions import changes, tuning_doc

GROUPS = {"employers": (8, {"feasibility": 70, "reach": 30}),
          "unions": (6, {"feasibility": 40, "reach": 60})}  # fmt: skip


def _doc(planted, scores) -> dict:
    points, ratings = planted(GROUPS, scores, noise=2, seed=5)
    result = tune(points, ratings, ["feasibility", "reach"], list(scores), n_draws=200)
    return tuning_doc(
        version="a" * 64, parent=None, case_slug="c", workshop_id=1, round_number=1,
        evidence_model="", result=result,
        changes=changes(result, parent=None, proposal_order=list(scores)),
    )  # fmt: skip


def test_rank_probabilities_and_weights_draw_one_bar_segment_per_chance(planted, scores) -> None:
    doc = _doc(planted, scores)
    fig = rank_probability_chart(doc)
    ax = fig.axes[0]
    segments = sum(1 for r in doc["ranking"] for p in r["rank_probabilities"] if p > 0)
    assert len(ax.patches) == segments
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{r['rank']}. {r['label']}" for r in doc["ranking"]]
    assert any(t.get_text().startswith("first in ") for t in ax.texts)
    weights = weights_chart(doc)
    rows = 1 + len(doc["group_weights"])
    assert len(weights.axes[0].patches) == rows * len(doc["criteria"])
    for figure in (fig, weights):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG")
