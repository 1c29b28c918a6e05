"""Publishing: stakeholder app notebooks built from a case study's latest successful runs.

A published app is a two-cell notebook in ``<home>/published/``. It computes nothing:
it loads the JSON and PNG artefacts of the runs recorded in its publication row, so
that a preheated kernel renders it in well under a second. The first cell does the
imports while the kernel waits in the pool; the second waits for the participant's
request (``workbench.preheat.query_string``) and builds the page for their token.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

from workbench.casestudies import CaseStudy
from workbench.config import Settings
from workbench.db import Database, crud
from workbench.db import participation as store
from workbench.db.models import Publication, Run, RunStatus
from workbench.exceptions import RunNotFound

#: Version of the app notebook layout; part of every publication's bundle hash.
APP_VERSION = "2"  # 2: the page waits for its request with workbench.preheat
#: A publication needs at least one of these runs: what the workshop's options come from
#: (the evidence review's ranking, or the diagnosis's policy links).
REQUIRED_TEMPLATES = ("policy_mix", "evidence_review", "diagnosis")


@dataclass(frozen=True)
class PublishedApp:
    """A publication as listed in the gallery and the CLI."""

    id: int
    case_slug: str
    title: str
    app_path: str
    bundle_hash: str
    run_hashes: dict[str, str]
    template_versions: dict[str, str]
    synthetic_data: bool
    published_at: datetime
    data_note: str = ""

    @property
    def data_label(self) -> str:
        """Badge text: SYNTHETIC DEMO DATA, REAL DATA, or real with some synthetic tables."""
        if self.synthetic_data:
            return "SYNTHETIC DEMO DATA"
        if "SYNTHETIC" in self.data_note:
            return "REAL DATA · SOME SYNTHETIC TABLES"
        return "REAL DATA" if self.data_note else ""

    @classmethod
    def of(cls, pub: Publication) -> PublishedApp:
        """From a publication row."""
        assert pub.id is not None
        return cls(
            id=pub.id,
            case_slug=pub.case_slug,
            title=pub.title,
            app_path=pub.app_path,
            bundle_hash=pub.bundle_hash,
            run_hashes=dict(pub.run_hashes),
            template_versions=dict(pub.template_versions),
            synthetic_data=pub.synthetic_data,
            published_at=pub.published_at,
            data_note=pub.data_note,
        )


def app_notebook(case_slug: str) -> nbformat.NotebookNode:
    """The stakeholder app notebook of a case study."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["workbench"] = {"app": case_slug, "app_version": APP_VERSION}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "# Runs while the kernel waits in the pool: imports and artefacts, no request yet.\n"
            "from workbench.app import StakeholderApp\n\n"
            f"app = StakeholderApp.preload({case_slug!r})"
        ),
        nbformat.v4.new_code_cell(
            "# Runs when a participant's request arrives.\n"
            "from workbench.preheat import query_string\n\n"
            "app.show(query_string())"
        ),
    ]
    return nb


def latest_runs(db: Database, case: CaseStudy) -> dict[str, Run]:
    """The newest successful (or cached) run of each of the case's templates."""
    found: dict[str, Run] = {}
    with db.session() as s:
        for template in case.templates:
            for run in crud.find_runs(s, case_slug=case.slug, template=template, limit=50):
                if run.status in (RunStatus.succeeded, RunStatus.cached):
                    found[template] = run
                    break
    return found


def publish(db: Database, settings: Settings, case: CaseStudy) -> PublishedApp:
    """Build and register the app of ``case`` from its latest successful runs."""
    runs = latest_runs(db, case)
    if not any(name in runs for name in REQUIRED_TEMPLATES):
        raise RunNotFound(
            f"case study {case.slug!r} has no successful {' or '.join(REQUIRED_TEMPLATES)} "
            f"run: run `workbench run {case.slug}` first"
        )
    for name, run in runs.items():
        if not (settings.home / run.output_dir / "artefacts").is_dir():
            raise RunNotFound(
                f"the artefacts of run {run.id} ({name}) are missing from {run.output_dir}: "
                f"run `workbench run {case.slug} --force`"
            )
    run_hashes = {name: run.content_hash for name, run in sorted(runs.items())}
    versions = {name: run.template_version for name, run in sorted(runs.items())}
    bundle = hashlib.sha256(
        json.dumps({"app": APP_VERSION, "runs": run_hashes}, sort_keys=True).encode()
    ).hexdigest()[:16]
    app_path = f"{case.slug}.ipynb"
    target = settings.published_dir / app_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".ipynb.tmp")
    nbformat.write(app_notebook(case.slug), tmp)
    os.replace(tmp, target)
    with db.session(write=True) as s:
        pub = store.add_publication(
            s,
            case_slug=case.slug,
            title=case.title,
            app_path=app_path,
            run_hashes=run_hashes,
            template_versions=versions,
            bundle_hash=bundle,
            app_version=APP_VERSION,
            synthetic_data=any(run.synthetic_data for run in runs.values()),
            data_note="; ".join(dict.fromkeys(r.data_note for r in runs.values() if r.data_note))[
                :500
            ],
        )
        return PublishedApp.of(pub)


def published_apps(db: Database) -> list[PublishedApp]:
    """The newest publication of every case study."""
    with db.session() as s:
        return [PublishedApp.of(p) for p in store.latest_publications(s)]


def artefact_dirs(db: Database, settings: Settings, publication_id: int) -> dict[str, Path] | None:
    """The artefact folders of a publication's runs, by template; None if no such publication.

    A publication never changes (its runs are content-addressed), so callers may cache this.
    """
    with db.session() as s:
        pub = store.find_publication(s, publication_id=publication_id)
        if pub is None:
            return None
        dirs = {}
        for template, content_hash in pub.run_hashes.items():
            run = crud.find_succeeded_run(s, content_hash=content_hash)
            if run is not None:
                dirs[template] = settings.home / run.output_dir / "artefacts"
    return dirs


def load_artefacts(db: Database, settings: Settings, publication_id: int) -> dict[str, Any]:
    """JSON artefacts (parsed) and PNG artefact names of a publication's runs, by template.

    Images are served by the app server (``/workbench/artefacts/…``) rather than embedded
    in the page's widget state, which keeps each participant's page small.
    """
    dirs = artefact_dirs(db, settings, publication_id)
    if dirs is None:
        raise RunNotFound(f"no publication {publication_id}")
    out: dict[str, Any] = {}
    for template, folder in dirs.items():
        entry: dict[str, Any] = {"images": {}, "json": {}}
        for path in sorted(folder.glob("*")):
            if path.suffix == ".json":
                entry["json"][path.stem] = json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".png":
                entry["images"][path.stem] = path.name
        out[template] = entry
    return out
