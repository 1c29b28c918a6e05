"""Jobseekers' data-protection rights over pathways, and their retention (GDPR).

- Access and portability (Art. 15, 20): :meth:`PathwayPrivacy.export_person` returns
  everything held about one jobseeker: their pathways, the counsellors' reviews of them,
  and their records in the artefact files under ``<home>/pathways/``.
- Erasure (Art. 17; Art. 21 objection): :meth:`PathwayPrivacy.erase_person` deletes their
  rows from every table with a person column and cuts their records out of every
  artefact file, then logs counts (never who) in the ``pathway_erasure`` table.
- Storage limitation (Art. 5(1)(e)): a jobseeker's pathways and reviews are kept
  ``Settings.pathway_retention_days`` after the last of them; :meth:`purge_expired`
  erases older ones and deletes artefact files written before that.

A person is named by pseudonym (``p_`` + 32 hex) or by the PES id, which is then
pseudonymised with the key (:mod:`workbench.profiling.pseudonym`); the id itself is never
stored or logged.

Artefacts: the batch scorer writes pathways as CSV files under ``<home>/pathways/``; run
outputs under ``<home>/runs/`` (an executed monitoring notebook, a table it wrote) are
searched too. A
record names a person when it contains their pseudonym (34 characters of ``p_`` and hex:
it cannot occur by chance). ``.csv``/``.tsv`` (first record: the header, always kept) and
``.jsonl``/``.ndjson`` files are rewritten without those records, atomically (a temporary
file in the same folder replaces the original); every other record is kept byte for
byte. Any other file naming the person (and exports or minutes under ``exports/`` and
``reports/``) is listed, and deleted with ``delete_files``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import mmap
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from workbench.config import Settings
from workbench.db import Database, records
from workbench.db import pathways as q
from workbench.db.models import utcnow
from workbench.exceptions import InvalidInput, Problem
from workbench.participation.leftovers import delete_entries, files_naming
from workbench.profiling.pseudonym import is_pseudonym, load_key, pseudonymise

__all__ = ["EXPORT_FORMAT", "FOLDER", "REASONS", "ErasureReport", "PathwayPrivacy"]

#: the folder of ``<home>`` holding pathway artefacts
FOLDER = "pathways"
#: every folder searched for a person's records: pathway artefacts and run outputs (an
#: executed monitoring notebook or a table it wrote can name people)
SEARCHED = (FOLDER, "runs")
REASONS = ("request", "objection", "retention")
EXPORT_FORMAT = "almp-workbench-jobseeker-export"


# -- the service ----------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure (or retention purge) removed. Names no one."""

    #: the ``pathway_erasure`` log row; None for a dry run
    erasure_id: int | None
    reason: str
    #: rows per table, and ``artefact_rows``/``artefact_files`` cut from artefacts
    rows: dict[str, int]
    erased_at: datetime
    dry_run: bool = False
    #: artefact files rewritten without the person's records
    rewritten: tuple[str, ...] = ()
    #: other files that name the person (whole files: other formats, exports, minutes)
    files: tuple[str, ...] = ()
    #: whether those files were deleted
    files_deleted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "erased_at": self.erased_at.isoformat()}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class PathwayPrivacy:
    """Access, erasure and retention of jobseekers' pathway data.

    ``key``: the pseudonym key (default: :func:`load_key` when a PES id is given).
    """

    def __init__(self, db: Database, settings: Settings, key: bytes | None = None) -> None:
        self.db = db
        self.settings = settings
        self._key = key

    def pseudonym(self, person: str) -> str:
        """``person`` itself if it is a pseudonym, else the PES id pseudonymised."""
        if not isinstance(person, str) or not person.strip():
            raise InvalidInput([Problem("input", "person", "a pseudonym (p_…) or a PES id")])
        if is_pseudonym(person.strip()):
            return person.strip()
        if self._key is None:
            self._key = load_key(home=self.settings.home)
        return pseudonymise(person, self._key)

    # -- access -----------------------------------------------------------------------
    def export_person(self, person: str) -> dict[str, Any]:
        """Everything held about one jobseeker, JSON-ready (pseudonym only, never the id)."""
        pid = self.pseudonym(person)
        with self.db.session(snapshot=True) as s:
            pathways = q.pathways_of(s, person=pid)
            reviews = q.reviews(s, person=pid)
        last = max([p.created_at for p in pathways] + [r.at for r in reviews], default=None)
        days = self.settings.pathway_retention_days
        home = self.settings.home
        found = scan(home, [pid])
        elsewhere = files_naming(home, [pid])[pid]
        return {
            "format": EXPORT_FORMAT,
            "version": 1,
            "exported_at": utcnow().isoformat(),
            "person": pid,
            "pathways": [
                {
                    "id": p.id,
                    "region": p.region,
                    "model_version": p.model_version,
                    "created_by": p.created_by,
                    "created_at": _iso(p.created_at),
                    "groups": p.groups,
                    "pathway": p.payload,
                }
                for p in pathways
            ],
            "reviews": [
                {
                    "id": r.id,
                    "pathway_id": r.pathway_id,
                    "step_id": r.step_id,
                    "action": r.action,
                    "change_to": r.change_to,
                    "reason": r.reason,
                    "counsellor": r.counsellor,
                    "at": _iso(r.at),
                }
                for r in reviews
            ],
            "artefacts": records_of(home, pid),
            "files": [_relative(p, home) for p in [*found.whole_files, *elsewhere]],
            "retention": {
                "days": days,
                "erase_after": _iso(last + timedelta(days=days) if last else None),
            },
        }

    # -- erasure ----------------------------------------------------------------------
    def erase_person(
        self,
        person: str,
        reason: str = "request",
        *,
        dry_run: bool = False,
        delete_files: bool = False,
    ) -> ErasureReport:
        """Erase one jobseeker from every table and artefact; ``dry_run`` only counts.

        Table rows are deleted and artefact records cut in one database transaction (a
        failed rewrite leaves the tables as they were); other files naming them are
        listed, and deleted after the commit with ``delete_files``.
        """
        if reason not in REASONS:
            raise InvalidInput([Problem("input", "reason", f"one of {', '.join(REASONS)}")])
        return self._erase([self.pseudonym(person)], reason, dry_run, delete_files, [])

    def _erase(
        self,
        pids: list[str],
        reason: str,
        dry_run: bool,
        delete_files: bool,
        expired_files: list[Path],
    ) -> ErasureReport:
        home = self.settings.home
        found = scan(home, pids)
        cut = {path: n for path, n in found.rows.items() if path not in expired_files}
        whole = [p for p in found.whole_files if p not in expired_files]
        whole += [p for ps in files_naming(home, pids).values() for p in ps if p not in whole]
        now = utcnow()
        with self.db.session(write=not dry_run) as s:
            if dry_run:
                rows: dict[str, int] = {t: 0 for t in q.PERSON_TABLES}
                for pid in pids:
                    for table, n in q.person_counts(s, person=pid).items():
                        rows[table] += n
            else:
                records.secure_delete(s)
                rows = {t: 0 for t in q.PERSON_TABLES}
                for pid in pids:
                    for table, n in q.delete_person(s, person=pid).items():
                        rows[table] += n
                for path in cut:
                    cut[path] = rewrite_without(path, pids)
            rows["artefact_rows"] = sum(cut.values())
            rows["artefact_files"] = sum(1 for n in cut.values() if n)
            if expired_files:
                rows["expired_files"] = len(expired_files)
                if not dry_run:
                    delete_entries(expired_files)
            entry = (
                None
                if dry_run
                else q.add_pathway_erasure(s, reason=reason, rows=rows, erased_at=now)
            )
        if not dry_run:
            records.release_erased_pages(self.db.engine)
        deleted = delete_files and not dry_run and bool(whole)
        if deleted:
            delete_entries(whole)
        return ErasureReport(
            entry.id if entry else None,
            reason,
            rows,
            now,
            dry_run,
            tuple(_relative(p, home) for p in cut if cut[p]),
            tuple(_relative(p, home) for p in whole),
            deleted,
        )

    # -- retention --------------------------------------------------------------------
    def expired(self, now: datetime | None = None) -> tuple[list[str], list[Path]]:
        """(pseudonyms whose every pathway and review is past the retention period,
        artefact files last written before it)."""
        now = now or utcnow()
        if now.tzinfo is None:
            raise InvalidInput([Problem("input", "now", "must be timezone-aware (UTC)")])
        cutoff = now - timedelta(days=self.settings.pathway_retention_days)
        with self.db.session() as s:
            persons = q.expired_persons(s, cutoff=cutoff)
        return persons, expired_files(self.settings.home, cutoff)

    def purge_expired(
        self, now: datetime | None = None, *, dry_run: bool = False, delete_files: bool = False
    ) -> ErasureReport | None:
        """Erase everything past the retention period in one transaction (reason
        "retention"); None when nothing is due."""
        persons, old_files = self.expired(now)
        if not persons and not old_files:
            return None
        return self._erase(persons, "retention", dry_run, delete_files, old_files)

    def erasures(self) -> list[dict[str, Any]]:
        """The pathway erasure log (counts only), oldest first."""
        with self.db.session() as s:
            return [
                {"id": e.id, "reason": e.reason, "rows": e.rows, "erased_at": _iso(e.erased_at)}
                for e in q.find_pathway_erasures(s)
            ]


# -- artefact files -------------------------------------------------------------------

_DELIMITED = {".csv": ",", ".tsv": "\t"}
_LINES = (".jsonl", ".ndjson")


@dataclass
class Found:
    """Where some pseudonyms occur in the artefact folder."""

    #: file -> record numbers (1 = the first record after a header) naming them
    rows: dict[Path, int] = field(default_factory=dict)
    #: files that name them but have no rows to cut
    whole_files: list[Path] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        """Records to cut, all files together."""
        return sum(self.rows.values())


def files(home: Path) -> list[Path]:
    """Every regular file under ``<home>/pathways/`` and ``<home>/runs/`` (symbolic links
    are skipped)."""
    found: list[Path] = []
    for folder in SEARCHED:
        root = Path(home) / folder
        if root.is_dir():
            found += [
                p
                for p in root.rglob("*")
                if p.is_file() and not p.is_symlink() and not _in_progress(p)
            ]
    return sorted(found)


def _in_progress(path: Path) -> bool:
    """A temporary file another writer is about to rename into place (left alone)."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def _gzipped(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def _format(path: Path) -> str:
    """The record format's suffix: ``.csv`` for ``x.csv`` and for ``x.csv.gz``."""
    return (path.with_suffix("") if _gzipped(path) else path).suffix.lower()


def _names_any(path: Path, needles: list[bytes]) -> bool:
    if path.stat().st_size == 0:
        return False
    if _gzipped(path):  # search the decompressed bytes, in chunks that overlap
        overlap, tail = max(len(n) for n in needles) - 1, b""
        try:
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    data, tail = tail + chunk, (tail + chunk)[-overlap:]
                    if any(n in data for n in needles):
                        return True
        except (OSError, EOFError):  # not gzip after all: search the raw bytes
            pass
        else:
            return False
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return any(data.find(needle) != -1 for needle in needles)


def _records(fh: IO[str], suffix: str) -> Iterator[tuple[str, list[str] | None]]:
    """(raw text, parsed cells) per record; JSON-lines records have no cells."""
    if suffix in _LINES:
        for line in fh:
            yield line, None
        return
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in fh:
            consumed.append(line)
            yield line

    for cells in csv.reader(lines(), delimiter=_DELIMITED[suffix]):
        raw = "".join(consumed)
        consumed.clear()
        yield raw, cells


def _open(path: Path) -> IO[str]:
    if _gzipped(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape", newline="")
    return path.open(encoding="utf-8", errors="surrogateescape", newline="")


def _is_rows(path: Path) -> bool:
    return _format(path) in _DELIMITED or _format(path) in _LINES


def scan(home: Path, pseudonyms: Iterable[str]) -> Found:
    """The artefact files and records that name any of ``pseudonyms``."""
    needles = sorted(set(pseudonyms))
    found = Found()
    if not needles:
        return found
    as_bytes = [n.encode("ascii") for n in needles]
    for path in files(home):
        if not _names_any(path, as_bytes):
            continue
        if not _is_rows(path):
            found.whole_files.append(path)
            continue
        count = sum(1 for _ in _matching(path, needles))
        if count:
            found.rows[path] = count
        else:  # only in a header, say: the file names them but no row can be cut
            found.whole_files.append(path)
    return found


def _matching(path: Path, needles: list[str]) -> Iterator[tuple[int, str, list[str] | None]]:
    suffix = _format(path)
    header = suffix in _DELIMITED
    with _open(path) as fh:
        for number, (raw, cells) in enumerate(_records(fh, suffix), start=0 if header else 1):
            if number == 0:
                continue
            if any(n in raw for n in needles):
                yield number, raw, cells


def records_of(home: Path, pseudonym: str) -> list[dict[str, Any]]:
    """Every artefact record naming ``pseudonym``: file (relative to home), record number
    and values (a CSV row by column name; a JSON line parsed)."""
    out: list[dict[str, Any]] = []
    found = scan(home, [pseudonym])
    for path in sorted(found.rows):
        suffix = _format(path)
        header: list[str] = []
        if suffix in _DELIMITED:
            with _open(path) as fh:
                header = next((cells or [] for _, cells in _records(fh, suffix)), [])
        for number, raw, cells in _matching(path, [pseudonym]):
            if cells is None:
                try:
                    values: Any = json.loads(raw)
                except ValueError:
                    values = raw.rstrip("\r\n")
            else:
                names = header + [f"column_{i + 1}" for i in range(len(header), len(cells))]
                values = dict(zip(names, cells, strict=False))
            out.append({"file": _relative(path, home), "record": number, "values": values})
    return out


def rewrite_without(path: Path, pseudonyms: Iterable[str]) -> int:
    """Rewrite ``path`` atomically without the records naming ``pseudonyms``; returns how
    many were removed (0: the file is left untouched)."""
    needles = sorted(set(pseudonyms))
    suffix = _format(path)
    header = suffix in _DELIMITED
    removed = 0
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw_out, _open(path) as fh:
            packed = (
                gzip.GzipFile(fileobj=raw_out, mode="wb", compresslevel=1, mtime=0)
                if _gzipped(path)
                else None
            )
            out = io.TextIOWrapper(
                packed or raw_out, encoding="utf-8", errors="surrogateescape", newline=""
            )
            for number, (raw, _) in enumerate(_records(fh, suffix)):
                if (number > 0 or not header) and any(n in raw for n in needles):
                    removed += 1
                    continue
                out.write(raw)
            out.flush()
            out.detach()
            if packed is not None:
                packed.close()  # writes the gzip trailer; raw_out stays open
            raw_out.flush()
            os.fsync(raw_out.fileno())
        if removed:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return removed


def expired_files(home: Path, cutoff: datetime) -> list[Path]:
    """Pathway artefact files (under ``<home>/pathways/`` only: run outputs follow their
    runs) last written before ``cutoff`` (past the retention period)."""
    stamp = cutoff.timestamp()
    root = Path(home) / FOLDER
    return [p for p in files(home) if p.is_relative_to(root) and p.stat().st_mtime < stamp]


def _relative(path: Path, home: Path) -> str:
    try:
        return str(path.relative_to(home))
    except ValueError:
        return str(path)
