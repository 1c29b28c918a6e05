"""Versioned shared models: ``shared_models/<name>/model.yaml`` plus its files and card.

Only an ``approved`` version may feed a run: a candidate stays out until a named
expert approves it (AI stays subordinate to people).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.data.catalog import sha256_file
from workbench.exceptions import InvalidInput, Problem
from workbench.yamlio import load_yaml


@dataclass(frozen=True)
class SharedModel:
    """One shared model as it stands in the workspace."""

    name: str
    version: str
    status: str
    directory: Path
    files: tuple[str, ...]

    def file_named(self, filename: str) -> Path:
        """The path of the declared file whose base name is ``filename``.

        Works for flat (seeded) and versioned (``versions/<n>/…``) layouts alike.

        Raises:
            InvalidInput: the model declares no such file.
        """
        for rel in self.files:
            if Path(rel).name == filename:
                return self.directory / rel
        raise InvalidInput(
            [
                Problem(
                    f"shared_models/{self.name}/model.yaml",
                    "files",
                    f"no file {filename!r} (files: {', '.join(self.files)})",
                )
            ]
        )

    def fingerprint(self) -> str:
        """Version plus the hash of every declared file: what a run depends on."""
        parts = [self.version] + [f"{f}:{sha256_file(self.directory / f)}" for f in self.files]
        return "|".join(parts)


def load_shared_model(root: Path, name: str) -> SharedModel:
    """Load ``root/name/model.yaml``; raises InvalidInput when missing or malformed."""
    source = f"shared_models/{name}/model.yaml"
    path = root / name / "model.yaml"
    if "/" in name or not path.is_file():
        raise InvalidInput([Problem(source, "", f"shared model {name!r} not found")])
    doc = load_yaml(path, source)
    data = doc.data if isinstance(doc.data, dict) else {}
    problems = [
        doc.problem((key,), "is required")
        for key in ("name", "version", "status")
        if not data.get(key)
    ]
    files = data.get("files") or []
    if not isinstance(files, list):
        problems.append(doc.problem(("files",), "must be a list of file names"))
        files = []
    for index, rel in enumerate(files):
        if not isinstance(rel, str) or not (path.parent / rel).is_file():
            problems.append(doc.problem(("files", str(index)), f"file {rel!r} not found"))
    if problems:
        raise InvalidInput(problems)
    return SharedModel(
        name=str(data["name"]),
        version=str(data["version"]),
        status=str(data["status"]),
        directory=path.parent,
        files=tuple(files),
    )


def approved_model(root: Path, name: str) -> SharedModel:
    """The approved version of model ``name`` (what its ``model.yaml`` points to).

    Raises:
        InvalidInput: the model does not exist or its pointer is not approved.
    """
    model = load_shared_model(root, name)
    if model.status != "approved":
        raise InvalidInput(
            [
                Problem(
                    f"shared_models/{name}/model.yaml",
                    "status",
                    f"version {model.version} is {model.status!r}, not approved",
                )
            ]
        )
    return model
