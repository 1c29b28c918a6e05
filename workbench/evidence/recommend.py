"""The contextual policy recommender: ALMP types ranked by what the evidence says.

:func:`recommend` reads the **approved** effectiveness model's fitted cells (never refits)
and, for a region's :class:`~workbench.context.RegionContext`, its target groups and a
horizon, ranks the programme types by P(significantly positive) from the vote-count
model, with the 95% interval, the votes and studies behind it, any pooled effect size of
that type (with its unit and interval), and a plain-language reason naming the evidence.

How the context is used: the region's unemployment label (high/low against the EU rate of
the same year) selects the model's unemployment-context cells. The skill level and the
cycle phase are reported but do not change the figures, because no evidence row codes
them; the recommendation says so. Types whose cell is ``insufficient evidence`` come last,
with no number. Ties are broken by a lower P(significantly negative), then by name, so a
fixed model version always gives the same ranking.

``budget``: optional. A plain number is recorded and reported (the evidence base has no
programme costs, so it cannot re-rank); a :class:`Budget` with the analyst's own cost per
participant adds, for each type, how many participants the budget would fund.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.context import RegionContext
from workbench.evidence.model import INSUFFICIENT, EffectivenessModel
from workbench.evidence.schema import TARGET_GROUPS
from workbench.evidence.votecount import MODEL_HORIZONS, MODEL_TYPES
from workbench.exceptions import InvalidInput, Problem
from workbench.shared_models import approved_model

__all__ = [
    "HORIZON_TEXT",
    "TYPE_LABELS",
    "Budget",
    "PolicyOption",
    "Recommendation",
    "load_approved_model",
    "recommend",
]

TYPE_LABELS: dict[str, str] = {
    "training": "Training",
    "job_search_assistance": "Job search assistance",
    "private_sector_subsidy": "Private-sector employment subsidy",
    "public_employment": "Public-sector employment",
    "start_up_support": "Start-up support",
}
HORIZON_TEXT: dict[str, str] = {
    "short": "in the short run (up to about 1 year)",
    "medium": "in the medium run (1-2 years)",
    "long": "in the long run (over 2 years)",
}
_UNIT_TEXT = {
    "pp": "pp",
    "percent_relative": "% (relative)",
    "currency_month": "per month",
    "currency_year": "per year",
    "currency_total": "in total",
    "hedges_g": "(Hedges' g)",
}


@dataclass(frozen=True)
class Budget:
    """A budget and the analyst's own cost per participant by programme type."""

    total: float
    currency: str = "EUR"
    unit_costs: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyOption:
    """One programme type for one target group, with its evidence."""

    rank: int
    programme_type: str
    label: str
    target_group: str
    horizon: str
    context: str
    status: str
    p_positive: float | None
    p_positive_low: float | None
    p_positive_high: float | None
    p_negative: float | None
    votes: int
    studies: int
    evidence_ids: tuple[str, ...]
    effect: dict[str, Any] | None
    reason: str
    notes: tuple[str, ...] = ()
    participants_funded: float | None = None

    @property
    def sufficient(self) -> bool:
        """True when the evidence gives a figure."""
        return self.status == "ok"


@dataclass(frozen=True)
class Recommendation:
    """Rankings per target group, with what they rest on."""

    model_version: str
    region: str
    context: dict[str, str]
    horizon: str
    target_groups: tuple[str, ...]
    by_group: dict[str, tuple[PolicyOption, ...]]
    notes: tuple[str, ...]
    budget: dict[str, Any] | None = None

    @property
    def options(self) -> tuple[PolicyOption, ...]:
        """The ranking for the first target group."""
        return self.by_group[self.target_groups[0]]

    def ranked_types(self, group: str | None = None) -> list[str]:
        """Programme types in rank order for a group (the first when None)."""
        return [o.programme_type for o in self.by_group[group or self.target_groups[0]]]

    def to_frame(self) -> pd.DataFrame:
        """One row per (target group, option)."""
        rows = [asdict(o) for group in self.target_groups for o in self.by_group[group]]
        return pd.DataFrame.from_records(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        return {
            "model_version": self.model_version,
            "region": self.region,
            "context": self.context,
            "horizon": self.horizon,
            "target_groups": list(self.target_groups),
            "by_group": {g: [asdict(o) for o in opts] for g, opts in self.by_group.items()},
            "notes": list(self.notes),
            "budget": self.budget,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recommendation:
        """Rebuild from :meth:`to_dict` output (an artefact)."""
        by_group = {
            g: tuple(
                PolicyOption(
                    **{
                        **o,
                        "evidence_ids": tuple(o["evidence_ids"]),
                        "notes": tuple(o.get("notes", ())),
                    }
                )
                for o in opts
            )
            for g, opts in data["by_group"].items()
        }
        return cls(
            model_version=str(data["model_version"]),
            region=str(data["region"]),
            context=dict(data["context"]),
            horizon=str(data["horizon"]),
            target_groups=tuple(data["target_groups"]),
            by_group=by_group,
            notes=tuple(data.get("notes", ())),
            budget=data.get("budget"),
        )


def load_approved_model(models_dir: str | Path) -> tuple[EffectivenessModel, str]:
    """The approved ``almp_effectiveness`` model of a workspace and its version.

    Reads ``shared_models/almp_effectiveness/model.yaml`` (the registry's pointer to the
    approved version) and the ``model.json`` it lists; a candidate is never read.

    Raises:
        InvalidInput: no approved model, or its files are missing.
    """
    shared = approved_model(Path(models_dir), "almp_effectiveness")
    return EffectivenessModel.load(shared.file_named("model.json")), shared.version


def _check(target_groups: Sequence[str], horizon: str) -> None:
    problems = []
    if isinstance(target_groups, str) or not target_groups:
        problems.append(Problem("recommend", "target_groups", "give a list of target groups"))
    else:
        for g in target_groups:
            if g not in TARGET_GROUPS:
                problems.append(
                    Problem(
                        "recommend",
                        "target_groups",
                        f"unknown target group {g!r}; use one of {', '.join(TARGET_GROUPS)}",
                    )
                )
    if horizon not in MODEL_HORIZONS:
        problems.append(
            Problem("recommend", "horizon", f"horizon must be one of {', '.join(MODEL_HORIZONS)}")
        )
    if problems:
        raise InvalidInput(problems)


def _effect_text(group: Mapping[str, Any]) -> str:
    unit = _UNIT_TEXT.get(group["unit"], group["unit"])
    money = f"{group['currency']} " if group.get("currency") else ""
    who = _studies(group["n_studies"])
    when = "all horizons" if group["horizon"] == "all" else f"{group['horizon']} run"
    return (
        f"pooled effect {money}{group['estimate']:+,.2f} {unit} "
        f"[{group['ci_low']:+,.2f}, {group['ci_high']:+,.2f}] ({when}; {group['k']} estimates, "
        f"{who}; I² {group['i2']:.0%})"
    )


def _reason(cell: Mapping[str, Any], group: str, context: str, horizon: str) -> str:
    label = TYPE_LABELS[cell["programme_type"]]
    head = f"{label}, {group.replace('_', ' ')}, {context} unemployment, {HORIZON_TEXT[horizon]}"
    if cell["status"] != "ok":
        return f"{head}: {INSUFFICIENT} ({'; '.join(cell['notes'])})."
    votes = cell["votes"]
    ids = ", ".join(cell["evidence_ids"][:6]) + ("…" if len(cell["evidence_ids"]) > 6 else "")
    return (
        f"{head}: {cell['p_positive']:.0%} chance that an estimate is significantly positive "
        f"[{cell['p_positive_low']:.0%}, {cell['p_positive_high']:.0%}]; "
        f"{cell['votes_positive']} of {votes} estimates at this horizon were significantly "
        f"positive and {cell['votes_negative']} significantly negative "
        f"({_studies(cell['studies'])}: {ids})."
    )


def _studies(n: int) -> str:
    return "1 study" if n == 1 else f"{n} studies"


def _effect(model: EffectivenessModel, ptype: str, horizon: str) -> dict[str, Any] | None:
    """The pooled effect size at the horizon, else over all horizons, else None.

    Computed once per model, type and horizon (a group's ``ids`` can be long).
    """
    cache = model.__dict__.setdefault("_effect_cache", {})
    if (ptype, horizon) not in cache:
        cache[ptype, horizon] = _pooled_effect(model, ptype, horizon)
    hit = cache[ptype, horizon]
    return None if hit is None else dict(hit)


def _pooled_effect(model: EffectivenessModel, ptype: str, horizon: str) -> dict[str, Any] | None:
    groups = [g.to_dict() for g in model.meta_for(ptype)]
    at = [g for g in groups if g["horizon"] == horizon]
    overall = [g for g in groups if g["horizon"] == "all" and horizon in g["horizons"]]
    pick = at or overall
    if not pick:
        return None
    pick = sorted(pick, key=lambda g: (-g["n_studies"], -g["k"], g["unit"], g["currency"]))
    return {**pick[0], "text": "; ".join(_effect_text(g) for g in pick)}


def _order(option: PolicyOption) -> tuple[Any, ...]:
    if not option.sufficient:
        return (1, 0.0, 0.0, option.programme_type)
    return (0, -(option.p_positive or 0.0), option.p_negative or 0.0, option.programme_type)


def recommend(
    context: RegionContext | Mapping[str, Any],
    target_groups: Sequence[str],
    horizon: str = "long",
    budget: float | Budget | None = None,
    *,
    model: EffectivenessModel | None = None,
    model_version: str = "",
    models_dir: str | Path | None = None,
) -> Recommendation:
    """Rank ALMP types for a region's context (see the module doc).

    Pass ``model`` (with its ``model_version``) or ``models_dir`` (the approved model is
    read from it).

    Raises:
        InvalidInput: unknown target group or horizon, or no approved model.
    """
    if isinstance(context, Mapping):
        context = RegionContext.from_dict(dict(context))
    _check(target_groups, horizon)
    if model is None:
        if models_dir is None:
            raise InvalidInput([Problem("recommend", "model", "give a model or a models_dir")])
        model, model_version = load_approved_model(models_dir)
    unemployment = context.unemployment
    notes = [
        f"{context.name} ({context.region}): {unemployment} unemployment "
        f"({context.unemployment_rate:.1f}% against {context.eu_unemployment_rate:.1f}% for "
        f"the EU-27 in {context.unemployment_year}).",
        f"Skill level ({context.skill_level}) and cycle phase ({context.cycle_phase}) are "
        "not coded in the evidence base, so they do not change these figures.",
    ]
    budget_info = _budget_info(budget)
    by_group: dict[str, tuple[PolicyOption, ...]] = {}
    for group in dict.fromkeys(target_groups):
        options = []
        for ptype in MODEL_TYPES:
            cell = model.cell(ptype, horizon, group, unemployment)
            ok = cell["status"] == "ok"
            effect = _effect(model, ptype, horizon)
            reason = _reason(cell, group, unemployment, horizon)
            if effect:
                reason += f" Effect sizes: {effect['text']}."
            options.append(
                PolicyOption(
                    rank=0,
                    programme_type=ptype,
                    label=TYPE_LABELS[ptype],
                    target_group=group,
                    horizon=horizon,
                    context=unemployment,
                    status=cell["status"],
                    p_positive=_num(cell["p_positive"]) if ok else None,
                    p_positive_low=_num(cell["p_positive_low"]) if ok else None,
                    p_positive_high=_num(cell["p_positive_high"]) if ok else None,
                    p_negative=_num(cell["p_negative"]) if ok else None,
                    votes=int(cell["votes"]),
                    studies=int(cell["studies"]),
                    evidence_ids=tuple(cell["evidence_ids"]),
                    effect=effect,
                    reason=reason,
                    notes=tuple(cell["notes"]),
                    participants_funded=_funded(budget, ptype),
                )
            )
        options.sort(key=_order)
        by_group[group] = tuple(replace(o, rank=i + 1) for i, o in enumerate(options))
    return Recommendation(
        model_version=model_version,
        region=context.region,
        context={
            "unemployment": unemployment,
            "skill_level": context.skill_level,
            "cycle_phase": context.cycle_phase,
        },
        horizon=horizon,
        target_groups=tuple(dict.fromkeys(target_groups)),
        by_group=by_group,
        notes=tuple(notes) + ((budget_info["note"],) if budget_info else ()),
        budget=budget_info,
    )


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _budget_info(budget: float | Budget | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    if isinstance(budget, Budget):
        if budget.total <= 0:
            raise InvalidInput([Problem("recommend", "budget", "the budget must be positive")])
        return {
            "total": budget.total,
            "currency": budget.currency,
            "unit_costs": dict(budget.unit_costs),
            "note": f"Budget {budget.total:,.0f} {budget.currency}: participants funded use "
            "the analyst's own cost per participant; the evidence base has no costs.",
        }
    total = float(budget)
    if not total > 0:
        raise InvalidInput([Problem("recommend", "budget", "the budget must be positive")])
    return {
        "total": total,
        "currency": "",
        "unit_costs": {},
        "note": f"Budget {total:,.0f}: recorded only; without costs per participant the "
        "evidence cannot weigh it.",
    }


def _funded(budget: float | Budget | None, ptype: str) -> float | None:
    if isinstance(budget, Budget):
        cost = budget.unit_costs.get(ptype)
        if cost and cost > 0:
            return budget.total / cost
    return None
