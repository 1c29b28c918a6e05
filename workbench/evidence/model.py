"""The ALMP effectiveness model: vote count + meta-analysis, fitted values saved as JSON.

:func:`fit_effectiveness` fits the vote-count model (:mod:`~workbench.evidence.votecount`)
and the meta-analyses (:mod:`~workbench.evidence.meta`) on an evidence frame, tabulates
P(significantly negative / insignificant / positive) with 95% intervals for **every cell**
(programme type x horizon x target group x unemployment context), cross-validates it
(:mod:`~workbench.evidence.validation`) and checks CKW's patterns
(:mod:`~workbench.evidence.patterns`). :class:`EffectivenessModel` holds only plain
numbers and strings; :meth:`~EffectivenessModel.to_json` / :meth:`~EffectivenessModel.from_json`
round-trip it exactly (no pickle), so a run or the recommender reads the approved fitted
values and never refits.

A cell is ``insufficient evidence`` (no number shown) when its programme type has too few
votes for the model (see the support rule), or fewer than :data:`MIN_CELL_VOTES` votes from
:data:`MIN_CELL_STUDIES` studies at that horizon (one study's estimates are not a body of
evidence, however many sub-groups it reports). A cell whose target group or context has no
term of its own carries the pooled figure and a note saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.evidence.base import evidence_hash
from workbench.evidence.meta import MetaGroup, meta_analyse
from workbench.evidence.schema import TARGET_GROUPS
from workbench.evidence.votecount import (
    MODEL_HORIZONS,
    MODEL_TYPES,
    VoteModel,
    fit_vote_model,
    vote_rows,
)

__all__ = [
    "CONTEXT_LEVELS",
    "FORMAT",
    "INSUFFICIENT",
    "MIN_CELL_STUDIES",
    "MIN_CELL_VOTES",
    "EffectivenessModel",
    "cell_key",
    "fit_effectiveness",
]

FORMAT = "almp_effectiveness/1"
INSUFFICIENT = "insufficient evidence"
#: Votes a programme type needs at a horizon for that horizon's cells to show a number.
MIN_CELL_VOTES = 2
#: Studies those votes must come from.
MIN_CELL_STUDIES = 2
CONTEXT_LEVELS: tuple[str, ...] = ("high", "low", "unknown")
_FACTOR_LABEL = {"target_group": "target group", "unemployment_context": "unemployment context"}


def cell_key(programme_type: str, horizon: str, group: str, context: str) -> str:
    """The key of one cell, ``type|horizon|group|context``."""
    return f"{programme_type}|{horizon}|{group}|{context}"


def _jeffreys_low(successes: int, n: int) -> float:
    from statsmodels.stats.proportion import proportion_confint

    low, _ = proportion_confint(successes, n, alpha=0.05, method="jeffreys")
    return float(low)


def _vote_counts(votes: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for key, sub in votes.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(str(k) for k in key)] = {
            "n": len(sub),
            "studies": int(sub["study"].nunique()),
            "positive": int((sub["significance"] == "positive_significant").sum()),
            "negative": int((sub["significance"] == "negative_significant").sum()),
            "ids": [str(i) for i in sub["id"]],
        }
    return out


def _cell_table(vote: VoteModel, votes: pd.DataFrame) -> pd.DataFrame:
    cells = pd.DataFrame(
        list(product(MODEL_TYPES, MODEL_HORIZONS, TARGET_GROUPS, CONTEXT_LEVELS)),
        columns=["programme_type", "horizon", "target_group", "unemployment_context"],
    )
    point, low, high = vote.predict_interval(cells)
    by_type = _vote_counts(votes, ["programme_type"])
    by_th = _vote_counts(votes, ["programme_type", "horizon"])
    separated = {s.split(":")[0] for s in vote.separated}
    entered = set(_levels(vote))
    records = []
    for i, cell in enumerate(cells.itertuples(index=False)):
        t, h, g, c = cell
        th = by_th.get((t, h), {"n": 0, "studies": 0, "positive": 0, "negative": 0, "ids": []})
        ty = by_type.get((t,), {"n": 0, "studies": 0})
        notes = []
        if t not in vote.types:
            status = INSUFFICIENT
            notes.append(f"{ty['n']} vote(s) on {t}: too few for the model")
        elif th["n"] < MIN_CELL_VOTES or th["studies"] < MIN_CELL_STUDIES:
            status = INSUFFICIENT
            notes.append(
                f"{th['n']} vote(s) from {th['studies']} stud{'y' if th['studies'] == 1 else 'ies'}"
                f" on {t} at the {h} horizon"
            )
        else:
            status = "ok"
        for factor, level in (("target_group", g), ("unemployment_context", c)):
            if level != vote.reference[factor] and (factor, level) not in entered:
                notes.append(
                    f"no separate term for {_FACTOR_LABEL[factor]} {level}: figure for "
                    f"{vote.reference[factor]}"
                )
        p_low = low[i].copy()
        if f"programme_type={t}" in separated and th["n"]:
            # the likelihood has no finite maximum for a type whose votes all agree; bound
            # the share by the raw votes' Jeffreys interval instead of the fit's
            p_low[2] = min(p_low[2], _jeffreys_low(th["positive"], th["n"]))
            p_low[0] = 0.0
            notes.append(f"all votes on {t} agree: interval from the raw share")
        ok = status == "ok"
        records.append(
            {
                "key": cell_key(t, h, g, c),
                "programme_type": t,
                "horizon": h,
                "target_group": g,
                "unemployment_context": c,
                "status": status,
                "p_negative": float(point[i, 0]) if ok else None,
                "p_insignificant": float(point[i, 1]) if ok else None,
                "p_positive": float(point[i, 2]) if ok else None,
                "p_positive_low": float(p_low[2]) if ok else None,
                "p_positive_high": float(high[i, 2]) if ok else None,
                "p_negative_low": float(p_low[0]) if ok else None,
                "p_negative_high": float(high[i, 0]) if ok else None,
                "votes": th["n"],
                "studies": th["studies"],
                "votes_positive": th["positive"],
                "votes_negative": th["negative"],
                "type_votes": ty["n"],
                "type_studies": ty["studies"],
                "evidence_ids": th["ids"],
                "notes": notes,
            }
        )
    return pd.DataFrame.from_records(records)


def _levels(vote: VoteModel) -> list[tuple[str, str]]:
    return [lv for term in vote.terms for lv in term.levels]


def _published_effects(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Effect sizes with a unit but no variance (listed, never pooled)."""
    rows = frame[
        frame["kind"].isin(["estimate", "synthetic"])
        & frame["estimate"].notna()
        & frame["unit"].notna()
        & (frame["unit"].astype(str) != "")
    ]
    keep = ["id", "study", "programme_type", "target_group", "horizon", "estimate", "unit"]
    out = rows[[*keep, "currency", "outcome"]].copy()
    out["currency"] = out["currency"].fillna("")
    out["estimate"] = out["estimate"].astype(float)
    return out.to_dict(orient="records")


@dataclass
class EffectivenessModel:
    """Fitted values of the effectiveness model (plain data; see the module doc)."""

    training_hash: str
    counts: dict[str, int]
    vote: VoteModel
    cells: pd.DataFrame
    meta: list[MetaGroup]
    metrics: dict[str, float] = field(default_factory=dict)
    calibration: list[dict[str, float]] = field(default_factory=list)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    published_effects: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, programme_type: str, horizon: str, group: str, context: str) -> dict[str, Any]:
        """One cell's record (raises KeyError for an unknown cell)."""
        hit = self._index().get(cell_key(programme_type, horizon, group, context))
        if hit is None:
            raise KeyError(cell_key(programme_type, horizon, group, context))
        return hit

    def _index(self) -> dict[str, dict[str, Any]]:
        cached = getattr(self, "_cell_index", None)
        if cached is None:
            cached = {r["key"]: r for r in self.cells.to_dict(orient="records")}
            object.__setattr__(self, "_cell_index", cached)
        return cached

    def meta_for(self, programme_type: str) -> list[MetaGroup]:
        """The pooled groups of one programme type."""
        return [g for g in self.meta if g.programme_type == programme_type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "format": FORMAT,
            "training_hash": self.training_hash,
            "counts": self.counts,
            "vote": self.vote.to_dict(),
            "cells": [
                {k: _clean(v) for k, v in r.items()} for r in self.cells.to_dict(orient="records")
            ],
            "meta": [g.to_dict() for g in self.meta],
            "metrics": self.metrics,
            "calibration": self.calibration,
            "patterns": self.patterns,
            "published_effects": self.published_effects,
        }

    def to_json(self) -> bytes:
        """Canonical JSON bytes (sorted keys; same model, same bytes)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=1, allow_nan=False).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EffectivenessModel:
        """Inverse of :meth:`to_dict`; raises ValueError for another format."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not an effectiveness model file (format {data.get('format')!r})")
        return cls(
            training_hash=str(data["training_hash"]),
            counts={k: int(v) for k, v in data["counts"].items()},
            vote=VoteModel.from_dict(data["vote"]),
            cells=pd.DataFrame.from_records(data["cells"]),
            meta=[MetaGroup.from_dict(g) for g in data["meta"]],
            metrics=dict(data.get("metrics", {})),
            calibration=list(data.get("calibration", [])),
            patterns=list(data.get("patterns", [])),
            published_effects=list(data.get("published_effects", [])),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> EffectivenessModel:
        """Load :meth:`to_json` output."""
        return cls.from_dict(json.loads(raw))

    @classmethod
    def load(cls, path: str | Path) -> EffectivenessModel:
        """Read a ``model.json`` file."""
        return cls.from_json(Path(path).read_bytes())


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def fit_effectiveness(frame: pd.DataFrame, *, validate: bool = True) -> EffectivenessModel:
    """Fit the whole model on an evidence frame (see the module doc).

    ``validate=False`` skips cross-validation and the pattern checks (for scale runs).

    Raises:
        ValueError: the vote-count model cannot be fitted (too few usable votes).
    """
    from workbench.evidence.patterns import check_patterns
    from workbench.evidence.validation import cross_validate

    vote = fit_vote_model(frame)
    votes, _ = vote_rows(frame)
    cells = _cell_table(vote, votes)
    kinds = frame["kind"].value_counts().to_dict()
    counts = {f"rows_{k}": int(v) for k, v in sorted(kinds.items())}
    counts.update(
        {"rows": len(frame), "votes": vote.n_rows, "vote_studies": vote.n_studies},
    )
    model = EffectivenessModel(
        training_hash=evidence_hash(frame),
        counts=counts,
        vote=vote,
        cells=cells,
        meta=meta_analyse(frame),
        published_effects=[{k: _clean(v) for k, v in r.items()} for r in _published_effects(frame)],
    )
    if validate:
        metrics, calibration = cross_validate(frame)
        model.metrics = metrics
        model.calibration = calibration
        model.patterns = check_patterns(model, votes)
    return model
