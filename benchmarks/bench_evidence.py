"""Benchmark: the effectiveness model on 10,000 SYNTHETIC estimates, against naive loops.

Data: ``workbench.evidence.synthetic.synthetic_estimates(--rows)`` (fixed seed; not
evidence). Two steps, each timed against a plain per-cell Python loop:

1. **refit**: (a) ``fit_effectiveness(frame, validate=False)``: the ordered probit with
   study-clustered errors, the table of every type x horizon x group x context cell with
   2,000-draw simulation intervals, and the meta-analyses; (b) naive: for each of those
   cells, filter the votes for the cell and compute the share of significantly positive
   votes with a Jeffreys interval (statsmodels ``proportion_confint``).
2. **score** ``--contexts`` random contexts (target group, horizon, high/low
   unemployment; fixed ``--seed``): (a) ``recommend()`` on the fitted model (reads its
   cells, ranks, writes the reasons); (b) naive: per context and per programme type,
   filter the votes for that cell, compute the share, and sort.

Each naive loop runs two ways: filtering the pandas frame per cell, as an analyst writes
it (for scoring, on the first ``--frame-sample`` contexts, time scaled linearly to all),
and on the four columns encoded as integers once (a fast naive loop). They are what one
would write without the model: raw shares per cell, no pooling across cells, no model
intervals, no reasons. They are checked against each other and against the model's vote
counts per type x horizon (exit 1 on a mismatch). Prints the times, the ratios
(naive / model), how often model and raw shares agree on the top type, and how often
each picks the generator's true best type.

Usage: python benchmarks/bench_evidence.py [--rows 10000] [--contexts 10000]
       [--frame-sample 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from itertools import product
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint
from tqdm import tqdm

from workbench.context import RegionContext
from workbench.evidence.model import CONTEXT_LEVELS, EffectivenessModel, fit_effectiveness
from workbench.evidence.recommend import Recommendation, recommend
from workbench.evidence.schema import TARGET_GROUPS
from workbench.evidence.synthetic import synthetic_estimates
from workbench.evidence.votecount import MODEL_HORIZONS, MODEL_TYPES, vote_rows

FACTORS = ("programme_type", "horizon", "target_group", "unemployment_context")
T = TypeVar("T")


def region(unemployment: str) -> RegionContext:
    """A made-up region context at the given unemployment level."""
    return RegionContext(
        region="XX00",
        name=f"Benchmark region ({unemployment})",
        country="XX",
        unemployment=unemployment,  # type: ignore[arg-type]
        unemployment_rate=12.0 if unemployment == "high" else 4.0,
        eu_unemployment_rate=6.0,
        unemployment_year="2023",
        threshold_ratio=1.0,
        skill_level="low",
        high_skill_share=35.0,
        eu_high_skill_share=40.0,
        skill_basis="synthetic",
        cycle_phase="expansion",
        cycle_basis="synthetic",
    )


Select = Callable[[tuple[str, ...]], np.ndarray]


def frame_select(votes: pd.DataFrame) -> Select:
    """A cell's significance codes by filtering the frame, as an analyst writes it."""

    def select(cell: tuple[str, ...]) -> np.ndarray:
        t, h, g, c = cell
        sub = votes[
            (votes["programme_type"] == t)
            & (votes["horizon"] == h)
            & (votes["target_group"] == g)
            & (votes["unemployment_context"] == c)
        ]
        return sub["significance"].to_numpy()

    return select


def coded_select(votes: pd.DataFrame) -> Select:
    """The same with the four columns encoded as integers once (a faster naive loop)."""
    codes, levels = {}, {}
    for factor in FACTORS:
        values, uniques = pd.factorize(votes[factor])
        codes[factor] = values.astype(np.int16)
        levels[factor] = {str(u): i for i, u in enumerate(uniques)}
    significance = votes["significance"].to_numpy()

    def select(cell: tuple[str, ...]) -> np.ndarray:
        mask = np.ones(len(significance), dtype=bool)
        for factor, level in zip(FACTORS, cell, strict=True):
            mask &= codes[factor] == levels[factor].get(level, -1)
        return significance[mask]

    return select


def naive_cells(select: Select, label: str) -> dict[tuple[str, ...], tuple[int, int, float, float]]:
    """Per cell: (votes, positive votes, Jeffreys low, Jeffreys high), one cell at a time."""
    out = {}
    cells = list(product(MODEL_TYPES, MODEL_HORIZONS, TARGET_GROUPS, CONTEXT_LEVELS))
    for cell in tqdm(cells, desc=f"naive refit ({label})", leave=False, disable=None):
        sub = select(cell)
        n, k = len(sub), int((sub == "positive_significant").sum())
        low, high = proportion_confint(k, n, method="jeffreys") if n else (np.nan, np.nan)
        out[cell] = (n, k, float(low), float(high))
    return out


def naive_score(
    select: Select, contexts: list[tuple[str, str, str]], label: str
) -> list[list[str]]:
    """Per context: the types ranked by their cell's raw share (cells without votes last)."""
    rankings = []
    for group, horizon, level in tqdm(
        contexts, desc=f"naive score ({label})", leave=False, disable=None
    ):
        shares = []
        for ptype in MODEL_TYPES:
            sub = select((ptype, horizon, group, level))
            share = float((sub == "positive_significant").mean()) if len(sub) else -1.0
            shares.append((-share, ptype))
        rankings.append([ptype for _, ptype in sorted(shares)])
    return rankings


def timed(func: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``func(*args)`` and its wall time in seconds."""
    start = time.perf_counter()
    out = func(*args)
    return out, time.perf_counter() - start


def model_score(
    model: EffectivenessModel, contexts: list[tuple[str, str, str]]
) -> list[Recommendation]:
    """``recommend()`` for every context."""
    regions = {level: region(level) for level in ("high", "low")}
    return [
        recommend(regions[level], [group], horizon, model=model, model_version="bench")
        for group, horizon, level in tqdm(
            contexts, desc="recommend()", unit="ctx", leave=False, disable=None
        )
    ]


def check(model: EffectivenessModel, cells: dict[tuple[str, ...], tuple]) -> list[str]:
    """The naive cells' votes add up to the model's votes per type x horizon."""
    issues = []
    for ptype, horizon in product(MODEL_TYPES, MODEL_HORIZONS):
        naive = sum(
            cells[ptype, horizon, g, c][0] for g, c in product(TARGET_GROUPS, CONTEXT_LEVELS)
        )
        votes = int(model.cell(ptype, horizon, "general", "high")["votes"])
        if naive != votes:
            issues.append(f"{ptype} {horizon}: naive {naive} votes, model {votes}")
    return issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="synthetic estimates")
    parser.add_argument("--contexts", type=int, default=10_000, help="contexts to score")
    parser.add_argument(
        "--frame-sample", type=int, default=300, help="contexts for the frame-filter loop"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random contexts")
    args = parser.parse_args()

    frame, t_make = timed(synthetic_estimates, args.rows)
    model, t_fit = timed(lambda: fit_effectiveness(frame, validate=False))
    votes, _ = vote_rows(frame)
    by_frame, by_code = frame_select(votes), coded_select(votes)
    cells, t_cells_frame = timed(naive_cells, by_frame, "frame filter")
    coded_cells, t_cells_code = timed(naive_cells, by_code, "coded arrays")

    rng = np.random.default_rng(args.seed)
    contexts = [
        (
            str(rng.choice(TARGET_GROUPS)),
            str(rng.choice(MODEL_HORIZONS)),
            str(rng.choice(["high", "low"])),
        )
        for _ in range(args.contexts)
    ]
    recs, t_score = timed(model_score, model, contexts)
    sample = contexts[: args.frame_sample]
    frame_rankings, t_frame_sample = timed(naive_score, by_frame, sample, "frame filter")
    t_score_frame = t_frame_sample * len(contexts) / len(sample)
    rankings, t_score_code = timed(naive_score, by_code, contexts, "coded arrays")

    issues = check(model, cells)
    if cells != coded_cells or rankings[: len(sample)] != frame_rankings:
        issues.append("the two naive loops disagree")
    top = np.mean([r.ranked_types()[0] == n[0] for r, n in zip(recs, rankings, strict=True)])
    # the generator's true best type(s) of each context (ties count either way)
    truth = frame.attrs["true_means"]
    best = {
        (h, c): {
            t for t in MODEL_TYPES if truth[t, h, c] == max(truth[u, h, c] for u in MODEL_TYPES)
        }
        for h, c in product(MODEL_HORIZONS, ("high", "low"))
    }
    model_right = np.mean([r.ranked_types()[0] in best[r.horizon, r.context["unemployment"]]
                           for r in recs])  # fmt: skip
    naive_right = np.mean([n[0] in best[h, c] for n, (_, h, c) in zip(rankings, contexts,
                                                                        strict=True)])  # fmt: skip
    n_cells = len(model.cells)
    ok = int((model.cells["status"] == "ok").sum())

    def show(label: str, text: str) -> None:
        print(f"{label:<46}: {text}")

    show("synthetic estimates", f"{len(frame):,} rows, {frame['study'].nunique():,} studies "
                                f"(made in {t_make:.2f} s)")  # fmt: skip
    show("model", f"{model.vote.n_terms} terms, {n_cells} cells ({ok} with a figure), "
                  f"{len(model.meta)} meta-analysis groups")  # fmt: skip
    print()
    scaled = f"naive, frame filter (x{len(contexts) / len(sample):.3g})"
    rows = [
        ("refit", "fit_effectiveness(validate=False)", t_fit,
         f"naive, frame filter, {n_cells} cells", t_cells_frame),
        ("refit", "", t_fit, f"naive, coded arrays, {n_cells} cells", t_cells_code),
        (f"score {len(contexts):,} contexts", "recommend()", t_score, scaled, t_score_frame),
        (f"score {len(contexts):,} contexts", "", t_score, "naive, coded arrays", t_score_code),
    ]  # fmt: skip
    print(f"| {'step':<22} | {'model':<33} | {'s':>6} | {'naive loop':<35} | {'s':>6} | "
          "naive / model |")  # fmt: skip
    print(f"| {'-' * 22} | {'-' * 33} | {'-' * 6} | {'-' * 35} | {'-' * 6} | {'-' * 13} |")
    for step, what, t_model, naive, t_naive in rows:
        print(f"| {step:<22} | {what:<33} | {t_model:6.2f} | {naive:<35} | {t_naive:6.2f} | "
              f"{t_naive / t_model:12.3g}x |")  # fmt: skip
    print()
    per = 1e3 / len(contexts)
    show("per context (ms)", f"recommend() {t_score * per:.3f}; naive: frame filter "
         f"{t_score_frame * per:.3f}, coded {t_score_code * per:.3f}")  # fmt: skip
    show("same top type (model vs raw cell share)", f"{top:.1%} of contexts")
    show("top type is the generator's best", f"model {model_right:.1%}, raw cell share "
         f"{naive_right:.1%} of contexts")  # fmt: skip
    show("naive votes = model votes per type x horizon", "yes" if not issues else "NO")
    for issue in issues[:10]:
        print(f"  {issue}")
    if issues:
        sys.exit(1)


if __name__ == "__main__":
    main()
