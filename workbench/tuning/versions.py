"""Pure pieces of a stored tuned recommendation: its identity, its "what changed", its doc.

* :func:`version_hash`: the content hash that names a version. It covers the tuning's
  ``input_hash`` (feedback values, parameters, evidence figures), the workshop, the round,
  the exact feedback rows (id and revision) and the evidence model version, so identical
  feedback gives an identical version, and a corrected answer a new one.
* :func:`baseline`: the evidence-based proposal a first tuning is compared with, as a
  :class:`TuningResult` ranked by the evidence alone (weight 1 on the evidence criterion).
* :func:`changes`: the plain-language lines of how a version differs from its parent (or
  from that baseline), via :meth:`TuningResult.explain`.
* :func:`tuning_doc`: what the ``policy_mix`` template receives when a version is
  accepted (JSON-ready, a function of the version alone, so a rollback hits the run cache).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from workbench.tuning.inputs import EVIDENCE
from workbench.tuning.tune import RankedOption, TuningResult, ordinal

__all__ = ["HASH_SCHEMA", "baseline", "changes", "short", "tuning_doc", "version_hash"]

#: Bump when the meaning of the hashed payload changes.
HASH_SCHEMA = 1
#: Characters of a version hash shown to people (and accepted as a prefix).
SHORT = 12


def short(version: str) -> str:
    """The first :data:`SHORT` characters of a version hash."""
    return version[:SHORT]


def version_hash(
    *,
    case_slug: str,
    workshop_id: int,
    round_number: int,
    input_hash: str,
    feedback_rows: Sequence[Sequence[int]],
    evidence_model: str,
) -> str:
    """SHA-256 naming a tuned version (see the module doc)."""
    payload = {
        "schema": HASH_SCHEMA,
        "case": case_slug,
        "workshop": int(workshop_id),
        "round": int(round_number),
        "inputs": input_hash,
        "rows": [[int(i), int(r)] for i, r in feedback_rows],
        "evidence_model": evidence_model,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def baseline(result: TuningResult, order: Sequence[str]) -> TuningResult:
    """The evidence-based proposal as a tuning: ranked as ``order``, all weight on evidence."""
    weights = {c: (1.0 if c == EVIDENCE else 0.0) for c in result.criteria}
    n = len(order)
    ranking = tuple(
        RankedOption(
            rank=k + 1,
            option=o,
            preference=float(n - k),
            p_first=1.0 if k == 0 else 0.0,
            rank_probabilities=tuple(1.0 if j == k else 0.0 for j in range(n)),
        )
        for k, o in enumerate(order)
    )
    return replace(result, weights=weights, groups=(), ranking=ranking, sensitivity=(), notes=())


def changes(
    result: TuningResult,
    *,
    parent: TuningResult | None,
    parent_label: str = "",
    proposal_order: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``{"against": text, "lines": [...]}``: how ``result`` differs from what was shown.

    Against ``parent`` (the version accepted before) when given; otherwise against the
    evidence-based proposal (``proposal_order``), whose weights are all on the evidence
    criterion when the round has one. Without evidence, each option's place is compared
    with its place in the proposal's list.
    """
    names = dict(labels or {})

    pattern = (
        re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")
        if names
        else None
    )

    def named(lines: list[str]) -> list[str]:
        if pattern is None:
            return lines
        return [pattern.sub(lambda m: names[m.group(1)], line) for line in lines]

    if parent is not None:
        return {"against": parent_label or "the version accepted before",
                "lines": named(result.explain(parent))}  # fmt: skip
    order = [o for o in proposal_order if o in result.options] or list(result.options)
    if EVIDENCE in result.criteria:
        against = "the evidence-based proposal (ranked by the evidence alone)"
        return {"against": against, "lines": named(result.explain(baseline(result, order)))}
    before = {o: k + 1 for k, o in enumerate(order)}
    lines = [
        f"{r.option} is {ordinal(r.rank)} (listed {ordinal(before[r.option])} before); "
        f"first in {r.p_first:.0%} of draws."
        for r in result.ranking
        if before.get(r.option) != r.rank
    ] or [f"No option changed place; {result.ranking[0].option} is first."]
    return {"against": "the options as the workshop listed them", "lines": named(lines)}


def tuning_doc(
    *,
    version: str,
    parent: str | None,
    case_slug: str,
    workshop_id: int,
    round_number: int,
    evidence_model: str,
    result: TuningResult,
    changes: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The accepted version as the ``policy_mix`` template's ``tuning`` parameter."""
    names = dict(labels or {})
    return {
        "version": version,
        "short": short(version),
        "parent": parent,
        "case": case_slug,
        "workshop": int(workshop_id),
        "round": int(round_number),
        "method": result.method,
        "group_rule": result.group_rule,
        "n_draws": result.n_draws,
        "seed": result.seed,
        "evidence_model": evidence_model,
        "criteria": list(result.criteria),
        "weights": {c: round(w, 4) for c, w in result.weights.items()},
        "group_weights": {
            g: {c: round(w, 4) for c, w in ws.items()} for g, ws in result.group_weights.items()
        },
        "ranking": [
            {
                "rank": r.rank,
                "option": r.option,
                "label": names.get(r.option, r.option),
                "preference": round(r.preference, 6),
                "p_first": round(r.p_first, 4),
                "rank_probabilities": [round(p, 4) for p in r.rank_probabilities],
                "insufficient_evidence": r.insufficient_evidence,
            }
            for r in result.ranking
        ],
        "sensitivity": result.sensitivity_lines(),
        "changes": {
            "against": str(changes.get("against", "")),
            "lines": [str(x) for x in changes.get("lines", [])],
        },
        "notes": list(result.notes),
    }
