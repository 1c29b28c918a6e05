"""What the JupyterLab sidebar shows and does, over a :class:`~workbench.service.Workbench`.

- :func:`case_overview`: every case study with its validation status, its latest run of
  each template, its published app and its workshops (JSON-ready dicts);
- :class:`RunJobs`: case-study runs in a background thread, one batch at a time, so a
  server stays responsive while a run takes minutes; their state is polled;
- :func:`notebook_case`: the case study a notebook belongs to ("publish this notebook
  as an app": a template of the workspace, or a run's output notebook).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from workbench.exceptions import InputError, InvalidInput, WorkbenchError, WorkshopStateError
from workbench.facilitation.notebook import DASHBOARD_PATH

if TYPE_CHECKING:
    from workbench.service import Workbench

__all__ = [
    "RunJob",
    "RunJobs",
    "case_overview",
    "notebook_case",
    "publish_notebook",
    "published",
    "require",
]

#: latest runs listed per case study (one per template, newest first)
MAX_RUNS = 6


def require(wb: Workbench, right: str, slug: str) -> None:
    """Raise CaseStudyNotFound for an unknown case, AccessDenied without ``right`` on it."""
    case = wb.case(slug)
    if (who := wb.identity) is not None:
        who.require(right, slug, case.region)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _validation(wb: Workbench, slug: str) -> tuple[bool, str | None, int]:
    """(valid, the first problem's text, number of problems) of a full validation."""
    try:
        wb.plan([slug])
    except InvalidInput as exc:
        return False, str(exc.problems[0]) if exc.problems else str(exc), len(exc.problems)
    except WorkbenchError as exc:
        return False, str(exc), 1
    return True, None, 0


def case_overview(wb: Workbench, jobs: RunJobs | None = None) -> dict[str, Any]:
    """Every case study as the sidebar lists it, plus the app gallery URL.

    Each case: ``slug``, ``title``, ``region``, ``valid`` with ``problem`` (the first
    problem's text) and ``problems`` (their number); ``runs`` (the newest run of each
    template); ``app`` (the newest publication with its ``url``, or None); ``workshops``
    (with the lab-relative ``dashboard`` path); ``job`` (a background run, or None).
    """
    apps = {app.case_slug: app for app in wb.apps()}
    workshops = wb.workshops.list()
    app_url = wb.settings.app_url
    cases = []
    for summary in wb.list_cases():
        slug = summary.slug
        if summary.problem is not None:
            valid, problem, count = False, summary.problem, 1
        else:
            valid, problem, count = _validation(wb, slug)
        runs: dict[str, Any] = {}
        for run in wb.runs(case_slug=slug, limit=50):
            if run.template not in runs and len(runs) < MAX_RUNS:
                runs[run.template] = {
                    "id": run.id,
                    "template": run.template,
                    "status": str(run.status),
                    "created_at": _iso(run.created_at),
                    "finished_at": _iso(run.finished_at),
                    "duration_s": run.duration_s,
                    "error": run.error,
                }
        app = apps.get(slug)
        cases.append(
            {
                "slug": slug,
                "title": summary.title or slug,
                "region": summary.region,
                "valid": valid,
                "problem": problem,
                "problems": count,
                "runs": list(runs.values()),
                "app": None
                if app is None
                else {
                    "id": app.id,
                    "url": f"{app_url}voila/render/{app.app_path}",
                    "published_at": _iso(app.published_at),
                    "bundle_hash": app.bundle_hash,
                    "data_label": app.data_label,
                },
                "workshops": [
                    {
                        "id": w.id,
                        "title": w.title,
                        "state": w.state,
                        "round": w.current_round,
                        "dashboard": f"voila/render/{DASHBOARD_PATH}?workshop={w.id}",
                    }
                    for w in workshops
                    if w.case_slug == slug
                ],
                "job": None if jobs is None or (job := jobs.get(slug)) is None else job.as_dict(),
            }
        )
    return {"cases": cases, "gallery": app_url}


@dataclass
class RunJob:
    """One background run of a case study's templates."""

    slug: str
    by: str
    state: str = "queued"  # queued | running | done | failed
    queued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "slug": self.slug,
            "by": self.by,
            "state": self.state,
            "queued_at": _iso(self.queued_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "counts": dict(self.counts),
            "message": self.message,
        }


class RunJobs:
    """Case-study runs in one background thread (batches queue; a batch uses the
    workspace's executor, so two batches never compete for the same cores)."""

    def __init__(self) -> None:
        self._jobs: dict[str, RunJob] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-run")

    def get(self, slug: str) -> RunJob | None:
        """The latest job of a case study, or None."""
        with self._lock:
            return self._jobs.get(slug)

    def start(self, wb: Workbench, slug: str, *, force: bool = False) -> RunJob:
        """Check the case (404), the caller's ``run`` right (403) and its validity (422),
        then queue the run; WorkshopStateError (409) if one is already queued or running."""
        require(wb, "run", slug)
        wb.plan([slug])  # every problem now, rather than in the background
        name = getattr(wb.identity, "name", "") or "analyst"
        with self._lock:
            current = self._jobs.get(slug)
            if current is not None and current.state in ("queued", "running"):
                raise WorkshopStateError(
                    f"case study {slug!r} is already {current.state} (since "
                    f"{_iso(current.started_at or current.queued_at)})"
                )
            job = self._jobs[slug] = RunJob(slug=slug, by=name)
        self._pool.submit(self._run, wb, job, force)
        return job

    def _run(self, wb: Workbench, job: RunJob, force: bool) -> None:
        self._update(job, state="running", started_at=datetime.now(UTC))
        try:
            report = wb.run([job.slug], force=force, progress=False)
        except InvalidInput as exc:
            self._finish(job, "failed", "; ".join(map(str, exc.problems[:3])) or str(exc))
        except Exception as exc:  # the job's state is what the sidebar shows
            self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
        else:
            counts = dict(report.counts)
            failed = report.failed
            text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            if failed:
                first = failed[0]
                text += f"; {first.template} failed: {first.error or 'see its report'}"
            self._finish(job, "failed" if failed else "done", text, counts)

    def _finish(
        self, job: RunJob, state: str, message: str, counts: dict[str, int] | None = None
    ) -> None:
        self._update(
            job,
            state=state,
            message=message,
            counts=counts or {},
            finished_at=datetime.now(UTC),
        )

    def _update(self, job: RunJob, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def wait(self, slug: str, timeout: float) -> RunJob | None:
        """Block until the case's job is done or failed (tests and scripts)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(slug)
            if job is None or job.state in ("done", "failed"):
                return job
            time.sleep(0.1)
        return self.get(slug)

    def shutdown(self) -> None:
        """Stop taking jobs (a running batch finishes)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def notebook_case(wb: Workbench, path: str, case: str | None = None) -> str:
    """The case study whose app "publish this notebook" publishes.

    ``path`` is the notebook's path relative to the workspace (the lab's root): a run's
    output notebook (``runs/<case>/<template>/<hash>/…``) belongs to that run's case; a
    template (``templates/<name>.ipynb``) to the one case study that uses it, or to
    ``case`` when several do. Anything else is refused with an InputError saying why.
    """
    rel = PurePosixPath(path.strip().lstrip("/"))
    if not path.strip() or ".." in rel.parts or rel.suffix != ".ipynb":
        raise InputError(f"path must be a notebook (.ipynb) inside the workspace, not {path!r}")
    home = wb.settings.home
    full = (home / rel).resolve()
    if not full.is_relative_to(home.resolve()) or not full.is_file():
        raise InputError(f"no notebook {rel} in the workspace")
    runs_dir, templates_dir = wb.settings.runs_dir.resolve(), wb.settings.templates_dir.resolve()
    if full.is_relative_to(runs_dir):
        parts = full.relative_to(runs_dir).parts
        if len(parts) >= 4:
            slug, template = parts[0], parts[1]
            output_dir = _home_relative(home, runs_dir.joinpath(*parts[:3]))
            if any(r.output_dir == output_dir for r in wb.runs(case_slug=slug, template=template)):
                return slug
        raise InputError(f"{rel} is not the output of a recorded run")
    if full.parent == templates_dir:
        users = [c.slug for c in wb.list_cases() if c.problem is None and full.stem in c.templates]
        if case is not None:
            if case not in users:
                raise InputError(
                    f"case study {case!r} does not use template {full.stem!r} "
                    f"(used by: {', '.join(users) or 'none'})"
                )
            return case
        if len(users) == 1:
            return users[0]
        if not users:
            raise InputError(f"no case study uses template {full.stem!r}: nothing to publish")
        raise InputError(
            f"template {full.stem!r} is used by {len(users)} case studies "
            f"({', '.join(users)}): publish one of them from its row"
        )
    raise InputError(
        f"{rel} is neither a template of this workspace nor a run's output notebook: "
        "an app is published for a case study, from its runs"
    )


def _home_relative(home: Path, path: Path) -> str:
    resolved = home.resolve()
    return str(path.relative_to(resolved)) if path.is_relative_to(resolved) else str(path)


def publish_notebook(wb: Workbench, path: str, case: str | None = None) -> dict[str, Any]:
    """Publish the app of the case study :func:`notebook_case` finds (rights checked)."""
    slug = notebook_case(wb, path, case)
    app = wb.publish(slug)
    return {"case": slug, **published(wb, app)}


def published(wb: Workbench, app: Any) -> dict[str, Any]:
    """A publication as the sidebar shows it (with its app URL)."""
    return {
        "id": app.id,
        "case_slug": app.case_slug,
        "title": app.title,
        "url": f"{wb.settings.app_url}voila/render/{app.app_path}",
        "published_at": _iso(app.published_at),
        "bundle_hash": app.bundle_hash,
    }
