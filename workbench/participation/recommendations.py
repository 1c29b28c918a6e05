"""Tuned recommendation versions: propose, list, show, diff, accept and roll back.

A tuning of a workshop round (:func:`workbench.participation.tuning.read_and_tune`) is
stored as a :class:`RecommendationInfo` named by its content hash
(:func:`workbench.tuning.versions.version_hash`): tuning the same feedback again gives the
same version, and stored versions are never changed. A version is a *proposal* until a
facilitator accepts it (name and reason logged). Accepting re-runs the case study through
the normal runs machinery with the version as the ``policy_mix`` template's ``tuning``
parameter (so an earlier version's run is a cache hit), republishes the app and points the
case's draft and open workshops at it: the next round's participants see the tuned
proposal and what changed. A rollback does the same for any earlier version, or for the
evidence-based proposal without tuning (:data:`EVIDENCE_ONLY`).

The accepted version of a case is the one named by its latest accept or rollback event
(:mod:`workbench.db.recommendations`); planning reads it through :meth:`accepted_docs`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workbench.db import recommendations as store
from workbench.exceptions import InvalidInput, Problem, RunNotFound, RunsFailed
from workbench.participation.workshops import clean_text
from workbench.tuning.tune import TuningResult
from workbench.tuning.versions import changes, short, tuning_doc, version_hash

if TYPE_CHECKING:
    from workbench.db.models import RecommendationEvent, RecommendationVersion
    from workbench.participation.workshops import WorkshopInfo
    from workbench.publish import PublishedApp
    from workbench.runs import BatchReport
    from workbench.service import Workbench

__all__ = [
    "EVIDENCE_ONLY",
    "Decision",
    "Proposal",
    "RecommendationInfo",
    "RecommendationService",
]

#: A rollback target: the evidence-based proposal, without any tuning.
EVIDENCE_ONLY = "evidence"
#: Workshops that follow a decision to the new app.
FOLLOWING_STATES = ("draft", "open")
_MAX_NAME, _MAX_REASON = 120, 2000


@dataclass(frozen=True)
class RecommendationInfo:
    """One stored tuned version, with its status among the case's decisions."""

    version: str
    case_slug: str
    workshop_id: int
    round: int
    parent: str | None
    method: str
    group_rule: str
    n_draws: int
    seed: int
    evidence_model: str
    input_hash: str
    feedback_rows: tuple[tuple[int, int], ...]
    result: TuningResult
    changes: dict[str, Any]
    created_by: str
    created_at: datetime
    #: "accepted" (the case's current one), "was accepted" or "proposed"
    status: str
    labels: dict[str, str]

    @property
    def short(self) -> str:
        """The version hash's first characters, as shown to people."""
        return short(self.version)

    def doc(self) -> dict[str, Any]:
        """What the ``policy_mix`` template receives when this version is accepted."""
        return tuning_doc(
            version=self.version,
            parent=self.parent,
            case_slug=self.case_slug,
            workshop_id=self.workshop_id,
            round_number=self.round,
            evidence_model=self.evidence_model,
            result=self.result,
            changes=self.changes,
            labels=self.labels,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the full tuning result included)."""
        return {
            "version": self.version,
            "short": self.short,
            "status": self.status,
            "case_slug": self.case_slug,
            "workshop_id": self.workshop_id,
            "round": self.round,
            "parent": self.parent,
            "method": self.method,
            "group_rule": self.group_rule,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "evidence_model": self.evidence_model,
            "input_hash": self.input_hash,
            "feedback_rows": [list(r) for r in self.feedback_rows],
            "changes": self.changes,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "result": self.result.to_dict(),
        }


@dataclass(frozen=True)
class Proposal:
    """The outcome of :meth:`RecommendationService.propose`."""

    info: RecommendationInfo
    #: False when the same inputs had been tuned before (the stored version is returned)
    created: bool


@dataclass(frozen=True)
class Decision:
    """The outcome of an accept or a rollback: the runs, the new app, the moved workshops."""

    case_slug: str
    #: the version now accepted; None for the evidence-based proposal
    version: RecommendationInfo | None
    previous: str | None
    report: BatchReport
    app: PublishedApp
    workshops: list[int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "case_slug": self.case_slug,
            "version": None if self.version is None else self.version.short,
            "previous": self.previous,
            "runs": dict(self.report.counts),
            "run_ids": [o.run_id for o in self.report.outcomes],
            "publication_id": self.app.id,
            "app_path": self.app.app_path,
            "workshops": self.workshops,
        }


def _labels(options: list[dict[str, str]]) -> dict[str, str]:
    return {str(o["key"]): str(o.get("label") or o["key"]) for o in options}


def _words(info: WorkshopInfo) -> dict[str, str]:
    """Option and criterion keys -> the words people read (criteria lower-cased)."""
    criteria = {str(c["key"]): str(c.get("label") or c["key"]).lower() for c in info.criteria}
    return {**criteria, **_labels(info.options)}


class RecommendationService:
    """Tuned versions of one workspace's case studies (see the module doc)."""

    def __init__(self, wb: Workbench) -> None:
        self.wb = wb

    # -- reading ----------------------------------------------------------------------
    def _info(self, row: RecommendationVersion, accepted: str | None, ever: set[str]) -> Any:
        labels = _labels(self.wb.workshops.get(row.workshop_id).options)
        status = store.version_status(row.version, accepted, ever)
        return RecommendationInfo(
            version=row.version,
            case_slug=row.case_slug,
            workshop_id=row.workshop_id,
            round=row.round,
            parent=row.parent,
            method=row.method,
            group_rule=row.group_rule,
            n_draws=row.n_draws,
            seed=row.seed,
            evidence_model=row.evidence_model,
            input_hash=row.input_hash,
            feedback_rows=tuple((int(i), int(r)) for i, r in json.loads(row.feedback_rows)),
            result=TuningResult.from_dict(json.loads(row.result)),
            changes=json.loads(row.changes),
            created_by=row.created_by,
            created_at=row.created_at,
            status=status,
            labels=labels,
        )

    def _decisions(self, session: Any, case_slug: str) -> tuple[str | None, set[str]]:
        return store.decisions(store.find_events(session, case_slug=case_slug))

    def list(
        self, *, case_slug: str | None = None, workshop_id: int | None = None
    ) -> list[RecommendationInfo]:
        """Stored versions, oldest first; of one case study and/or workshop if given."""
        with self.wb.db.session() as s:
            rows = store.find_versions(s, case_slug=case_slug, workshop_id=workshop_id)
            decisions = {slug: self._decisions(s, slug) for slug in {r.case_slug for r in rows}}
        return [self._info(r, *decisions[r.case_slug]) for r in rows]

    def get(self, version: str) -> RecommendationInfo:
        """One version by its hash or a unique prefix of at least 4 characters."""
        key = version.strip().lower() if isinstance(version, str) else ""
        if len(key) < 4 or any(c not in "0123456789abcdef" for c in key):
            raise InvalidInput(
                [Problem("input", "version", f"{version!r} is not a version: give its hash "
                         "or the first characters of it (at least 4), as `recommendation "
                         "list` shows")]
            )  # fmt: skip
        with self.wb.db.session() as s:
            rows = store.find_versions_by_prefix(s, prefix=key)
            if len(rows) != 1:
                found = ", ".join(short(r.version) for r in rows)
                why = f"matches several versions ({found}); give more characters" if rows else (
                    "matches no stored version; see `workbench recommendation list`"
                )  # fmt: skip
                raise RunNotFound(f"version {version!r} {why}")
            return self._info(rows[0], *self._decisions(s, rows[0].case_slug))

    def accepted(self, case_slug: str) -> RecommendationInfo | None:
        """The case's accepted version, or None (no decision, or the evidence-only one)."""
        with self.wb.db.session() as s:
            current, ever = self._decisions(s, case_slug)
            row = store.find_version(s, version=current) if current else None
            return None if row is None else self._info(row, current, ever)

    def accepted_docs(self, case_slugs: list[str]) -> dict[str, dict[str, Any]]:
        """Case slug -> the accepted version's template doc, for the cases that have one."""
        out = {}
        for slug in case_slugs:
            info = self.accepted(slug)
            if info is not None:
                out[slug] = info.doc()
        return out

    def history(self, case_slug: str) -> list[RecommendationEvent]:
        """The case's proposals, acceptances and rollbacks, oldest first."""
        with self.wb.db.session() as s:
            return list(store.find_events(s, case_slug=case_slug))

    def diff(self, old: str, new: str) -> list[str]:
        """Plain-language lines: how version ``new`` differs from version ``old``."""
        a, b = self.get(old), self.get(new)
        lines = [f"{a.short} -> {b.short}"]
        for key, label in (("workshop_id", "workshop"), ("round", "round"),
                           ("method", "method"), ("group_rule", "group rule"),
                           ("evidence_model", "evidence model")):  # fmt: skip
            x, y = getattr(a, key), getattr(b, key)
            if x != y:
                lines.append(f"{label}: {x or 'none'} -> {y or 'none'}")
        rows_a, rows_b = set(a.feedback_rows), set(b.feedback_rows)
        ids_a = {i for i, _ in rows_a}
        lines.append(
            f"feedback rows: {len(rows_a)} -> {len(rows_b)} "
            f"({len({i for i, _ in rows_b} - ids_a)} new, "
            f"{len({i for i, _ in rows_b} & ids_a) - len(rows_a & rows_b)} revised, "
            f"{len(ids_a - {i for i, _ in rows_b})} gone)"
        )
        weights = [
            f"{c} {a.result.weights.get(c, 0.0):.2f} -> {b.result.weights.get(c, 0.0):.2f}"
            for c in dict.fromkeys((*a.result.weights, *b.result.weights))
            if abs(a.result.weights.get(c, 0.0) - b.result.weights.get(c, 0.0)) >= 0.005
        ]
        lines.append("weights: " + ("; ".join(weights) if weights else "unchanged"))
        words = _words(self.wb.workshops.get(b.workshop_id))
        explained = changes(b.result, parent=a.result, labels=words)["lines"]
        return lines + explained

    # -- writing ----------------------------------------------------------------------
    def propose(
        self,
        workshop_id: int,
        round_number: int | None = None,
        *,
        by: str,
        method: str = "weighted-sum",
        group_rule: str = "equal",
        n_draws: int = 1000,
        seed: int = 0,
    ) -> Proposal:
        """Tune a round and store the result as a proposed version (see the module doc).

        Raises:
            InvalidInput: no name, or a round the tuning refuses (see ``tune_round``).
        """
        from workbench.participation.tuning import read_and_tune

        by = clean_text(by, field_name="by", max_chars=_MAX_NAME)
        tuned = read_and_tune(
            self.wb, workshop_id, round_number, method=method, group_rule=group_rule,
            n_draws=n_draws, seed=seed,
        )  # fmt: skip
        info = tuned.workshop
        name = version_hash(
            case_slug=info.case_slug, workshop_id=info.id, round_number=tuned.round,
            input_hash=tuned.result.input_hash, feedback_rows=tuned.feedback_rows,
            evidence_model=tuned.evidence_model,
        )  # fmt: skip
        parent = self.accepted(info.case_slug)
        if parent is not None and parent.version == name:
            return Proposal(parent, created=False)
        described = changes(
            tuned.result,
            parent=None if parent is None else parent.result,
            parent_label="" if parent is None else
            f"version {parent.short} (workshop {parent.workshop_id}, round {parent.round})",
            proposal_order=tuned.proposal_order,
            labels=_words(info),
        )  # fmt: skip
        with self.wb.db.session(write=True) as s:
            row, created = store.add_version(
                s,
                version=name,
                case_slug=info.case_slug,
                workshop_id=info.id,
                round=tuned.round,
                parent=None if parent is None else parent.version,
                method=method,
                group_rule=group_rule,
                n_draws=int(n_draws),
                seed=int(seed),
                evidence_model=tuned.evidence_model,
                input_hash=tuned.result.input_hash,
                feedback_rows=json.dumps(tuned.feedback_rows, separators=(",", ":")),
                result=json.dumps(tuned.result.to_dict(), sort_keys=True),
                changes=json.dumps(described, ensure_ascii=False),
                created_by=by,
            )
            if created:
                store.add_event(
                    s, case_slug=info.case_slug, version=name, action="propose", actor=by,
                    reason=f"tuned workshop {info.id} round {tuned.round}",
                    from_version=None if parent is None else parent.version,
                )  # fmt: skip
            decisions = self._decisions(s, info.case_slug)
        return Proposal(self._info(row, *decisions), created=created)

    def accept(self, version: str, *, by: str, reason: str, progress: bool = False) -> Decision:
        """Accept a proposed version: re-run, republish, log (see the module doc)."""
        info = self.get(version)
        if info.status == "accepted":
            raise InvalidInput(
                [Problem("input", "version", f"version {info.short} is already the accepted "
                         f"one of {info.case_slug}")]
            )  # fmt: skip
        return self._decide(info.case_slug, info, "accept", by, reason, progress)

    def rollback(
        self,
        version: str,
        *,
        by: str,
        reason: str,
        case_slug: str | None = None,
        progress: bool = False,
    ) -> Decision:
        """Make an earlier version (or :data:`EVIDENCE_ONLY` of ``case_slug``) the accepted
        one again: its run comes from the cache, its app is republished."""
        if version == EVIDENCE_ONLY:
            if not case_slug:
                raise InvalidInput(
                    [Problem("input", "case", "name the case study whose evidence-based "
                             "proposal to restore")]
                )  # fmt: skip
            self.wb.case(case_slug)
            if self.accepted(case_slug) is None:
                raise InvalidInput(
                    [Problem("input", "version", f"{case_slug} has no accepted tuned version; "
                             "its app already shows the evidence-based proposal")]
                )  # fmt: skip
            return self._decide(case_slug, None, "rollback", by, reason, progress)
        info = self.get(version)
        current = self.accepted(info.case_slug)
        if info.status == "accepted":
            raise InvalidInput(
                [Problem("input", "version", f"version {info.short} is already the accepted "
                         f"one of {info.case_slug}")]
            )  # fmt: skip
        if current is not None and info.created_at > current.created_at:
            raise InvalidInput(
                [Problem("input", "version", f"version {info.short} is newer than the "
                         f"accepted {current.short}; accept it instead of rolling back")]
            )  # fmt: skip
        return self._decide(info.case_slug, info, "rollback", by, reason, progress)

    def _decide(
        self,
        case_slug: str,
        info: RecommendationInfo | None,
        action: str,
        by: str,
        reason: str,
        progress: bool,
    ) -> Decision:
        by = clean_text(by, field_name="by", max_chars=_MAX_NAME)
        reason = clean_text(reason, field_name="reason", max_chars=_MAX_REASON)
        case = self.wb.case(case_slug)
        if not any(self.wb.template(name).tuning for name in case.templates):
            raise InvalidInput(
                [Problem(f"case_studies/{case_slug}", "templates", "no template of this case "
                         "study takes a tuned recommendation (add policy_mix), so its app "
                         "would not change; nothing was recorded")]
            )  # fmt: skip
        docs = {case_slug: info.doc()} if info is not None else {case_slug: {}}
        report = self.wb.run([case_slug], tuning=docs, progress=progress)
        if report.failed:
            raise RunsFailed(
                f"{len(report.failed)} run(s) of {case_slug} failed, so nothing was "
                f"{action}ed and the app is unchanged; see `workbench runs show "
                f"{report.failed[0].run_id}`"
            )
        app = self.wb.publish(case_slug)
        mix = next((o for o in report.outcomes if o.template == "policy_mix"), None)
        with self.wb.db.session(write=True) as s:
            store.lock_case(s, case_slug=case_slug)
            previous, _ = self._decisions(s, case_slug)
            store.add_event(
                s, case_slug=case_slug, version="" if info is None else info.version,
                action=action, actor=by, reason=reason, from_version=previous,
                run_hash=None if mix is None else mix.content_hash, publication_id=app.id,
            )  # fmt: skip
            moved = store.repoint_workshops(
                s, case_slug=case_slug, publication_id=app.id, states=FOLLOWING_STATES
            )
        current = None if info is None else self.get(info.version)
        return Decision(case_slug, current, previous, report, app, moved)
