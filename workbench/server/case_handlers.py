"""REST handlers of the JupyterLab sidebar (``/workbench/api/...``). All need Jupyter auth.

- ``GET  cases``: every case study with its validation status, latest runs, published
  app and workshops, and the state of its background run (see
  :func:`workbench.overview.case_overview`);
- ``POST cases/SLUG/run {"force"?: bool}``: queue a run of the case study's templates in
  the background (202 with the job; poll ``GET cases``); 409 while one is queued or running;
- ``POST cases/SLUG/publish``: publish the case study's app from its latest runs (201);
- ``POST notebooks/publish {"path", "case"?}``: publish the app of the case study a
  notebook belongs to (a template, or a run's output notebook; 400 otherwise).

A refused right is a 403 with the message; an unknown case study a 404.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.utils import url_path_join

from workbench.overview import RunJobs, case_overview, publish_notebook, published, require
from workbench.server.base import ApiBase

__all__ = ["case_routes"]

#: a case-study slug in a URL (``workbench.casestudies.check_slug`` has the full rule)
SLUG = r"(?P<slug>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})"


class CaseApi(ApiBase):
    """Shared: the server's background run jobs."""

    @property
    def jobs(self) -> RunJobs:
        """One :class:`RunJobs` per server process."""
        jobs = self.settings.get("workbench_run_jobs")
        if jobs is None:
            jobs = self.settings["workbench_run_jobs"] = RunJobs()
        return jobs


class CasesHandler(CaseApi):
    """GET: the sidebar's overview of every case study."""

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.call(case_overview, self.wb, self.jobs)


class CaseRunHandler(CaseApi):
    """POST {"force"?: bool}: run the case study in the background (202)."""

    @tornado.web.authenticated
    async def post(self, slug: str) -> None:
        force = self.body().get("force", False)
        if not isinstance(force, bool):
            raise tornado.web.HTTPError(400, "force must be true or false")
        wb = self.wb
        await self.call(lambda: self.jobs.start(wb, slug, force=force).as_dict(), status=202)


class CasePublishHandler(CaseApi):
    """POST: publish the case study's app (201)."""

    @tornado.web.authenticated
    async def post(self, slug: str) -> None:
        wb = self.wb

        def publish() -> dict[str, Any]:
            require(wb, "publish", slug)  # 404 before 403 before "no runs yet"
            return published(wb, wb.publish(slug))

        await self.call(publish, status=201)


class NotebookPublishHandler(CaseApi):
    """POST {"path", "case"?}: publish the app of a notebook's case study (201)."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body()
        path, case = body.get("path"), body.get("case")
        if not isinstance(path, str) or not path.strip():
            raise tornado.web.HTTPError(400, "path must be the notebook's path in the workspace")
        if case is not None and not isinstance(case, str):
            raise tornado.web.HTTPError(400, "case must be a case-study slug")
        await self.call(publish_notebook, self.wb, path, case, status=201)


def case_routes(base: str) -> list[tuple[str, type[ApiBase]]]:
    """The routes of this module under ``base`` (``<base_url>/workbench``)."""
    return [
        (url_path_join(base, "api/cases"), CasesHandler),
        (url_path_join(base, f"api/cases/{SLUG}/run"), CaseRunHandler),
        (url_path_join(base, f"api/cases/{SLUG}/publish"), CasePublishHandler),
        (url_path_join(base, "api/notebooks/publish"), NotebookPublishHandler),
    ]
