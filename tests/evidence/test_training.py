"""Tests for the registry trainer of almp_effectiveness (workbench.evidence.training)."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.evidence.base import EVIDENCE_PATH, canonical_csv, evidence_hash, read_evidence
from workbench.evidence.model import INSUFFICIENT, EffectivenessModel
from workbench.evidence.training import MODEL_NAME, train
from workbench.exceptions import InvalidInput
from workbench.registry.types import Cell, TrainedVersion


@pytest.fixture(scope="module")
def evidence() -> pd.DataFrame:
    return read_evidence(EVIDENCE_PATH)


@pytest.fixture(scope="module")
def trained(evidence: pd.DataFrame) -> TrainedVersion:
    return train(evidence)


def test_trained_version_files(trained: TrainedVersion, evidence: pd.DataFrame) -> None:
    assert isinstance(trained, TrainedVersion)
    assert MODEL_NAME == "almp_effectiveness"
    assert set(trained.files) == {"model.json", "estimates.csv"}
    assert trained.files["estimates.csv"] == canonical_csv(evidence).encode("utf-8")
    model = EffectivenessModel.from_json(trained.files["model.json"])
    assert model.to_json() == trained.files["model.json"]
    assert trained.training_hash == model.training_hash == evidence_hash(evidence)
    assert trained.kind == "effectiveness-model" and trained.description
    assert trained.training_hash in trained.card
    assert trained.metrics == {k: float(v) for k, v in model.metrics.items()}
    assert "cv_log_loss" in trained.metrics


def test_cells_keyed_like_the_model(trained: TrainedVersion) -> None:
    model = EffectivenessModel.from_json(trained.files["model.json"])
    assert list(trained.cells) == list(model.cells["key"])
    for r in model.cells.to_dict(orient="records"):
        cell = trained.cells[r["key"]]
        assert isinstance(cell, Cell)
        assert cell.n == r["votes"]
        assert r["programme_type"] in cell.label and r["unemployment_context"] in cell.label
        if r["status"] == INSUFFICIENT:
            assert cell.value is None and cell.low is None and cell.high is None
        else:
            assert cell.value == pytest.approx(r["p_positive"])
            assert cell.low <= cell.value <= cell.high


def test_same_evidence_same_bytes(trained: TrainedVersion, evidence: pd.DataFrame) -> None:
    # rows in another order are the same table: same hash, same fitted file
    again = train(evidence.iloc[::-1])
    assert again.training_hash == trained.training_hash
    assert again.files["estimates.csv"] == trained.files["estimates.csv"]
    # the optimiser sees the votes in another order: figures agree to its tolerance
    assert list(again.cells) == list(trained.cells)
    for key, cell in trained.cells.items():
        other = again.cells[key]
        assert (cell.value is None) == (other.value is None), key
        if cell.value is not None:
            assert other.value == pytest.approx(cell.value, abs=1e-6), key


def test_bad_frame_names_row_and_field(evidence: pd.DataFrame) -> None:
    bad = evidence.copy()
    bad.loc[3, "horizon"] = "forever"
    bad.loc[5, "se"] = -1.0
    with pytest.raises(InvalidInput) as info:
        train(bad)
    problems = info.value.problems
    keys = {p.key for p in problems}
    assert {"horizon", "se"} <= keys
    horizon = next(p for p in problems if p.key == "horizon")
    assert "index 3" in horizon.message and "forever" in horizon.message
    se = next(p for p in problems if p.key == "se")
    assert "index 5" in se.message and "negative" in se.message
    assert all(p.source == "evidence" for p in problems)
