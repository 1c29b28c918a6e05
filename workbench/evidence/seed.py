"""Write the shipped seed version of ``almp_effectiveness`` from the curated evidence base.

``python -m workbench.evidence.seed [SHARED_MODELS_DIR]`` (default: the repository's
``shared_models``) fits the model on ``almp_effectiveness/evidence/estimates.csv`` and
writes ``versions/1/model.json``, ``cells.json`` (the headline figures the registry diffs),
``card.md``, ``version.yaml`` and
the pointer ``model.yaml``. Maintainers run it when the curated base changes; a
workspace's later versions come from the registry (``workbench model …``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from workbench.evidence.base import read_evidence
from workbench.evidence.card import model_card
from workbench.evidence.model import fit_effectiveness
from workbench.evidence.training import DESCRIPTION, MODEL_NAME, cells_of
from workbench.registry.diff import cells_to_text

__all__ = ["SEED_APPROVER", "write_seed"]

SEED_APPROVER = "workbench maintainers (seed version, fitted from the shipped curated base)"


def write_seed(shared_models: Path, version: str = "1") -> Path:
    """Fit and write the seed version; returns the version folder."""
    root = shared_models / MODEL_NAME
    evidence_rel = "evidence/estimates.csv"
    evidence = read_evidence(root / evidence_rel)
    model = fit_effectiveness(evidence)
    folder = root / "versions" / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_bytes(model.to_json())
    (folder / "cells.json").write_text(cells_to_text(cells_of(model)), encoding="utf-8")
    (folder / "card.md").write_text(
        model_card(model, version=version, status="approved (seed)"), encoding="utf-8"
    )
    meta = {
        "version": version,
        "parent": None,
        "training_hash": model.training_hash,
        "created_by": SEED_APPROVER,
        "metrics": {k: float(v) for k, v in model.metrics.items()},
    }
    (folder / "version.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    pointer = {
        "name": MODEL_NAME,
        "version": version,
        "status": "approved",
        "approved_by": SEED_APPROVER,
        "reason": "seed version shipped with the workbench; review it before relying on it",
        "kind": "effectiveness-model",
        "description": DESCRIPTION,
        "files": [evidence_rel, f"versions/{version}/model.json"],
        "card": f"versions/{version}/card.md",
    }
    header = "# Pointer to the approved version; rewritten by the model registry.\n"
    (root / "model.yaml").write_text(
        header + yaml.safe_dump(pointer, sort_keys=False), encoding="utf-8"
    )
    return folder


if __name__ == "__main__":  # pragma: no cover - maintainer command
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("shared_models")
    print(write_seed(target))
