"""Human oversight of pathways: counsellors accept, change or reject each step, with a reason.

Nothing is decided automatically. A pathway is a proposal: it is stored as written and
never changed; each counsellor decision is a new row of the review log (who, what, when,
why), and the latest decision on a step is the one that counts. :meth:`OversightService.
decided_steps` is the only way to read a pathway as a plan to act on, and it contains only
steps a counsellor accepted or changed; an unreviewed step is never in it.

The override log feeds back to the profiling model card (:meth:`override_signals`): how
often counsellors reject or change each kind of step, for each protected group, where
enough decisions exist to say so.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from workbench.db import Database
from workbench.db import pathways as q
from workbench.db.models import PathwayRecord, PathwayReview
from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.pseudonym import is_pseudonym

__all__ = [
    "ACTIONS",
    "GROUP_COMBOS",
    "OversightService",
    "ReviewInfo",
    "Signal",
    "group_phrase",
    "pathway_payload",
]

ACTIONS = ("accept", "change", "reject")
#: protected-attribute combinations the override signals are computed for
GROUP_COMBOS: tuple[tuple[str, ...], ...] = (("sex", "age_band"), ("origin",), ("disability",))
MAX_REASON = 4000
MAX_NAME = 120


@dataclass(frozen=True)
class ReviewInfo:
    """One recorded decision; returned only once it is committed."""

    id: int
    pathway_id: int
    person: str
    step_id: str
    action: str
    change_to: str | None
    reason: str
    counsellor: str
    at: datetime
    #: False when this was a re-sent decision (same idempotency key) already stored
    created: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass(frozen=True)
class Signal:
    """How often counsellors overrode one kind of step for one group (or everybody)."""

    step_kind: str
    #: protected attributes defining the group ({} = all reviewed pathways)
    group: dict[str, str]
    n: int
    rejected: int
    changed: int
    #: the same step kind's rates over all reviewed pathways, for comparison
    overall_n: int
    overall_rejected: int
    overall_changed: int
    text: str = field(default="")

    @property
    def reject_rate(self) -> float:
        """Share of decisions that rejected the step."""
        return self.rejected / self.n

    @property
    def change_rate(self) -> float:
        """Share of decisions that changed the step."""
        return self.changed / self.n

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, rates included."""
        return {**asdict(self), "reject_rate": self.reject_rate, "change_rate": self.change_rate}


def _finite(value: Any) -> Any:
    """The payload with non-finite floats (NaN, inf: "unknown") as None: JSON has none."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def pathway_payload(pathway: Any, where: str = "pathway") -> dict[str, Any]:
    """The JSON form of a :class:`~workbench.pathways.build.Pathway` (or of its dict)."""
    if hasattr(pathway, "to_dict"):
        data = pathway.to_dict()
    elif isinstance(pathway, Mapping):
        data = dict(pathway)
    else:
        raise InvalidInput([Problem(where, "", "must be a Pathway or its dict")])
    payload = _finite(data)
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput([Problem(where, "", f"cannot be stored as JSON: {exc}")]) from None
    return payload


def _step_ids(payload: Mapping[str, Any]) -> list[str]:
    return [str(step.get("step_id")) for step in payload.get("steps") or ()]


def _shape_problems(payload: dict[str, Any], where: str) -> list[Problem]:
    """What keeps ``payload`` from being read back as a Pathway (every field is needed)."""
    try:
        from workbench.pathways.build import Pathway
    except ImportError:  # pragma: no cover - only before the builder exists
        return []
    try:
        Pathway.from_dict(payload)
    except KeyError as exc:
        return [Problem(where, str(exc.args[0]), "is missing (see workbench.pathways.build)")]
    except (TypeError, ValueError, AttributeError) as exc:
        return [Problem(where, "", f"is not a pathway: {exc}")]
    return []


def _as_pathway(payload: dict[str, Any]) -> Any:
    """A Pathway object when :mod:`workbench.pathways.build` is there, else the dict."""
    try:
        from workbench.pathways.build import Pathway
    except ImportError:  # pragma: no cover - only before the builder exists
        return payload
    return Pathway.from_dict(payload)


def _info(row: PathwayReview, created: bool = True) -> ReviewInfo:
    assert row.id is not None
    return ReviewInfo(
        row.id,
        row.pathway_id,
        row.person,
        row.step_id,
        row.action,
        row.change_to,
        row.reason,
        row.counsellor,
        row.at,
        created,
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _fields(pathway: Any, by: object, where: str) -> dict[str, Any]:
    """The pathway row's fields, or InvalidInput naming every problem."""
    payload = pathway_payload(pathway, where)
    problems = []
    person = payload.get("person")
    if not is_pseudonym(person):
        problems.append(
            Problem(
                where,
                "person",
                "must be a pseudonym (p_ + 32 hex digits, see workbench.profiling.pseudonym); "
                "raw ids are never stored",
            )
        )
    problems += _shape_problems(payload, where)
    ids = _step_ids(payload)
    if len(set(ids)) != len(ids):
        problems.append(Problem(where, "steps", f"step ids must be unique: {ids}"))
    if not _text(by) or len(str(by)) > MAX_NAME:
        problems.append(Problem("input", "by", f"who saves it: 1-{MAX_NAME} characters"))
    if problems:
        raise InvalidInput(problems)
    return {
        "person": person,
        "region": str(payload.get("region") or "")[:16],
        "model_version": str(payload.get("model_version") or "")[:64],
        "payload": payload,
        "groups": {str(k): str(v) for k, v in (payload.get("groups") or {}).items()},
        "created_by": _text(by),
    }


class OversightService:
    """Stores pathways and the counsellors' decisions on them; reads the override log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- pathways ---------------------------------------------------------------------
    def save_pathway(self, pathway: Any, by: str) -> int:
        """Store a proposed pathway (a Pathway or its dict); returns its id.

        Its ``person`` must be a pseudonym (``p_`` + 32 hex): a raw id is refused.
        """
        return self.save_pathways([pathway], by)[0]

    def save_pathways(self, pathways: list[Any], by: str) -> list[int]:
        """Store many pathways in one transaction; returns their ids in order.

        Everything is checked first: one bad pathway stores none (its position is named).
        """
        rows = [_fields(p, by, where=f"pathway {i}") for i, p in enumerate(pathways, start=1)]
        with self.db.session(write=True) as s:
            return q.add_pathways(s, rows)

    def _row(self, pathway_id: int) -> PathwayRecord:
        with self.db.session() as s:
            row = q.find_pathway(s, pathway_id=pathway_id)
        if row is None:
            raise InvalidInput([Problem("pathway", "id", f"no pathway {pathway_id}")])
        return row

    def get_pathway(self, pathway_id: int) -> tuple[Any, int]:
        """(the Pathway, its id); InvalidInput if there is none."""
        return _as_pathway(self._row(pathway_id).payload), pathway_id

    def latest_for(self, person: str) -> tuple[Any, int] | None:
        """(the newest Pathway of a person, its id), or None."""
        with self.db.session() as s:
            row = q.latest_pathway(s, person=person)
        if row is None or row.id is None:
            return None
        return _as_pathway(row.payload), row.id

    def list_pathways(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest pathways: id, person, region, model version, who, when, steps."""
        with self.db.session() as s:
            rows = q.list_pathways(s, limit=limit)
        return [
            {
                "id": r.id,
                "person": r.person,
                "region": r.region,
                "model_version": r.model_version,
                "created_by": r.created_by,
                "created_at": r.created_at.isoformat(),
                "steps": len(_step_ids(r.payload)),
            }
            for r in rows
        ]

    # -- reviews ----------------------------------------------------------------------
    def record_review(
        self,
        pathway_id: int,
        step_id: str,
        action: str,
        reason: str | None,
        by: str,
        change_to: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ReviewInfo:
        """Append a counsellor's decision on one step; returns it once committed.

        ``reason`` is required to change or reject; ``change_to`` (what replaces the
        step) is required to change and refused otherwise. A re-sent decision with the
        same ``idempotency_key`` returns the stored one (``created=False``).
        """
        problems = []
        if action not in ACTIONS:
            problems.append(Problem("review", "action", f"must be one of {', '.join(ACTIONS)}"))
        why = _text(reason)
        if action in ("change", "reject") and not why:
            problems.append(Problem("review", "reason", f"is required to {action} a step"))
        if len(why) > MAX_REASON:
            problems.append(Problem("review", "reason", f"at most {MAX_REASON} characters"))
        new = _text(change_to)
        if action == "change" and not new:
            problems.append(Problem("review", "change_to", "say what replaces the step"))
        if action != "change" and new:
            problems.append(Problem("review", "change_to", f"only for 'change', not {action!r}"))
        if not _text(by) or len(by) > MAX_NAME:
            problems.append(Problem("review", "by", f"the counsellor: 1-{MAX_NAME} characters"))
        if idempotency_key is not None and not 0 < len(idempotency_key) <= 64:
            problems.append(Problem("review", "idempotency_key", "1-64 characters"))
        if problems:
            raise InvalidInput(problems)
        with self.db.session(write=True) as s:
            row = q.find_pathway(s, pathway_id=pathway_id, share=True)
            if row is None:
                raise InvalidInput([Problem("review", "pathway_id", f"no pathway {pathway_id}")])
            ids = _step_ids(row.payload)
            if step_id not in ids:
                raise InvalidInput(
                    [
                        Problem(
                            "review",
                            "step_id",
                            f"{step_id!r} is not a step of pathway "
                            f"{pathway_id} (its steps: {', '.join(ids) or 'none'})",
                        )
                    ]
                )
            review, created = q.add_review(
                s,
                pathway_id=pathway_id,
                person=row.person,
                step_id=step_id,
                action=action,
                change_to=new or None,
                reason=why,
                counsellor=by.strip(),
                idempotency_key=idempotency_key,
            )
        return _info(review, created)  # after the commit: acknowledged only when stored

    def reviews(
        self,
        of: int | str | None = None,
        *,
        pathway_id: int | None = None,
        person: str | None = None,
    ) -> list[ReviewInfo]:
        """Decisions in the order recorded: of a pathway (int), a person (str) or all."""
        if isinstance(of, int):
            pathway_id = of
        elif isinstance(of, str):
            person = of
        with self.db.session() as s:
            rows = q.reviews(s, pathway_id=pathway_id, person=person)
        return [_info(r) for r in rows]

    def decisions(self, pathway_id: int) -> dict[str, ReviewInfo]:
        """The latest decision per step id (unreviewed steps are absent)."""
        return {r.step_id: r for r in self.reviews(pathway_id=pathway_id)}

    def decided_steps(self, pathway_id: int) -> list[dict[str, Any]]:
        """The steps a counsellor accepted or changed, in order, each with its decision.

        The only reading of a pathway as a plan: unreviewed and rejected steps are left
        out, and a changed step carries what the counsellor put in its place.
        """
        payload = self._row(pathway_id).payload
        latest = self.decisions(pathway_id)
        steps = []
        for step in payload.get("steps") or ():
            decision = latest.get(str(step.get("step_id")))
            if decision is not None and decision.action in ("accept", "change"):
                steps.append({**step, "decision": decision.as_dict()})
        return steps

    # -- override signals -------------------------------------------------------------
    def override_signals(self, min_n: int = 10) -> list[Signal]:
        """Reject and change rates per step kind, overall and per protected group.

        Each reviewed step of each pathway counts once, by its latest decision. Groups
        are :data:`GROUP_COMBOS` of the pathway's ``groups``; a group with fewer than
        ``min_n`` decisions on a step kind is left out (too few to read, and too close
        to single people). Sorted by step kind, then by how far the group's reject rate
        is from the overall one.
        """
        if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
            raise InvalidInput([Problem("input", "min_n", "must be a whole number >= 1")])
        with self.db.session(snapshot=True) as s:
            pathways = q.reviewed_pathways(s)
            rows = q.reviews_of_pathways(s, [p.id for p in pathways if p.id is not None])
        latest: dict[tuple[int, str], str] = {}
        for r in rows:
            latest[(r.pathway_id, r.step_id)] = r.action
        # (kind, group items) -> [n, rejected, changed]
        tally: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = defaultdict(
            lambda: [0, 0, 0]
        )
        for p in pathways:
            groups = {k: _norm(k, v) for k, v in (p.groups or {}).items()}
            for step in p.payload.get("steps") or ():
                action = latest.get((p.id or 0, str(step.get("step_id"))))
                if action is None:
                    continue
                kind = str(step.get("kind") or "unknown")
                keys = [()] + [
                    tuple((a, groups[a]) for a in combo)
                    for combo in GROUP_COMBOS
                    if all(groups.get(a) for a in combo)
                ]
                for key in keys:
                    cell = tally[(kind, key)]
                    cell[0] += 1
                    cell[1] += action == "reject"
                    cell[2] += action == "change"
        signals = []
        for (kind, key), (n, rejected, changed) in tally.items():
            if n < min_n:
                continue
            o_n, o_rej, o_chg = tally[(kind, ())]
            signal = Signal(kind, dict(key), n, rejected, changed, o_n, o_rej, o_chg)
            signals.append(_with_text(signal))
        signals.sort(
            key=lambda sg: (
                sg.step_kind,
                bool(sg.group),
                -abs(sg.reject_rate - sg.overall_rejected / sg.overall_n),
                sorted(sg.group.items()),
            )
        )
        return signals


def _norm(attribute: str, value: object) -> str:
    text = str(value).strip()
    if attribute == "disability" and text.lower() in ("true", "1", "yes", "false", "0", "no"):
        return "true" if text.lower() in ("true", "1", "yes") else "false"
    return text


_SEX = {"F": "women", "M": "men", "X": "people of sex X"}
_ORIGIN = {
    "national": "nationals",
    "eu": "people of other-EU origin",
    "non_eu": "people of non-EU origin",
}
_DISABILITY = {
    "true": "people with a recognised disability",
    "false": "people without a recognised disability",
}


def group_phrase(group: Mapping[str, str]) -> str:
    """Plain words for a group, e.g. ``women aged 16-24``; ``all jobseekers`` for {}."""
    if not group:
        return "all jobseekers"
    if "sex" in group:
        who = _SEX.get(group["sex"], f"people of sex {group['sex']}")
        return f"{who} aged {group['age_band']}" if "age_band" in group else who
    if "origin" in group:
        return _ORIGIN.get(group["origin"], f"people of origin {group['origin']}")
    if "disability" in group:
        return _DISABILITY.get(group["disability"], f"disability {group['disability']}")
    if "age_band" in group:
        return f"people aged {group['age_band']}"
    return ", ".join(f"{k} {v}" for k, v in sorted(group.items()))


def _kind_label(kind: str) -> str:
    from workbench.evidence.recommend import TYPE_LABELS

    return TYPE_LABELS.get(kind, kind.replace("_", " ")).lower()


def _with_text(sg: Signal) -> Signal:
    step = f"the {_kind_label(sg.step_kind)} step"
    text = (
        f"counsellors rejected {step} for {sg.reject_rate:.0%} of {group_phrase(sg.group)} "
        f"and changed it for {sg.change_rate:.0%} (n={sg.n})"
    )
    if sg.group:
        text += (
            f"; all jobseekers: rejected {sg.overall_rejected / sg.overall_n:.0%}, "
            f"changed {sg.overall_changed / sg.overall_n:.0%} (n={sg.overall_n})"
        )
    return Signal(**{**asdict(sg), "text": text})
