"""The labour-market side of pathways: region contexts and reachable shortage occupations.

:class:`LabourView` wraps a data pack (:class:`~workbench.data.labourdata.LabourData`)
and ESCO, and answers two questions per jobseeker, each computed once and cached:

- the region's :class:`~workbench.context.RegionContext`
  (:func:`workbench.labour.regional.region_context`), once per region;
- the person's **move**: from the last occupation (4-digit ISCO-08 unit group) to the most
  similar shortage occupation of the region, with the target's essential skills the
  person's occupation lacks. Occupation statuses come from the region's PES table
  (:func:`workbench.labour.shortages.occupation_status`, as the diagnosis does), skill
  profiles from ESCO grouped by ISCO unit group
  (:func:`workbench.labour.bridging.group_matrix`); transitions and gaps are computed for
  all of a region's source occupations in one sparse call
  (:func:`~workbench.labour.bridging.transitions`, :func:`~workbench.labour.bridging.skill_gaps`).

When the person's own occupation is itself in shortage, the move is to stay (``own``).
Every "no move" comes with a note saying why. The shipped pack's PES table is
**synthetic**; moves built on it say so (``synthetic``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.config import REAL_DATA_DIR
from workbench.context import RegionContext
from workbench.data.esco import Esco, packaged_esco
from workbench.data.labourdata import FILES, LabourData
from workbench.exceptions import WorkbenchError
from workbench.labour.bridging import (
    SkillMatrix,
    group_matrix,
    similarity,
    skill_gaps,
    skill_matrix,
)
from workbench.labour.regional import cycle_of, region_context
from workbench.labour.shortages import occupation_status

__all__ = ["LabourView", "Move"]


@dataclass(frozen=True)
class Move:
    """From the person's occupation to a shortage occupation of the region."""

    source: str
    source_status: str
    target: str
    target_label: str
    similarity: float
    gap: tuple[str, ...]
    own: bool
    synthetic: bool


@dataclass
class _Region:
    code: str
    period: str
    status: dict[str, str]
    targets: list[str]
    note: str = ""


class LabourView:
    """Cached region contexts and moves from a labour pack and ESCO (see the module doc).

    ``data=None`` means no labour-market data: no contexts (unless given in
    ``contexts``) and no moves. ``contexts`` presets region contexts (e.g. another pack's);
    ``matrix`` an ISCO unit-group skill matrix already built from ``esco``.
    """

    def __init__(
        self,
        data: LabourData | None,
        esco: Esco | None = None,
        *,
        contexts: Mapping[str, RegionContext] | None = None,
        matrix: SkillMatrix | None = None,
        shortage_ratio: float = 2.0,
        surplus_ratio: float = 0.5,
        min_count: int = 20,
        min_similarity: float = 0.3,
    ) -> None:
        self.data, self._esco = data, esco
        self.rules = {
            "shortage_ratio": shortage_ratio,
            "surplus_ratio": surplus_ratio,
            "min_count": min_count,
        }
        self.min_similarity = min_similarity
        self._contexts: dict[str, tuple[RegionContext | None, str]] = {
            r: (c, "") for r, c in (contexts or {}).items()
        }
        self._context_dicts: dict[str, dict[str, Any]] = {}
        self._cycles: dict[str, Any] = {}
        self._regions: dict[str, _Region] = {}
        self._moves: dict[tuple[str, str], tuple[Move | None, str]] = {}
        self._matrix: SkillMatrix | None = matrix
        self._sims: np.ndarray | None = None
        self._pes: dict[str, pd.DataFrame] | None = None
        self._examples: dict[str, str] | None = None
        self._known: set[str] = set()
        self.synthetic = False
        self.pes_source = FILES["pes_table"]

    @classmethod
    def shipped(cls) -> LabourView:
        """The real pack shipped with the workbench and its ESCO extract."""
        return cls(LabourData(REAL_DATA_DIR), packaged_esco())

    # ------------------------------------------------------------------ contexts

    def context(self, region: str) -> tuple[RegionContext | None, str]:
        """The region's context, or None and a note saying why (cached)."""
        hit = self._contexts.get(region)
        if hit is None:
            if self.data is None:
                hit = (
                    None,
                    f"No labour-market data: no context for {region}, so the "
                    "evidence cannot be matched to its unemployment level.",
                )
            else:
                try:
                    country = region[:2]
                    if country not in self._cycles:  # the cycle phase is national
                        self._cycles[country] = cycle_of(self.data, country)
                    hit = (region_context(self.data, region, cycle=self._cycles[country]), "")
                except (WorkbenchError, FileNotFoundError, KeyError, ValueError) as exc:
                    hit = (
                        None,
                        f"No labour-market context for {region} ({_line(exc)}): steps "
                        "carry no expected effect.",
                    )
            self._contexts[region] = hit
        return hit

    def context_dict(self, region: str) -> dict[str, Any]:
        """``RegionContext.to_dict()`` of the region, made once (treat it as read-only)."""
        if region not in self._context_dicts:
            ctx = self.context(region)[0]
            self._context_dicts[region] = ctx.to_dict() if ctx is not None else {}
        return self._context_dicts[region]

    # ------------------------------------------------------------------ occupations

    def _pes_by_region(self) -> dict[str, pd.DataFrame]:
        if self._pes is None:
            assert self.data is not None
            pes = self.data.pes_table()
            self.synthetic = (
                bool(pes["synthetic"].any())
                if "synthetic" in pes
                else bool(self.data.entry("pes_table").get("synthetic", False))
            )
            self._pes = {str(r): part for r, part in pes.groupby("region", sort=True)}
        return self._pes

    def _region(self, region: str) -> _Region:
        hit = self._regions.get(region)
        if hit is not None:
            return hit
        if self.data is None:
            hit = _Region(
                "", "", {}, [], f"No labour-market data for {region}: no occupation is proposed."
            )
        else:
            try:
                by_region = self._pes_by_region()
                code = self.data.nuts.match(region, set(by_region)).code
                rows = by_region[code]
                period = str(rows["period"].max())
                rows = rows[rows["period"] == period][["isco", "jobseekers", "vacancies"]]
                status = occupation_status(rows.reset_index(drop=True), **self.rules)  # type: ignore[arg-type]
                codes = status["isco"].astype(str)
                self.matrix()
                known = self._known
                targets = sorted(
                    c
                    for c, s in zip(codes, status["status"], strict=True)
                    if s == "shortage" and c in known
                )
                hit = _Region(
                    code, period, dict(zip(codes, status["status"], strict=True)), targets
                )
                if not targets:
                    hit.note = (
                        f"No shortage occupation in {region}'s PES table: no occupation is "
                        "proposed."
                    )
            except (WorkbenchError, FileNotFoundError, KeyError, ValueError) as exc:
                hit = _Region(
                    "",
                    "",
                    {},
                    [],
                    f"No PES table figures for {region} ({_line(exc)}): no occupation is proposed.",
                )
        self._regions[region] = hit
        return hit

    def matrix(self) -> SkillMatrix:
        """ESCO skill profiles of ISCO-08 unit groups (built once)."""
        if self._matrix is None or self._examples is None:
            esco = self._esco if self._esco is not None else packaged_esco()
            self._esco = esco
            if self._matrix is None:
                self._matrix = group_matrix(skill_matrix(esco), level=4)
            self._known = set(self._matrix.rows["id"].astype(str))
            occ = esco.occupations.sort_values(["isco", "label"])
            self._examples = {
                str(i): "; ".join(g["label"].head(2)) for i, g in occ.groupby("isco", sort=True)
            }
        return self._matrix

    def label(self, isco: str) -> str:
        """``ISCO-08 7212 (e.g. brazier; welder)``: the group and two ESCO occupations."""
        self.matrix()
        example = (self._examples or {}).get(isco, "")
        return f"ISCO-08 {isco}" + (f" (e.g. {example})" if example else "")

    def prepare(self, people: pd.DataFrame) -> None:
        """Compute the moves of every (``region``, ``isco``) pair of ``people`` not yet
        cached: one transitions call and one skill-gaps call per region."""
        pairs = people[["region", "isco"]].drop_duplicates()
        for region, part in pairs.groupby("region", sort=True):
            todo = [str(i) for i in part["isco"] if (str(region), str(i)) not in self._moves]
            if todo:
                self._compute(str(region), sorted(todo))

    def move(self, region: str, isco: str) -> tuple[Move | None, str]:
        """The person's move, or None and a note saying why (cached)."""
        key = (region, isco)
        if key not in self._moves:
            self._compute(region, [isco])
        return self._moves[key]

    def _compute(self, region: str, iscos: list[str]) -> None:
        reg = self._region(region)
        sources: list[str] = []
        for isco in iscos:
            note = self._no_move(region, reg, isco)
            if note:
                self._moves[region, isco] = (None, note)
            elif reg.status.get(isco) == "shortage":
                move = Move(isco, "shortage", isco, self.label(isco), 1.0, (), True, self.synthetic)
                self._moves[region, isco] = (
                    move,
                    f"The person's occupation {move.target_label} is in shortage in {region}: "
                    "the job search starts there and no other occupation is proposed.",
                )
            else:
                sources.append(isco)
        if not sources:
            return
        # the best shortage target of each source: the rule of ``transitions(k=1)`` (cosine
        # similarity rounded to 12 decimals, ties to the smaller id, at least
        # ``min_similarity``) on one dense similarity matrix of all ISCO groups
        src = self.matrix().positions(sources)
        tgt = self.matrix().positions(reg.targets)
        sims = self.similarities()[np.ix_(src, tgt)]
        sims[(sims <= 0) | (sims < self.min_similarity) | (src[:, None] == tgt[None, :])] = -np.inf
        best = sims.argmax(axis=1) if len(tgt) else np.zeros(len(src), dtype=np.int64)
        found = [
            (s, reg.targets[b], float(sims[i, b]))
            for i, (s, b) in enumerate(zip(sources, best.tolist(), strict=True))
            if len(tgt) and np.isfinite(sims[i, b])
        ]
        pairs = [(s, t) for s, t, _ in found]
        gaps = (
            skill_gaps(self.matrix(), pairs)
            if pairs
            else pd.DataFrame(columns=["source", "target", "skill_label"])
        )
        gap_of = {k: tuple(g["skill_label"]) for k, g in gaps.groupby(["source", "target"])}
        for isco in sources:
            self._moves[region, isco] = (
                None,
                (
                    f"No shortage occupation in {region} is close enough in skills to the person's "
                    f"last occupation (similarity at least {self.min_similarity:g}): no occupation "
                    "is proposed."
                ),
            )
        for isco, target, sim in found:
            self._moves[region, isco] = (
                Move(
                    isco,
                    reg.status.get(isco, "not listed"),
                    target,
                    self.label(target),
                    round(sim, 6),
                    gap_of.get((isco, target), ()),
                    False,
                    self.synthetic,
                ),
                "",
            )

    def similarities(self) -> np.ndarray:
        """Cosine similarities of every pair of ISCO groups (dense; rounded to 12 decimals
        as :func:`~workbench.labour.bridging.transitions` ranks them; computed once)."""
        if self._sims is None:
            self._sims = np.round(similarity(self.matrix()), 12)
        return self._sims

    def _no_move(self, region: str, reg: _Region, isco: str) -> str:
        if reg.note and not reg.targets and not reg.status:
            return reg.note
        if not isco:
            return (
                "No previous occupation recorded: no occupation is proposed (moves start "
                "from the last job's 4-digit ISCO-08 code)."
            )
        if len(isco) != 4:
            return (
                "The person's ISCO-08 code is not a 4-digit unit group: no occupation is "
                "proposed (moves need one)."
            )
        if reg.status.get(isco) == "shortage":
            return ""
        if reg.note:
            return reg.note
        self.matrix()
        if isco not in self._known:
            return (
                "The person's last occupation has no ESCO skill profile: no occupation is proposed."
            )
        return ""


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
