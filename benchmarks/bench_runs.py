"""Benchmark: 16 (case study, template) runs three ways, in one process, same machine.

1. ``workbench run --all --workers 2`` on a cold workspace (no cache);
2. the plain alternative: a sequential loop of the ``papermill`` CLI over the same
   notebooks and the same validated parameters;
3. a cached re-run: ``workbench run --all`` again.

Prints wall times and the ratios. Targets on a 2-core machine: >= 1.8x over the
sequential papermill loop, and a cached re-run <= 2% of the cold time.

Usage: python benchmarks/bench_runs.py [--cases 8] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
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
    """Replace the demo case studies with ``n`` generated ones (both templates each)."""
    shutil.rmtree(home / "case_studies")
    (home / "case_studies").mkdir()
    service = Workbench(Settings(home=home))
    for region, sector in REGIONS[:n]:
        service.new_case(f"bench-{region.lower()}", region=region, sector=sector)
    service.close()


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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
    parser.add_argument("--cases", type=int, default=8, help="case studies (x2 templates)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the workspace here")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-"))
    home = root / "ws"
    init_workspace(home, cases=("de21-ict-older-workers", "es61-manufacturing-youth"))
    make_cases(home, args.cases)
    workbench = [str(BIN / "workbench"), "--home", str(home)]

    # Warm the OS file cache and the kernel spec lookup once, untimed.
    subprocess.run([*workbench, "case", "validate"], check=True, stdout=subprocess.DEVNULL)

    t_loop, n = papermill_loop(home, root / "papermill-out")
    t_cold = timed([*workbench, "run", "--all", "--workers", str(args.workers), "--no-progress"])
    t_cached = timed([*workbench, "run", "--all", "--no-progress"])

    print(f"runs: {n} ({args.cases} case studies x 2 templates), workers={args.workers}")
    print(f"sequential papermill CLI loop : {t_loop:7.2f} s")
    print(f"workbench run --workers {args.workers}    : {t_cold:7.2f} s")
    print(f"workbench run (cached re-run) : {t_cached:7.2f} s")
    print(f"speed-up vs papermill loop    : {t_loop / t_cold:7.2f} x   (target >= 1.8x)")
    print(f"cached re-run / cold run      : {100 * t_cached / t_cold:7.2f} %   (target <= 2%)")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
