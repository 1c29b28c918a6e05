"""What a workshop asks: options, criteria, statements and the rating scale.

A spec comes from a YAML file (``workbench workshop create --spec FILE``) or, by default,
from the case study's evidence review: the programme types it ranked become the options.

``points`` asks each participant to spread a budget of points over the criteria (dot
voting, "what matters most"): ``points: 100`` (or ``true``) turns it on with that budget,
``points: false`` turns it off. Left out, it is on with 100 points whenever the workshop
has at least two criteria.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.exceptions import InvalidInput, Problem
from workbench.yamlio import load_yaml

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_STATEMENT_CHARS = 280
#: the budget of points a participant spreads over the criteria, by default and its limits
DEFAULT_POINTS = 100
MIN_POINTS, MAX_POINTS = 10, 1000

DEFAULT_CRITERIA: list[dict[str, str]] = [
    {
        "key": "effectiveness",
        "label": "Effectiveness",
        "description": "How well would this help the target groups into good jobs?",
    },
    {
        "key": "feasibility",
        "label": "Feasibility",
        "description": "How feasible is it in this region with today's institutions and budget?",
    },
    {
        "key": "fairness",
        "label": "Fairness",
        "description": "Does it reach those furthest from the labour market?",
    },
    {
        "key": "employer_fit",
        "label": "Fit with employers' needs",
        "description": "Does it match the skills employers in this sector are looking for?",
    },
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Item(_Strict):
    """An option to rate or a criterion to rate it on."""

    key: str
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY_RE.match(value):
            raise ValueError("must be lower-case letters, digits and _ (max 40), e.g. 'training'")
        return value


class WorkshopSpec(_Strict):
    """The content of a workshop, fixed when it is created."""

    title: str = Field(min_length=1, max_length=200)
    scale: Literal[5, 9] = 5
    expected_participants: int = Field(default=20, ge=1, le=500)
    #: days after closing before participants' data is erased (GDPR storage limitation)
    retention_days: int = Field(default=365, ge=1, le=3650)
    expected_mix: dict[str, int] = Field(default_factory=dict)
    options: list[Item] = Field(min_length=2, max_length=12)
    criteria: list[Item] = Field(min_length=1, max_length=8)
    statements: list[str] = Field(default_factory=list, max_length=100)
    #: points each participant spreads over the criteria; None: not asked
    points: int | None = None

    @field_validator("points", mode="before")
    @classmethod
    def _points(cls, value: Any) -> int | None:
        if value is None or value is False:
            return None
        if value is True:
            return DEFAULT_POINTS
        if not isinstance(value, int) or not MIN_POINTS <= value <= MAX_POINTS:
            raise ValueError(
                f"must be a whole number of points from {MIN_POINTS} to {MAX_POINTS} "
                "(e.g. 100), true or false"
            )
        return value

    @field_validator("points")
    @classmethod
    def _points_need_criteria(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and len(info.data.get("criteria") or []) < 2:
            raise ValueError("spreading points needs at least two criteria")
        return value

    @model_validator(mode="after")
    def _points_default(self) -> WorkshopSpec:
        """Left out: on (100 points) when there are at least two criteria to weigh."""
        if "points" not in self.model_fields_set:
            self.points = DEFAULT_POINTS if len(self.criteria) >= 2 else None
        return self

    @field_validator("statements")
    @classmethod
    def _statements(cls, value: list[str]) -> list[str]:
        cleaned = [s.strip() for s in value]
        for text in cleaned:
            if not text:
                raise ValueError("a statement is empty")
            if len(text) > MAX_STATEMENT_CHARS:
                raise ValueError(f"a statement is longer than {MAX_STATEMENT_CHARS} characters")
        return cleaned

    @field_validator("expected_mix")
    @classmethod
    def _mix(cls, value: dict[str, int]) -> dict[str, int]:
        for group, count in value.items():
            if group not in STAKEHOLDER_GROUPS:
                raise ValueError(
                    f"unknown stakeholder group {group!r}; use one of "
                    + ", ".join(STAKEHOLDER_GROUPS)
                )
            if count < 0:
                raise ValueError(f"{group}: expected count must be >= 0")
        return value

    @field_validator("options", "criteria")
    @classmethod
    def _unique_keys(cls, items: list[Item]) -> list[Item]:
        keys = [item.key for item in items]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate key(s) {', '.join(dupes)}")
        return items

    def option_keys(self) -> list[str]:
        """Option keys in display order."""
        return [o.key for o in self.options]

    def criterion_keys(self) -> list[str]:
        """Criterion keys in display order."""
        return [c.key for c in self.criteria]


def parse_spec(raw: Any, source: str, locate: Any = None) -> WorkshopSpec:
    """Validate ``raw``; every problem is reported with its key (and line if known)."""
    if not isinstance(raw, dict):
        raise InvalidInput([Problem(source, "", "must be a mapping of workshop settings")])
    try:
        return WorkshopSpec.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(str(p) for p in err["loc"])
            line = locate(path) if locate else None
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(source, ".".join(path), message, line))
        raise InvalidInput(problems) from None


def load_spec(path: Path) -> WorkshopSpec:
    """Read and validate a workshop spec YAML file."""
    doc = load_yaml(path, str(path))
    return parse_spec(doc.data, doc.source, doc.line_of)


def default_spec(
    *, title: str, evidence: dict[str, Any], region_name: str, target_groups: list[str]
) -> dict[str, Any]:
    """A spec built from an evidence review artefact: its ranked programmes become options."""
    ranked = [r for r in evidence.get("ranking", []) if r.get("status") == "ranked"]
    options = [
        {
            "key": r["programme_type"],
            "label": r["programme"],
            "description": (
                f"Evidence score {r['score']:+d} from {r['n_findings']} published finding(s)"
            ),
        }
        for r in ranked[:6]
    ]
    groups = ", ".join(g.replace("_", " ") for g in target_groups) or "the target groups"
    statements = [
        f"{options[0]['label']} should be the first priority in {region_name}."
        if options
        else f"Employers in {region_name} should co-design the programmes.",
        f"Employers in {region_name} should co-design the training content.",
        f"Programmes for {groups} need personal case managers, not only courses.",
        "Results of each programme should be published every year.",
        "Subsidised jobs crowd out regular hiring.",
        "The evidence from other countries applies to our region.",
    ]
    return _spec(title, options, statements)


def _spec(title: str, options: list[dict[str, str]], statements: list[str]) -> dict[str, Any]:
    return {
        "title": title,
        "scale": 5,
        "options": options,
        "criteria": DEFAULT_CRITERIA,
        "statements": statements,
        "points": DEFAULT_POINTS,
    }


def policy_mix_spec(
    *, title: str, policy_mix: dict[str, Any], region_name: str, target_groups: list[str]
) -> dict[str, Any]:
    """A spec from a ``policy_mix`` artefact: its ranked programme types become the options.

    The options follow the ranking of the first target group (the accepted tuned ranking
    when the artefact has one); each description gives the evidence figure with its
    interval and count, or says the evidence is insufficient.
    """
    rec = policy_mix["recommendation"]
    first = (rec.get("target_groups") or list(rec["by_group"]))[0]
    ranked = list(rec["by_group"][first])
    tuned = [r["option"] for r in (policy_mix.get("tuning") or {}).get("ranking", [])]
    if tuned:
        place = {key: i for i, key in enumerate(tuned)}
        ranked.sort(key=lambda o: place.get(str(o["programme_type"]), len(place)))
    options = []
    for o in ranked:
        if o.get("p_positive") is None:
            description = "Insufficient published evidence for this situation."
        else:
            description = (
                f"Evidence rank {o['rank']}: {o['p_positive']:.0%} chance of a significantly "
                f"positive effect [{o['p_positive_low']:.0%}-{o['p_positive_high']:.0%}], "
                f"{o['votes']} estimates from {o['studies']} "
                f"stud{'y' if o['studies'] == 1 else 'ies'}."
            )
        options.append(
            {"key": str(o["programme_type"]), "label": str(o["label"]), "description": description}
        )
    groups = ", ".join(g.replace("_", " ") for g in target_groups) or "the target groups"
    statements = [
        f"{options[0]['label']} should be the first priority in {region_name}.",
        "The published evidence applies to our region.",
        f"Programmes for {groups} need personal case managers, not only courses.",
        "Results of each programme should be published every year.",
        "Subsidised jobs crowd out regular hiring.",
        f"Employers in {region_name} should co-design the training content.",
    ]
    return _spec(title, options, statements)


#: Programme types (Card, Kluve & Weber) a diagnosis-only workshop asks about.
DIAGNOSIS_OPTIONS: dict[str, str] = {
    "training": "Training",
    "job_search_assistance": "Job search assistance",
    "private_employment_subsidy": "Private-sector employment subsidy",
    "public_employment": "Public-sector employment",
    "mobility_support": "Mobility support",
}


def diagnosis_spec(
    *, title: str, diagnosis: dict[str, Any], region_name: str, target_groups: list[str]
) -> dict[str, Any]:
    """A spec from a labour-market diagnosis when the case has no evidence ranking yet.

    The options are the main programme types; each says whether the region's data point
    to it (a skill gap, a matching friction, a regional mismatch) and why. The diagnosis
    does not rank them: the participants do.
    """
    links = {str(link["programme_type"]): link for link in diagnosis.get("policy_links", [])}
    options = []
    for key, label in DIAGNOSIS_OPTIONS.items():
        link = links.get(key)
        if key == "mobility_support" and link is None:
            continue
        description = (
            f"The regional data point to it: {link['reason']}"
            if link
            else "The regional data give no specific signal for it; weigh it on its merits."
        )
        options.append({"key": key, "label": label, "description": description[:300]})
    groups = ", ".join(g.replace("_", " ") for g in target_groups) or "the target groups"
    first = next(iter(links), None)
    statements = [
        f"{DIAGNOSIS_OPTIONS[first]} should be the first priority in {region_name}."
        if first
        else f"Employers in {region_name} should co-design the programmes.",
        f"Jobseekers in surplus occupations in {region_name} can learn the skills that "
        "shortage occupations need.",
        f"Programmes for {groups} need personal case managers, not only courses.",
        "Results of each programme should be published every year.",
        "Subsidised jobs crowd out regular hiring.",
        "Moving to another region for work should be supported financially.",
    ]
    return _spec(title, options, statements)
