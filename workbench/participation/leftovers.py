"""Files written before an erasure that still name the erased participant.

Exports (``<workspace>/exports/``) and minutes (``<workspace>/reports/``) are copies:
erasing a participant from the database does not change them. GDPR's right to erasure
covers every copy the controller holds, so :func:`files_naming` finds the ones that still
contain a participant's pseudonymous id, and :func:`delete_entries` removes them.

The unit is a top-level entry of those folders: a whole CSV export folder (its files and
``datapackage.json`` belong together), an ``.xlsx`` or ``.json`` file, a minutes ``.html``
file and the ``.pdf`` printed from it. XLSX files and zips are searched inside their
members. A PDF is matched through the HTML it was printed from (same name): PDF text is
stored as font glyph codes, so the id cannot be searched in it reliably.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

#: workspace folders where exports and minutes are written by default
FOLDERS = ("exports", "reports")


def files_naming(home: Path, public_ids: Iterable[str]) -> dict[str, list[Path]]:
    """For each id, the top-level entries of ``exports/`` and ``reports/`` that contain it."""
    needles = {pid: pid.encode("ascii") for pid in public_ids}
    found: dict[str, list[Path]] = {pid: [] for pid in needles}
    if not needles:
        return found
    for folder in FOLDERS:
        root = home / folder
        if not root.is_dir():
            continue
        entries = sorted(root.iterdir())
        texts = {entry: _contents(entry) for entry in entries if entry.suffix.lower() != ".pdf"}
        for entry in entries:
            source = entry.with_suffix(".html") if entry.suffix.lower() == ".pdf" else entry
            blobs = texts.get(source, [])
            for pid, needle in needles.items():
                if any(needle in blob for blob in blobs):
                    found[pid].append(entry)
    return found


def delete_entries(paths: Iterable[Path]) -> list[Path]:
    """Delete files and export folders; returns what was deleted."""
    deleted = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        deleted.append(path)
    return deleted


def _contents(entry: Path) -> list[bytes]:
    """The searchable bytes of an entry: every file of a folder, every member of a zip."""
    if entry.is_symlink():
        return []
    if entry.is_dir():
        return [b for path in sorted(entry.rglob("*")) if path.is_file() for b in _contents(path)]
    if not entry.is_file():
        return []
    if zipfile.is_zipfile(entry):
        try:
            with zipfile.ZipFile(entry) as archive:
                return [archive.read(name) for name in archive.namelist()]
        except (zipfile.BadZipFile, OSError):
            pass  # searched as plain bytes below
    return [entry.read_bytes()]
