"""Read the ESCO classification (occupations, skills and their relations) into tidy frames.

Two layouts are accepted by :func:`read_esco`:

* the **official ESCO CSV download** (a folder, or the ``.zip`` as downloaded, the files
  possibly in a subfolder): ``occupations_en.csv``, ``skills_en.csv`` and
  ``occupationSkillRelations.csv`` (or ``occupationSkillRelations_en.csv``). Files are
  found by their base name; columns other than the ones below are ignored;
* the **compact extract** shipped in ``workbench/data/packs/real/esco``:
  ``occupations.csv.gz``, ``skills.csv.gz`` and ``occupation_skill_relations.csv.gz``,
  which keep the official column names.

Columns read (all as text, nothing becomes NaN):

* occupations: ``conceptUri``, ``preferredLabel``, ``iscoGroup`` (4 digits), ``code``;
* skills: ``conceptUri``, ``preferredLabel``, ``skillType``, ``reuseLevel``;
* relations: ``occupationUri``, ``skillUri``, ``relationType`` (essential/optional).

Every problem found (up to :data:`MAX_PROBLEMS` are listed) is reported at once in one
:class:`EscoFormatError` naming the file, the line as in the file (header = line 1; a
quoted value spanning lines counts each line) and the column.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import workbench
from workbench.exceptions import InvalidInput, Problem

__all__ = ["MAX_PROBLEMS", "Esco", "EscoFormatError", "packaged_esco", "read_esco"]

#: How many problems an :class:`EscoFormatError` lists (the total is always given).
MAX_PROBLEMS = 20

# role -> accepted base names, in order of preference (compact extract first).
_NAMES: dict[str, tuple[str, ...]] = {
    "occupations": ("occupations.csv.gz", "occupations_en.csv"),
    "skills": ("skills.csv.gz", "skills_en.csv"),
    "relations": (
        "occupation_skill_relations.csv.gz",
        "occupationSkillRelations.csv",
        "occupationSkillRelations_en.csv",
    ),
}
# role -> {file column: tidy column}; all are required.
_COLUMNS: dict[str, dict[str, str]] = {
    "occupations": {
        "conceptUri": "uri",
        "preferredLabel": "label",
        "iscoGroup": "isco",
        "code": "code",
    },
    "skills": {
        "conceptUri": "uri",
        "preferredLabel": "label",
        "skillType": "skill_type",
        "reuseLevel": "reuse_level",
    },
    "relations": {
        "occupationUri": "occupation_uri",
        "skillUri": "skill_uri",
        "relationType": "relation",
    },
}
RELATION_TYPES = ("essential", "optional")


class EscoFormatError(InvalidInput, ValueError):
    """ESCO files that cannot be used; ``problems`` lists where and what (file, line, column).

    At most :data:`MAX_PROBLEMS` problems are kept; ``total`` counts all that were found.
    """

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        shown = list(problems)[:MAX_PROBLEMS]
        super().__init__(shown)
        self.total = max(total or 0, len(problems))
        head = f"{self.total} problem(s) in the ESCO files"
        more = self.total - len(shown)
        tail = f"\n... and {more} more" if more > 0 else ""
        self.args = (f"{head}:\n{self.args[0]}{tail}",)


@dataclass(frozen=True, eq=False)
class Esco:
    """The ESCO occupations, skills and occupation-skill relations as tidy text frames.

    * ``occupations``: ``uri``, ``label``, ``isco`` (ISCO-08 unit group, 4 digits), ``code``;
    * ``skills``: ``uri``, ``label``, ``skill_type``, ``reuse_level`` (may be ``""``);
    * ``relations``: ``occupation_uri``, ``skill_uri``, ``relation`` (``essential`` or
      ``optional``); every URI is in the frames above and no pair repeats;
    * ``source``: where it was read from.

    Rows keep the file order. Treat the frames as read-only (``packaged_esco`` is shared).
    """

    occupations: pd.DataFrame
    skills: pd.DataFrame
    relations: pd.DataFrame
    source: str


@dataclass
class _Table:
    """One parsed file: tidy frame plus the file line of each row (for messages)."""

    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    columns: dict[str, str]  # tidy column -> file column


class _Problems:
    """Collects problems; keeps the first few of each check plus the overall count."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.total = 0

    def add(self, name: str, column: str, message: str, line: int | None) -> None:
        self.total += 1
        if len(self.items) < 10 * MAX_PROBLEMS:
            self.items.append(Problem(name, column, message, line))

    def add_rows(
        self, table: _Table, mask: np.ndarray, column: str, describe: Callable[[int], str]
    ) -> None:
        """One problem per row where ``mask`` is true; ``describe(row position)`` says what."""
        hits = np.flatnonzero(mask)
        for pos in hits[:MAX_PROBLEMS]:
            self.add(table.name, table.columns[column], describe(int(pos)), int(table.lines[pos]))
        self.total += max(0, len(hits) - MAX_PROBLEMS)

    def raise_if_any(self) -> None:
        if self.total:
            order = {
                source: i for i, source in enumerate(dict.fromkeys(p.source for p in self.items))
            }
            items = sorted(self.items, key=lambda p: (order[p.source], p.line or 0))
            raise EscoFormatError(items, self.total)


# --- locating and reading the files ------------------------------------------------------


def _find_in_zip(
    archive: zipfile.ZipFile, path: Path, problems: _Problems
) -> dict[str, tuple[str, Callable[[], bytes]]]:
    by_base: dict[str, list[str]] = {}
    for member in archive.namelist():
        if not member.endswith("/") and not member.startswith("__MACOSX/"):
            by_base.setdefault(member.rsplit("/", 1)[-1], []).append(member)
    found: dict[str, tuple[str, Callable[[], bytes]]] = {}
    for role, names in _NAMES.items():
        for base in names:
            members = sorted(by_base.get(base, []))
            if len(members) > 1:
                problems.add(str(path), "", f"{base} occurs more than once: {members}", None)
            if members:
                member = members[0]
                found[role] = (f"{path}/{member}", functools.partial(archive.read, member))
                break
    return found


def _find_in_folder(path: Path, problems: _Problems) -> dict[str, tuple[str, Callable[[], bytes]]]:
    found: dict[str, tuple[str, Callable[[], bytes]]] = {}
    for role, names in _NAMES.items():
        for base in names:
            files = [path / base] if (path / base).is_file() else []
            files = files or sorted(p for p in path.rglob(base) if p.is_file())
            if len(files) > 1:
                problems.add(str(path), "", f"{base} occurs more than once: {files}", None)
            if files:
                found[role] = (str(files[0]), files[0].read_bytes)
                break
    return found


def _decode(name: str, data: bytes, problems: _Problems) -> str | None:
    """Uncompress (``.gz``) and decode UTF-8 (BOM tolerated); None after a problem."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            problems.add(name, "", f"not a readable gzip file ({exc})", None)
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(name, "", f"not UTF-8 text (byte {data[exc.start]:#04x})", line)
        return None


def _parse(name: str, text: str, columns: dict[str, str], problems: _Problems) -> _Table | None:
    """Parse CSV text, keep ``columns`` (file -> tidy name); None if the file is unusable."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = 0  # file line where the last record read ended
    try:
        header = next(reader, None)
        if not header:
            problems.add(name, "", "empty file: expected a header line", 1)
            return None
        missing = [col for col in columns if col not in header]
        for col in missing:
            problems.add(name, col, f"missing required column (the header has {header})", 1)
        repeated = [col for col in columns if header.count(col) > 1]
        for col in repeated:
            problems.add(name, col, "column appears more than once in the header", 1)
        if missing or repeated:
            return None
        width = len(header)
        previous = reader.line_num
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not row:  # blank line
                continue
            if len(row) != width:
                column = header[len(row)] if len(row) < width else f"(column {width + 1})"
                problems.add(
                    name,
                    column,
                    f"expected {width} fields as in the header, found {len(row)}",
                    start,
                )
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:  # located at the start of the record being read
        problems.add(name, "", f"CSV parse error in the row starting here: {exc}", previous + 1)
        return None
    index = [header.index(col) for col in columns]
    data = {tidy: [row[i] for row in rows] for tidy, i in zip(columns.values(), index, strict=True)}
    frame = pd.DataFrame(data, columns=list(columns.values()), dtype="str")
    tidy_to_file = {tidy: col for col, tidy in columns.items()}
    return _Table(name, frame, np.asarray(lines, dtype=np.int64), tidy_to_file)


# --- validation --------------------------------------------------------------------------


def _check_uris(table: _Table, column: str, problems: _Problems) -> None:
    values = table.frame[column]
    empty = values.str.strip().eq("").to_numpy(dtype=bool)
    problems.add_rows(table, empty, column, lambda _: "empty URI")


def _check_unique(table: _Table, columns: list[str], what: str, problems: _Problems) -> None:
    frame = table.frame[columns]
    dup = frame.duplicated(keep="first").to_numpy(dtype=bool)
    if not dup.any():
        return
    first = frame.drop_duplicates(keep="first")
    first_line = dict(
        zip(map(tuple, first.to_numpy()), table.lines[first.index.to_numpy()], strict=True)
    )

    def describe(pos: int) -> str:
        key = tuple(frame.iloc[pos])
        return f"duplicate {what} {', '.join(key)} (first at line {first_line[key]})"

    problems.add_rows(table, dup, columns[-1], describe)


def _check_known(
    table: _Table, column: str, known: pd.Series, other: str, problems: _Problems
) -> None:
    unknown = ~table.frame[column].isin(known).to_numpy(dtype=bool)
    values = table.frame[column]
    problems.add_rows(table, unknown, column, lambda pos: f"{values.iloc[pos]!r} is not in {other}")


def _validate(tables: dict[str, _Table], problems: _Problems) -> None:
    occ, skills, rel = tables.get("occupations"), tables.get("skills"), tables.get("relations")
    for table in (occ, skills):
        if table is not None:
            _check_uris(table, "uri", problems)
            _check_unique(table, ["uri"], "URI", problems)
    if occ is not None:
        isco = occ.frame["isco"]
        bad = ~isco.str.fullmatch(r"[0-9]{4}").to_numpy(dtype=bool)
        problems.add_rows(
            occ, bad, "isco", lambda pos: f"ISCO group {isco.iloc[pos]!r} is not 4 digits"
        )
    if rel is not None:
        _check_uris(rel, "occupation_uri", problems)
        _check_uris(rel, "skill_uri", problems)
        kind = rel.frame["relation"]
        bad = ~kind.isin(RELATION_TYPES).to_numpy(dtype=bool)
        problems.add_rows(
            rel,
            bad,
            "relation",
            lambda pos: f"relation type {kind.iloc[pos]!r} is not essential or optional",
        )
        _check_unique(rel, ["occupation_uri", "skill_uri"], "occupation-skill pair", problems)
        if occ is not None:
            _check_known(rel, "occupation_uri", occ.frame["uri"], occ.name, problems)
        if skills is not None:
            _check_known(rel, "skill_uri", skills.frame["uri"], skills.name, problems)


def read_esco(source: str | Path) -> Esco:
    """Read ESCO from a folder or ``.zip`` (official download or compact extract).

    Raises:
        EscoFormatError: files missing or unreadable, or invalid rows; all problems found
            (up to :data:`MAX_PROBLEMS`) are listed with file, line and column.
    """
    path = Path(source)
    problems = _Problems()
    with contextlib.ExitStack() as stack:
        if path.is_dir():
            found = _find_in_folder(path, problems)
        elif path.is_file() and path.suffix.lower() == ".zip":
            try:
                archive = stack.enter_context(zipfile.ZipFile(path))
            except (zipfile.BadZipFile, OSError) as exc:
                raise EscoFormatError(
                    [Problem(str(path), "", f"not a readable zip file ({exc})")]
                ) from None
            found = _find_in_zip(archive, path, problems)
        else:
            what = "is not a folder or .zip file" if path.exists() else "does not exist"
            raise EscoFormatError([Problem(str(path), "", f"ESCO source {what}")])
        for role, names in _NAMES.items():
            if role not in found:
                problems.add(
                    str(path), "", f"no {role} file found (looked for {list(names)})", None
                )
        problems.raise_if_any()

        tables: dict[str, _Table] = {}
        for role, (name, read) in found.items():
            try:
                data = read()
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                problems.add(name, "", f"cannot read the file ({exc})", None)
                continue
            text = _decode(name, data, problems)
            table = None if text is None else _parse(name, text, _COLUMNS[role], problems)
            if table is not None:
                tables[role] = table
    _validate(tables, problems)
    problems.raise_if_any()
    return Esco(
        occupations=tables["occupations"].frame,
        skills=tables["skills"].frame,
        relations=tables["relations"].frame,
        source=str(path),
    )


@functools.lru_cache(maxsize=1)
def packaged_esco() -> Esco:
    """The ESCO v1.1.1 extract shipped with the workbench (read once, then cached).

    "This service uses the ESCO classification of the European Commission." The extract is
    modified (reduced columns, 67 relations of one unlisted occupation dropped); see the
    ``esco`` attribution in ``workbench/data/packs/real/catalog.yaml``.
    """
    return read_esco(Path(workbench.__file__).parent / "data" / "packs" / "real" / "esco")
