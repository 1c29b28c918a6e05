"""The service layer: one object per workspace that the CLI and servers both call.

Entry points parse their input, call a :class:`Workbench` method and render the
result; they hold no logic of their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import Settings
from workbench.db import Database, crud
from workbench.db.models import Run, RunStatus
from workbench.exceptions import (
    CaseStudyNotFound,
    InputError,
    InvalidInput,
    Problem,
    RunNotFound,
)
from workbench.service_workshops import EXPORT_MEDIA_TYPES, Download, WorkshopMethods

if TYPE_CHECKING:
    from workbench.access import Identity
    from workbench.casestudies import CaseStudy
    from workbench.data.catalog import DataCatalog
    from workbench.evidence.changes import EvidenceService
    from workbench.executors import Executor
    from workbench.participation.recommendations import RecommendationService
    from workbench.planning import RunSpec
    from workbench.publish import PublishedApp
    from workbench.registry import ModelRegistry
    from workbench.runs import BatchReport
    from workbench.templates import Template, TemplateLibrary

__all__ = ["EXPORT_MEDIA_TYPES", "CaseSummary", "Download", "Workbench"]


@dataclass(frozen=True)
class CaseSummary:
    """A case study for listings; ``problem`` is set when it does not load."""

    slug: str
    title: str = ""
    region: str = ""
    sector: str = ""
    target_groups: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    problem: str | None = None


class Workbench(WorkshopMethods):
    """Everything a user can do with one workspace.

    ``identity`` is the caller when rights apply (JupyterHub): run, publish, workshop and
    dashboard/export methods check it. By default it is the Hub user whose server this
    process runs in (hub mode), else nobody: rights are then unrestricted.

    The workshop methods (workshops, feedback, moderation, privacy, dashboards, exports,
    minutes) come from :class:`~workbench.service_workshops.WorkshopMethods`. Libraries
    load when a method needs them, so ``workbench runs list`` starts quickly.
    """

    def __init__(self, settings: Settings | None = None, identity: Identity | None = None) -> None:
        self.settings = settings or Settings()
        self._identity = identity

    @property
    def identity(self) -> Identity | None:
        """The caller whose rights are checked, or None (unrestricted)."""
        if self._identity is None and os.environ.get("WORKBENCH_HUB"):
            from workbench.hub.rights import identity_from_env

            self._identity = identity_from_env()
        return self._identity

    def as_user(self, identity: Identity | None) -> Workbench:
        """This workspace for ``identity`` (a server's per-request caller), sharing the
        database engine and libraries; ``self`` when ``identity`` is None."""
        if identity is None:
            return self
        other = Workbench(self.settings, identity)
        other.__dict__["db"] = self.db
        for name in ("templates", "catalog"):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        return other

    def _require(self, right: str, case_slug: str) -> None:
        """Raise AccessDenied unless the caller may use ``right`` on the case study."""
        if (who := self.identity) is not None:
            who.require(right, case_slug, self.case(case_slug).region)

    @cached_property
    def db(self) -> Database:
        """The workspace database, migrated to the latest schema on first use."""
        return Database(self.settings.database_url)

    @cached_property
    def templates(self) -> TemplateLibrary:
        """The workspace's templates."""
        from workbench.templates import TemplateLibrary

        return TemplateLibrary(self.settings.templates_dir, self.settings.home)

    @cached_property
    def catalog(self) -> DataCatalog:
        """The workspace's data pack."""
        from workbench.data.catalog import DataCatalog

        return DataCatalog(self.settings.data_dir)  # type: ignore[arg-type]

    def catalog_for(self, case: CaseStudy) -> DataCatalog:
        """The data pack a case study runs on (its ``data_pack``, else the default).

        Raises:
            InputError: the case names a pack that does not exist.
        """
        from workbench.data.catalog import DataCatalog

        if case.data_pack is None:
            return self.catalog
        return DataCatalog(self.settings.pack_dir(case.data_pack))

    def close(self) -> None:
        """Release database connections."""
        if "db" in self.__dict__:
            self.db.dispose()

    # -- case studies -------------------------------------------------------------
    def case_slugs(self) -> list[str]:
        """Slugs of all case studies."""
        from workbench.casestudies import list_slugs

        return list_slugs(self.settings.case_studies_dir)

    def case(self, slug: str) -> CaseStudy:
        """Load one case study (top level validated)."""
        from workbench.casestudies import load_case

        return load_case(self.settings.case_studies_dir, slug)

    def list_cases(self) -> list[CaseSummary]:
        """All case studies; broken ones are listed with their problem."""
        out = []
        for slug in self.case_slugs():
            try:
                case = self.case(slug)
            except InvalidInput as exc:
                out.append(CaseSummary(slug=slug, problem=str(exc.problems[0])))
                continue
            out.append(
                CaseSummary(
                    slug=slug,
                    title=case.title,
                    region=case.region,
                    sector=case.sector,
                    target_groups=tuple(case.target_groups),
                    templates=tuple(case.templates),
                )
            )
        return out

    def _load_cases(
        self, slugs: Sequence[str], all_cases: bool
    ) -> tuple[list[CaseStudy], list[Problem]]:
        chosen = self.case_slugs() if all_cases else list(dict.fromkeys(slugs))
        if not chosen:
            raise CaseStudyNotFound(
                "no case study given: name one or more slugs, or use --all "
                f"(known: {self.case_slugs()})"
            )
        cases: list[CaseStudy] = []
        problems: list[Problem] = []
        for slug in chosen:
            try:
                cases.append(self.case(slug))
            except InvalidInput as exc:
                problems.extend(exc.problems)
        return cases, problems

    def plan(
        self,
        slugs: Sequence[str] = (),
        *,
        all_cases: bool = False,
        tuning: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[RunSpec]:
        """Validate case studies fully (templates, parameters, data) and plan their runs.

        Each case's accepted tuned recommendation goes to the templates that take one;
        ``tuning`` overrides it per case slug (``{}``: none). Every problem in every
        requested case study is raised together.
        """
        from workbench.planning import plan_runs

        cases, problems = self._load_cases(slugs, all_cases)
        specs: list[RunSpec] = []
        docs = self._accepted_docs([c.slug for c in cases])
        docs.update(tuning or {})
        try:
            specs = plan_runs(
                cases,
                self.templates,
                self.catalog_for,
                self.settings.shared_models_dir,
                self.settings.kernel_name,
                tuning=docs,
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
        if problems:
            raise InvalidInput(list(dict.fromkeys(problems)))
        return specs

    def _accepted_docs(self, slugs: list[str]) -> dict[str, dict[str, Any]]:
        """:meth:`RecommendationService.accepted_docs`, asked only for the cases with an
        accept or rollback on record: the tuning libraries it loads (scipy, pymcdm) then
        cost nothing to a workspace that never tuned."""
        from workbench.db.recommendations import accepted_event

        with self.db.session() as session:
            decided = [s for s in slugs if accepted_event(session, case_slug=s)]
        return self.recommendations.accepted_docs(decided) if decided else {}

    def validate_cases(self, slugs: Sequence[str] = ()) -> list[RunSpec]:
        """Validate the given case studies, or all of them; raises InvalidInput."""
        return self.plan(slugs, all_cases=not slugs)

    def new_case(
        self,
        slug: str,
        *,
        region: str,
        sector: str,
        target_groups: Sequence[str] = ("youth",),
        templates: Sequence[str] | None = None,
        title: str | None = None,
    ) -> Path:
        """Write a valid skeleton case study and return its path."""
        from workbench.casestudies import check_slug, skeleton, write_new_case
        from workbench.classifications import NACE_SECTIONS, TARGET_GROUPS, nuts_problem

        check_slug(slug)
        problems = []
        if (why := nuts_problem(region)) is not None:
            problems.append(Problem("--region", "region", why))
        if sector not in NACE_SECTIONS:
            problems.append(Problem("--sector", "sector", f"{sector!r} is not a NACE section A-U"))
        for group in target_groups:
            if group not in TARGET_GROUPS:
                problems.append(
                    Problem(
                        "--target-group",
                        "target_groups",
                        f"unknown group {group!r}; use {sorted(TARGET_GROUPS)}",
                    )
                )
        names = list(templates) if templates else self._templates_for_pack()
        for name in names:
            self.templates.get(name)
        if problems:
            raise InvalidInput(problems)
        text = skeleton(slug, region, sector, list(target_groups), names, title)
        path = write_new_case(self.settings.case_studies_dir, slug, text)
        try:
            self.validate_cases([slug])
        except InvalidInput:
            path.unlink()
            path.parent.rmdir()
            raise
        return path

    def _templates_for_pack(self) -> list[str]:
        """Templates whose data inputs the default data pack has (the default of ``case new``)."""
        names = []
        for name in self.templates.names():
            try:
                template = self.templates.get(name)
            except InvalidInput:
                continue
            if all(self.catalog.exists(rel) for rel in template.inputs):
                names.append(name)
        return names or self.templates.names()

    # -- templates ----------------------------------------------------------------
    def template(self, name: str) -> Template:
        """One template with its schema."""
        return self.templates.get(name)

    # -- runs ---------------------------------------------------------------------
    def run(
        self,
        slugs: Sequence[str] = (),
        *,
        all_cases: bool = False,
        workers: int | None = None,
        force: bool = False,
        progress: bool = True,
        tuning: Mapping[str, Mapping[str, Any]] | None = None,
        executor: str | Executor | None = None,
        scheduler: str | None = None,
    ) -> BatchReport:
        """Plan (all-or-nothing validation) and execute runs (``tuning``: see :meth:`plan`).

        ``executor`` is ``local`` (a pool of ``workers`` processes), ``dask`` (the Dask
        cluster at ``scheduler``) or a ready :class:`~workbench.executors.Executor`;
        defaults come from the settings (``WORKBENCH_EXECUTOR``, ``WORKBENCH_SCHEDULER``).
        Raises InputError for an unknown or ill-set executor, ExecutorUnavailable for an
        unreachable or unfit cluster, before any run starts.
        """
        from workbench.executors import Executor
        from workbench.runs import BatchRunner

        runner = BatchRunner(self.settings, self.db)
        if isinstance(executor, Executor):
            if workers or scheduler:
                raise InputError("workers and scheduler are set on the executor given")
            pool = executor
        else:
            name = executor or self.settings.executor
            if name == "local" and scheduler:
                raise InputError(f"a scheduler ({scheduler}) is for executor 'dask', not 'local'")
            if name == "dask" and workers:
                raise InputError(
                    "workers sizes the local process pool; a Dask cluster runs as many runs "
                    "at once as its workers offer `kernels`"
                )
            pool = runner.executor(name, workers=workers, scheduler=scheduler)
        specs = self.plan(slugs, all_cases=all_cases, tuning=tuning)
        for slug in dict.fromkeys(s.case_slug for s in specs):
            self._require("run", slug)
        return runner.run(specs, force=force, progress=progress, executor=pool)

    def runs(
        self,
        *,
        case_slug: str | None = None,
        template: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Run rows, newest first."""
        with self.db.session() as session:
            return list(
                crud.find_runs(
                    session,
                    case_slug=case_slug,
                    template=template,
                    status=RunStatus(status) if status else None,
                    limit=limit,
                )
            )

    def get_run(self, run_id: int) -> Run:
        """One run row; raises RunNotFound."""
        with self.db.session() as session:
            run = crud.find_run(session, run_id=run_id)
        if run is None:
            raise RunNotFound(f"no run with id {run_id}")
        return run

    # -- publishing -------------------------------------------------
    def publish(self, slug: str) -> PublishedApp:
        """Build and register the stakeholder app of a case study from its latest runs."""
        from workbench.publish import publish

        self._require("publish", slug)
        return publish(self.db, self.settings, self.case(slug))

    def apps(self) -> list[PublishedApp]:
        """The newest published app of every case study (the gallery)."""
        from workbench.publish import published_apps

        return published_apps(self.db)

    # -- shared models and evidence (issue 11) -------------------------------------
    @cached_property
    def registry(self) -> ModelRegistry:
        """Versions of the shared models: candidates, approval, rollback, audit log."""
        from workbench.registry import ModelRegistry

        return ModelRegistry(self.db, self.settings.shared_models_dir, stale=self.stale_runs)

    @cached_property
    def evidence(self) -> EvidenceService:
        """The ALMP evidence base: rows, their changes, imports (each makes a candidate)."""
        from workbench.evidence.changes import EvidenceService

        return EvidenceService(self)

    @cached_property
    def recommendations(self) -> RecommendationService:
        """Tuned recommendation versions: propose, accept, roll back (re-run, republish)."""
        from workbench.participation.recommendations import RecommendationService

        return RecommendationService(self)

    def stale_runs(self, model: str | None = None) -> list[RunSpec]:
        """Planned runs without a successful run of the same content hash (what
        ``workbench run --all`` would execute); only those reading ``model`` if given.
        Case studies that do not plan are skipped."""
        specs: list[RunSpec] = []
        for slug in self.case_slugs():
            try:
                specs.extend(self.plan([slug]))
            except InvalidInput:
                continue
        chosen = [s for s in specs if model is None or model in s.model_versions]
        with self.db.session() as session:
            return [
                s
                for s in chosen
                if crud.find_succeeded_run(session, content_hash=s.content_hash) is None
            ]

    def fetch_eurostat(
        self,
        dataset: str,
        *,
        filters: dict[str, list[str]] | None = None,
        start: int | None = None,
        end: int | None = None,
        output: Path | None = None,
        api_url: str | None = None,
        progress: bool = False,
    ) -> Any:
        """Download a Eurostat dataset as checked SDMX-TSV; returns a ``FetchResult``.

        It goes to ``output``, by default ``<data folder>/eurostat/<dataset>.tsv.gz``, from
        ``api_url`` (default: the ``eurostat_api_url`` setting).
        """
        from workbench.data.fetch import default_output, fetch_eurostat

        target = output or default_output(self.settings.data_dir, dataset)  # type: ignore[arg-type]
        return fetch_eurostat(
            dataset,
            target,
            base_url=api_url or self.settings.eurostat_api_url,
            filters=filters,
            start=start,
            end=end,
            progress=progress,
        )
