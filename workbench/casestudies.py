"""Case studies: ``case_studies/<slug>/case.yaml`` loading, validation and skeletons.

A case study is one NUTS region x one NACE sector x target groups, plus the templates
to run with their parameters::

    title: "Andalucía: manufacturing jobs for young people"
    region: ES61
    sector: C
    target_groups: [youth, long_term_unemployed]
    templates:
      regional_diagnosis: {start_year: 2015}
      evidence_review: {horizon: medium}

Top-level ``region``, ``sector`` and ``target_groups`` flow into every template that
declares a parameter of that name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.classifications import NACE_SECTIONS, TARGET_GROUPS, nuts_problem
from workbench.exceptions import CaseStudyExists, CaseStudyNotFound, InvalidInput, Problem
from workbench.yamlio import LocatedYaml, load_yaml

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CASE_FILE = "case.yaml"
#: Case-level fields that flow into template parameters of the same name.
SHARED_FIELDS = ("region", "sector", "target_groups")
_KNOWN_KEYS = {
    "title",
    "description",
    "region",
    "sector",
    "target_groups",
    "templates",
    "owner",
    "data_pack",
}


@dataclass
class CaseStudy:
    """A validated case study (its template parameters are checked at run planning)."""

    slug: str
    title: str
    region: str
    sector: str
    target_groups: list[str]
    templates: dict[str, dict[str, Any]]
    description: str = ""
    data_pack: str | None = None
    path: Path = field(default_factory=Path)
    doc: LocatedYaml | None = None

    @property
    def source(self) -> str:
        """The case file, relative to the workspace, for messages."""
        return f"case_studies/{self.slug}/{CASE_FILE}"

    def parameters_for(self, template: str, declared: list[str]) -> dict[str, Any]:
        """Case-level fields the template declares, overlaid with its own block."""
        shared = {name: getattr(self, name) for name in SHARED_FIELDS if name in declared}
        return {**shared, **self.templates.get(template, {})}

    def problem(self, path: tuple[str, ...], message: str) -> Problem:
        """A problem located in this case's YAML."""
        if self.doc is None:
            return Problem(self.source, ".".join(path), message)
        return self.doc.problem(path, message)


def check_slug(slug: str) -> None:
    """Raise InvalidInput unless ``slug`` is a safe folder name."""
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            [
                Problem(
                    "case study",
                    "slug",
                    f"{slug!r} is not a valid slug: use 1-63 lower-case letters, digits, "
                    "'-' or '_', starting with a letter or digit",
                )
            ]
        )


def case_dir(root: Path, slug: str) -> Path:
    """Folder of case study ``slug`` (raises for an unsafe slug)."""
    check_slug(slug)
    return root / slug


def list_slugs(root: Path) -> list[str]:
    """Slugs of all folders holding a case.yaml."""
    if not root.is_dir():
        return []
    return sorted(
        p.parent.name for p in root.glob(f"*/{CASE_FILE}") if SLUG_RE.match(p.parent.name)
    )


def load_case(root: Path, slug: str) -> CaseStudy:
    """Load and validate the top level of one case study.

    Raises CaseStudyNotFound, or InvalidInput listing every problem with its line.
    """
    path = case_dir(root, slug) / CASE_FILE
    if not path.is_file():
        raise CaseStudyNotFound(
            f"no case study {slug!r}: {path} does not exist; known: {list_slugs(root)}"
        )
    doc = load_yaml(path, f"case_studies/{slug}/{CASE_FILE}")
    data = doc.data
    if not isinstance(data, dict):
        raise InvalidInput([doc.problem((), "must be a mapping of keys to values")])
    problems: list[Problem] = []
    for key in sorted(set(map(str, data)) - _KNOWN_KEYS):
        problems.append(doc.problem((key,), f"unknown key; allowed: {sorted(_KNOWN_KEYS)}"))

    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(doc.problem(("title",), "required: a non-empty title"))
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(doc.problem(("description",), "must be text"))

    region = data.get("region")
    if region is None:
        problems.append(doc.problem(("region",), "required: a NUTS region code, e.g. ES61"))
    elif (why := nuts_problem(region)) is not None:
        problems.append(doc.problem(("region",), why))

    sector = data.get("sector")
    if sector not in NACE_SECTIONS:
        problems.append(
            doc.problem(
                ("sector",),
                f"{sector!r} is not a NACE Rev. 2 section; use one letter A-U, e.g. C",
            )
        )

    groups = data.get("target_groups")
    if not isinstance(groups, list) or not groups:
        problems.append(doc.problem(("target_groups",), "required: a non-empty list"))
        groups = []
    for index, group in enumerate(groups):
        if group not in TARGET_GROUPS:
            problems.append(
                doc.problem(
                    ("target_groups", str(index)),
                    f"{group!r} is not a known target group; use {sorted(TARGET_GROUPS)}",
                )
            )

    data_pack = data.get("data_pack")
    if data_pack is not None and (
        not isinstance(data_pack, str) or not re.fullmatch(r"[A-Za-z0-9_./-]{1,100}", data_pack)
    ):
        problems.append(
            doc.problem(("data_pack",), "must name a data pack: real, demo, or a workspace folder")
        )

    templates = _templates_block(doc, problems)
    if problems:
        raise InvalidInput(problems)
    return CaseStudy(
        slug=slug,
        title=str(title).strip(),
        region=str(region),
        sector=str(sector),
        target_groups=[str(g) for g in groups],
        templates=templates,
        description=description,
        data_pack=data_pack,
        path=path.parent,
        doc=doc,
    )


def _templates_block(doc: LocatedYaml, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    raw = doc.data.get("templates")
    if isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        raw = {name: {} for name in raw}
    if not isinstance(raw, dict) or not raw:
        problems.append(
            doc.problem(("templates",), "required: the templates to run, with their parameters")
        )
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, params in raw.items():
        params = {} if params is None else params
        if not isinstance(params, dict):
            problems.append(doc.problem(("templates", str(name)), "parameters must be a mapping"))
            continue
        for key in params:
            if key in SHARED_FIELDS:
                problems.append(
                    doc.problem(
                        ("templates", str(name), str(key)),
                        f"set {key!r} once, at the top of the case study, not per template",
                    )
                )
        out[str(name)] = {str(k): v for k, v in params.items()}
    return out


def skeleton(
    slug: str,
    region: str,
    sector: str,
    target_groups: list[str],
    templates: list[str],
    title: str | None = None,
) -> str:
    """YAML text of a new, valid case study."""
    doc = {
        "title": title or f"{region} / NACE {sector}: {NACE_SECTIONS.get(sector, sector)}",
        "description": "Describe the regional challenge this case study addresses.",
        "region": region,
        "sector": sector,
        "target_groups": target_groups,
        "templates": {name: {} for name in templates},
    }
    header = (
        f"# Case study {slug}: one NUTS region x one NACE sector x target groups.\n"
        "# Template parameters go under templates.<name>; see `workbench templates show NAME`.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def write_new_case(root: Path, slug: str, text: str) -> Path:
    """Write ``text`` as a new case study; refuses to overwrite an existing one."""
    folder = case_dir(root, slug)
    path = folder / CASE_FILE
    if path.exists():
        raise CaseStudyExists(f"case study {slug!r} already exists at {path}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
