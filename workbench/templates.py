"""Template discovery and typed parameter schemas.

A template is a notebook in ``templates/`` with a papermill ``parameters`` cell and a
declared schema in its notebook metadata under ``workbench``::

    {"title": ..., "description": ..., "version": "1.0.0",
     "inputs": ["eurostat/lfst_r_lfu3rt.tsv"],      # files in the data pack
     "models": ["almp_evidence"],                    # shared models it reads
     "parameters": {"start_year": {"type": "integer", "default": 2015,
                                    "minimum": 2014, "maximum": 2024, "help": "..."}}}

Supported types: ``string``, ``integer``, ``number``, ``boolean``, ``array`` (of
``items``), ``nuts_region`` and ``nace_section``; constraints ``enum``, ``minimum``,
``maximum``, ``minItems``, ``maxItems``, ``maxLength``. A parameter without
``default`` is required. The schema becomes a strict pydantic model that validates
parameters before any kernel starts.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from workbench.classifications import NACE_SECTIONS, nuts_problem
from workbench.exceptions import InvalidInput, Problem, TemplateNotFound

#: Parameters every template's parameters cell assigns and the runner injects.
RUNNER_PARAMETERS = ("data_dir", "models_dir", "output_dir")
#: The accepted tuned recommendation of the case study (a mapping; ``{}`` when none),
#: injected into templates whose schema says ``"tuning": true``.
TUNING_PARAMETER = "tuning"
#: Parameters the workbench sets; a schema or case study may not set them.
RESERVED_PARAMETERS = (*RUNNER_PARAMETERS, TUNING_PARAMETER)
_TYPES = (
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "nuts_region",
    "nace_section",
    "data_file",
)
_SPEC_KEYS = {
    "type",
    "help",
    "default",
    "enum",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "maxLength",
}
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "nuts_region": "a NUTS region code",
    "nace_section": "a NACE section letter",
    "data_file": "a file of the case's data pack (its bytes are part of the run hash)",
}


def _check_nuts(value: str) -> str:
    problem = nuts_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_nace(value: str) -> str:
    if value not in NACE_SECTIONS:
        raise ValueError(
            f"{value!r} is not a NACE Rev. 2 section; use one letter A-U, e.g. 'C' (manufacturing)"
        )
    return value


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter."""

    name: str
    type: str
    help: str = ""
    default: Any = None
    required: bool = True
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    items: ParameterSpec | None = None
    min_items: int | None = None
    max_items: int | None = None
    max_length: int | None = None

    @classmethod
    def parse(cls, name: str, raw: Any, source: str) -> ParameterSpec:
        """Build a spec from schema metadata; raises InvalidInput on a bad schema."""
        key = f"metadata.workbench.parameters.{name}"
        if not isinstance(raw, dict):
            raise InvalidInput([Problem(source, key, "must be a mapping")])
        unknown = set(raw) - _SPEC_KEYS
        if unknown:
            raise InvalidInput([Problem(source, key, f"unknown schema keys {sorted(unknown)}")])
        if raw.get("type") not in _TYPES:
            raise InvalidInput([Problem(source, key, f"type must be one of {list(_TYPES)}")])
        items = None
        if raw["type"] == "array":
            items = cls.parse(f"{name}[]", raw.get("items", {"type": "string"}), source)
        enum = tuple(raw["enum"]) if "enum" in raw else None
        return cls(
            name=name,
            type=raw["type"],
            help=str(raw.get("help", "")),
            default=raw.get("default"),
            required="default" not in raw,
            enum=enum,
            minimum=raw.get("minimum"),
            maximum=raw.get("maximum"),
            items=items,
            min_items=raw.get("minItems"),
            max_items=raw.get("maxItems"),
            max_length=raw.get("maxLength"),
        )

    def annotation(self) -> Any:
        """The pydantic annotation enforcing this spec (strict: no type coercion)."""
        if self.enum is not None and self.type in ("string", "integer", "number"):
            return Literal[self.enum]  # type: ignore[valid-type]
        if self.type in ("string", "data_file"):
            return Annotated[StrictStr, Field(max_length=self.max_length or 10_000)]
        if self.type == "integer":
            return Annotated[StrictInt, Field(ge=self.minimum, le=self.maximum)]
        if self.type == "number":
            return Annotated[
                StrictFloat, Field(ge=self.minimum, le=self.maximum, allow_inf_nan=False)
            ]
        if self.type == "boolean":
            return StrictBool
        if self.type == "nuts_region":
            return Annotated[StrictStr, AfterValidator(_check_nuts)]
        if self.type == "nace_section":
            return Annotated[StrictStr, AfterValidator(_check_nace)]
        assert self.items is not None
        return Annotated[
            list[self.items.annotation()],  # type: ignore[misc]
            Field(min_length=self.min_items, max_length=self.max_items or 1000),
        ]

    def describe(self) -> str:
        """A one-line human description (CLI help, forms)."""
        kind = _TYPE_WORDS[self.type]
        if self.type == "array" and self.items is not None:
            kind = f"a list of {_TYPE_WORDS[self.items.type]}"
            if self.items.enum:
                kind += f" from {list(self.items.enum)}"
        elif self.enum:
            kind = f"one of {list(self.enum)}"
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {self.minimum}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum}")
        extra = f" ({', '.join(bounds)})" if bounds else ""
        default = "required" if self.required else f"default {json.dumps(self.default)}"
        return f"{kind}{extra}; {default}"


@dataclass(frozen=True)
class Template:
    """A parameterised notebook and its declared schema."""

    name: str
    path: Path
    title: str
    description: str
    version: str
    inputs: tuple[str, ...]
    models: tuple[str, ...]
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    #: takes the case's accepted tuned recommendation as ``tuning`` (see TUNING_PARAMETER)
    tuning: bool = False

    @cached_property
    def model(self) -> type[BaseModel]:
        """The strict pydantic model of this template's parameters."""
        fields: dict[str, Any] = {}
        for spec in self.parameters.values():
            default = ... if spec.required else spec.default
            fields[spec.name] = (spec.annotation(), default)
        return create_model(  # type: ignore[call-overload,no-any-return]
            f"Parameters_{self.name}",
            __config__=ConfigDict(extra="forbid", strict=True),
            **fields,
        )

    def region_parameters(self) -> list[str]:
        """Names of parameters that hold a NUTS region."""
        return [s.name for s in self.parameters.values() if s.type == "nuts_region"]

    def validate(self, params: dict[str, Any], *, locate: Any) -> dict[str, Any]:
        """Validate ``params``; return them with defaults filled in (JSON-ready).

        ``locate(key, message)`` turns a parameter name and message into a
        :class:`Problem`. All problems are raised together as :class:`InvalidInput`.
        """
        problems: list[Problem] = []
        for name in params:
            if name in RESERVED_PARAMETERS:
                problems.append(locate(name, "is set by the workbench itself; remove it"))
        clean = {k: v for k, v in params.items() if k not in RESERVED_PARAMETERS}
        try:
            validated = self.model.model_validate(clean)
        except ValidationError as exc:
            problems.extend(self._problems(exc, locate))
            raise InvalidInput(problems) from None
        if problems:
            raise InvalidInput(problems)
        return validated.model_dump(mode="json")

    def _problems(self, exc: ValidationError, locate: Any) -> list[Problem]:
        out: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for err in exc.errors(include_url=False):
            loc = [str(part) for part in err["loc"]]
            name = loc[0] if loc else ""
            spec = self.parameters.get(name)
            in_item = len(loc) > 1 and loc[1].isdigit()
            if in_item and spec is not None and spec.items is not None:
                spec = spec.items  # an error in one element of a list parameter
            message = _friendly(err, spec, sorted(self.parameters))
            key = ".".join(loc[:2]) if in_item else name
            if (key, message) in seen:
                continue
            seen.add((key, message))
            out.append(locate(key, message))
        return out

    def help_text(self) -> str:
        """Multi-line parameter reference for the CLI."""
        lines = [f"{self.name} {self.version}: {self.title}", self.description, ""]
        for spec in self.parameters.values():
            lines.append(f"  {spec.name}: {spec.describe()}")
            if spec.help:
                lines.append(f"      {spec.help}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _friendly(err: Any, spec: ParameterSpec | None, allowed: list[str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown parameter; this template takes {allowed}"
    if kind == "missing":
        return "missing required parameter" + (f" ({spec.help})" if spec and spec.help else "")
    if kind in ("greater_than_equal", "greater_than"):
        bound = spec.minimum if spec and spec.minimum is not None else ctx.get("ge")
        return f"{_short(err.get('input'))} is below the minimum {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = spec.maximum if spec and spec.maximum is not None else ctx.get("le")
        return f"{_short(err.get('input'))} is above the maximum {bound}"
    if kind == "literal_error":
        return f"{_short(err.get('input'))} is not allowed; choose one of {ctx.get('expected')}"
    if kind in ("too_short", "too_long"):
        return f"list has the wrong length: {err['msg']}"
    if kind == "finite_number":
        return f"{_short(err.get('input'))} is not a finite number"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if spec is not None and kind.endswith("_type"):
        got = type(err.get("input")).__name__
        return (
            f"wrong type: expected {_TYPE_WORDS[spec.type]}, got {got} {_short(err.get('input'))}"
        )
    return str(err["msg"])


def _parameters_cell_names(nb: dict[str, Any]) -> list[str] | None:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
            "tags", []
        ):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            tree = ast.parse(source)
            names = []
            for node in tree.body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    return None


def load_template(path: Path, root: Path | None = None) -> Template:
    """Read a template notebook's schema; raises InvalidInput if it is malformed."""
    source = str(path.relative_to(root)) if root else str(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput([Problem(source, "", f"cannot read notebook: {exc}")]) from None
    meta = nb.get("metadata", {}).get("workbench")
    if not isinstance(meta, dict):
        raise InvalidInput(
            [Problem(source, "metadata.workbench", "missing: a template declares its schema here")]
        )
    raw_params = meta.get("parameters", {})
    if not isinstance(raw_params, dict):
        raise InvalidInput([Problem(source, "metadata.workbench.parameters", "must be a mapping")])
    specs = {name: ParameterSpec.parse(name, raw, source) for name, raw in raw_params.items()}
    problems = [
        Problem(source, f"metadata.workbench.parameters.{n}", "is a reserved name")
        for n in specs
        if n in RESERVED_PARAMETERS
    ]
    cell_names = _parameters_cell_names(nb)
    if cell_names is None:
        problems.append(Problem(source, "cells", "no code cell tagged 'parameters'"))
    else:
        injected = (*RUNNER_PARAMETERS, *([TUNING_PARAMETER] if meta.get("tuning") else []))
        missing = [n for n in (*specs, *injected) if n not in cell_names]
        if missing:
            problems.append(Problem(source, "parameters cell", f"assigns no default for {missing}"))
    for spec in specs.values():
        if (
            spec.default is not None
            and isinstance(spec.default, float)
            and math.isnan(spec.default)
        ):
            problems.append(Problem(source, spec.name, "default must be a finite number"))
    if problems:
        raise InvalidInput(problems)
    return Template(
        name=path.stem,
        path=path,
        title=str(meta.get("title", path.stem)),
        description=str(meta.get("description", "")),
        version=str(meta.get("version", "0")),
        inputs=tuple(meta.get("inputs", [])),
        models=tuple(meta.get("models", [])),
        parameters=specs,
        tuning=meta.get("tuning") is True,
    )


class TemplateLibrary:
    """The templates of one workspace folder, loaded on demand."""

    def __init__(self, directory: Path, root: Path | None = None) -> None:
        self.directory = directory
        self.root = root or directory.parent
        self._cache: dict[str, Template] = {}

    def names(self) -> list[str]:
        """Names (file stems) of all template notebooks."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.stem for p in self.directory.glob("*.ipynb") if not p.name.startswith((".", "_"))
        )

    def get(self, name: str) -> Template:
        """The template ``name``; raises TemplateNotFound or InvalidInput."""
        if name not in self._cache:
            path = self.directory / f"{name}.ipynb"
            if "/" in name or "\\" in name or not path.is_file():
                raise TemplateNotFound(
                    f"no template {name!r} in {self.directory}; available: {self.names()}"
                )
            self._cache[name] = load_template(path, self.root)
        return self._cache[name]
