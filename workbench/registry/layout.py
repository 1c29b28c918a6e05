"""The registry's files under ``shared_models/<name>/``: the pointer and version folders.

```
shared_models/<name>/model.yaml               pointer to the approved version (planning reads it)
shared_models/<name>/versions/<version>/      every version: its files, card.md, version.yaml
```

Writes are atomic: a version folder is filled under a temporary name inside
``versions/`` and renamed into place; ``model.yaml`` is written to a temporary file next
to it and moved over the old one with :func:`os.replace`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from workbench.exceptions import InvalidInput, Problem
from workbench.shared_models import approved_model

#: A model name: lower-case letters, digits, '_' and '-' (it names a folder).
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
#: A file a trainer may hand over: one path component, no hidden files.
FILE_RE = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,127}")
#: Names the registry writes itself into a version folder.
RESERVED_FILES = ("card.md", "version.yaml", "cells.json")
POINTER_HEADER = (
    "# Pointer to the approved version, written by the model registry (`workbench model\n"
    "# approve|rollback`). The registry's SQL tables are the record; do not edit by hand.\n"
)


def check_name(name: str) -> str:
    """``name`` if it is a valid model name; raises InvalidInput otherwise."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InvalidInput(
            [Problem("model", "name", f"{name!r} is not a model name (a-z, 0-9, '_', '-')")]
        )
    return name


def file_problems(files: Mapping[str, Any], source: str) -> list[Problem]:
    """Problems with the file names and contents a trainer returned."""
    problems = []
    if not files:
        problems.append(Problem(source, "files", "a version needs at least one file"))
    for name, data in files.items():
        if not isinstance(name, str) or not FILE_RE.fullmatch(name) or name in RESERVED_FILES:
            problems.append(
                Problem(
                    source,
                    "files",
                    f"{name!r} is not a usable file name (one name of letters, digits, "
                    f"'_', '.', '-'; not {' or '.join(RESERVED_FILES)})",
                )
            )
        elif not isinstance(data, bytes):
            problems.append(
                Problem(source, f"files.{name}", f"content is {type(data).__name__}, not bytes")
            )
    return problems


def staging_folder(versions_dir: Path) -> Path:
    """A new temporary folder inside ``versions_dir`` (created with its parents)."""
    versions_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=versions_dir))


def write_staged(folder: Path, files: Mapping[str, bytes], card: str, cells: str) -> None:
    """Write a version's files, its card and its headline cells (JSON text, see
    :func:`~workbench.registry.diff.cells_to_text`) into the staging ``folder``."""
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "card.md").write_text(card, encoding="utf-8")
    (folder / "cells.json").write_text(cells, encoding="utf-8")


def read_version_meta(folder: Path) -> tuple[dict[str, Any], str | None]:
    """``version.yaml`` (as a mapping, {} when missing) and ``cells.json`` text (None when
    missing) of a version folder: what seeding takes over from a shipped version.

    Raises:
        InvalidInput: ``version.yaml`` is not valid YAML.
    """
    meta: dict[str, Any] = {}
    path = folder / "version.yaml"
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidInput([Problem(str(path), "", f"YAML error: {exc}")]) from None
        meta = data if isinstance(data, dict) else {}
    cells = folder / "cells.json"
    return meta, cells.read_text(encoding="utf-8") if cells.is_file() else None


def place_version(folder: Path, final: Path, meta: Mapping[str, Any]) -> None:
    """Write ``version.yaml`` into the staging folder and rename it to ``final``.

    A folder already at ``final`` is a leftover of a version whose database row was never
    committed (the caller holds that number in the database): it is replaced.
    """
    (folder / "version.yaml").write_text(
        yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    if final.exists():
        shutil.rmtree(final)
    os.replace(folder, final)


def write_pointer(model_dir: Path, doc: Mapping[str, Any]) -> bytes | None:
    """Atomically (re)write ``model_dir/model.yaml``; returns its previous bytes (None:
    there was none), so a caller whose transaction fails can put them back."""
    path = model_dir / "model.yaml"
    previous = path.read_bytes() if path.is_file() else None
    text = POINTER_HEADER + yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True)
    write_atomic(path, text.encode("utf-8"))
    return previous


def restore_pointer(model_dir: Path, previous: bytes | None) -> None:
    """Undo :func:`write_pointer` with the bytes it returned."""
    path = model_dir / "model.yaml"
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, previous)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path`` and move it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pointer_data(model_dir: Path) -> dict[str, Any]:
    """The raw mapping of ``model_dir/model.yaml`` ({} when missing or not a mapping)."""
    path = model_dir / "model.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def approved_file(models_dir: Path, name: str, filename: str) -> Path:
    """The path of ``filename`` in the approved version of model ``name``.

    For templates: the file is looked up in ``model.yaml``'s ``files`` by its base name,
    so it works for flat (seeded) and versioned layouts alike.

    Raises:
        InvalidInput: the model does not exist, is not approved, or has no such file.
    """
    return approved_model(Path(models_dir), name).file_named(filename)
