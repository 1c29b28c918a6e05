"""Batch execution of planned runs: cache, parallel worker processes, progress, records.

Each planned run is either a cache hit (an earlier successful run with the same
content hash whose outputs still exist) or executed by papermill in a separate
worker process: a local process pool or a Dask cluster (see workbench/executors.py).
Every run gets a database row; a failing notebook fails only its own run.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.config import Settings
from workbench.db import Database, crud
from workbench.db.models import Run, RunStatus
from workbench.executors import Executor, make_executor
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

    def executor(
        self, name: str | None = None, *, workers: int | None = None, scheduler: str | None = None
    ) -> Executor:
        """The executor ``name`` (default: the settings'), not started yet."""
        return make_executor(
            name or self.settings.executor,
            workers=workers or self.settings.workers,
            scheduler=scheduler or self.settings.scheduler,
            log_dir=str(self.settings.var_dir / "logs"),
        )

    def run(
        self,
        specs: list[RunSpec],
        *,
        workers: int | None = None,
        force: bool = False,
        progress: bool = True,
        executor: Executor | None = None,
    ) -> BatchReport:
        """Execute ``specs`` (skipping cache hits unless ``force``) and record each.

        ``executor`` runs the jobs (default: :meth:`executor` from the settings); it is
        prepared before the first run row is written and closed at the end.
        """
        outcomes: list[RunOutcome] = []
        counts: Counter[str] = Counter()
        bar = _progress_bar(len(specs)) if progress else _NoBar()

        def tick(outcome: RunOutcome) -> None:
            outcomes.append(outcome)
            counts[outcome.status] += 1
            bar.set_postfix_str(
                f"completed={counts['succeeded']} cached={counts['cached']} "
                f"failed={counts['failed']}",
                refresh=False,
            )
            bar.update(1)

        try:
            with executor or self.executor(workers=workers) as pool:
                self._batch(specs, pool, force=force, tick=tick)
        finally:
            bar.close()
        order = {(s.case_slug, s.template): i for i, s in enumerate(specs)}
        outcomes.sort(key=lambda o: order.get((o.case_slug, o.template), 0))
        return BatchReport(outcomes)

    def _batch(
        self, specs: list[RunSpec], pool: Executor, *, force: bool, tick: Callable[..., None]
    ) -> None:
        """Cache hits first, then one execution per content hash, then its repeats."""
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
            self._execute(to_execute, pool, tick)
        # a template whose output does not depend on the case (e.g. the evidence
        # review) runs once per batch; the other cases point at that run, as a later
        # batch would
        again = []
        for spec in repeats:
            hit = self._cache_hit(spec)
            if hit is not None:
                tick(hit)
            else:
                again.append(spec)
        if again:
            self._execute(again, pool, tick)

    def _execute(self, specs: list[RunSpec], pool: Executor, tick: Callable[..., None]) -> None:
        jobs = [_job(spec, self.settings) for spec in specs]
        pool.prepare(jobs)  # a bad executor set-up fails here, before any run row
        run_ids: dict[int, int] = {}
        with self.db.session() as session:
            for index, spec in enumerate(specs):
                run = crud.add_run(session, **_spec_fields(spec), status=RunStatus.running)
                run_ids[index] = run.id or 0
        try:
            for index, result in pool.results(jobs):
                if isinstance(result, BaseException):  # the worker process itself died
                    result = _crashed(specs[index], self.settings, result)
                tick(self._record(run_ids.pop(index), result))
        except BaseException:
            with self.db.session() as session:
                for run_id in run_ids.values():
                    crud.finish_run(session, run_id, status=RunStatus.failed, error="interrupted")
            raise


class _NoBar:
    """The progress bar's interface, showing nothing (``progress=False``): tqdm would
    still import multiprocessing for its lock, a cost to every cached re-run."""

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """Nothing to show."""

    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr for ``total`` runs."""
    from tqdm import tqdm

    return tqdm(total=total, desc="runs", unit="run", file=sys.stderr, dynamic_ncols=True)


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
