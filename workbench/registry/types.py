"""The trainer contract: what a model's trainer hands the registry for a new version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Cell:
    """One headline figure of a model, for diffs between versions."""

    value: float | None  # None = insufficient evidence
    low: float | None = None
    high: float | None = None
    n: int = 0
    label: str = ""  # human name, e.g. "training · long · general · high unemployment: …"


@dataclass(frozen=True)
class TrainedVersion:
    """A fitted version: its files, card, validation metrics and headline cells."""

    files: dict[str, bytes]  # file name -> content, written into versions/<v>/
    card: str  # model card markdown (written as versions/<v>/card.md)
    metrics: dict[str, float]  # validation metrics (e.g. cv_log_loss)
    cells: dict[str, Cell]  # key -> headline figure
    training_hash: str
    kind: str = ""
    description: str = ""


Trainer = Callable[[pd.DataFrame], TrainedVersion]

__all__ = ["Cell", "TrainedVersion", "Trainer"]
