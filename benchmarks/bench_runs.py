"""Benchmark: every (case study, template) run of 8 case studies, four ways, same machine.

1. ``workbench run --all --workers 2`` on a cold workspace (no cache): the local pool;
2. the plain alternative: a sequential loop of the ``papermill`` CLI over the same
   notebooks and the same validated parameters;
3. a cached re-run: ``workbench run --all`` again;
4. the Dask executor: ``workbench run --all`` with ``WORKBENCH_EXECUTOR=dask`` on a cold
   copy of the workspace and a ``distributed.LocalCluster`` of ``--workers`` worker
   processes (one thread and one ``kernels`` unit each), started beforehand (its start-up
   is printed, not counted: a production cluster is already running). Its artefacts are
   checked against the local pool's, byte for byte.

Prints wall times and the ratios. Targets on a 2-core machine: >= 1.8x over the
sequential papermill loop, and a cached re-run <= 2% of the cold time.

Usage: python benchmarks/bench_runs.py [--cases 8] [--workers 2] [--no-dask] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.config import Settings
from workbench.service import Workbench
from workbench.workspace import init_workspace

REGIONS = [("ES51", "C"), ("ES61", "C"), ("ES30", "J"), ("DE21", "J"), ("DE30", "M"),
           ("ITF3", "I"), ("PL91", "K"), ("FR10", "Q"), ("EL30", "G"), ("SE11", "J")]  # fmt: skip
BIN = Path(sys.executable).parent


def make_cases(home: Path, n: int) -> None:
    """Replace the demo case studies with ``n`` generated ones (every template each)."""
    shutil.rmtree(home / "case_studies")
    (home / "case_studies").mkdir()
    service = Workbench(Settings(home=home))
    for region, sector in REGIONS[:n]:
        service.new_case(f"bench-{region.lower()}", region=region, sector=sector)
    service.close()


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def artefact_digests(home: Path) -> dict[str, str]:
    """sha256 of every artefact under runs/ (hidden and failed folders left out)."""
    return {
        str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((home / "runs").glob("*/*/*/artefacts/**/*"))
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(home).parts)
    }


def dask_run(home: Path, workers: int) -> tuple[float, float]:
    """Cold ``workbench run --all`` of ``home`` on a fresh Dask LocalCluster:
    (cluster start-up s, run s)."""
    from distributed import LocalCluster

    start = time.perf_counter()
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        resources={"kernels": 1},
        dashboard_address=":0",
        silence_logs=40,
    ) as cluster:
        t_start = time.perf_counter() - start
        env = {**os.environ, "WORKBENCH_EXECUTOR": "dask",
               "WORKBENCH_SCHEDULER": cluster.scheduler_address}  # fmt: skip
        t_run = timed([str(BIN / "workbench"), "--home", str(home), "run", "--all",
                       "--no-progress"], env=env)  # fmt: skip
    return t_start, t_run


def papermill_loop(home: Path, out_root: Path) -> tuple[float, int]:
    """Sequential papermill CLI over every planned run; returns (seconds, runs)."""
    specs = Workbench(Settings(home=home)).plan(all_cases=True)
    start = time.perf_counter()
    for spec in specs:
        out = out_root / spec.case_slug / spec.template
        out.mkdir(parents=True)
        params = {**spec.parameters, "data_dir": str(spec.data_dir),
                  "models_dir": str(spec.models_dir), "output_dir": "."}  # fmt: skip
        subprocess.run(
            [str(BIN / "papermill"), str(spec.template_path), str(out / "output.ipynb"),
             "-y", json.dumps(params), "--cwd", str(out), "-k", "python3", "--no-progress-bar"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return time.perf_counter() - start, len(specs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8, help="case studies")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask executor row")
    parser.add_argument("--keep", type=Path, help="keep the workspace here")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-"))
    home = root / "ws"
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    make_cases(home, args.cases)
    workbench = [str(BIN / "workbench"), "--home", str(home)]

    # Warm the OS file cache and the kernel spec lookup once, untimed.
    subprocess.run([*workbench, "case", "validate"], check=True, stdout=subprocess.DEVNULL)
    dask_home = root / "ws-dask"  # the same cold workspace, for the Dask executor
    shutil.copytree(home, dask_home)

    t_loop, n = papermill_loop(home, root / "papermill-out")
    t_cold = timed([*workbench, "run", "--all", "--workers", str(args.workers), "--no-progress"])
    t_cached = timed([*workbench, "run", "--all", "--no-progress"])
    dask = None if args.no_dask else dask_run(dask_home, args.workers)

    per_case = n // args.cases
    print(f"runs: {n} ({args.cases} case studies x {per_case} templates), workers={args.workers}")
    print(f"sequential papermill CLI loop : {t_loop:7.2f} s")
    print(f"workbench run --workers {args.workers}    : {t_cold:7.2f} s")
    print(f"workbench run (cached re-run) : {t_cached:7.2f} s")
    print(f"speed-up vs papermill loop    : {t_loop / t_cold:7.2f} x   (target >= 1.8x)")
    print(f"cached re-run / cold run      : {100 * t_cached / t_cold:7.2f} %   (target <= 2%)")
    if dask is not None:
        t_start, t_dask = dask
        same = artefact_digests(dask_home) == artefact_digests(home)
        print(f"workbench run, Dask {args.workers} workers: {t_dask:7.2f} s   "
              f"(LocalCluster start-up {t_start:.2f} s, not counted)")  # fmt: skip
        print(f"Dask speed-up vs papermill    : {t_loop / t_dask:7.2f} x")
        print(f"Dask / local pool             : {t_dask / t_cold:7.2f}")
        print(f"Dask artefacts = local pool's : {'yes' if same else 'NO'}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
