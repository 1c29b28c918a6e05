"""Individual intervention pathways: risk, what works for the person's group, and jobs.

A :class:`Pathway` is an ordered list of :class:`PathwayStep` proposals for one
jobseeker. It combines the profiling model's risk (with its interval), the approved
effectiveness model's ranking for the person's target group and region context
(:func:`workbench.evidence.recommend.recommend`), reachable shortage occupations with
their missing essential skills (:mod:`workbench.labour.shortages` on the labour pack's
PES table and ESCO), and, where outcome data exist, each programme's return-to-work rate
(:mod:`workbench.pathways.outcomes`). A counsellor accepts, changes or rejects every step:
nothing here is decided automatically.

**Pathway rule** (documented, deterministic for fixed model versions):

- *risk band*: ``high`` when risk >= ``threshold`` (default 0.5), ``low`` when risk <
  ``low_threshold`` (default threshold / 2), else ``medium``;
- step 1, *now*: job search assistance, for everyone (the PES's first step; its evidence
  is shown, not used to drop it). It names the person's own occupation when that is in
  shortage in the region;
- step 2, *within 3 months* (medium and high band): training, towards the most similar
  shortage occupation of the region that the person's last occupation (4-digit ISCO)
  reaches, with the essential skills it lacks (the skill gap);
- step 3, *if still unemployed after 6 months* (high band only): the employment programme
  (private-sector subsidy or public-sector employment) that the recommender ranks higher.
  Start-up support is never proposed automatically (the table does not record a business
  plan); a counsellor can change a step to it.

Low-risk people therefore get the lighter pathway (step 1 only). Each slot reads the
evidence at its own horizon (:data:`SLOTS`: short run for job search now, medium run for
the later steps).

**Target groups.** The figures (expected effect, interval, evidence count) come from the
person's *need* groups: ``long_term_unemployed`` (an earlier long spell, or high risk) and
``low_skilled`` (ISCED 0-2), else ``general``; a group the evidence base has no separate
term for takes the general figure, as the recommender says. **Protected attributes (age
band, sex, origin, disability) never choose, order or score a step.** Because the evidence
base is coded by target group, they only select extra evidence shown on a step's reason
(youth, older workers, women, migrants, persons with disabilities), and the reason says
so. They are kept on the pathway (``groups``) for the audit and the override signals.

Missing pieces degrade gracefully, each with a note: no region context -> steps without
expected effect; no approved effectiveness model -> the same; no labour-market data, no
previous occupation or no close shortage occupation -> no occupation on the steps; no
outcome data -> no return-to-work rate.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.context import RegionContext
from workbench.evidence.recommend import TYPE_LABELS
from workbench.exceptions import InvalidInput, Problem
from workbench.pathways.evidence import EvidenceView, join_and, rank_key, rank_text
from workbench.pathways.occupations import LabourView, Move
from workbench.pathways.outcomes import ReturnToWork

__all__ = [
    "PROTECTED_GROUPS",
    "SLOTS",
    "Pathway",
    "PathwayBuilder",
    "PathwayStep",
    "build_pathways",
]

#: (when, candidate programme types in default order, evidence horizon) of each step.
SLOTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("now", ("job_search_assistance",), "short"),
    ("within 3 months", ("training",), "medium"),
    (
        "if still unemployed after 6 months",
        ("private_sector_subsidy", "public_employment"),
        "medium",
    ),
)
#: Protected attribute -> (target group of the evidence base, test on the value).
PROTECTED_GROUPS: tuple[tuple[str, str, Callable[[str], bool]], ...] = (
    ("age_band", "youth", lambda v: v in ("16-24", "25-29")),
    ("age_band", "older_workers", lambda v: v == "55+"),
    ("sex", "women", lambda v: v == "F"),
    ("origin", "migrants", lambda v: v in ("eu", "non_eu")),
    ("disability", "persons_with_disabilities", lambda v: v == "true"),
)
_PROTECTED = ("age_band", "sex", "origin", "disability")
_NEEDED = ("person_id", "region", "education", "prior_ltu", *_PROTECTED)


@dataclass(frozen=True)
class PathwayStep:
    """One proposed step, with its evidence, reason and sources."""

    step_id: str
    order: int
    kind: str
    label: str
    when: str
    target_isco: str | None
    target_occupation: str | None
    skill_gap: tuple[str, ...]
    expected_effect: float | None
    effect_low: float | None
    effect_high: float | None
    evidence_count: int
    studies: int
    evidence_ids: tuple[str, ...]
    reason: str
    sources: tuple[str, ...]
    return_to_work: float | None
    return_to_work_n: int
    return_to_work_basis: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        out = asdict(self)
        for key in ("skill_gap", "evidence_ids", "sources"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PathwayStep:
        """Rebuild from :meth:`to_dict` output."""
        values = {f.name: data[f.name] for f in fields(cls)}
        for key in ("skill_gap", "evidence_ids", "sources"):
            values[key] = tuple(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Pathway:
    """One jobseeker's proposed pathway (see the module doc)."""

    person: str
    region: str
    model_version: str
    evidence_version: str
    risk: float
    risk_low: float
    risk_high: float
    risk_band: str
    threshold: float
    context: dict[str, Any] | None
    groups: dict[str, str]
    steps: tuple[PathwayStep, ...]
    notes: tuple[str, ...]
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        return {
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "steps"},
            "context": None if self.context is None else dict(self.context),
            "groups": dict(self.groups),
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal pathways give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pathway:
        """Rebuild from :meth:`to_dict` output (e.g. a stored payload)."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["steps"] = tuple(PathwayStep.from_dict(s) for s in data["steps"])
        values["notes"] = tuple(data["notes"])
        values["groups"] = dict(data["groups"])
        return cls(**values)


class PathwayBuilder:
    """Builds pathways in batches; every costly piece is computed once and cached.

    Recommendations are computed once per (unemployment context, horizon) for all target
    groups; region contexts and occupation statuses once per region; transitions and skill
    gaps once per (region, source ISCO) in one sparse call per region; each step once per
    distinct input. Use one builder per batch (or keep it for many batches of the same
    model versions).
    """

    def __init__(
        self,
        evidence: EvidenceView,
        labour: LabourView,
        outcomes: ReturnToWork | None = None,
        *,
        threshold: float = 0.5,
        low_threshold: float | None = None,
    ) -> None:
        if not 0 < threshold < 1:
            raise InvalidInput([Problem("pathways", "threshold", "must be between 0 and 1")])
        low = threshold / 2 if low_threshold is None else low_threshold
        if not 0 <= low <= threshold:
            raise InvalidInput(
                [Problem("pathways", "low_threshold", "must be between 0 and the threshold")]
            )
        self.evidence, self.labour, self.outcomes = evidence, labour, outcomes
        self.threshold, self.low_threshold = float(threshold), float(low)
        self._steps: dict[tuple[Any, ...], tuple[PathwayStep, bool]] = {}

    @classmethod
    def from_models_dir(
        cls,
        models_dir: str | Path,
        labour: LabourView | None = None,
        outcomes: ReturnToWork | None = None,
        **kwargs: Any,
    ) -> PathwayBuilder:
        """A builder on the workspace's approved effectiveness model (``shared_models``);
        ``labour`` defaults to the shipped real pack and ESCO."""
        return cls(
            EvidenceView.load(models_dir), labour or LabourView.shipped(), outcomes, **kwargs
        )

    # ------------------------------------------------------------------ steps

    def _step(
        self,
        slot: int,
        region: str,
        ctx: RegionContext | None,
        needs: tuple[str, ...],
        shown: tuple[str, ...],
        move: Move | None,
    ) -> tuple[PathwayStep, bool]:
        """One step (cached): the step and whether it rests on synthetic figures."""
        unemployment = ctx.unemployment if ctx is not None else ""
        key = (slot, region, unemployment, needs, shown, move)
        hit = self._steps.get(key)
        if hit is not None:
            return hit
        when, kinds, horizon = SLOTS[slot]
        synthetic = bool(ctx is not None and ctx.synthetic)
        option, pooled, others = None, "", ""
        if ctx is not None and self.evidence.model is not None:
            by_group = self.evidence.options(ctx, horizon)
            picks = [(self.evidence.pick(by_group, k, needs), k) for k in kinds]
            (option, pooled), kind = min(picks, key=lambda p: rank_key(p[0][0]))
            if len(kinds) > 1:
                rest = [o for (o, _), k in picks if k != kind]
                others = " It ranks above " + join_and([rank_text(o) for o in rest]) + "."
            extra = [by_group[g][kind] for g in shown if self.evidence.own(by_group[g][kind])]
        else:
            kind, extra = kinds[0], []
        parts = [f"{TYPE_LABELS[kind]} {when}: {_why(slot, kind, move, region)}"]
        if option is not None:
            parts.append(f"Evidence: {option.reason}{pooled}{others}")
            if extra:
                coded = "; ".join(
                    f"for {o.target_group.replace('_', ' ')}, {rank_text(o)} ({o.votes} estimates)"
                    for o in extra
                )
                parts.append(
                    f"Evidence coded by target group: {coded}. Shown because the evidence base "
                    "is coded by target group; age band, sex, origin and disability never "
                    "choose, order or score the steps."
                )
        else:
            why = (
                self.evidence.note
                or f"no labour-market context for {region}, so the "
                "evidence (coded by high or low unemployment) cannot be matched to it."
            )
            parts.append(f"No expected effect: {why}")
        if move is not None:
            synthetic = synthetic or move.synthetic
            if move.synthetic:
                parts.append(
                    f"Occupation figures: {self.labour.pes_source} (SYNTHETIC: replace "
                    "it with the PES's own table before relying on them)."
                )
        rtw, rtw_n, basis = None, 0, ""
        if self.outcomes is not None:
            cell = self.outcomes.lookup(kind, region)
            if cell is not None:
                parts.append(
                    "Return to work: "
                    + cell.describe(self.outcomes.min_n)
                    + (" (SYNTHETIC outcome data)" if self.outcomes.synthetic else "")
                    + "."
                )
                if cell.rate is not None:
                    rtw, rtw_n, basis = cell.rate, cell.n, cell.basis
                    synthetic = synthetic or self.outcomes.synthetic
                else:
                    basis = f"{kind} · {region}: fewer than {self.outcomes.min_n} people, not shown"
        ids = tuple(option.evidence_ids) if option is not None else ()
        for o in extra:
            ids = tuple(dict.fromkeys((*ids, *o.evidence_ids)))
        sources = self.evidence.sources(ids)
        if sources:
            parts.append(f"Sources: {', '.join(ids)} (listed with their links).")
        target = move.target if move is not None else None
        step = PathwayStep(
            step_id=f"{slot + 1}-{kind}",
            order=slot + 1,
            kind=kind,
            label=TYPE_LABELS[kind],
            when=when,
            target_isco=target,
            target_occupation=move.target_label if move is not None else None,
            skill_gap=move.gap if move is not None else (),
            expected_effect=None if option is None else option.p_positive,
            effect_low=None if option is None else option.p_positive_low,
            effect_high=None if option is None else option.p_positive_high,
            evidence_count=0 if option is None else option.votes,
            studies=0 if option is None else option.studies,
            evidence_ids=() if option is None else tuple(option.evidence_ids),
            reason=" ".join(parts),
            sources=sources,
            return_to_work=rtw,
            return_to_work_n=rtw_n,
            return_to_work_basis=basis,
        )
        self._steps[key] = (step, synthetic)
        return step, synthetic

    # ------------------------------------------------------------------ batch

    def build(
        self,
        frame: pd.DataFrame,
        risks: pd.DataFrame,
        model_version: str,
        *,
        progress: Callable[[int], None] | None = None,
        model_synthetic: bool = False,
    ) -> list[Pathway]:
        """Pathways for every row of a validated jobseeker frame, in row order.

        ``risks`` is the profiling model's ``predict_risk(frame)`` (same index).
        ``model_synthetic``: the model was trained on SYNTHETIC rows; every pathway is
        then labelled synthetic and says why.
        ``progress`` is called with the number of rows done since its last call. Each
        step is computed once per distinct input (region, need groups, evidence groups
        shown, move) found with vectorised keys; the per-row work is only assembling
        the record.

        Raises:
            InvalidInput: missing columns or risks that do not match the rows.
        """
        _check_inputs(frame, risks)
        self._model_synthetic = bool(model_synthetic)
        n = len(frame)
        risk = risks["risk"].to_numpy(dtype=float)
        low, high = risks["risk_low"].to_numpy(float), risks["risk_high"].to_numpy(float)
        band = np.where(risk >= self.threshold, 0, np.where(risk < self.low_threshold, 2, 1))
        ltu = frame["prior_ltu"].fillna(False).to_numpy(dtype=bool) | (band == 0)
        needs = ltu.astype(np.int64) * 2 + (frame["education"].astype(str).to_numpy() == "low")
        regions = frame["region"].astype(str).to_numpy(dtype=object)
        isco = (
            frame["isco"].fillna("").astype(str)
            if "isco" in frame.columns
            else pd.Series("", index=frame.index)
        ).to_numpy(dtype=object)
        prot = [
            _codes(frame[c].astype(str).str.lower() if c == "disability" else frame[c])
            for c in _PROTECTED
        ]
        shown = np.zeros(n, dtype=np.int64)
        own_groups = self.evidence.own_groups()
        for bit, (column, group, test) in enumerate(PROTECTED_GROUPS):
            codes, values = prot[_PROTECTED.index(column)]
            if group in own_groups:
                hits = np.array([test(str(v)) for v in values], dtype=np.int64)
                shown |= hits[codes] << bit
        self.labour.prepare(pd.DataFrame({"region": regions, "isco": isco}))
        rc, region_names = _codes(regions)
        ic, isco_names = _codes(isco)
        pairs, pair_of = np.unique(rc * len(isco_names) + ic, return_inverse=True)
        ids: dict[Move | None, int] = {None: 0}
        texts: dict[str, int] = {}
        found = [
            self.labour.move(
                str(region_names[p // len(isco_names)]), str(isco_names[p % len(isco_names)])
            )
            for p in pairs.tolist()
        ]
        move = np.array([ids.setdefault(m, len(ids)) for m, _ in found], np.int64)[pair_of]
        note = np.array([texts.setdefault(t, len(texts)) for _, t in found], np.int64)[pair_of]
        own = np.array([m is not None and m.own for m, _ in found], bool)[pair_of]
        moves, notes_of = list(ids), list(texts)
        base = (rc * 4 + needs) * 32 + shown
        keys = [
            base * len(moves) + np.where(own, move, 0),
            base * len(moves) + np.where(own, 0, move),
            base,
        ]
        steps, synth = [], np.zeros(n, bool)
        for slot, key in enumerate(keys):
            uniq, at = np.unique(key, return_inverse=True)
            made = [
                self._step(slot, *self._parts(k, slot, moves, region_names)) for k in uniq.tolist()
            ]
            steps.append([m[0] for m in made])
            synth |= np.array([m[1] for m in made], bool)[at] & (band <= 2 - slot)
            keys[slot] = at
        straddle = (low < self.threshold) & (self.threshold <= high)
        nkey = ((rc * 3 + band) * len(notes_of) + note) * 2 + straddle
        nuniq, nat = np.unique(nkey, return_inverse=True)
        notes = []
        for k in nuniq.tolist():
            rest, note_at = divmod(k // 2, len(notes_of))
            region, b = str(region_names[rest // 3]), _BANDS[rest % 3]
            notes.append(self._notes(region, b, notes_of[note_at], bool(k % 2)))
        gcode = np.zeros(n, np.int64)
        for codes, values in prot:
            gcode = gcode * len(values) + codes
        guniq, gat = np.unique(gcode, return_inverse=True)
        groups = [_decode(k, prot) for k in guniq.tolist()]
        contexts = [self.labour.context_dict(str(r)) or None for r in region_names]
        if "synthetic" in frame.columns:
            synth |= frame["synthetic"].fillna(False).to_numpy(dtype=bool)
        if model_synthetic:
            synth[:] = True
        s0, s1, s2 = steps
        every = max(1, n // 100)
        out: list[Pathway] = []
        cols = [a.tolist() for a in (rc, risk, low, high, band, *keys, nat, gat, synth)]
        rows = zip(frame["person_id"].astype(str).tolist(), *cols, strict=True)
        names = [str(r) for r in region_names]
        version, evidence, threshold = model_version, self.evidence.version, self.threshold
        new, put = object.__new__, object.__setattr__  # bulk records: no per-field setattr
        collect = gc.isenabled()
        gc.disable()  # many small acyclic objects: the cyclic collector only slows this down
        try:
            for i, (person, r, rk, lo, hi, b, k0, k1, k2, nk, gk, sy) in enumerate(rows):
                plan = (s0[k0], s1[k1], s2[k2])[: 3 - b]  # band 0 high: 3 steps
                record = new(Pathway)
                put(record, "__dict__", {
                    "person": person, "region": names[r], "model_version": version,
                    "evidence_version": evidence, "risk": rk, "risk_low": lo, "risk_high": hi,
                    "risk_band": _BANDS[b], "threshold": threshold, "context": contexts[r],
                    "groups": groups[gk], "steps": plan, "notes": notes[nk], "synthetic": sy,
                })  # fmt: skip
                out.append(record)
                if progress is not None and (i + 1) % every == 0:
                    progress(every)
        finally:
            if collect:
                gc.enable()
        if progress is not None and n % every:
            progress(n % every)
        return out

    def _parts(
        self, key: int, slot: int, moves: list[Move | None], regions: np.ndarray
    ) -> tuple[str, RegionContext | None, tuple[str, ...], tuple[str, ...], Move | None]:
        """Decode a step key into (region, context, need groups, groups shown, move)."""
        base, move = (key // len(moves), moves[key % len(moves)]) if slot < 2 else (key, None)
        region = str(regions[base // 128])
        ctx = self.labour.context(region)[0]
        return region, ctx, _NEEDS[base // 32 % 4], _shown(base % 32), move

    def _notes(self, region: str, band: str, move_note: str, straddle: bool) -> tuple[str, ...]:
        """The notes of a pathway: what is missing and why, and the band's rule."""
        notes = [self.labour.context(region)[1], self.evidence.note, move_note]
        if getattr(self, "_model_synthetic", False):
            notes.insert(0, SYNTHETIC_MODEL_NOTE)
        if band == "low":
            notes.append(
                f"Low risk (below {self.low_threshold:g}): a light pathway, job "
                "search assistance only; review at 6 months."
            )
        elif band == "medium":
            notes.append(
                f"Medium risk ({self.low_threshold:g} to {self.threshold:g}): no "
                "employment programme step yet; review at 6 months."
            )
        if self.outcomes is None:
            notes.append("No outcome data given: no return-to-work rates.")
        if straddle:
            notes.append("The risk interval spans the threshold: the band is uncertain.")
        return tuple(dict.fromkeys(n for n in notes if n))


#: The note of every pathway scored by a model trained on SYNTHETIC rows.
SYNTHETIC_MODEL_NOTE = (
    "SYNTHETIC model: the risk comes from a profiling model trained on made-up jobseekers; "
    "it describes no real population (retrain it on the PES's own table before real use)."
)
_BANDS = ("high", "medium", "low")
_LTU, _LOW = "long_term_unemployed", "low_skilled"
_NEEDS = (("general",), (_LOW,), (_LTU,), (_LTU, _LOW))  # index: 2 * ltu + low-skilled


def _codes(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Sorted integer codes of ``values`` and the distinct values."""
    uniq, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64).ravel(), uniq.astype(object)


def _decode(key: int, prot: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, str]:
    """The protected attributes of a mixed-radix key (see ``build``)."""
    out: dict[str, str] = {}
    for column, (_, values) in zip(reversed(_PROTECTED), reversed(prot), strict=True):
        key, at = divmod(key, len(values))
        out[column] = str(values[at])
    return {c: out[c] for c in _PROTECTED}


def _shown(mask: int) -> tuple[str, ...]:
    return tuple(g for bit, (_, g, _t) in enumerate(PROTECTED_GROUPS) if mask >> bit & 1)


def _why(slot: int, kind: str, move: Move | None, region: str) -> str:
    if slot == 0:
        if move is not None and move.own:
            return (
                f"the person's own occupation, {move.target_label}, is in shortage in "
                f"{region}, so the search can start there."
            )
        return "the first step for every jobseeker (pathway rule)."
    if slot == 1:
        if move is None:
            return (
                "training in a field the counsellor and the person choose (no occupation "
                "is proposed; the notes say why)."
            )
        more = "…" if len(move.gap) > 5 else ""
        gap = f"it lacks {len(move.gap)} essential skill(s): {'; '.join(move.gap[:5])}{more}"
        gap = gap if move.gap else "it lacks no essential skill"
        return (
            f"the person's last occupation, ISCO-08 {move.source} ({move.source_status} in "
            f"{region}), is close in skills to the shortage occupation {move.target_label} "
            f"(similarity {move.similarity:.2f}); {gap}."
        )
    return "if the person is still unemployed after 6 months (pathway rule for high risk)."


def _check_inputs(frame: pd.DataFrame, risks: pd.DataFrame) -> None:
    problems = [
        Problem("<jobseekers>", c, "column is missing") for c in _NEEDED if c not in frame.columns
    ]
    problems += [
        Problem("<risks>", c, "column is missing")
        for c in ("risk", "risk_low", "risk_high")
        if c not in risks.columns
    ]
    if not problems and not risks.index.equals(frame.index):
        problems.append(Problem("<risks>", "index", "risks must have the frame's index"))
    if problems:
        raise InvalidInput(problems)


def build_pathways(
    frame: pd.DataFrame,
    model: Any,
    models_dir: str | Path,
    *,
    labour: LabourView | None = None,
    outcomes: ReturnToWork | None = None,
    threshold: float = 0.5,
    risks: pd.DataFrame | None = None,
    builder: PathwayBuilder | None = None,
) -> list[Pathway]:
    """Score ``frame`` with the profiling ``model`` and build each row's pathway.

    ``frame`` is a validated jobseeker frame whose ``person_id`` is already a pseudonym
    (see :mod:`workbench.profiling.pseudonym`). ``model`` has ``version`` and
    ``predict_risk(frame)``; pass ``risks`` to skip scoring. ``labour`` defaults to the
    shipped real pack and ESCO.
    """
    if risks is None:
        risks = model.predict_risk(frame)
    builder = builder or PathwayBuilder.from_models_dir(
        models_dir, labour, outcomes, threshold=threshold
    )
    synthetic = bool(getattr(model, "trained_on_synthetic", False))
    return builder.build(frame, risks, str(model.version), model_synthetic=synthetic)
