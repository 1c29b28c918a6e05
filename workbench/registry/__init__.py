"""One registry for every shared model (issue 11): versions, approval, audit log.

Modules: :mod:`~workbench.registry.types` (the trainer contract: :class:`Cell`,
:class:`TrainedVersion`), :mod:`~workbench.registry.diff` (cells compared between
versions), :mod:`~workbench.registry.layout` (``model.yaml`` pointer and ``versions/``
folders on disk), :mod:`~workbench.registry.records` (what it reports) and
:mod:`~workbench.registry.service` (:class:`ModelRegistry`).
"""

from workbench.registry.diff import CellChange, diff_cells
from workbench.registry.layout import approved_file
from workbench.registry.service import (
    Decision,
    EventInfo,
    Gate,
    ModelRegistry,
    ModelSummary,
    VersionInfo,
)
from workbench.registry.types import Cell, TrainedVersion, Trainer

__all__ = [
    "Cell",
    "CellChange",
    "Decision",
    "EventInfo",
    "Gate",
    "ModelRegistry",
    "ModelSummary",
    "TrainedVersion",
    "Trainer",
    "VersionInfo",
    "approved_file",
    "diff_cells",
]
