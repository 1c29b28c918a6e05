"""The registry's trainer for ``almp_effectiveness``: evidence frame -> a new version.

:func:`train` validates the evidence, fits :func:`~workbench.evidence.model.fit_effectiveness`
and returns a :class:`~workbench.registry.types.TrainedVersion` with two files
(``model.json``, the fitted values, and ``estimates.csv``, the exact training table), the
model card, the validation metrics and one headline cell per (type, horizon, group,
context): P(significantly positive), which the registry diffs between versions.
"""

from __future__ import annotations

import pandas as pd

from workbench.evidence.base import canonical_csv, validate_evidence
from workbench.evidence.card import model_card
from workbench.evidence.model import EffectivenessModel, fit_effectiveness
from workbench.registry.types import Cell, TrainedVersion

__all__ = ["MODEL_NAME", "cells_of", "train", "trained_version"]

MODEL_NAME = "almp_effectiveness"
DESCRIPTION = (
    "Vote-count model (ordered probit, study-clustered) and random-effects meta-analysis of "
    "published ALMP estimates, by programme type, horizon, target group and unemployment "
    "context (after Card, Kluve & Weber)."
)


def cells_of(model: EffectivenessModel) -> dict[str, Cell]:
    """P(significantly positive) of every cell, for the registry's diff."""
    out: dict[str, Cell] = {}
    for r in model.cells.to_dict(orient="records"):
        ok = r["status"] == "ok"
        label = (
            f"{r['programme_type']} · {r['horizon']} · {r['target_group']} · "
            f"{r['unemployment_context']} unemployment: P(significantly positive)"
        )
        out[r["key"]] = Cell(
            value=float(r["p_positive"]) if ok else None,
            low=float(r["p_positive_low"]) if ok else None,
            high=float(r["p_positive_high"]) if ok else None,
            n=int(r["votes"]),
            label=label,
        )
    return out


def trained_version(
    model: EffectivenessModel, evidence: pd.DataFrame, version: str = ""
) -> TrainedVersion:
    """Package a fitted model and its training table for the registry."""
    metrics = {k: float(v) for k, v in model.metrics.items()}
    return TrainedVersion(
        files={
            "model.json": model.to_json(),
            "estimates.csv": canonical_csv(evidence).encode("utf-8"),
        },
        card=model_card(model, version=version),
        metrics=metrics,
        cells=cells_of(model),
        training_hash=model.training_hash,
        kind="effectiveness-model",
        description=DESCRIPTION,
    )


def train(frame: pd.DataFrame) -> TrainedVersion:
    """Validate ``frame`` as an evidence table, fit the model and package it.

    Raises:
        InvalidInput: a bad evidence row (with its row and field).
        ValueError: too little usable evidence to fit.
    """
    evidence = validate_evidence(frame, source="evidence")
    return trained_version(fit_effectiveness(evidence), evidence)
