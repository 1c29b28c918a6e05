"""The evidence side of pathways: the approved effectiveness model, read once.

:class:`EvidenceView` holds the workspace's approved ``almp_effectiveness`` model and the
source of every evidence row (study and link, from the model's ``estimates.csv``), and
asks :func:`workbench.evidence.recommend.recommend` once per (unemployment context,
horizon) for every target group: the options depend on the context's unemployment label
only, so a batch of any size makes at most a handful of calls.

A target group the evidence base has no separate term for takes the general figure (the
recommender's cell notes say so); :meth:`EvidenceView.pick` then reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.context import RegionContext
from workbench.evidence.recommend import PolicyOption, load_approved_model, recommend
from workbench.exceptions import InvalidInput

__all__ = ["EVIDENCE_GROUPS", "EvidenceView", "join_and", "rank_key", "rank_text"]

#: Every target group asked for (need groups, protected-attribute groups, general).
EVIDENCE_GROUPS: tuple[str, ...] = (
    "general",
    "long_term_unemployed",
    "low_skilled",
    "youth",
    "older_workers",
    "women",
    "migrants",
    "persons_with_disabilities",
)
_NO_TERM = "no separate term for target group"
Options = dict[str, dict[str, PolicyOption]]


@dataclass
class EvidenceView:
    """The approved effectiveness model (or None, with a note), its version and sources."""

    model: Any = None
    version: str = ""
    refs: dict[str, str] = field(default_factory=dict)  # id -> "id · study · url"
    note: str = ""
    _options: dict[tuple[str, str], Options] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, models_dir: str | Path) -> EvidenceView:
        """The approved model of ``models_dir`` (``shared_models``); none -> a note."""
        try:
            model, version = load_approved_model(models_dir)
        except (InvalidInput, OSError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return cls(
                note=f"No approved effectiveness model ({first}): steps carry no expected "
                "effect or evidence count."
            )
        refs: dict[str, str] = {}
        path = Path(models_dir) / "almp_effectiveness" / "evidence" / "estimates.csv"
        if path.is_file():
            rows = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                usecols=lambda c: c in ("id", "study", "source_url"),
            )
            refs = {
                r.id: " · ".join(p for p in (r.id, r.study, r.source_url) if p)
                for r in rows.itertuples(index=False)
            }
        return cls(model, version, refs)

    def options(self, ctx: RegionContext, horizon: str) -> Options:
        """group -> programme type -> option for the context's unemployment label and
        ``horizon`` (cached; the options do not depend on anything else of the region)."""
        key = (ctx.unemployment, horizon)
        if key not in self._options:
            rec = recommend(
                ctx, list(EVIDENCE_GROUPS), horizon, model=self.model, model_version=self.version
            )
            self._options[key] = {
                g: {o.programme_type: o for o in opts} for g, opts in rec.by_group.items()
            }
        return self._options[key]

    def own_groups(self) -> frozenset[str]:
        """Target groups with their own term in the model for at least one cell."""
        if self.model is None:
            return frozenset()
        cells = self.model.cells
        pooled = cells["notes"].map(lambda notes: any(n.startswith(_NO_TERM) for n in notes))
        return frozenset(str(g) for g in cells.loc[~pooled, "target_group"].unique())

    @staticmethod
    def own(option: PolicyOption) -> bool:
        """Whether the option's target group has its own term in the model."""
        return not any(n.startswith(_NO_TERM) for n in option.notes)

    def pick(self, by_group: Options, kind: str, needs: Sequence[str]) -> tuple[PolicyOption, str]:
        """The option of the first need group with its own evidence, else ``general``,
        and a sentence saying so when the need groups have none."""
        for group in needs:
            if self.own(by_group[group][kind]):
                return by_group[group][kind], ""
        pooled = [g for g in needs if g != "general"]
        if not pooled:
            return by_group["general"][kind], ""
        return by_group["general"][kind], (
            f" The evidence base has no separate figure for {join_and(pooled)} people, so "
            "this is the figure for all jobseekers."
        )

    def sources(self, ids: Sequence[str]) -> tuple[str, ...]:
        """``id · study · link`` of each evidence id (the id alone when unknown)."""
        return tuple(self.refs.get(i, i) for i in ids)


def rank_key(option: PolicyOption) -> tuple[Any, ...]:
    """The recommender's order: sufficient evidence first, higher P(+), lower P(-), name."""
    if not option.sufficient:
        return (1, 0.0, 0.0, option.programme_type)
    return (0, -(option.p_positive or 0.0), option.p_negative or 0.0, option.programme_type)


def rank_text(o: PolicyOption) -> str:
    """``training (64% chance of a significantly positive estimate [40%, 85%])``."""
    if not o.sufficient or o.p_positive is None:
        return f"{o.label.lower()} (insufficient evidence)"
    return (
        f"{o.label.lower()} ({o.p_positive:.0%} chance of a significantly positive "
        f"estimate [{o.p_positive_low:.0%}, {o.p_positive_high:.0%}])"
    )


def join_and(items: Sequence[str]) -> str:
    """``a, b and c`` (underscores read as spaces)."""
    items = [i.replace("_", " ") for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
