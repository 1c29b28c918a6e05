"""A stored version's identity, its "what changed" and the doc a template receives."""

from __future__ import annotations

import json

import pytest

from workbench.tuning import EVIDENCE, tune
from workbench.tuning.versions import baseline, changes, short, tuning_doc, version_hash

CRITERIA = ["feasibility", "reach"]
OPTIONS = ["training", "subsidy", "jsa"]
EVIDENCE_MAP = {"training": (0.55, 0.35, 0.75), "subsidy": (0.5, 0.3, 0.7), "jsa": None}
GROUPS = {"employers": (8, {"feasibility": 90, "reach": 10}),
          "unions": (6, {"feasibility": 60, "reach": 40})}  # fmt: skip
HASH_ARGS = {
    "case_slug": "es61", "workshop_id": 3, "round_number": 1, "input_hash": "ab" * 32,
    "feedback_rows": [[1, 1], [2, 1]], "evidence_model": "almp_effectiveness 1",
}  # fmt: skip


def test_the_version_hash_is_a_function_of_every_input_it_names() -> None:
    first = version_hash(**HASH_ARGS)
    assert first == version_hash(**HASH_ARGS) and len(first) == 64
    assert short(first) == first[:12]
    for key, other in (
        ("case_slug", "es62"), ("workshop_id", 4), ("round_number", 2),
        ("input_hash", "cd" * 32), ("feedback_rows", [[1, 2], [2, 1]]),
        ("feedback_rows", [[1, 1]]), ("evidence_model", "almp_effectiveness 2"),
    ):  # fmt: skip
        assert version_hash(**{**HASH_ARGS, key: other}) != first, key


def test_against_the_evidence_the_baseline_puts_all_weight_on_evidence(planted, scores) -> None:
    points, ratings = planted(GROUPS, scores, noise=1, seed=2)
    result = tune(points, ratings, CRITERIA, OPTIONS, evidence=EVIDENCE_MAP, n_draws=100)
    order = ["subsidy", "jsa", "training"]
    base = baseline(result, order)
    assert base.weights == {c: (1.0 if c == EVIDENCE else 0.0) for c in result.criteria}
    assert base.order == tuple(order) and base.ranking[0].p_first == 1.0
    labels = {"training": "Training <T>", "subsidy": "Wage subsidy", "feasibility": "feasible"}
    described = changes(result, parent=None, proposal_order=order, labels=labels)
    assert described["against"].startswith("the evidence-based proposal")
    moved = [line for line in described["lines"] if line.startswith("Training <T> moved")]
    assert result.order[0] == "training"
    assert moved and moved[0].startswith("Training <T> moved from 3rd to 1st: feasible weight")


def test_against_a_parent_and_without_evidence(planted, scores) -> None:
    points, ratings = planted(GROUPS, scores, noise=1, seed=2)
    result = tune(points, ratings, CRITERIA, OPTIONS, n_draws=100)
    flipped = {"employers": (8, {"feasibility": 10, "reach": 90}),
               "unions": (6, {"feasibility": 40, "reach": 60})}  # fmt: skip
    parent = tune(*planted(flipped, scores, noise=1, seed=2), CRITERIA, OPTIONS, n_draws=100)
    assert parent.order[0] != result.order[0]
    against = changes(result, parent=parent, parent_label="version abc")
    assert against["against"] == "version abc"
    assert against["lines"] == result.explain(parent)
    listed = changes(result, parent=None, proposal_order=list(result.order))
    assert listed["against"] == "the options as the workshop listed them"
    assert listed["lines"] == [f"No option changed place; {result.order[0]} is first."]
    reordered = changes(result, parent=None, proposal_order=list(reversed(result.order)))
    assert any("(listed 3rd before)" in line for line in reordered["lines"])


def test_the_template_doc_is_json_and_a_function_of_the_version(planted, scores) -> None:
    points, ratings = planted(GROUPS, scores, noise=1, seed=2)
    result = tune(points, ratings, CRITERIA, OPTIONS, evidence=EVIDENCE_MAP, n_draws=100)
    described = changes(result, parent=None, proposal_order=OPTIONS)
    args = {
        "version": "f" * 64, "parent": None, "case_slug": "es61", "workshop_id": 3,
        "round_number": 1, "evidence_model": "almp_effectiveness 1", "result": result,
        "changes": described, "labels": {"training": "Training"},
    }  # fmt: skip
    doc = tuning_doc(**args)
    assert json.loads(json.dumps(doc)) == doc and doc == tuning_doc(**args)
    assert doc["short"] == "f" * 12 and doc["round"] == 1
    assert [r["option"] for r in doc["ranking"]] == list(result.order)
    assert doc["ranking"][0]["label"] == ("Training" if result.order[0] == "training" else
                                          result.order[0])  # fmt: skip
    for entry, ranked in zip(doc["ranking"], result.ranking, strict=True):
        assert entry["p_first"] == pytest.approx(ranked.p_first, abs=1e-4)
        assert sum(entry["rank_probabilities"]) == pytest.approx(1.0, abs=1e-3)
    assert doc["sensitivity"] == result.sensitivity_lines()
    assert doc["changes"]["lines"] == described["lines"]
