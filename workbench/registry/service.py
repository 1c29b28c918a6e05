"""One registry for every shared model: candidates, approval, rejection, rollback, audit.

The SQL tables (``model_version``, ``model_event``) are the record; the workspace's
``shared_models/<name>/model.yaml`` is the pointer to the approved version that run
planning reads, rewritten by :meth:`ModelRegistry.approve` and
:meth:`ModelRegistry.rollback`. A candidate is written to ``versions/<v>/`` but never to
the pointer, so it cannot feed a run until a named expert approves it; approving changes
the model's fingerprint, so the runs that read it become stale and ``workbench run --all``
re-runs exactly those (rolling back brings the earlier content hashes, and their cached
runs, back).

A model without rows is *seeded* from its shipped ``model.yaml`` the first time the
registry sees it (event ``seeded``), so models that predate the registry keep working
with their flat file lists; a shipped ``versions/<v>/version.yaml`` gives its metrics and
training hash, and ``versions/<v>/cells.json`` its headline cells (for diffs).

Approval gates: a gate is a function of the candidate's :class:`VersionInfo` that returns
problems (e.g. a profiling model whose fairness checks fail). Any problem blocks approval
unless the approver passes ``override`` with why; the override is recorded in the audit
log with who and when. Gates come from :data:`GATES` (``name -> "module:function"``,
imported only when that model is approved; a model that needs a gate adds its entry there,
so every CLI call and server applies it), from the ``gates`` argument, or from
:meth:`ModelRegistry.add_gate`.
"""

from __future__ import annotations

import importlib
import json
import math
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.db import Database
from workbench.db import registry as store
from workbench.db.models import ModelVersion, utcnow
from workbench.exceptions import InvalidInput, Problem, VersionConflict
from workbench.registry import layout
from workbench.registry.diff import CellChange, cells_from_text, cells_to_text, diff_cells
from workbench.registry.records import (
    STATUSES,
    Decision,
    EventInfo,
    Gate,
    ModelSummary,
    VersionInfo,
    event_info,
    version_info,
)
from workbench.registry.types import Cell, TrainedVersion
from workbench.shared_models import load_shared_model

#: Approval gates of every registry: model name -> "package.module:function" (a Gate).
GATES: dict[str, str] = {"profiling": "workbench.profiling.trainer:fairness_gate"}


def _resolve(gate: Gate | str) -> Gate:
    if callable(gate):
        return gate
    module, _, attr = gate.partition(":")
    resolved: Gate = getattr(importlib.import_module(module), attr)
    return resolved


def _require(value: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput([Problem(f"--{key}", key, f"{key} is required (who decides, and why)")])
    return value.strip()


def _metrics(values: Mapping[str, Any], source: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                [Problem(source, f"metrics.{key}", f"{value!r} is not a number")]
            ) from None
        out[str(key)] = number if math.isfinite(number) else None
    return out


#: ``create_candidate(base=ANY_BASE)``: no check of what the candidate was built on.
ANY_BASE = object()


def _check_base(session: Any, name: str, version: str, base: object) -> None:
    """Raise VersionConflict unless ``base`` is the newest live version below ``version``."""
    live = [
        v
        for v in store.find_versions(session, name=name)
        if v.status in ("approved", "candidate") and int(v.version) < int(version)
    ]
    newest = max(live, key=lambda v: int(v.version)).version if live else None
    if newest != base:
        raise VersionConflict(
            f"{name}: version {newest} was created while this change was being prepared "
            f"on version {base}; nothing was saved"
        )


def _pick(rows: Sequence[ModelVersion], name: str, version: str) -> ModelVersion:
    for row in rows:
        if row.version == str(version):
            return row
    known = ", ".join(f"{r.version} ({r.status})" for r in rows) or "none"
    raise InvalidInput(
        [Problem(f"model {name}", "version", f"no version {version!r} (versions: {known})")]
    )


class ModelRegistry:
    """Versions of the shared models under ``models_dir``, recorded in ``db``.

    ``stale(name)`` (optional) lists the runs left without a current result once a
    model's approved version changed; :meth:`approve` and :meth:`rollback` return it.
    """

    def __init__(
        self,
        db: Database,
        models_dir: Path,
        *,
        gates: Mapping[str, Gate | str] | None = None,
        stale: Callable[[str], Sequence[Any]] | None = None,
    ) -> None:
        self.db = db
        self.models_dir = Path(models_dir)
        self.gates: dict[str, Gate | str] = {**GATES, **(gates or {})}
        self._stale = stale

    def add_gate(self, name: str, gate: Gate | str) -> None:
        """Make ``gate`` decide whether candidates of ``name`` may be approved."""
        self.gates[layout.check_name(name)] = gate

    def model_dir(self, name: str) -> Path:
        """``shared_models/<name>/``."""
        return self.models_dir / layout.check_name(name)

    # -- reading --------------------------------------------------------------------
    def _pointer_names(self) -> list[str]:
        if not self.models_dir.is_dir():
            return []
        return sorted(
            p.parent.name
            for p in self.models_dir.glob("*/model.yaml")
            if layout.NAME_RE.fullmatch(p.parent.name)
        )

    def list_models(self) -> list[ModelSummary]:
        """Every model in SQL or with a ``model.yaml``, seeded on first sight."""
        problems: dict[str, str] = {}
        for name in self._pointer_names():
            try:
                self._ensure_seeded(name)
            except InvalidInput as exc:
                problems[name] = str(exc.problems[0])
        with self.db.session() as session:
            names = sorted(set(store.model_names(session)) | set(self._pointer_names()))
            rows = {name: store.find_versions(session, name=name) for name in names}
        out = []
        for name in names:
            versions = rows[name]
            approved = next((r for r in versions if r.status == "approved"), None)
            problem = problems.get(name)
            if problem is None and approved is not None:
                pointer = layout.pointer_data(self.model_dir(name))
                if str(pointer.get("version")) != approved.version:
                    problem = (
                        f"shared_models/{name}/model.yaml points to version "
                        f"{pointer.get('version')!r}, the registry approved {approved.version}"
                    )
            newest = versions[-1] if versions else None
            out.append(
                ModelSummary(
                    name=name,
                    approved=approved.version if approved else None,
                    candidates=tuple(r.version for r in versions if r.status == "candidate"),
                    versions=len(versions),
                    kind=newest.kind if newest else "",
                    description=newest.description if newest else "",
                    problem=problem,
                )
            )
        return out

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of ``name``, oldest first."""
        self._ensure_seeded(name)
        model_dir = self.model_dir(name)
        with self.db.session() as session:
            return [version_info(r, model_dir) for r in store.find_versions(session, name=name)]

    def _known(self, name: str) -> list[VersionInfo]:
        versions = self.versions(name)
        if not versions:
            raise InvalidInput(
                [Problem(f"shared_models/{name}", "", f"no model {name!r} in the registry")]
            )
        return versions

    def show(self, name: str, version: str | None = None) -> VersionInfo:
        """One version with its card text (default: the approved one, else the newest)."""
        versions = self._known(name)
        if version is None:
            info = next((v for v in versions if v.status == "approved"), versions[-1])
        else:
            info = next((v for v in versions if v.version == str(version)), None)
            if info is None:
                known = ", ".join(f"{v.version} ({v.status})" for v in versions)
                raise InvalidInput(
                    [Problem(f"model {name}", "version", f"no version {version!r} ({known})")]
                )
        card = info.directory / info.card if info.card else None
        text = card.read_text(encoding="utf-8") if card and card.is_file() else ""
        return replace(info, card_text=text)

    def approved(self, name: str) -> VersionInfo | None:
        """The approved version of ``name``, or None."""
        return next((v for v in self.versions(name) if v.status == "approved"), None)

    def working(self, name: str) -> VersionInfo | None:
        """The newest version that is approved or a candidate (what an edit builds on)."""
        live = [v for v in self.versions(name) if v.status in ("approved", "candidate")]
        return live[-1] if live else None

    def diff(self, name: str, version: str) -> list[CellChange]:
        """How ``version``'s cells differ from the approved version's (now)."""
        target = self.show(name, version)
        approved = self.approved(name)
        return diff_cells(approved.cells if approved else {}, target.cells)

    def events(self, name: str) -> list[EventInfo]:
        """The audit log of ``name``, oldest first."""
        self._ensure_seeded(name)
        with self.db.session() as session:
            return [event_info(e) for e in store.find_events(session, name=layout.check_name(name))]

    # -- seeding --------------------------------------------------------------------
    def _ensure_seeded(self, name: str) -> None:
        model_dir = self.model_dir(name)
        with self.db.session() as session:
            if store.find_versions(session, name=name):
                return
        if not (model_dir / "model.yaml").is_file():
            return
        model = load_shared_model(self.models_dir, name)
        data = layout.pointer_data(model_dir)
        meta, cells_text = layout.read_version_meta(model_dir / "versions" / model.version)
        source = f"shared_models/{name}/versions/{model.version}"
        try:
            cells = cells_from_text(cells_text or "{}")
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise InvalidInput(
                [Problem(f"{source}/cells.json", "", f"unreadable: {exc}")]
            ) from None
        metrics = _metrics(meta.get("metrics") or {}, f"{source}/version.yaml")
        approved = model.status == "approved"
        by = str(data.get("approved_by") or data.get("created_by") or "model.yaml")
        reason = str(data.get("reason") or "shipped with the workspace (seeded from model.yaml)")
        override = str(data.get("override") or "").strip() or None  # a gate's breaches, why
        with self.db.session(write=True) as session:
            row = store.add_seeded_version(
                session,
                name=name,
                version=model.version,
                status="approved" if approved else "candidate",
                created_by=by,
                reason=reason,
                training_hash=str(meta.get("training_hash") or "")[:64],
                metrics=json.dumps(metrics),
                cells=cells_to_text(cells),
                files=json.dumps(list(model.files)),
                card=str(data.get("card") or ""),
                kind=str(data.get("kind") or ""),
                description=str(data.get("description") or "").strip(),
                decided_by=by if approved else None,
                decided_at=utcnow() if approved else None,
                decision_reason=reason if approved else None,
            )
            gate = _resolve(self.gates[name]) if approved and name in self.gates else None
            problems = gate(version_info(row, model_dir)) if gate and row is not None else []
            if problems and override is None:  # the shipped pointer must say why, as approve
                raise InvalidInput([*problems, Problem(f"shared_models/{name}/model.yaml",
                    "override", "approves a version its approval gate blocks: add `override:` "
                    "with the reason (it is logged)")])  # fmt: skip
            if row is not None:
                store.add_event(
                    session, name=name, version=model.version, action="seeded", actor=by,
                    reason=reason, override=override if problems else None,
                )  # fmt: skip

    # -- writing --------------------------------------------------------------------
    def create_candidate(
        self,
        name: str,
        trained: TrainedVersion,
        *,
        by: str,
        reason: str,
        changes: Sequence[Mapping[str, Any]] = (),
        base: str | object | None = ANY_BASE,
    ) -> str:
        """Record ``trained`` as the next candidate version of ``name``; its number.

        ``base``: the working version (:meth:`working`; None for the shipped files) that
        ``trained`` was built from. When given and another writer has created a newer
        approved or candidate version meanwhile, nothing is written and
        :class:`~workbench.exceptions.VersionConflict` is raised, so that the caller can
        rebuild on the new working version (no edit silently drops another's).

        Its files and card go to ``versions/<v>/`` (staged, then renamed into place);
        its row, a ``candidate`` event and ``changes`` (evidence-change fields: action,
        row_id, before, after, origin) are written in one transaction. The pointer is
        untouched: a candidate never feeds a run.
        """
        by, reason = _require(by, "by"), _require(reason, "reason")
        model_dir = self.model_dir(name)
        source = f"trained version of {name}"
        problems = layout.file_problems(trained.files, source)
        problems += [
            Problem(source, f"cells.{k}", "is not a Cell")
            for k, c in trained.cells.items()
            if not isinstance(c, Cell)
        ]
        if problems:
            raise InvalidInput(problems)
        metrics = _metrics(trained.metrics, source)
        self._ensure_seeded(name)
        staging = layout.staging_folder(model_dir / "versions")
        placed: Path | None = None
        try:
            layout.write_staged(staging, trained.files, trained.card, cells_to_text(trained.cells))
            with self.db.session(write=True) as session:
                approved = store.find_approved(session, name=name)
                before = cells_from_text(approved.cells) if approved else {}
                parent = approved.version if approved else None
                row = store.add_next_version(
                    session,
                    name=name,
                    status="candidate",
                    parent=parent,
                    created_by=by,
                    reason=reason,
                    training_hash=str(trained.training_hash)[:64],
                    metrics=json.dumps(metrics),
                    cells=cells_to_text(trained.cells),
                    diff=json.dumps([c.to_json() for c in diff_cells(before, trained.cells)]),
                    kind=trained.kind or (approved.kind if approved else ""),
                    description=trained.description or (approved.description if approved else ""),
                )
                version = row.version
                if base is not ANY_BASE:
                    _check_base(session, name, version, base)
                folder = f"versions/{version}"
                store.update_version(
                    session,
                    row,
                    files=json.dumps([f"{folder}/{f}" for f in sorted(trained.files)]),
                    card=f"{folder}/card.md",
                )
                store.add_event(
                    session, name=name, version=version, action="candidate", actor=by,
                    reason=reason, from_version=parent,
                )  # fmt: skip
                store.add_evidence_changes(
                    session,
                    [
                        {
                            "model": name,
                            "version": version,
                            "action": c["action"],
                            "origin": c.get("origin", "edit"),
                            "row_id": c["row_id"],
                            "before": None if c.get("before") is None else json.dumps(c["before"]),
                            "after": None if c.get("after") is None else json.dumps(c["after"]),
                            "actor": by,
                            "reason": reason,
                        }
                        for c in changes
                    ],
                )
                meta = {
                    "version": version,
                    "parent": parent,
                    "training_hash": row.training_hash,
                    "created_by": by,
                    "created_at": row.created_at.isoformat(),
                    "reason": reason,
                    "metrics": metrics,
                    "files": sorted(trained.files),
                }
                placed = model_dir / "versions" / version
                layout.place_version(staging, placed, meta)
        except BaseException:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
            if placed is not None and placed.exists():  # the transaction did not commit
                shutil.rmtree(placed, ignore_errors=True)
            raise
        return version

    def approve(
        self, name: str, version: str, *, by: str, reason: str, override: str | None = None
    ) -> Decision:
        """Approve candidate ``version``: the approved one is superseded and the pointer
        moves to it. A gate's problems block it unless ``override`` says why."""
        by, reason = _require(by, "by"), _require(reason, "reason")
        override = override.strip() if override and override.strip() else None
        self._known(name)
        gate = _resolve(self.gates[name]) if name in self.gates else None

        def check(target: ModelVersion) -> None:
            if target.status != "candidate":
                raise InvalidInput(
                    [
                        Problem(
                            f"model {name}",
                            "version",
                            f"version {target.version} is {target.status}; only a candidate "
                            "can be approved (an earlier approved version comes back with "
                            "`workbench model rollback`)",
                        )
                    ]
                )
            problems = gate(version_info(target, self.model_dir(name))) if gate else []
            if problems and override is None:
                raise InvalidInput(
                    [
                        *problems,
                        Problem(
                            f"model {name}",
                            "override",
                            f"the approval gate of {name} blocks version {target.version}; "
                            "to approve anyway, give --override with the reason (it is logged)",
                        ),
                    ]
                )

        return self._switch(name, version, by, reason, "approve", check, override)

    def reject(self, name: str, version: str, *, by: str, reason: str) -> Decision:
        """Reject candidate ``version`` (it stays on disk and in the log)."""
        by, reason = _require(by, "by"), _require(reason, "reason")
        self._known(name)
        with self.db.session(write=True) as session:
            rows = store.find_versions(session, name=name, lock=True)
            target = _pick(rows, name, version)
            if target.status != "candidate":
                raise InvalidInput(
                    [
                        Problem(
                            f"model {name}",
                            "version",
                            f"version {target.version} is {target.status}; only a candidate "
                            "can be rejected",
                        )
                    ]
                )
            store.update_version(
                session, target, status="rejected", decided_by=by, decided_at=utcnow(),
                decision_reason=reason,
            )  # fmt: skip
            store.add_event(
                session, name=name, version=target.version, action="reject", actor=by,
                reason=reason,
            )  # fmt: skip
        return Decision(name=name, version=target.version, action="reject")

    def rollback(self, name: str, version: str | None = None, *, by: str, reason: str) -> Decision:
        """Make an earlier approved version the approved one again.

        Without ``version``: the newest superseded version made before the current one.
        """
        by, reason = _require(by, "by"), _require(reason, "reason")
        self._known(name)

        def check(target: ModelVersion) -> None:
            if target.status != "superseded":
                what = {
                    "approved": "is already the approved version",
                    "candidate": "is a candidate that was never approved (approve it instead)",
                    "rejected": "was rejected and never approved",
                }.get(target.status, f"is {target.status}")
                raise InvalidInput(
                    [Problem(f"model {name}", "version", f"version {target.version} {what}")]
                )

        return self._switch(name, version, by, reason, "rollback", check, None)

    def _switch(
        self,
        name: str,
        version: str | None,
        by: str,
        reason: str,
        action: str,
        check: Callable[[ModelVersion], None],
        override: str | None,
    ) -> Decision:
        model_dir = self.model_dir(name)
        previous_pointer: bytes | None = None
        wrote = False
        try:
            with self.db.session(write=True) as session:
                rows = store.find_versions(session, name=name, lock=True)
                current = next((r for r in rows if r.status == "approved"), None)
                if version is None:
                    earlier = [
                        r
                        for r in rows
                        if r.status == "superseded" and (current is None or r.id < current.id)
                    ]
                    if not earlier:
                        raise InvalidInput(
                            [
                                Problem(
                                    f"model {name}",
                                    "version",
                                    "no earlier approved version to roll back to; name one "
                                    "(`workbench model history` lists them)",
                                )
                            ]
                        )
                    target = earlier[-1]
                else:
                    target = _pick(rows, name, version)
                check(target)
                now = utcnow()
                if current is not None:
                    store.update_version(session, current, status="superseded")
                store.update_version(
                    session, target, status="approved", decided_by=by, decided_at=now,
                    decision_reason=reason,
                )  # fmt: skip
                store.add_event(
                    session, name=name, version=target.version, action=action, actor=by,
                    reason=reason, from_version=current.version if current else None,
                    override=override,
                )  # fmt: skip
                previous_pointer = layout.write_pointer(model_dir, self._pointer(target))
                wrote = True
        except BaseException:
            if wrote:  # the transaction did not commit: the old pointer stands
                layout.restore_pointer(model_dir, previous_pointer)
            raise
        stale = tuple(self._stale(name)) if self._stale else ()
        return Decision(
            name=name,
            version=target.version,
            action=action,
            previous=current.version if current else None,
            stale=stale,
        )

    def _pointer(self, row: ModelVersion) -> dict[str, Any]:
        decided = row.decided_at or row.created_at
        doc: dict[str, Any] = {
            "name": row.name,
            "version": row.version,
            "status": "approved",
            "approved_by": row.decided_by or row.created_by,
            "approved_at": decided.isoformat(),
            "reason": row.decision_reason or row.reason,
            "kind": row.kind,
            "description": row.description,
            "files": json.loads(row.files or "[]"),
        }
        if row.card:
            doc["card"] = row.card
        return doc

    def sync_pointer(self, name: str) -> Path:
        """Rewrite ``model.yaml`` from the registry's approved version (after a hand edit)."""
        self._known(name)
        with self.db.session() as session:
            row = store.find_approved(session, name=name)
        if row is None:
            raise InvalidInput(
                [Problem(f"model {name}", "version", f"{name} has no approved version")]
            )
        layout.write_pointer(self.model_dir(name), self._pointer(row))
        return self.model_dir(name) / "model.yaml"


__all__ = ["GATES", "STATUSES", "Decision", "EventInfo", "Gate", "ModelRegistry", "ModelSummary"]
__all__ += ["VersionInfo"]
