"""Expert changes to the evidence base, each recorded in SQL and fitted as a candidate.

The *working evidence* is the ``estimates.csv`` of the newest version of
``almp_effectiveness`` that is approved or a candidate (before any version exists: the
shipped ``shared_models/almp_effectiveness/evidence/estimates.csv``). An import, an added
row, a correction or a retraction is validated in full with the evidence validator
(:func:`~workbench.evidence.base.read_evidence` /
:func:`~workbench.evidence.base.validate_evidence`: every bad row with its line or id and
field; nothing is written on any problem), then the whole new table is fitted by the
trainer and recorded as a candidate version of the model, with one
:class:`~workbench.db.models.EvidenceChange` per added, corrected or retracted row (who,
when, what before and after, why). The candidate feeds no run until an expert approves it
(``workbench model approve``).

Synthetic rows (scale tests only) are refused: they never enter the evidence base.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.data.tables import cell_text
from workbench.db import registry as store
from workbench.evidence.base import canonical_csv, read_evidence, validate_evidence
from workbench.evidence.schema import (
    COLUMN_NAMES,
    HORIZONS,
    KINDS,
    PROGRAMME_TYPES,
    TARGET_GROUPS,
)
from workbench.exceptions import InvalidInput, Problem, VersionConflict, WorkbenchError
from workbench.registry.types import TrainedVersion, Trainer

if TYPE_CHECKING:
    from workbench.registry import ModelRegistry
    from workbench.service import Workbench

#: The model whose training data the evidence base is.
MODEL = "almp_effectiveness"
#: The evidence file in every version of :data:`MODEL`.
EVIDENCE_FILE = "estimates.csv"
#: How often an edit is re-applied when another expert's change lands first.
EDIT_ATTEMPTS = 5
#: Filters of :meth:`EvidenceService.list_rows`: column -> allowed values.
FILTERS: dict[str, tuple[str, ...]] = {
    "programme_type": PROGRAMME_TYPES,
    "horizon": HORIZONS,
    "target_group": TARGET_GROUPS,
    "kind": KINDS,
}
#: Short names the CLI uses for filter columns.
FILTER_ALIASES = {"type": "programme_type", "group": "target_group"}

Record = dict[str, str]


@dataclass(frozen=True)
class EvidenceEdit:
    """What an import or edit did: the candidate it made and the rows it changed."""

    model: str
    version: str
    added: tuple[str, ...] = ()
    corrected: tuple[str, ...] = ()
    retracted: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowChange:
    """One recorded change of one evidence row."""

    row_id: str
    version: str
    #: the status of the version the change produced (candidate, approved, …)
    version_status: str
    action: str
    origin: str
    by: str
    reason: str
    at: datetime
    before: Record | None
    after: Record | None

    @property
    def fields(self) -> list[str]:
        """Columns whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        return [c for c in COLUMN_NAMES if before.get(c, "") != after.get(c, "")]


def _records(frame: pd.DataFrame) -> dict[str, Record]:
    """Rows of a validated frame as text cells, by id."""
    out: dict[str, Record] = {}
    for row in frame.itertuples(index=False, name=None):
        record = {c: (cell_text(v) or "") for c, v in zip(COLUMN_NAMES, row, strict=True)}
        out[record["id"]] = record
    return out


def _row_changes(old: Mapping[str, Record], new: Mapping[str, Record]) -> list[dict[str, Any]]:
    """Added, corrected and retracted rows from ``old`` to ``new`` (by id)."""
    added = [
        {"action": "add", "row_id": i, "before": None, "after": new[i]} for i in new if i not in old
    ]
    corrected = [
        {"action": "correct", "row_id": i, "before": old[i], "after": new[i]}
        for i in new
        if i in old and old[i] != new[i]
    ]
    retracted = [
        {"action": "retract", "row_id": i, "before": old[i], "after": None}
        for i in old
        if i not in new
    ]
    return added + corrected + retracted


def _required(value: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput([Problem(f"--{key}", key, f"{key} is required (who changes, and why)")])
    return value.strip()


def default_trainer(frame: pd.DataFrame) -> TrainedVersion:
    """The effectiveness trainer, :func:`workbench.evidence.training.train`."""
    try:
        from workbench.evidence.training import train
    except ImportError as exc:
        raise WorkbenchError(
            f"the effectiveness trainer (workbench.evidence.training) is not available: {exc}"
        ) from exc
    trained: TrainedVersion = train(frame)
    return trained


class EvidenceService:
    """The evidence base of :data:`MODEL` in one workspace: rows, changes, imports."""

    def __init__(self, workbench: Workbench, trainer: Trainer | None = None) -> None:
        self.workbench = workbench
        self.trainer: Trainer = trainer or default_trainer

    @property
    def registry(self) -> ModelRegistry:
        """The workspace's model registry."""
        return self.workbench.registry

    # -- the working evidence -------------------------------------------------------
    def working_source(self) -> tuple[Path, str | None]:
        """The working evidence file and the version it belongs to (None: shipped)."""
        info = self.registry.working(MODEL)
        if info is not None:
            for rel in info.files:
                if Path(rel).name == EVIDENCE_FILE:
                    return info.directory / rel, info.version
        shipped = self.workbench.settings.shared_models_dir / MODEL / "evidence" / EVIDENCE_FILE
        return shipped, None

    def working_frame(self) -> pd.DataFrame:
        """The working evidence, validated (see :func:`validate_evidence` for dtypes)."""
        path, _ = self.working_source()
        if not path.is_file():
            raise InvalidInput(
                [Problem(str(path), "", f"no evidence base: {EVIDENCE_FILE} is missing")]
            )
        return read_evidence(path)

    def list_rows(self, filters: Mapping[str, str | None] | None = None) -> pd.DataFrame:
        """Rows of the working evidence, filtered by exact values of
        ``programme_type`` (alias ``type``), ``horizon``, ``target_group`` (``group``)
        and ``kind``; unset filters (None, "") are ignored."""
        problems = []
        wanted: dict[str, str] = {}
        for key, value in (filters or {}).items():
            if value is None or value == "":
                continue
            column = FILTER_ALIASES.get(key, key)
            if column not in FILTERS:
                problems.append(
                    Problem("filters", key, f"cannot filter by {key!r}: use {', '.join(FILTERS)}")
                )
            elif value not in FILTERS[column]:
                allowed = ", ".join(FILTERS[column])
                problems.append(Problem("filters", key, f"{value!r} is not one of {allowed}"))
            else:
                wanted[column] = value
        if problems:
            raise InvalidInput(problems)
        frame = self.working_frame()
        for column, value in wanted.items():
            frame = frame[frame[column] == value]
        return frame.reset_index(drop=True)

    def show_row(self, row_id: str) -> Record:
        """One row of the working evidence as text cells (column -> value, "" = empty)."""
        records = _records(self.working_frame())
        if row_id not in records:
            raise InvalidInput([Problem("evidence", "id", f"no evidence row {row_id!r}")])
        return records[row_id]

    def history(self, row_id: str) -> list[RowChange]:
        """Every recorded change of row ``row_id``, oldest first (a row shipped with the
        base and never changed has none)."""
        with self.workbench.db.session() as session:
            rows = store.find_evidence_changes(session, model=MODEL, row_id=row_id)
        if not rows:
            self.show_row(row_id)  # raises for an unknown id
            return []
        status = {v.version: v.status for v in self.registry.versions(MODEL)}
        return [
            RowChange(
                row_id=r.row_id,
                version=r.version,
                version_status=status.get(r.version, "?"),
                action=r.action,
                origin=r.origin,
                by=r.actor,
                reason=r.reason,
                at=r.created_at,
                before=None if r.before is None else json.loads(r.before),
                after=None if r.after is None else json.loads(r.after),
            )
            for r in rows
        ]

    # -- changes --------------------------------------------------------------------
    def import_file(self, path: str | Path, by: str, reason: str) -> EvidenceEdit:
        """Replace the working evidence by a CSV/XLSX file (validated whole first).

        Rows are matched by ``id``: new ids are added, changed rows corrected, missing
        ones retracted; each is recorded, and the new table becomes a candidate.
        """
        by, reason = _required(by, "by"), _required(reason, "reason")
        frame = read_evidence(Path(path))
        new = _records(frame)

        def build(records: dict[str, Record]) -> tuple[dict[str, Record], list[dict[str, Any]]]:
            changes = _row_changes(records, new)
            if not changes:
                raise InvalidInput(
                    [Problem(str(path), "", "the file equals the working evidence: nothing to "
                             "import")]
                )  # fmt: skip
            return dict(new), changes

        origin = f"import {Path(path).name}"[:300]
        return self._apply(build, by, reason, origin, str(path))

    def add_row(self, row: Mapping[str, Any], by: str, reason: str) -> EvidenceEdit:
        """Add one row (column -> value; values as text or numbers)."""
        by, reason = _required(by, "by"), _required(reason, "reason")
        if not isinstance(row, Mapping):
            raise InvalidInput([Problem("new row", "", "a row is a mapping of column to value")])
        row_id = str(row.get("id") or "").strip()
        source = f"new row {row_id}".strip()
        record = self._validated_row(dict(row), source, row_id or "new")

        def build(records: dict[str, Record]) -> tuple[dict[str, Record], list[dict[str, Any]]]:
            if record["id"] in records:
                raise InvalidInput(
                    [Problem(source, "id", f"a row with id {record['id']!r} exists: correct "
                             "it instead")]
                )  # fmt: skip
            records[record["id"]] = record
            change = {"action": "add", "row_id": record["id"], "before": None, "after": record}
            return records, [change]

        return self._apply(build, by, reason, "edit", source)

    def correct_row(
        self, row_id: str, changes: Mapping[str, Any], by: str, reason: str
    ) -> EvidenceEdit:
        """Change some cells of row ``row_id`` (column -> new value; "" empties a cell)."""
        by, reason = _required(by, "by"), _required(reason, "reason")
        source = f"correction of {row_id}"
        if not isinstance(changes, Mapping) or not changes:
            raise InvalidInput([Problem(source, "", "no change given")])
        if "id" in changes and str(changes["id"]) != row_id:
            raise InvalidInput(
                [Problem(source, "id", "a row's id cannot change: retract it and add a new row")]
            )

        def build(records: dict[str, Record]) -> tuple[dict[str, Record], list[dict[str, Any]]]:
            if row_id not in records:
                raise InvalidInput([Problem(source, "id", f"no evidence row {row_id!r}")])
            before = records[row_id]
            record = self._validated_row({**before, **changes}, source, row_id)
            if record == before:
                raise InvalidInput([Problem(source, "", "the correction changes nothing")])
            records[row_id] = record
            return records, [
                {"action": "correct", "row_id": row_id, "before": before, "after": record}
            ]

        return self._apply(build, by, reason, "edit", source)

    def retract_row(self, row_id: str, by: str, reason: str) -> EvidenceEdit:
        """Remove row ``row_id`` from the evidence (its history stays)."""
        by, reason = _required(by, "by"), _required(reason, "reason")
        source = f"retraction of {row_id}"

        def build(records: dict[str, Record]) -> tuple[dict[str, Record], list[dict[str, Any]]]:
            if row_id not in records:
                raise InvalidInput([Problem(source, "id", f"no evidence row {row_id!r}")])
            before = records.pop(row_id)
            return records, [
                {"action": "retract", "row_id": row_id, "before": before, "after": None}
            ]

        return self._apply(build, by, reason, "edit", source)

    # -- internals ------------------------------------------------------------------
    @staticmethod
    def _validated_row(row: dict[str, Any], source: str, label: str) -> Record:
        frame = pd.DataFrame([row], index=[label], dtype=object)
        [record] = _records(validate_evidence(frame, source)).values()
        return record

    def _apply(
        self,
        build: Callable[[dict[str, Record]], tuple[dict[str, Record], list[dict[str, Any]]]],
        by: str,
        reason: str,
        origin: str,
        source: str,
    ) -> EvidenceEdit:
        """Apply ``build`` to the working evidence and commit it as a candidate.

        The candidate must be built on the newest working version: when another expert's
        change lands first (:class:`VersionConflict`), the edit is applied again on top of
        it, so neither change is lost (at most :data:`EDIT_ATTEMPTS` times).
        """
        for attempt in range(EDIT_ATTEMPTS):
            path, base = self.working_source()
            if not path.is_file():
                raise InvalidInput(
                    [Problem(str(path), "", f"no evidence base: {EVIDENCE_FILE} is missing")]
                )
            records, changes = build(_records(read_evidence(path)))
            try:
                return self._commit(records, changes, by, reason, origin, source, base)
            except VersionConflict:
                if attempt == EDIT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _commit(
        self,
        records: Mapping[str, Record],
        changes: list[dict[str, Any]],
        by: str,
        reason: str,
        origin: str,
        source: str,
        base: str | None,
    ) -> EvidenceEdit:
        synthetic = [
            Problem(source, "kind", f"row {i}: synthetic rows are for scale tests and never "
                    "enter the evidence base")
            for i, r in records.items()
            if r["kind"] == "synthetic"
        ]  # fmt: skip
        if synthetic:
            raise InvalidInput(synthetic)
        table = pd.DataFrame(list(records.values()), columns=list(COLUMN_NAMES), dtype=object)
        table.index = pd.Index(list(records))
        frame = validate_evidence(table, source)
        try:
            trained = self.trainer(frame)
        except InvalidInput:
            raise
        except ValueError as exc:  # e.g. too little usable evidence to fit
            raise InvalidInput(
                [Problem(source, "", f"the model cannot be fitted on this evidence: {exc}")]
            ) from exc
        if EVIDENCE_FILE not in trained.files:
            files = {**trained.files, EVIDENCE_FILE: canonical_csv(frame).encode("utf-8")}
            trained = replace(trained, files=files)
        version = self.registry.create_candidate(
            MODEL,
            trained,
            by=by,
            reason=reason,
            changes=[{**c, "origin": origin} for c in changes],
            base=base,
        )
        by_action = {a: tuple(c["row_id"] for c in changes if c["action"] == a) for a in
                     ("add", "correct", "retract")}  # fmt: skip
        return EvidenceEdit(
            model=MODEL,
            version=version,
            added=by_action["add"],
            corrected=by_action["correct"],
            retracted=by_action["retract"],
        )


__all__ = [
    "EVIDENCE_FILE",
    "FILTERS",
    "MODEL",
    "EvidenceEdit",
    "EvidenceService",
    "RowChange",
    "default_trainer",
]
