"""Batch execution of planned runs: cache, parallel worker processes, progress, records.

Each planned run is either a cache hit (an earlier successful run with the same
content hash whose outputs still exist) or executed by papermill in a separate
worker process. Every run gets a database row; a failing notebook fails only its own
run.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from workbench.config import Settings
from workbench.db import Database, crud
from workbench.db.models import Run, RunStatus
from workbench.execution import execute_job, warm_up
from workbench.planning import RunSpec

_PATH_FIELDS = ("output_dir", "notebook_path", "report_path", "report_noinput_path")


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one planned run."""

    run_id: int
    case_slug: str
    template: str
    content_hash: str
    status: str
    duration_s: float | None
    output_dir: str
    error: str | None = None
    error_cell: int | None = None


@dataclass(frozen=True)
class BatchReport:
    """Outcome of one ``workbench run`` invocation."""

    outcomes: list[RunOutcome]

    @property
    def counts(self) -> Counter[str]:
        """Number of runs per status."""
        return Counter(o.status for o in self.outcomes)

    @property
    def failed(self) -> list[RunOutcome]:
        """The runs that failed."""
        return [o for o in self.outcomes if o.status == RunStatus.failed]


def _relative(home: Path, value: str) -> str:
    if not value:
        return ""
    path = Path(value)
    return str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def _outcome(run: Run) -> RunOutcome:
    return RunOutcome(
        run_id=run.id or 0,
        case_slug=run.case_slug,
        template=run.template,
        content_hash=run.content_hash,
        status=str(run.status),
        duration_s=run.duration_s,
        output_dir=run.output_dir,
        error=run.error,
        error_cell=run.error_cell,
    )


def _spec_fields(spec: RunSpec) -> dict[str, Any]:
    return {
        "case_slug": spec.case_slug,
        "template": spec.template,
        "template_version": spec.template_version,
        "content_hash": spec.content_hash,
        "parameters": spec.parameters,
        "inputs": spec.inputs,
        "model_versions": spec.model_versions,
        "synthetic_data": spec.synthetic,
        "data_note": spec.data_note[:500],
    }


def _job(spec: RunSpec, settings: Settings) -> dict[str, Any]:
    return {
        "case_slug": spec.case_slug,
        "template": spec.template,
        "template_path": str(spec.template_path),
        "template_version": spec.template_version,
        "title": spec.title,
        "parameters": spec.parameters,
        "content_hash": spec.content_hash,
        "synthetic": spec.synthetic,
        "data_note": spec.data_note,
        "attribution": list(spec.attribution),
        "data_dir": str(spec.data_dir),
        "models_dir": str(spec.models_dir),
        "output_dir": str(spec.output_dir(settings.runs_dir)),
        "kernel_name": settings.kernel_name,
        "cell_timeout": settings.cell_timeout,
    }


class BatchRunner:
    """Executes planned runs for one workspace and records them."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def _cache_hit(self, spec: RunSpec) -> RunOutcome | None:
        with self.db.session() as session:
            previous = crud.find_succeeded_run(session, content_hash=spec.content_hash)
            if previous is None or not (self.settings.home / previous.output_dir).is_dir():
                return None
            run = crud.add_run(
                session,
                **_spec_fields(spec),
                status=RunStatus.cached,
                cached_from_id=previous.id,
                started_at=previous.started_at,
                finished_at=previous.finished_at,
                duration_s=0.0,
                artefacts=previous.artefacts,
                **{name: getattr(previous, name) for name in _PATH_FIELDS},
            )
            return _outcome(run)

    def _record(self, run_id: int, result: dict[str, Any]) -> RunOutcome:
        home = self.settings.home
        with self.db.session() as session:
            run = crud.update_run(
                session,
                run_id,
                status=RunStatus(result["status"]),
                started_at=datetime.fromisoformat(result["started_at"]),
                finished_at=datetime.fromisoformat(result["finished_at"]),
                duration_s=result["duration_s"],
                error=result["error"],
                error_cell=result["error_cell"],
                traceback=result["traceback"],
                artefacts=result["artefacts"],
                **{name: _relative(home, result[name]) for name in _PATH_FIELDS},
            )
            return _outcome(run)

    def run(
        self,
        specs: list[RunSpec],
        *,
        workers: int | None = None,
        force: bool = False,
        progress: bool = True,
    ) -> BatchReport:
        """Execute ``specs`` (skipping cache hits unless ``force``) and record each."""
        outcomes: list[RunOutcome] = []
        counts: Counter[str] = Counter()
        bar = tqdm(
            total=len(specs),
            desc="runs",
            unit="run",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )

        def tick(outcome: RunOutcome) -> None:
            outcomes.append(outcome)
            counts[outcome.status] += 1
            bar.set_postfix_str(
                f"completed={counts['succeeded']} cached={counts['cached']} "
                f"failed={counts['failed']}",
                refresh=False,
            )
            bar.update(1)

        to_execute: list[RunSpec] = []
        repeats: list[RunSpec] = []  # same content hash as an earlier spec of this batch
        planned: set[str] = set()
        for spec in specs:
            hit = None if force else self._cache_hit(spec)
            if hit is not None:
                tick(hit)
            elif spec.content_hash in planned and not force:
                repeats.append(spec)
            else:
                planned.add(spec.content_hash)
                to_execute.append(spec)

        if to_execute:
            self._execute(to_execute, workers or self.settings.workers, tick)
        # a template whose output does not depend on the case (e.g. the evidence review)
        # runs once per batch; the other cases point at that run, as a later batch would
        again = []
        for spec in repeats:
            hit = self._cache_hit(spec)
            if hit is not None:
                tick(hit)
            else:
                again.append(spec)
        if again:
            self._execute(again, workers or self.settings.workers, tick)
        bar.close()
        order = {(s.case_slug, s.template): i for i, s in enumerate(specs)}
        outcomes.sort(key=lambda o: order.get((o.case_slug, o.template), 0))
        return BatchReport(outcomes)

    def _execute(self, specs: list[RunSpec], workers: int, tick: Any) -> None:
        run_ids: dict[int, int] = {}
        with self.db.session() as session:
            for index, spec in enumerate(specs):
                run = crud.add_run(session, **_spec_fields(spec), status=RunStatus.running)
                run_ids[index] = run.id or 0
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(specs))),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_up,
            initargs=(str(self.settings.var_dir / "logs"),),
        )
        futures: dict[Future[dict[str, Any]], int] = {}
        try:
            for index, spec in enumerate(specs):
                futures[pool.submit(execute_job, _job(spec, self.settings))] = index
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died
                    result = _crashed(specs[index], self.settings, exc)
                tick(self._record(run_ids.pop(index), result))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            with self.db.session() as session:
                for run_id in run_ids.values():
                    crud.finish_run(session, run_id, status=RunStatus.failed, error="interrupted")
            raise
        pool.shutdown(wait=True)


def _crashed(spec: RunSpec, settings: Settings, exc: BaseException) -> dict[str, Any]:
    from workbench.db.models import utcnow

    now = utcnow().isoformat()
    return {
        "status": "failed",
        "error": f"worker process failed: {type(exc).__name__}: {exc}",
        "error_cell": None,
        "traceback": None,
        "started_at": now,
        "finished_at": now,
        "duration_s": None,
        "artefacts": [],
        "output_dir": str(spec.output_dir(settings.runs_dir)),
        "notebook_path": "",
        "report_path": "",
        "report_noinput_path": "",
    }
