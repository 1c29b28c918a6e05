"""Benchmark: start-up of ``workbench runs list``, lazy imports against eager imports.

A temporary workspace (``workbench init`` of one example case study) with ``--runs``
(default 50) recorded run rows, SYNTHETIC (never executed). Each repetition starts a new
process, alternating between the two ways, after one warm-up run of each:

- **lazy**: the ``workbench`` console script as installed (``python -m workbench.cli``
  when there is none): the root group imports only the ``runs`` command module, and the
  service imports publishing (nbformat, jsonschema) only when a command publishes;
- **eager**: the same command after importing what the CLI imported before it was split:
  every command module, the service and ``workbench.publish``.

Prints the median (and fastest) wall time of each, the eager/lazy ratio, the interpreter
alone (``python -c pass``) for scale, and whether the lazy median meets the 0.5 s target.
Exit status 1 if the two print different listings or a command fails.

Usage: python benchmarks/bench_cli.py [--repeat 15] [--runs 50]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.cli import COMMANDS
from workbench.config import Settings
from workbench.db import Database, crud, upgrade
from workbench.db.models import RunStatus
from workbench.workspace import init_workspace

TARGET_S = 0.5
EAGER_MODULES = sorted(
    {spec.partition(":")[0] for spec in COMMANDS.values()}
    | {"workbench.service", "workbench.publish"}
)
EAGER = (
    "import importlib, sys\n"
    f"for name in {EAGER_MODULES!r}:\n"
    "    importlib.import_module(name)\n"
    "from workbench.cli import main\n"
    "main()\n"
)


def workspace(root: Path, n_runs: int) -> Path:
    """A new workspace with ``n_runs`` synthetic run rows (their notebooks never ran)."""
    home = root / "ws"
    init_workspace(home, cases=["es61-manufacturing-youth"])
    url = Settings(home=home).database_url
    upgrade(url)
    db = Database(url)
    try:
        with db.session(write=True) as session:
            for i in range(n_runs):
                crud.add_run(
                    session,
                    case_slug="es61-manufacturing-youth",
                    template=("regional_diagnosis", "evidence_review")[i % 2],
                    content_hash=f"{i:064x}",
                    status=RunStatus.succeeded,
                    duration_s=1.0 + i / 10,
                )
    finally:
        db.dispose()
    return home


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds of one run of ``command`` and what it printed; exits on a failure."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} … failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def main() -> int:
    """Time both ways; print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each way")
    parser.add_argument("--runs", type=int, default=50, help="run rows in the workspace")
    args = parser.parse_args()

    script = Path(sys.executable).with_name("workbench")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]
    root = Path(tempfile.mkdtemp(prefix="wb-bench-cli-"))
    try:
        home = workspace(root, args.runs)
        listing = ["--home", str(home), "runs", "list"]
        ways = {
            "lazy": [*entry, *listing],
            "eager": [sys.executable, "-c", EAGER, *listing],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        outputs: dict[str, set[str]] = {name: set() for name in ways}
        for command in ways.values():  # warm-up: page cache, .pyc files
            timed(command)
        for _ in range(args.repeat):
            for name, command in ways.items():
                elapsed, out = timed(command)
                times[name].append(elapsed)
                outputs[name].add(out)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"`workbench runs list` on {args.runs} run rows, {args.repeat} runs each (wall):")
    print(f"  lazy command:     {' '.join(ways['lazy'][:1])} --home WS runs list")
    print(f"  eager command:    python -c '<import {len(EAGER_MODULES)} modules>; main()' …")
    for name, values in times.items():
        print(
            f"  {name:15s} median {statistics.median(values):6.3f} s   fastest {min(values):6.3f} s"
        )
    lazy, eager = (statistics.median(times[name]) for name in ("lazy", "eager"))
    print(f"  ratio eager/lazy: {eager / lazy:.2f}x")
    verdict = "met" if lazy < TARGET_S else "NOT met (on this machine, at this load)"
    print(f"  target lazy < {TARGET_S} s: {verdict}")
    if outputs["lazy"] != outputs["eager"] or len(outputs["lazy"]) != 1:
        print("error: the lazy and eager commands printed different listings", file=sys.stderr)
        return 1
    rows = next(iter(outputs["lazy"])).count("\n") - 2
    if rows != min(args.runs, 50):  # `runs list` shows the newest 50 by default
        print(f"error: the listing shows {rows} rows of {args.runs}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
