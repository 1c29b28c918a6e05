"""Workspaces: ``workbench init DIR`` creates one from the packaged skeleton."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from workbench.config import PACKAGE_DIR
from workbench.exceptions import InputError

SKELETON_PARTS = ("templates", "case_studies", "shared_models")
_IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
#: personal data (pathways/: pseudonymised jobseekers' risks) and outputs stay out of git
_GITIGNORE = (
    "runs/\nvar/\npublished/\ndashboards/\nexports/\nreports/\npathways/\n.ipynb_checkpoints/\n"
)


def skeleton_root() -> Path:
    """Folder holding templates/, case_studies/ and shared_models/ to copy.

    A wheel ships them in ``workbench/_skeleton``; a source checkout (editable
    install) uses the repository, which is itself a workspace.
    """
    packaged = PACKAGE_DIR / "_skeleton"
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent


def init_workspace(target: Path, cases: Sequence[str] | None = None) -> list[Path]:
    """Create a workspace at ``target`` and return the folders written.

    ``cases`` limits the example case studies copied (default: all of them).

    Refuses a folder that already holds any workspace part, so nothing is overwritten.
    No data is copied: the packaged packs (``real``, ``demo``) are used by name, and a
    ``data/`` folder the analyst adds becomes the workspace's default pack.
    """
    target = target.expanduser().resolve()
    source = skeleton_root()
    clashes = [p for p in SKELETON_PARTS if (target / p).exists()]
    if clashes:
        raise InputError(f"{target} already has {clashes}; refusing to overwrite a workspace")
    available = sorted(p.parent.name for p in (source / "case_studies").glob("*/case.yaml"))
    unknown = sorted(set(cases or ()) - set(available))
    if unknown:
        raise InputError(f"no example case studies {unknown}; available: {available}")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for part in SKELETON_PARTS:
        ignore = _IGNORE
        if part == "case_studies" and cases is not None:
            keep = set(cases)

            def ignore(folder: str, names: list[str], _keep: set[str] = keep) -> set[str]:
                skipped = _IGNORE(folder, names)
                if Path(folder) == source / "case_studies":
                    skipped |= {n for n in names if n in available and n not in _keep}
                return skipped

        shutil.copytree(source / part, target / part, ignore=ignore)
        written.append(target / part)
    for folder in ("runs", "var", "pathways"):
        (target / folder).mkdir(exist_ok=True)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_GITIGNORE, encoding="utf-8")
    return written
