"""One entry point: :func:`tune` turns a round's feedback into a tuned ranking.

The result, :class:`TuningResult`, carries the weights (overall and per stakeholder group),
the group rule and method, the scores table, the ranking with each option's rank
probabilities, the sensitivity scenarios, the evidence used and the inputs' content hash
(identical inputs and parameters give an identical hash and an identical result). It
round-trips through JSON (:meth:`TuningResult.to_dict` / :meth:`TuningResult.from_dict`)
and explains, in plain words, how its ranking differs from a previous one
(:meth:`TuningResult.explain`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.tuning.inputs import (
    DEFAULT_SCALE,
    EVIDENCE,
    EvidenceMap,
    encode,
    validate,
)
from workbench.tuning.mcda import normalise
from workbench.tuning.scores import one_hot, score_table
from workbench.tuning.sensitivity import point_estimate, scenarios
from workbench.tuning.uncertainty import rank_probabilities
from workbench.tuning.weights import expected_shares

__all__ = ["GroupSummary", "RankedOption", "TuningResult", "ordinal", "tune"]

#: A criterion weight change smaller than this is not named as a reason for a move.
WEIGHT_CHANGE_MIN = 0.005


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class RankedOption:
    """An option's place in the tuned ranking and how sure it is."""

    rank: int
    option: str
    preference: float
    p_first: float
    rank_probabilities: tuple[float, ...]
    insufficient_evidence: bool = False


@dataclass(frozen=True)
class GroupSummary:
    """A stakeholder group: who came, its share under the rule and its mean weights."""

    group: str
    participants: int
    with_points: int
    share: float
    expected: float | None
    weights: dict[str, float] | None


@dataclass(frozen=True)
class TuningResult:
    """The tuned ranking of one round (see the module doc). JSON-ready via :meth:`to_dict`."""

    input_hash: str
    group_rule: str
    method: str
    n_draws: int
    seed: int
    criteria: tuple[str, ...]
    options: tuple[str, ...]
    weights: dict[str, float]
    groups: tuple[GroupSummary, ...]
    absent_groups: tuple[str, ...]
    evidence: dict[str, tuple[float, float, float] | None] | None
    evidence_weight: float | None
    evidence_weight_source: str
    scores: tuple[dict[str, Any], ...]
    ranking: tuple[RankedOption, ...]
    sensitivity: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()

    # -- views ------------------------------------------------------------------------
    @property
    def order(self) -> tuple[str, ...]:
        """Option keys, best first."""
        return tuple(r.option for r in self.ranking)

    @property
    def group_weights(self) -> dict[str, dict[str, float]]:
        """Mean weights of each group that gave points."""
        return {g.group: dict(g.weights) for g in self.groups if g.weights is not None}

    @property
    def rank_probabilities(self) -> dict[str, tuple[float, ...]]:
        """option -> (P(rank 1), P(rank 2), ...)."""
        return {r.option: r.rank_probabilities for r in self.ranking}

    def scores_frame(self) -> pd.DataFrame:
        """The scores table: one row per option x criterion."""
        return pd.DataFrame.from_records(list(self.scores))

    def sensitivity_lines(self) -> list[str]:
        """One plain sentence per sensitivity scenario."""
        top = self.order[0]
        out = []
        for s in self.sensitivity:
            if s["top_changed"]:
                out.append(f"{s['label']}: {s['top']} would be first instead of {top}.")
            elif s["order_changed"]:
                out.append(f"{s['label']}: {top} stays first; the order below it changes.")
            else:
                out.append(f"{s['label']}: the same ranking.")
        return out

    # -- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        data = asdict(self)
        for key in ("criteria", "options", "absent_groups", "scores", "sensitivity", "notes"):
            data[key] = list(data[key])
        data["groups"] = [asdict(g) for g in self.groups]
        data["ranking"] = [
            {**asdict(r), "rank_probabilities": list(r.rank_probabilities)} for r in self.ranking
        ]
        if self.evidence is not None:
            data["evidence"] = {k: None if v is None else list(v) for k, v in self.evidence.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TuningResult:
        """Rebuild from :meth:`to_dict` output."""
        evidence = data.get("evidence")
        return cls(
            input_hash=str(data["input_hash"]),
            group_rule=str(data["group_rule"]),
            method=str(data["method"]),
            n_draws=int(data["n_draws"]),
            seed=int(data["seed"]),
            criteria=tuple(data["criteria"]),
            options=tuple(data["options"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            groups=tuple(GroupSummary(**g) for g in data["groups"]),
            absent_groups=tuple(data["absent_groups"]),
            evidence=None
            if evidence is None
            else {k: None if v is None else tuple(v) for k, v in evidence.items()},
            evidence_weight=data.get("evidence_weight"),
            evidence_weight_source=str(data["evidence_weight_source"]),
            scores=tuple(dict(s) for s in data["scores"]),
            ranking=tuple(
                RankedOption(**{**r, "rank_probabilities": tuple(r["rank_probabilities"])})
                for r in data["ranking"]
            ),
            sensitivity=tuple(dict(s) for s in data["sensitivity"]),
            notes=tuple(data.get("notes", ())),
        )

    # -- explanation ------------------------------------------------------------------
    def explain(self, previous: TuningResult | None = None) -> list[str]:
        """Plain-language lines: every option whose rank moved since ``previous``, and why.

        A move is put down to the criteria that pushed the option hardest in its direction
        (weight x the option's normalised score against the options' mean, now minus
        before), named with their weight change and the groups whose contribution to that
        weight changed most, or with the option's score change; then how often the option
        is first in the draws. Without ``previous``: one line per option with its rank.
        """
        if previous is None:
            return [f"{r.option} is {ordinal(r.rank)}; {self._certainty(r)}." for r in self.ranking]
        before = {r.option: r.rank for r in previous.ranking}
        lines = []
        for r in self.ranking:
            if r.option not in before:
                lines.append(f"{r.option} is new, {ordinal(r.rank)}; {self._certainty(r)}.")
            elif before[r.option] != r.rank:
                up = r.rank < before[r.option]
                reasons = self._reasons(previous, r.option, up)
                lines.append(
                    f"{r.option} moved from {ordinal(before[r.option])} to {ordinal(r.rank)}: "
                    f"{reasons}; {self._certainty(r)}."
                )
        for option, rank in before.items():
            if option not in self.options:
                lines.append(f"{option} is no longer among the options (was {ordinal(rank)}).")
        if not lines:
            top = self.ranking[0]
            lines.append(f"No option changed rank; {top.option} is first in {top.p_first:.0%} "
                         "of draws.")  # fmt: skip
        return lines

    def _certainty(self, r: RankedOption) -> str:
        text = f"first in {r.p_first:.0%} of draws"
        if r.rank != 1:
            text += f", {ordinal(r.rank)} in {r.rank_probabilities[r.rank - 1]:.0%}"
        return text

    def _normalised(self) -> dict[tuple[str, str], tuple[float, float]]:
        return {(s["option"], s["criterion"]): (s["normalised"], s["score"]) for s in self.scores}

    def _reasons(self, previous: TuningResult, option: str, up: bool) -> str:
        new, old = self._normalised(), previous._normalised()
        sign = 1.0 if up else -1.0
        effects = []
        for c in dict.fromkeys(self.criteria + previous.criteria):
            w1, w0 = self.weights.get(c, 0.0), previous.weights.get(c, 0.0)
            rel1 = _relative(new, option, c, self.options)
            rel0 = _relative(old, option, c, previous.options)
            effects.append((sign * (w1 * rel1 - w0 * rel0), c))
        effects = sorted((e for e in effects if e[0] > 1e-12), key=lambda e: (-e[0], e[1]))
        parts = [self._describe(previous, option, c, new, old) for _, c in effects[:2]]
        return "; ".join(parts) or "other options' scores changed"

    def _describe(
        self,
        previous: TuningResult,
        option: str,
        criterion: str,
        new: Mapping[tuple[str, str], tuple[float, float]],
        old: Mapping[tuple[str, str], tuple[float, float]],
    ) -> str:
        w1, w0 = self.weights.get(criterion, 0.0), previous.weights.get(criterion, 0.0)
        if abs(w1 - w0) >= WEIGHT_CHANGE_MIN:
            text = f"{criterion} weight {w0:.2f} → {w1:.2f}"
            drivers = self._drivers(previous, criterion, w1 - w0)
            if drivers:
                verb = "raised" if w1 > w0 else "lowered"
                text += f" ({', '.join(drivers)} {verb} it most)"
            return text
        s1 = new.get((option, criterion), (0.0, None))[1]
        s0 = old.get((option, criterion), (0.0, None))[1]
        if s1 is not None and s0 is not None and s1 != s0:
            fmt = ".2f" if criterion == EVIDENCE else "g"
            return f"its {criterion} score {s0:{fmt}} → {s1:{fmt}}"
        return f"the other options' {criterion} scores changed"

    def _drivers(self, previous: TuningResult, criterion: str, change: float) -> list[str]:
        """Groups whose weighted contribution to ``criterion`` moved most with ``change``."""

        def contribution(result: TuningResult) -> dict[str, float]:
            return {
                g.group: g.share * g.weights.get(criterion, 0.0)
                for g in result.groups
                if g.weights is not None
            }

        now, before = contribution(self), contribution(previous)
        moves = {g: now.get(g, 0.0) - before.get(g, 0.0) for g in set(now) | set(before)}
        aligned = sorted(
            ((d * np.sign(change), g) for g, d in moves.items() if d * change > 0),
            key=lambda x: (-x[0], x[1]),
        )
        if not aligned:
            return []
        biggest = aligned[0][0]
        return [g for d, g in aligned[:3] if d >= 0.25 * biggest]


def _relative(
    table: Mapping[tuple[str, str], tuple[float, float]],
    option: str,
    criterion: str,
    options: Sequence[str],
) -> float:
    """The option's normalised score on a criterion minus the options' mean (0 if absent)."""
    if (option, criterion) not in table:
        return 0.0
    values = [table[o, criterion][0] for o in options if (o, criterion) in table]
    return table[option, criterion][0] - float(np.mean(values))


def tune(
    points: pd.DataFrame | None,
    ratings: pd.DataFrame | None,
    criteria: Sequence[str],
    options: Sequence[str],
    *,
    evidence: EvidenceMap | None = None,
    evidence_weight: float | None = None,
    expected_mix: Mapping[str, float] | None = None,
    group_rule: str = "equal",
    method: str = "weighted-sum",
    n_draws: int = 1000,
    seed: int = 0,
    scale: int = DEFAULT_SCALE,
    round_no: int | None = None,
) -> TuningResult:
    """Tune one round: weights, scores, ranking, rank probabilities and sensitivity.

    See :mod:`workbench.tuning.inputs` for the frames and the refusals. ``round_no`` only
    names the round in messages.

    Raises:
        InvalidInput: bad input or a refused round, naming what is wrong.
    """
    inputs = validate(
        points, ratings, criteria, options, evidence=evidence, evidence_weight=evidence_weight,
        expected_mix=expected_mix, group_rule=group_rule, method=method, n_draws=n_draws,
        seed=seed, scale=scale, round_no=round_no,
    )  # fmt: skip
    n_draws, seed = int(n_draws), int(seed)
    enc = encode(inputs)
    ratings_t = one_hot(enc)
    with_points = np.bincount(enc.group_of[enc.has_points], minlength=len(enc.groups)) > 0
    expected, absent, unexpected = None, (), ()
    if inputs.expected_mix is not None:
        unexpected = tuple(g for g in enc.groups if g not in inputs.expected_mix)
        if not unexpected:  # else the expected-mix rule is refused; other rules skip it
            expected, absent = expected_shares(inputs.expected_mix, enc.groups, with_points)
    common = {"rule": group_rule, "method": method, "expected": expected}
    base = point_estimate(inputs, enc, ratings_t, **common)
    probs = rank_probabilities(
        inputs, enc, n_draws=n_draws, seed=seed, round_medians=base.cell_medians,
        round_weights=base.weights, **common,
    )  # fmt: skip
    table = score_table(inputs, base.hist, normalise(base.matrix))
    crit = inputs.mcda_criteria
    evidence_flags = inputs.evidence or {}
    ranking = tuple(
        RankedOption(
            rank=k + 1,
            option=inputs.options[i],
            preference=float(base.preferences[i]),
            p_first=float(probs[i, 0]),
            rank_probabilities=tuple(float(p) for p in probs[i]),
            insufficient_evidence=inputs.evidence is not None
            and evidence_flags[inputs.options[i]] is None,
        )
        for k, i in enumerate(base.order)
    )
    n_people = np.bincount(enc.group_of, minlength=len(enc.groups))
    groups = tuple(
        GroupSummary(
            group=name,
            participants=int(n_people[g]),
            with_points=int(base.with_points[g]),
            share=float(base.shares[g]),
            expected=None if inputs.expected_mix is None else inputs.expected_mix.get(name),
            weights={c: float(w) for c, w in zip(crit, base.group_weights[g], strict=True)}
            if with_points[g]
            else None,
        )
        for g, name in enumerate(enc.groups)
    )
    notes = list(inputs.notes)
    if unexpected:
        notes.append(
            f"Group(s) {', '.join(unexpected)} are not in the workshop's expected mix, so the "
            "expected-mix rule is left out of the sensitivity scenarios."
        )
    if absent:
        notes.append(
            f"Expected group(s) {', '.join(absent)} gave no points; their expected share is "
            "redistributed proportionally among the groups present."
        )
    parameters = {
        "group_rule": group_rule,
        "method": method,
        "n_draws": n_draws,
        "seed": seed,
        "evidence_weight_source": inputs.evidence_weight_source,
    }
    weights = {c: float(w) for c, w in zip(crit, base.weights, strict=True)}
    return TuningResult(
        input_hash=inputs.content_hash(parameters),
        group_rule=group_rule,
        method=method,
        n_draws=n_draws,
        seed=seed,
        criteria=crit,
        options=inputs.options,
        weights=weights,
        groups=groups,
        absent_groups=absent,
        evidence=None if inputs.evidence is None else dict(inputs.evidence),
        evidence_weight=weights.get(EVIDENCE) if inputs.evidence is not None else None,
        evidence_weight_source=inputs.evidence_weight_source,
        scores=tuple(table),
        ranking=ranking,
        sensitivity=tuple(scenarios(inputs, enc, ratings_t, base, **common)),
        notes=tuple(notes),
    )
