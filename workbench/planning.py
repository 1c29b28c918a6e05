"""Run planning: validate every (case study, template) pair and compute content hashes.

Planning is all-or-nothing: every problem across all requested case studies is
collected and raised together, before any kernel starts or any run row is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.casestudies import SHARED_FIELDS, CaseStudy
from workbench.data.catalog import DataCatalog
from workbench.exceptions import InputError, InvalidInput, Problem, TemplateNotFound
from workbench.shared_models import load_shared_model
from workbench.templates import TUNING_PARAMETER, Template, TemplateLibrary

#: Bump when the meaning of the hash payload changes, so old cache entries retire.
HASH_SCHEMA = 1
#: Length of the hash prefix used in output folder names.
DIR_HASH_CHARS = 16


@dataclass(frozen=True)
class RunSpec:
    """Everything needed to execute one (case study, template) pair, and its identity."""

    case_slug: str
    template: str
    template_path: Path
    template_version: str
    title: str
    parameters: dict[str, Any]
    inputs: dict[str, str]
    model_versions: dict[str, str]
    content_hash: str
    synthetic: bool  # built only on synthetic data (the demo pack); partly: see data_note
    data_dir: Path
    models_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)
    data_note: str = ""
    attribution: tuple[str, ...] = ()

    def output_dir(self, runs_dir: Path) -> Path:
        """Where this run's outputs live: runs/<case>/<template>/<hash prefix>/."""
        return runs_dir / self.case_slug / self.template / self.content_hash[:DIR_HASH_CHARS]


def content_hash(
    template_bytes: bytes,
    parameters: dict[str, Any],
    inputs: dict[str, str],
    models: dict[str, str],
    kernel_name: str,
) -> str:
    """SHA-256 over the template bytes, validated parameters, input data and models."""
    payload = {
        "schema": HASH_SCHEMA,
        "template": hashlib.sha256(template_bytes).hexdigest(),
        "parameters": parameters,
        "inputs": inputs,
        "models": models,
        "kernel": kernel_name,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_path(case: CaseStudy, template: str, key: str) -> tuple[str, ...]:
    head = key.split(".")[0]
    if head in SHARED_FIELDS and head not in case.templates.get(template, {}):
        return tuple(key.split("."))
    return ("templates", template, *key.split("."))


def _region_problems(
    case: CaseStudy, template: Template, params: dict[str, Any], catalog: DataCatalog
) -> list[Problem]:
    problems = []
    for name in template.region_parameters():
        region = params[name]
        for rel in template.inputs:
            if not catalog.is_regional(rel) or not rel.endswith((".tsv", ".tsv.gz")):
                continue
            problem = catalog.coverage_problem(rel, region, catalog.regions(rel))
            if problem:
                problems.append(case.problem(_key_path(case, template.name, name), problem))
    return problems


def plan_case(
    case: CaseStudy,
    library: TemplateLibrary,
    catalog: DataCatalog,
    models_dir: Path,
    kernel_name: str,
    tuning: Mapping[str, Any] | None = None,
) -> tuple[list[RunSpec], list[Problem]]:
    """Specs and problems for every template of one case study.

    ``tuning`` is the case's accepted tuned recommendation: templates that take one get
    it as their ``tuning`` parameter, so it is part of their run's content hash. Without
    one, nothing is added and the hashes are those of the untuned runs.
    """
    specs: list[RunSpec] = []
    problems: list[Problem] = []
    for name in case.templates:
        try:
            template = library.get(name)
        except TemplateNotFound:
            problems.append(
                case.problem(
                    ("templates", name),
                    f"no template {name!r} in templates/; available: {library.names()}",
                )
            )
            continue
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue

        def locate(key: str, message: str, _t: str = name) -> Problem:
            return case.problem(_key_path(case, _t, key), message)

        try:
            params = template.validate(
                case.parameters_for(name, list(template.parameters)), locate=locate
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue

        if template.tuning and tuning:
            params = {**params, TUNING_PARAMETER: dict(tuning)}
        template_source = f"templates/{template.path.name}"
        missing = [rel for rel in template.inputs if not catalog.exists(rel)]
        for rel in missing:
            problems.append(
                Problem(
                    template_source,
                    "metadata.workbench.inputs",
                    f"data file {rel!r} not found in data folder {catalog.directory} "
                    f"(a case study chooses its pack with `data_pack:`, e.g. demo)",
                )
            )
        if missing:
            continue
        region_problems = _region_problems(case, template, params, catalog)
        if region_problems:
            problems.extend(region_problems)
            continue

        models: dict[str, str] = {}
        fingerprints: dict[str, str] = {}
        for model_name in template.models:
            try:
                model = load_shared_model(models_dir, model_name)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            if model.status != "approved":
                problems.append(
                    Problem(
                        f"shared_models/{model_name}/model.yaml",
                        "status",
                        f"version {model.version} is {model.status!r}; a run may only use an "
                        "approved version (a named expert must approve it first)",
                    )
                )
                continue
            models[model_name] = model.version
            fingerprints[model_name] = model.fingerprint()

        files = [
            str(params[n])
            for n, spec in template.parameters.items()
            if spec.type == "data_file" and params.get(n)
        ]
        unknown = [rel for rel in files if not catalog.exists(rel)]
        for rel in unknown:
            problems.append(
                locate(
                    next(n for n in template.parameters if params.get(n) == rel),
                    f"data file {rel!r} not found in data folder {catalog.directory}",
                )
            )
        if unknown:
            continue
        # a file named by a parameter is an input like the template's own: its bytes count
        inputs = {rel: catalog.file_hash(rel) for rel in (*template.inputs, *files)}
        template_bytes = template.path.read_bytes()
        specs.append(
            RunSpec(
                case_slug=case.slug,
                template=name,
                template_path=template.path,
                template_version=template.version,
                title=f"{case.title} — {template.title}",
                parameters=params,
                inputs=inputs,
                model_versions=models,
                content_hash=content_hash(
                    template_bytes, params, inputs, fingerprints, kernel_name
                ),
                synthetic=catalog.is_demo(template.inputs),
                data_dir=catalog.directory,
                models_dir=models_dir,
                data_note=catalog.data_note(template.inputs),
                attribution=tuple(catalog.attribution(template.inputs)),
            )
        )
    return specs, problems


def plan_runs(
    cases: Iterable[CaseStudy],
    library: TemplateLibrary,
    catalog: DataCatalog | Callable[[CaseStudy], DataCatalog],
    models_dir: Path,
    kernel_name: str,
    tuning: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[RunSpec]:
    """Validate and plan all pairs; raise InvalidInput with every problem found.

    ``catalog`` is one data pack for every case, or a function giving each case its pack
    (a case study may name its own with ``data_pack:``). ``tuning`` maps a case slug to
    its accepted tuned recommendation (see :func:`plan_case`).
    """
    specs: list[RunSpec] = []
    problems: list[Problem] = []
    for case in cases:
        try:
            pack = catalog if isinstance(catalog, DataCatalog) else catalog(case)
        except InputError as exc:
            problems.append(case.problem(("data_pack",), str(exc)))
            continue
        case_specs, case_problems = plan_case(
            case, library, pack, models_dir, kernel_name, (tuning or {}).get(case.slug)
        )
        specs.extend(case_specs)
        problems.extend(case_problems)
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InvalidInput(unique)
    return specs


__all__ = ["RunSpec", "content_hash", "plan_case", "plan_runs"]
