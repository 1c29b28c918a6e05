"""The workshop half of the service layer: workshops, feedback, moderation, privacy,
dashboards, exports and minutes, as methods of :class:`~workbench.service.Workbench`.

:class:`WorkshopMethods` is a mixin that ``Workbench`` inherits; use it through
``Workbench``. Its libraries (pydantic specs, frames, exports) load on first use, so
that commands which never touch a workshop (``workbench runs list``) start without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.exceptions import InvalidInput, Problem, PublicationNotFound

if TYPE_CHECKING:
    from workbench.casestudies import CaseStudy
    from workbench.config import Settings
    from workbench.db import Database
    from workbench.participation.feedback import FeedbackService
    from workbench.participation.moderation import ModerationService
    from workbench.participation.privacy import PrivacyService
    from workbench.participation.workshops import WorkshopInfo, WorkshopService


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


class WorkshopMethods:
    """Workshops and what participants leave in them (mixed into ``Workbench``)."""

    if TYPE_CHECKING:  # provided by Workbench
        settings: Settings

        @property
        def db(self) -> Database: ...

        def case(self, slug: str) -> CaseStudy: ...

        def _require(self, right: str, case_slug: str) -> None: ...

        @property
        def identity(self) -> Any: ...

    def _require_workshop(self, right: str, workshop_id: int) -> None:
        """``_require`` on the case study of a workshop."""
        if self.identity is not None:
            from workbench.participation.workshops import WorkshopService

            self._require(right, WorkshopService.get(self.workshops, workshop_id).case_slug)

    @cached_property
    def workshops(self) -> WorkshopService:
        """Workshop life cycle, join links and participation counts (rights checked)."""
        from workbench.access import GuardedWorkshops

        return GuardedWorkshops(self.db, self.settings, self._require_workshop)

    @cached_property
    def feedback(self) -> FeedbackService:
        """Feedback submissions and results (the code path of every widget)."""
        from workbench.participation.feedback import FeedbackService

        return FeedbackService(self.db, self.settings)

    @cached_property
    def moderation(self) -> ModerationService:
        """The moderation queue and approve/hide actions, with their log (rights checked)."""
        from workbench.access import GuardedModeration

        return GuardedModeration(self.db, self.settings, self._require_workshop)

    @cached_property
    def privacy(self) -> PrivacyService:
        """Participants' data: access (export), erasure and the retention period."""
        from workbench.participation.privacy import PrivacyService

        return PrivacyService(self.db, self.settings)

    # -- dashboards, exports and minutes ----------------------------------------------
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

        return write_minutes(self, workshop_id, output, pdf=pdf)  # type: ignore[arg-type]

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
        language: str | None = None,
        languages: list[str] | None = None,
    ) -> WorkshopInfo:
        """A draft workshop on a published case study.

        Options, criteria and statements come from ``spec_path`` or, by default, from the
        programmes the case's evidence review ranked (or, for a case with only a
        labour-market diagnosis, the programme types with what its data point to).
        ``language`` is the default language and ``languages`` those offered; the
        default content is written in each of them.
        """
        from workbench.i18n import check_language, check_languages
        from workbench.participation import spec as specs

        case = self.case(slug)
        self._require("facilitate", slug)
        overrides: dict[str, Any] = {
            "title": title,
            "expected_participants": expected,
            "expected_mix": expected_mix,
            "scale": scale,
            "retention_days": retention_days,
        }
        if language is not None:
            overrides["language"] = check_language(language, "--language")
        if languages is not None:
            default = overrides.get("language") or (languages[0] if languages else "en")
            overrides["languages"] = check_languages(languages, default, "--languages")
        chosen = {k: v for k, v in overrides.items() if v is not None}
        if spec_path is not None:
            spec = specs.load_spec(spec_path, chosen)
        else:
            first = chosen.get("language") or (chosen.get("languages") or ["en"])[0]
            offered = chosen.get("languages") or [first]
            raw = self._spec_from_publication(slug, case, title, first, offered)
            raw.update(chosen)
            spec = specs.parse_spec(raw, "workshop options")
        return self.workshops.create(case_slug=slug, spec=spec)

    def _spec_from_publication(
        self,
        slug: str,
        case: CaseStudy,
        title: str | None,
        language: str = "en",
        languages: list[str] | None = None,
    ) -> dict[str, Any]:
        """The default workshop spec of a case study, from its latest published app."""
        from workbench.db import participation as store
        from workbench.i18n import translator
        from workbench.participation import spec_defaults as defaults
        from workbench.publish import load_artefacts

        with self.db.session() as s:
            pub = store.latest_publication(s, case_slug=slug)
        if pub is None:
            raise PublicationNotFound(
                f"case study {slug!r} has no published app: run `workbench publish {slug}`"
            )
        artefacts = load_artefacts(self.db, self.settings, pub.id or 0)
        evidence = artefacts.get("evidence_review", {}).get("json", {}).get("evidence", {})
        diagnosis = artefacts.get("diagnosis", {}).get("json", {}).get("diagnosis", {})
        mix = artefacts.get("policy_mix", {}).get("json", {}).get("policy_mix", {})
        heading = title or translator(language)._("Co-design workshop: {title}").format(
            title=case.title
        )
        if mix:
            build = defaults.policy_mix_spec(
                title=heading,
                policy_mix=mix,
                region_name=mix.get("region", {}).get("name", case.region),
                target_groups=list(case.target_groups),
            )
        elif not evidence and diagnosis:
            build = defaults.diagnosis_spec(
                title=heading,
                diagnosis=diagnosis,
                region_name=diagnosis.get("region", {}).get("name", case.region),
                target_groups=list(case.target_groups),
            )
        else:
            build = defaults.default_spec(
                title=heading,
                evidence=evidence,
                region_name=evidence.get("region", {}).get("name", case.region),
                target_groups=list(case.target_groups),
            )
        return defaults.multilingual(build, language, languages or [language])
