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

from workbench.access import GuardedModeration, GuardedWorkshops, Identity
from workbench.casestudies import (
    CaseStudy,
    check_slug,
    list_slugs,
    load_case,
    skeleton,
    write_new_case,
)
from workbench.classifications import NACE_SECTIONS, TARGET_GROUPS, nuts_problem
from workbench.config import Settings
from workbench.data.catalog import DataCatalog
from workbench.db import Database, crud
from workbench.db import participation as store
from workbench.db.models import Run, RunStatus
from workbench.exceptions import (
    CaseStudyNotFound,
    InputError,
    InvalidInput,
    Problem,
    PublicationNotFound,
    RunNotFound,
)
from workbench.executors import Executor
from workbench.participation.feedback import FeedbackService
from workbench.participation.moderation import ModerationService
from workbench.participation.privacy import PrivacyService
from workbench.participation.spec import (
    default_spec,
    diagnosis_spec,
    load_spec,
    parse_spec,
    policy_mix_spec,
)
from workbench.participation.workshops import WorkshopInfo, WorkshopService
from workbench.planning import RunSpec, plan_runs
from workbench.runs import BatchReport, BatchRunner
from workbench.templates import Template, TemplateLibrary

if TYPE_CHECKING:
    from workbench.evidence.changes import EvidenceService
    from workbench.participation.recommendations import RecommendationService
    from workbench.publish import PublishedApp
    from workbench.registry import ModelRegistry


@dataclass(frozen=True)
class Download:
    """A file to hand to a browser: its name, media type and bytes."""

    filename: str
    media_type: str
    data: bytes


#: media types of the downloadable exports (csv is a zipped folder)
EXPORT_MEDIA_TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


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


class Workbench:
    """Everything a user can do with one workspace.

    ``identity`` is the caller when rights apply (JupyterHub): run, publish, workshop and
    dashboard/export methods check it. By default it is the Hub user whose server this
    process runs in (hub mode), else nobody: rights are then unrestricted.
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

    def _require_workshop(self, right: str, workshop_id: int) -> None:
        """:meth:`_require` on the case study of a workshop."""
        if self.identity is not None:
            self._require(right, WorkshopService.get(self.workshops, workshop_id).case_slug)

    @cached_property
    def db(self) -> Database:
        """The workspace database, migrated to the latest schema on first use."""
        return Database(self.settings.database_url)

    @cached_property
    def templates(self) -> TemplateLibrary:
        """The workspace's templates."""
        return TemplateLibrary(self.settings.templates_dir, self.settings.home)

    @cached_property
    def catalog(self) -> DataCatalog:
        """The workspace's data pack."""
        return DataCatalog(self.settings.data_dir)  # type: ignore[arg-type]

    def catalog_for(self, case: CaseStudy) -> DataCatalog:
        """The data pack a case study runs on (its ``data_pack``, else the default).

        Raises:
            InputError: the case names a pack that does not exist.
        """
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
        return list_slugs(self.settings.case_studies_dir)

    def case(self, slug: str) -> CaseStudy:
        """Load one case study (top level validated)."""
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
        cases, problems = self._load_cases(slugs, all_cases)
        specs: list[RunSpec] = []
        docs = self.recommendations.accepted_docs([c.slug for c in cases])
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

    # -- publishing and workshops -------------------------------------------------
    def publish(self, slug: str) -> PublishedApp:
        """Build and register the stakeholder app of a case study from its latest runs."""
        from workbench.publish import publish

        self._require("publish", slug)
        return publish(self.db, self.settings, self.case(slug))

    def apps(self) -> list[PublishedApp]:
        """The newest published app of every case study (the gallery)."""
        from workbench.publish import published_apps

        return published_apps(self.db)

    @cached_property
    def workshops(self) -> WorkshopService:
        """Workshop life cycle, join links and participation counts (rights checked)."""
        return GuardedWorkshops(self.db, self.settings, self._require_workshop)

    @cached_property
    def feedback(self) -> FeedbackService:
        """Feedback submissions and results (the code path of every widget)."""
        return FeedbackService(self.db, self.settings)

    @cached_property
    def moderation(self) -> ModerationService:
        """The moderation queue and approve/hide actions, with their log (rights checked)."""
        return GuardedModeration(self.db, self.settings, self._require_workshop)

    @cached_property
    def privacy(self) -> PrivacyService:
        """Participants' data: access (export), erasure and the retention period."""
        return PrivacyService(self.db, self.settings)

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

    def export_workshop(self, workshop_id: int, fmt: str, output: Path | None = None) -> Path:
        """Write a workshop's tidy tables as csv (a folder), xlsx or json; the path written.

        ``output`` defaults to ``<workspace>/exports/workshop-<id>-<UTC time>``; an
        existing path is never overwritten.
        """
        from workbench.participation.exports import FORMATS, workshop_tables, write_export

        if fmt not in FORMATS:
            raise InvalidInput(
                [Problem("--format", "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")]
            )
        self._require_workshop("dashboard", workshop_id)
        tables = workshop_tables(self.db, workshop_id)
        return write_export(tables, fmt, output, home=self.settings.home)

    def export_download(self, workshop_id: int, fmt: str) -> Download:
        """A workshop export as one file (csv: the folder zipped), built in a temporary
        folder that is removed afterwards, so no copy stays on the server."""
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory(prefix="wb-export-") as tmp:
            stem = f"workshop-{workshop_id}-export"
            suffix = "" if fmt == "csv" else f".{fmt}"  # an unknown format is refused below
            path = self.export_workshop(workshop_id, fmt, Path(tmp) / f"{stem}{suffix}")
            if path.is_dir():
                path = Path(shutil.make_archive(str(Path(tmp) / stem), "zip", root_dir=path))
            return Download(path.name, EXPORT_MEDIA_TYPES[fmt], path.read_bytes())

    def minutes_download(self, workshop_id: int) -> Download:
        """A workshop's minutes (offline HTML) as one file, written in a temporary folder."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="wb-minutes-") as tmp:
            name = f"workshop-{workshop_id}-minutes.html"
            [path] = self.workshop_minutes(workshop_id, Path(tmp) / name)
            return Download(path.name, "text/html; charset=utf-8", path.read_bytes())

    def analysis(self, workshop_id: int, round_number: int | None = None) -> Any:
        """Every figure of one round of a workshop (default: the current round)."""
        from workbench.participation.analysis import analyse_workshop

        self._require_workshop("dashboard", workshop_id)
        number = self.workshops.get(workshop_id).round_or_current(round_number)
        return analyse_workshop(self.db, workshop_id, number)[0]

    def workshop_minutes(
        self, workshop_id: int, output: Path | None = None, *, pdf: bool = False
    ) -> list[Path]:
        """Write a workshop's minutes (offline HTML, optionally PDF); the files written."""
        self._require_workshop("dashboard", workshop_id)
        from workbench.facilitation.minutes import write_minutes

        return write_minutes(self, workshop_id, output, pdf=pdf)

    def create_workshop(
        self,
        slug: str,
        *,
        spec_path: Path | None = None,
        title: str | None = None,
        expected: int | None = None,
        expected_mix: dict[str, int] | None = None,
        scale: int | None = None,
        retention_days: int | None = None,
    ) -> WorkshopInfo:
        """A draft workshop on a published case study.

        Options, criteria and statements come from ``spec_path`` or, by default, from the
        programmes the case's evidence review ranked (or, for a case with only a
        labour-market diagnosis, the programme types with what its data point to).
        """
        case = self.case(slug)
        self._require("facilitate", slug)
        if spec_path is not None:
            raw = load_spec(spec_path).model_dump(mode="json")
        else:
            with self.db.session() as s:
                pub = store.latest_publication(s, case_slug=slug)
            if pub is None:
                raise PublicationNotFound(
                    f"case study {slug!r} has no published app: run `workbench publish {slug}`"
                )
            from workbench.publish import load_artefacts

            artefacts = load_artefacts(self.db, self.settings, pub.id or 0)
            evidence = artefacts.get("evidence_review", {}).get("json", {}).get("evidence", {})
            diagnosis = artefacts.get("diagnosis", {}).get("json", {}).get("diagnosis", {})
            mix = artefacts.get("policy_mix", {}).get("json", {}).get("policy_mix", {})
            if mix:
                raw = policy_mix_spec(
                    title=title or f"Co-design workshop: {case.title}",
                    policy_mix=mix,
                    region_name=mix.get("region", {}).get("name", case.region),
                    target_groups=list(case.target_groups),
                )
            elif not evidence and diagnosis:
                raw = diagnosis_spec(
                    title=title or f"Co-design workshop: {case.title}",
                    diagnosis=diagnosis,
                    region_name=diagnosis.get("region", {}).get("name", case.region),
                    target_groups=list(case.target_groups),
                )
            else:
                region = evidence.get("region", {}).get("name", case.region)
                raw = default_spec(
                    title=title or f"Co-design workshop: {case.title}",
                    evidence=evidence,
                    region_name=region,
                    target_groups=list(case.target_groups),
                )
        overrides = {
            "title": title,
            "expected_participants": expected,
            "expected_mix": expected_mix,
            "scale": scale,
            "retention_days": retention_days,
        }
        raw.update({k: v for k, v in overrides.items() if v is not None})
        source = str(spec_path) if spec_path else "workshop options"
        return self.workshops.create(case_slug=slug, spec=parse_spec(raw, source))

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
