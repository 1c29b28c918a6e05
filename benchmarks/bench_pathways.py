"""Benchmark: score and build pathways for 100,000 SYNTHETIC jobseekers vs a per-row loop.

Data: ``workbench.profiling.synthetic.generate_jobseekers(--rows)`` (fixed seed; made-up
people) spread over the NUTS-2 regions of ``--country`` (default ES, every region with a
2025 long-term unemployment share). Models: the approved profiling and effectiveness
models in ``shared_models``; labour data: the shipped real pack (its PES table is
SYNTHETIC) and ESCO.

Stages, each timed:

1. **inputs** (once per process, not per batch): read the two models, the pack's PES
   table and ESCO, and build the ESCO skill matrix of ISCO unit groups;
2. **regions** (once per region): region contexts, occupation statuses, transitions and
   skill gaps of every (region, ISCO) pair in the batch;
3. **score**: ``ProfilingModel.predict_risk`` on the whole frame (vectorised);
4. **build**: ``PathwayBuilder.build`` (steps cached per distinct input, vectorised keys).

The **target** is score + build < 5 s on 2 cores; regions and the total are printed too.
**Naive**: for each row of a random sample (``--sample``, fixed ``--seed``), score the row
alone and build its pathway with fresh caches (a new builder on the same loaded models,
pack tables and skill matrix, so the region context, occupation statuses, transitions and
recommendations are recomputed per row), as a per-row loop would. Its time is scaled
linearly to all rows. The naive pathways must equal the batch's for the sample (risks
within 1e-12, steps and notes identical); exit 1 otherwise.

Usage: python benchmarks/bench_pathways.py [--rows 100000] [--country ES] [--sample 100]
       [--seed 0] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.config import REAL_DATA_DIR
from workbench.data.esco import packaged_esco
from workbench.data.labourdata import LabourData
from workbench.exceptions import InvalidInput
from workbench.pathways.batch import write_pathways_csv
from workbench.pathways.build import Pathway, PathwayBuilder
from workbench.pathways.evidence import EvidenceView
from workbench.pathways.occupations import LabourView
from workbench.profiling.model import load_approved_profiling
from workbench.profiling.synthetic import generate_jobseekers, regional_targets

TARGET_S = 5.0
SHARED_MODELS = Path(__file__).resolve().parents[1] / "shared_models"


def country_regions(data: LabourData, country: str) -> list[str]:
    """NUTS-2 regions of ``country`` with a 2025 long-term unemployment share."""
    geo = data.frame("long_term_2025")["geo"].astype(str)
    out = []
    for code in sorted(set(geo[geo.str.fullmatch(rf"{country}\w\w")])):
        try:
            regional_targets([code])
        except InvalidInput:
            continue
        out.append(code)
    return out


def same(batch: Pathway, naive: Pathway) -> list[str]:
    """Differences between two pathways of one person (risks within 1e-12)."""
    issues = []
    a, b = batch.to_dict(), naive.to_dict()
    for field in ("risk", "risk_low", "risk_high"):
        if abs(a.pop(field) - b.pop(field)) > 1e-12:
            issues.append(f"{batch.person}: {field} differs")
    if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
        issues.append(f"{batch.person}: pathway differs")
    return issues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--country", default="ES", help="NUTS country code of the regions")
    parser.add_argument("--sample", type=int, default=100, help="rows for the naive loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=2, help="score + build runs (best shown)")
    args = parser.parse_args()

    start = time.perf_counter()
    data = LabourData(REAL_DATA_DIR)
    regions = country_regions(data, args.country)
    frame = generate_jobseekers(args.rows, regions=regions)
    t_data = time.perf_counter() - start

    start = time.perf_counter()
    model = load_approved_profiling(SHARED_MODELS)
    evidence = EvidenceView.load(SHARED_MODELS)
    esco = packaged_esco()
    data.pes_table()
    matrix = LabourView(data, esco).matrix()
    t_inputs = time.perf_counter() - start

    def view() -> LabourView:
        return LabourView(data, esco, matrix=matrix)

    def fresh_evidence() -> EvidenceView:
        return EvidenceView(evidence.model, evidence.version, evidence.refs, evidence.note)

    labour = view()
    start = time.perf_counter()
    for region in regions:
        labour.context(region)
    labour.prepare(frame[["region", "isco"]])
    t_regions = time.perf_counter() - start

    scores, builds = [], []
    for _ in range(args.repeat):
        builder = PathwayBuilder(fresh_evidence(), labour)
        start = time.perf_counter()
        risks = model.predict_risk(frame)
        scores.append(time.perf_counter() - start)
        start = time.perf_counter()
        pathways = builder.build(frame, risks, model.version)
        builds.append(time.perf_counter() - start)
    best = int(np.argmin(np.add(scores, builds)))
    t_score, t_build = scores[best], builds[best]
    start = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        n_rows = write_pathways_csv(pathways, sink)
    t_write = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(len(frame), size=min(args.sample, len(frame)), replace=False))
    issues: list[str] = []
    start = time.perf_counter()
    for i in sample.tolist():
        row = frame.iloc[[i]]
        naive = PathwayBuilder(fresh_evidence(), view())
        (one,) = naive.build(row, model.predict_risk(row), model.version)
        issues += same(pathways[i], one)
    t_naive = time.perf_counter() - start
    t_scaled = t_naive * len(frame) / len(sample)

    def show(label: str, text: str) -> None:
        print(f"{label:<44}: {text}")

    bands = pd.Series([p.risk_band for p in pathways]).value_counts().to_dict()
    n_steps = sum(len(p.steps) for p in pathways)
    distinct = len({id(s) for p in pathways for s in p.steps})
    show(
        "jobseekers (SYNTHETIC)",
        f"{len(frame):,} in {len(regions)} {args.country} regions "
        f"(generated in {t_data:.2f} s); bands {bands}",
    )
    show("pathways", f"{n_steps:,} steps, {distinct:,} distinct step records (shared)")
    show("inputs (once per process)", f"{t_inputs:7.2f} s  (models, PES table, ESCO matrix)")
    show(
        f"regions (once per region, {len(regions)})",
        f"{t_regions:7.2f} s  (contexts, statuses, transitions, skill gaps)",
    )
    show("score (predict_risk, vectorised)", f"{t_score:7.2f} s")
    show("build (PathwayBuilder.build)", f"{t_build:7.2f} s")
    total = t_score + t_build
    show(
        "score + build",
        f"{total:7.2f} s  (best of {args.repeat}: "
        f"{', '.join(f'{s + b:.2f}' for s, b in zip(scores, builds, strict=True))}; "
        f"target < {TARGET_S:.0f} s: {'met' if total < TARGET_S else 'MISSED'})",
    )
    show("regions + score + build", f"{t_regions + total:7.2f} s")
    show("CSV rows (not in the target)", f"{t_write:7.2f} s  ({n_rows:,} rows)")
    show(f"naive: per-row loop, {len(sample)} rows (seed {args.seed})", f"{t_naive:7.2f} s")
    show(f"naive: scaled to {len(frame):,} rows", f"{t_scaled:7.1f} s")
    show(
        "speed-up (scaled naive / regions+score+build)", f"{t_scaled / (t_regions + total):7.1f} x"
    )
    show("agreement on the sample", f"{len(sample)} pathways compared, {len(issues)} differences")
    for issue in issues[:10]:
        print(f"  {issue}")
    if issues:
        sys.exit(1)


if __name__ == "__main__":
    main()
