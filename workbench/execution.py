"""Executes one planned run in a worker process: papermill, then reports.

This module runs inside worker processes and never touches the database: it takes
and returns plain dicts, and the parent records the outcome.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import traceback as tb
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: How often a kernel that failed to *start* is retried (port and launch races).
KERNEL_START_ATTEMPTS = 3
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def warm_up(log_dir: str | None = None) -> None:
    """Prepare a worker process: send kernel chatter to a log, import heavy libraries.

    Kernels inherit the worker's stderr; their start-up warnings would otherwise
    scramble the progress bar. Errors reach the user through the run records.
    """
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        log = open(Path(log_dir) / f"worker-{os.getpid()}.log", "ab")  # noqa: SIM115
        os.dup2(log.fileno(), 2)
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _executed_any(path: Path) -> bool:
    import nbformat

    if not path.exists():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def _execute(job: dict[str, Any], workdir: Path, output_nb: Path) -> None:
    import papermill as pm

    parameters = {
        **job["parameters"],
        "data_dir": job["data_dir"],
        "models_dir": job["models_dir"],
        "output_dir": ".",
    }
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            pm.execute_notebook(
                job["template_path"],
                str(output_nb),
                parameters=parameters,
                kernel_name=job["kernel_name"],
                cwd=str(workdir),
                progress_bar=False,
                log_output=False,
                execution_timeout=job["cell_timeout"],
            )
            return
        except pm.PapermillExecutionError:
            raise
        except Exception:
            # A failure before any cell ran is a kernel start problem: retry it.
            if attempt == KERNEL_START_ATTEMPTS or _executed_any(output_nb):
                raise
            time.sleep(0.2 * attempt)


def template_cell_of_error(output_nb: Path) -> int | None:
    """Index, in the *template*, of the cell that raised (what an analyst edits).

    The executed notebook has extra cells: papermill's injected parameters and its
    error banners. Those are skipped when counting.
    """
    import nbformat

    if not output_nb.exists():
        return None
    nb = nbformat.read(output_nb, as_version=4)
    index = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
        index += 1
    return None


def _finalise(workdir: Path, target: Path) -> None:
    """Move ``workdir`` to ``target``, replacing an older folder there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        trash = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        target.rename(trash)
        workdir.rename(target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        workdir.rename(target)


def execute_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job; always returns an outcome dict, never raises."""
    import nbformat
    import papermill as pm

    from workbench.reports import write_reports

    started = _now()
    clock = time.monotonic()
    target = Path(job["output_dir"])
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    workdir.mkdir()
    output_nb = workdir / "output.ipynb"
    outcome: dict[str, Any] = {
        "status": "succeeded",
        "error_cell": None,
        "error": None,
        "traceback": None,
    }
    try:
        _execute(job, workdir, output_nb)
    except pm.PapermillExecutionError as exc:
        outcome.update(
            status="failed",
            error_cell=template_cell_of_error(output_nb),
            error=f"{exc.ename}: {exc.evalue}",
            traceback=_ANSI.sub("", "\n".join(exc.traceback)),
        )
    except Exception as exc:
        outcome.update(
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=_ANSI.sub("", tb.format_exc()),
        )
    if outcome["status"] == "failed":
        target = target.with_name(f"{target.name}-failed")
    try:
        if output_nb.exists():
            nb = nbformat.read(output_nb, as_version=4)
            nb.metadata["workbench_run"] = {
                "title": job["title"],
                "case": job["case_slug"],
                "template": job["template"],
                "template_version": job["template_version"],
                "content_hash": job["content_hash"],
                "synthetic": job["synthetic"],
                "data_note": job.get("data_note", ""),
                "attribution": job.get("attribution", []),
                "status": outcome["status"],
            }
            nbformat.write(nb, output_nb)
            write_reports(nb, workdir / "report.html", workdir / "report-noinput.html")
    except Exception as exc:  # a report failure fails the run, but keeps the notebook
        outcome.update(
            status="failed",
            error=outcome["error"] or f"report: {type(exc).__name__}: {exc}",
            traceback=outcome["traceback"] or _ANSI.sub("", tb.format_exc()),
        )
        if not target.name.endswith("-failed"):
            target = target.with_name(f"{target.name}-failed")
    artefacts_dir = workdir / "artefacts"
    artefacts = (
        sorted(str(p.relative_to(workdir)) for p in artefacts_dir.rglob("*") if p.is_file())
        if artefacts_dir.is_dir()
        else []
    )
    _finalise(workdir, target)
    outcome.update(
        started_at=started,
        finished_at=_now(),
        duration_s=round(time.monotonic() - clock, 3),
        output_dir=str(target),
        notebook_path=str(target / "output.ipynb") if (target / "output.ipynb").exists() else "",
        report_path=str(target / "report.html") if (target / "report.html").exists() else "",
        report_noinput_path=(
            str(target / "report-noinput.html") if (target / "report-noinput.html").exists() else ""
        ),
        artefacts=artefacts,
    )
    return outcome
