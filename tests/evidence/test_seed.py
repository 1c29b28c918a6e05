"""Tests for the shipped seed version of almp_effectiveness (workbench.evidence.seed)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml

from workbench.evidence.base import evidence_hash, read_evidence
from workbench.evidence.model import EffectivenessModel
from workbench.evidence.seed import SEED_APPROVER, write_seed
from workbench.shared_models import load_shared_model

SHARED = Path(__file__).resolve().parents[2] / "shared_models"
ROOT = SHARED / "almp_effectiveness"
FIGURES = (
    "p_negative",
    "p_insignificant",
    "p_positive",
    "p_positive_low",
    "p_positive_high",
    "p_negative_low",
    "p_negative_high",
)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seed written from the shipped CSV into a scratch shared_models folder."""
    target = tmp_path_factory.mktemp("shared_models")
    (target / "almp_effectiveness" / "evidence").mkdir(parents=True)
    shutil.copy(ROOT / "evidence" / "estimates.csv", target / "almp_effectiveness" / "evidence")
    folder = write_seed(target)
    assert folder == target / "almp_effectiveness" / "versions" / "1"
    return target


@pytest.fixture(scope="module")
def shipped() -> EffectivenessModel:
    return EffectivenessModel.load(ROOT / "versions" / "1" / "model.json")


def test_shipped_model_is_reproducible(fresh: Path, shipped: EffectivenessModel) -> None:
    refit = EffectivenessModel.load(fresh / "almp_effectiveness" / "versions" / "1" / "model.json")
    evidence = read_evidence(ROOT / "evidence" / "estimates.csv")
    assert shipped.training_hash == refit.training_hash == evidence_hash(evidence)
    assert shipped.counts == refit.counts
    assert list(shipped.cells["key"]) == list(refit.cells["key"])
    a = shipped.cells.set_index("key")
    b = refit.cells.set_index("key")
    assert (a["status"] == b["status"]).all()
    assert (a["votes"] == b["votes"]).all() and (a["studies"] == b["studies"]).all()
    for key in a.index:
        for f in FIGURES:
            x, y = a.at[key, f], b.at[key, f]
            if isinstance(x, float) and math.isnan(x):
                assert isinstance(y, float) and math.isnan(y), (key, f)
            else:
                assert x == pytest.approx(y, abs=1e-6), (key, f)
    assert [t.name for t in shipped.vote.terms] == [t.name for t in refit.vote.terms]
    assert [p["verdict"] for p in shipped.patterns] == [p["verdict"] for p in refit.patterns]
    # effect sizes: the same groups, pooled to the same values
    assert [g.key for g in shipped.meta] == [g.key for g in refit.meta]
    for g, h in zip(shipped.meta, refit.meta, strict=True):
        assert g.ids == h.ids
        assert g.estimate == pytest.approx(h.estimate, rel=1e-6)
        assert g.tau2 == pytest.approx(h.tau2, rel=1e-6, abs=1e-9)


def test_pointer_lists_existing_files() -> None:
    pointer = yaml.safe_load((ROOT / "model.yaml").read_text())
    assert pointer["name"] == "almp_effectiveness"
    assert pointer["status"] == "approved"
    for rel in [*pointer["files"], pointer["card"]]:
        assert (ROOT / rel).is_file(), rel
    version = pointer["version"]
    assert f"versions/{version}/model.json" in pointer["files"]
    shared = load_shared_model(SHARED, "almp_effectiveness")
    assert shared.status == "approved" and shared.version == version


def test_card_and_version_file(shipped: EffectivenessModel) -> None:
    card = (ROOT / "versions" / "1" / "card.md").read_text(encoding="utf-8")
    assert shipped.training_hash in card
    assert "approved (seed)" in card
    meta = yaml.safe_load((ROOT / "versions" / "1" / "version.yaml").read_text())
    assert meta["training_hash"] == shipped.training_hash
    assert meta["created_by"] == SEED_APPROVER
    assert meta["metrics"] == pytest.approx(shipped.metrics)


def test_write_seed_output(fresh: Path) -> None:
    root = fresh / "almp_effectiveness"
    pointer = yaml.safe_load((root / "model.yaml").read_text())
    shipped_pointer = yaml.safe_load((ROOT / "model.yaml").read_text())
    assert pointer == shipped_pointer
    model = EffectivenessModel.load(root / "versions" / "1" / "model.json")
    assert model.training_hash in (root / "versions" / "1" / "card.md").read_text()
    assert load_shared_model(fresh, "almp_effectiveness").files == tuple(pointer["files"])
