"""Benchmark: participatory tuning on 100,000 SYNTHETIC feedback rows, 1,000 bootstrap draws.

Data (fixed ``--seed``; not real feedback): :data:`N_OPTIONS` options x :data:`N_CRITERIA`
criteria on a 5-point scale, participants in :data:`GROUPS` stakeholder groups of unequal
size. Each participant spreads 100 points over the criteria (their group's leaning plus
noise) and rates every option on every criterion (a planted score plus noise, clipped to
1-5): 35 rows each, participants added until the round holds ``--rows`` rows. The
evidence criterion has an interval for every option but one (insufficient evidence).

Two ways, both with the ``equal`` group rule and the weighted sum:

- ours: :func:`workbench.tuning.tune` with ``--draws`` draws (validation, the point
  estimate, the vectorised bootstrap and evidence draws, rank probabilities, the
  sensitivity scenarios and the content hash), the median of ``--repeat`` runs; and the
  rank-probability step alone;
- naive: per draw, in a Python loop as an analyst writes it with pandas: resample the
  participants of each group with replacement, ``merge`` their points and ratings back,
  ``groupby`` group means of the points and option x criterion medians of the ratings,
  draw the evidence from its truncated normal (scipy), rank with pymcdm. Run on
  ``--naive-sample`` draws and scaled linearly to ``--draws``.

The naive loop without resampling (every participant once, the evidence at its point) is
checked against ours' point estimate: same weights, same medians, same ranking (exit 1 on
a mismatch). Prints the times and the ratio (naive / ours).

Usage: python benchmarks/bench_tuning.py [--rows 100000] [--draws 1000]
       [--naive-sample 30] [--repeat 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pymcdm.methods import WSM
from pymcdm.normalizations import minmax_normalization
from scipy.stats import truncnorm

from workbench.tuning import tune
from workbench.tuning.uncertainty import Z95

N_OPTIONS = 6
N_CRITERIA = 5
#: Stakeholder groups and their relative sizes.
GROUPS = {"employers": 5, "unions": 2, "ngos": 2, "public": 1}
T = TypeVar("T")


def synthetic_round(rows: int, seed: int) -> dict[str, Any]:
    """Points and ratings frames holding ``rows`` rows in all, plus criteria and evidence."""
    rng = np.random.default_rng(seed)
    criteria = [f"criterion_{j}" for j in range(N_CRITERIA)]
    options = [f"option_{i}" for i in range(N_OPTIONS)]
    per_person = N_CRITERIA + N_OPTIONS * N_CRITERIA
    n = max(rows // per_person, 1)
    sizes = np.array(list(GROUPS.values()), dtype=float)
    group_of = rng.choice(len(GROUPS), size=n, p=sizes / sizes.sum())
    leaning = rng.dirichlet(np.ones(N_CRITERIA) * 2, size=len(GROUPS))
    gamma = rng.gamma(leaning[group_of] * 20 + 0.1)  # a Dirichlet draw per participant
    alloc = gamma / gamma.sum(axis=1, keepdims=True)
    points = np.floor(alloc * 100).astype(np.int64)
    points[np.arange(n), points.argmax(axis=1)] += 100 - points.sum(axis=1)
    planted = rng.integers(1, 6, size=(N_OPTIONS, N_CRITERIA))
    values = np.clip(planted[None] + rng.integers(-1, 2, size=(n, N_OPTIONS, N_CRITERIA)), 1, 5)
    ids = np.array([f"p{i:06d}" for i in range(n)], dtype=object)
    names = np.array(list(GROUPS), dtype=object)
    pts = pd.DataFrame(
        {
            "participant": np.repeat(ids, N_CRITERIA),
            "group": np.repeat(names[group_of], N_CRITERIA),
            "criterion": np.tile(np.array(criteria, dtype=object), n),
            "points": points.ravel(),
        }
    )
    cells = N_OPTIONS * N_CRITERIA
    rts = pd.DataFrame(
        {
            "participant": np.repeat(ids, cells),
            "group": np.repeat(names[group_of], cells),
            "option": np.tile(np.repeat(np.array(options, dtype=object), N_CRITERIA), n),
            "criterion": np.tile(np.array(criteria, dtype=object), n * N_OPTIONS),
            "value": values.ravel(),
        }
    )
    p = rng.uniform(0.2, 0.8, size=N_OPTIONS)
    width = rng.uniform(0.1, 0.4, size=N_OPTIONS)
    evidence: dict[str, tuple[float, float, float] | None] = {
        o: (float(p[i]), float(max(p[i] - width[i] / 2, 0)), float(min(p[i] + width[i] / 2, 1)))
        for i, o in enumerate(options)
    }
    evidence[options[-1]] = None
    return {"points": pts, "ratings": rts, "criteria": criteria, "options": options,
            "evidence": evidence}  # fmt: skip


class Naive:
    """The per-draw pandas loop (see the module doc)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.points, self.ratings = data["points"], data["ratings"]
        self.criteria, self.options = data["criteria"], data["options"]
        self.evidence = data["evidence"]
        people = pd.concat([self.points, self.ratings])[["participant", "group"]]
        people = people.drop_duplicates("participant")
        self.members = {g: sub["participant"].to_numpy() for g, sub in people.groupby("group")}
        self.with_points = set(self.points["participant"])
        self.method = WSM(normalization_function=minmax_normalization)

    def draw(self, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights, matrix, preferences) of one draw; ``rng=None``: no resampling."""
        if rng is None:
            drawn = np.concatenate(list(self.members.values()))
        else:
            drawn = np.concatenate(
                [rng.choice(m, size=len(m), replace=True) for m in self.members.values()]
            )
        ids = pd.DataFrame({"participant": drawn})
        pts = ids.merge(self.points, on="participant")
        rts = ids.merge(self.ratings, on="participant")
        givers = ids[ids["participant"].isin(self.with_points)].merge(
            self.points.drop_duplicates("participant")[["participant", "group"]]
        )
        n_group = givers.groupby("group").size()
        sums = pts.pivot_table(index="group", columns="criterion", values="points",
                               aggfunc="sum", fill_value=0)  # fmt: skip
        group_means = sums.div(n_group, axis=0)[self.criteria] / 100
        rated = group_means.mean(axis=0).to_numpy()  # the equal rule: mean of group means
        e = 1 / (len(self.criteria) + 1)
        weights = np.append(rated / rated.sum() * (1 - e), e)
        med = rts.groupby(["option", "criterion"])["value"].median().unstack()
        matrix = med.loc[self.options, self.criteria].to_numpy(dtype=float)
        ev = []
        for option in self.options:
            value = self.evidence[option]
            if value is None:
                ev.append(0.0)
            elif rng is None:
                ev.append(value[0])
            else:
                p, low, high = value
                sd = (high - low) / (2 * Z95)
                ev.append(float(truncnorm.rvs((0 - p) / sd, (1 - p) / sd, loc=p, scale=sd,
                                              random_state=rng)))  # fmt: skip
        matrix = np.column_stack([matrix, ev])
        types = np.ones(matrix.shape[1])
        return weights, matrix, self.method(matrix, weights, types, validation=False)

    def run(self, n_draws: int, seed: int) -> np.ndarray:
        """P(rank = k) per option from ``n_draws`` resampled draws."""
        rng = np.random.default_rng(seed)
        tally = np.zeros((len(self.options), len(self.options)))
        for _ in range(n_draws):
            prefs = self.draw(rng)[2]
            order = np.argsort(-np.round(prefs, 12), kind="stable")
            tally[order, np.arange(len(order))] += 1
        return tally / n_draws


def timed(func: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``func(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="feedback rows in all")
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap draws")
    parser.add_argument("--naive-sample", type=int, default=30, help="draws the naive loop runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (median)")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and draws")
    args = parser.parse_args()

    data, t_make = timed(synthetic_round, args.rows, args.seed)
    kwargs = {"evidence": data["evidence"], "n_draws": args.draws, "seed": args.seed}
    frames = (data["points"], data["ratings"], data["criteria"], data["options"])
    runs = [timed(tune, *frames, **kwargs) for _ in range(args.repeat)]
    result, t_ours = runs[0][0], statistics.median(t for _, t in runs)
    _, t_single = timed(tune, *frames, **{**kwargs, "n_draws": 1})
    t_draws = max(t_ours - t_single, 1e-9)

    naive = Naive(data)
    (weights, matrix, prefs), t_point = timed(naive.draw, None)
    sample = min(args.naive_sample, args.draws)
    naive_probs, t_sample = timed(naive.run, sample, args.seed)
    t_naive = t_sample * args.draws / sample

    issues = []
    ours_w = np.array([result.weights[c] for c in (*data["criteria"], "evidence")])
    if not np.allclose(ours_w, weights):
        issues.append(f"weights differ: ours {ours_w.round(4)}, naive {weights.round(4)}")
    scores = result.scores_frame()
    ours_m = scores.pivot(index="option", columns="criterion", values="score")
    ours_m = ours_m.loc[data["options"], [*data["criteria"], "evidence"]].to_numpy()
    if not np.allclose(ours_m, matrix):
        issues.append("decision matrices differ")
    naive_order = [data["options"][i] for i in np.argsort(-np.round(prefs, 12), kind="stable")]
    if list(result.order) != naive_order:
        issues.append(f"rankings differ: ours {result.order}, naive {naive_order}")
    ours_first = np.array([result.rank_probabilities[o][0] for o in data["options"]])
    gap = np.abs(ours_first - naive_probs[:, 0]).max()

    def show(label: str, text: str) -> None:
        print(f"{label:<44}: {text}")

    n_people = data["points"]["participant"].nunique()
    rows = len(data["points"]) + len(data["ratings"])
    show("synthetic round", f"{rows:,} rows ({len(data['points']):,} points, "
         f"{len(data['ratings']):,} ratings), {n_people:,} participants in {len(GROUPS)} "
         f"groups (made in {t_make:.2f} s)")  # fmt: skip
    show("ranking (ours)", ", ".join(f"{r.option} {r.p_first:.0%}" for r in result.ranking))
    print()
    table = [
        (f"tune(), {args.draws:,} draws", t_ours, f"naive loop (x{args.draws / sample:.3g})",
         t_naive),
        (f"  of which the {args.draws:,} draws", t_draws, "", t_naive),
        ("tune(), 1 draw (all but draws)", t_single, "naive, 1 draw, no resampling", t_point),
    ]  # fmt: skip
    print(f"| {'step':<30} | {'s':>7} | {'naive':<34} | {'s':>8} | naive / ours |")
    print(f"| {'-' * 30} | {'-' * 7} | {'-' * 34} | {'-' * 8} | {'-' * 12} |")
    for what, t_a, naive_what, t_b in table:
        print(f"| {what:<30} | {t_a:7.2f} | {naive_what:<34} | {t_b:8.2f} | "
              f"{t_b / t_a:11.3g}x |")  # fmt: skip
    print()
    show("per draw (ms)", f"ours {t_draws * 1e3 / args.draws:.2f}; naive "
         f"{t_sample * 1e3 / sample:.1f}")  # fmt: skip
    show(f"P(first): ours vs naive ({sample} draws)", f"largest difference {gap:.2f}")
    show("point estimate: same weights, scores, order", "yes" if not issues else "NO")
    for issue in issues:
        print(f"  {issue}")
    if issues:
        sys.exit(1)


if __name__ == "__main__":
    main()
