"""The profiling model: vectorised risk with the spread of the fold models, deterministic
for a fixed version, saved with skops behind an allow-list (never pickle), the approved
version read through the registry's pointer, and the shipped seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from workbench.exceptions import InvalidInput
from workbench.profiling.features import FeatureSet
from workbench.profiling.model import (
    FEATURES_FILE,
    MODEL_FILE,
    ProfilingModel,
    load_approved_profiling,
)
from workbench.profiling.schema import PROTECTED
from workbench.profiling.synthetic import generate_jobseekers
from workbench.profiling.trainer import SEED_APPROVER, write_seed

REPO_MODELS = Path(__file__).resolve().parents[2] / "shared_models"


class Stranger:
    """A type no allow-list knows."""

    def __init__(self) -> None:
        self.payload = "anything"


@pytest.fixture(scope="module")
def model() -> ProfilingModel:
    people = generate_jobseekers(1500, seed=11, regions=["ES61", "DE21"])
    fs = FeatureSet.build(None, people.columns)
    return ProfilingModel.fit(people, people["ltu"].astype(int), fs, method="sigmoid")


@pytest.fixture(scope="module")
def others() -> pd.DataFrame:
    frame = generate_jobseekers(300, seed=99, regions=["ES61", "BE10", "SE11"])
    return frame.set_axis([f"p{i}" for i in range(len(frame))])


def test_predict_risk_is_the_mean_of_the_fold_models_with_their_spread(
    model: ProfilingModel, others: pd.DataFrame
) -> None:
    out = model.predict_risk(others)
    assert list(out.columns) == ["risk", "risk_low", "risk_high"]
    assert out.index.equals(others.index)
    folds = model.fold_risks(others)
    assert folds.shape == (len(others), 5)
    np.testing.assert_allclose(out["risk"], folds.mean(axis=1))
    np.testing.assert_allclose(out["risk"], model.estimator.predict_proba(
        model.feature_set.transform(others))[:, 1])  # fmt: skip
    assert (out["risk_low"] <= out["risk"]).all() and (out["risk"] <= out["risk_high"]).all()
    assert ((out >= 0) & (out <= 1)).all().all()
    assert (out["risk_high"] - out["risk_low"]).mean() > 0  # the folds differ
    # the model orders risk the way the generator does: a long earlier spell raises it
    assert (
        out.loc[others["prior_ltu"], "risk"].mean() > out.loc[~others["prior_ltu"], "risk"].mean()
    )


def test_scoring_is_deterministic_and_row_by_row(
    model: ProfilingModel, others: pd.DataFrame
) -> None:
    first = model.predict_risk(others)
    pd.testing.assert_frame_equal(first, model.predict_risk(others.copy()))
    shuffled = others.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(model.predict_risk(shuffled).loc[others.index], first)
    one = model.predict_risk(others.iloc[[7]])
    pd.testing.assert_frame_equal(one, first.iloc[[7]])
    assert model.predict_risk(others.iloc[:0]).empty


def test_files_round_trip_with_skops_and_score_the_same(
    model: ProfilingModel, others: pd.DataFrame, tmp_path: Path
) -> None:
    files = model.to_files()
    assert set(files) == {MODEL_FILE, FEATURES_FILE}
    assert files[MODEL_FILE][:2] == b"PK"  # a skops zip, not a pickle stream
    folder = tmp_path / "versions" / "3"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    loaded = ProfilingModel.load(folder)
    assert loaded.version == "3" and loaded.features == model.features
    assert loaded.method == "sigmoid" and loaded.threshold == 0.5  # no audit.json: default
    (folder / "audit.json").write_text('{"threshold": 0.4}')
    assert ProfilingModel.load(folder).threshold == 0.4
    (folder / "audit.json").write_text('{"threshold": 4}')
    with pytest.raises(InvalidInput, match="not in"):
        ProfilingModel.load(folder)
    (folder / "audit.json").unlink()
    pd.testing.assert_frame_equal(loaded.predict_risk(others), model.predict_risk(others))
    assert ProfilingModel.load(folder / MODEL_FILE).version == "3"


def test_a_file_holding_unknown_types_is_refused_before_loading(
    model: ProfilingModel, tmp_path: Path
) -> None:
    (tmp_path / MODEL_FILE).write_bytes(sio.dumps({"model": Stranger()}))
    (tmp_path / FEATURES_FILE).write_bytes(model.feature_set.to_json())
    with pytest.raises(InvalidInput) as err:
        ProfilingModel.load(tmp_path)
    [problem] = err.value.problems
    assert problem.key == "types" and "Stranger" in problem.message
    assert "allow-list" in problem.message
    (tmp_path / MODEL_FILE).write_bytes(b"\x80\x04\x95 not a zip: a pickle header")
    with pytest.raises(InvalidInput, match="not a skops model file"):
        ProfilingModel.load(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(sio.dumps({"just": "a dict"}))
    with pytest.raises(InvalidInput, match="not a calibrated profiling model"):
        ProfilingModel.load(tmp_path)


def test_missing_input_column_is_named(model: ProfilingModel, others: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match=r"missing column.*months_employed_24m"):
        model.predict_risk(others.drop(columns="months_employed_24m"))
    # protected attributes are not needed to score (they are not features)
    model.predict_risk(others.drop(columns=list(PROTECTED)))


def test_the_shipped_seed_loads_with_skops_and_predicts(others: pd.DataFrame) -> None:
    seed = load_approved_profiling(REPO_MODELS)
    assert seed.version == "1" and seed.threshold == 0.5  # the audited decision threshold
    assert not set(seed.features) & set(PROTECTED)
    out = seed.predict_risk(others)
    assert out["risk"].between(0, 1).all() and out["risk"].std() > 0.05
    assert ProfilingModel.load(REPO_MODELS / "profiling").version == "1"
    card = (REPO_MODELS / "profiling" / "versions" / "1" / "card.md").read_text()
    assert "SYNTHETIC" in card and "decides nothing" in card


def test_the_shipped_seed_is_what_a_fresh_fit_gives(tmp_path: Path) -> None:
    """``python -m workbench.profiling.trainer --seed-version`` reproduces the shipped files."""
    shipped = REPO_MODELS / "profiling"
    fresh = write_seed(tmp_path / "profiling")
    for name in ("features.json", "cells.json", "card.md", "version.yaml"):
        assert (fresh / name).read_text() == (shipped / "versions" / "1" / name).read_text(), name
    assert (tmp_path / "profiling" / "model.yaml").read_text() == (
        shipped / "model.yaml"
    ).read_text()
    people = generate_jobseekers(500, seed=5, regions=["IE05", "ES61"])
    np.testing.assert_allclose(
        ProfilingModel.load(fresh).fold_risks(people),
        ProfilingModel.load(shipped / "versions" / "1").fold_risks(people),
        rtol=0,
        atol=1e-9,
    )
    assert SEED_APPROVER in (shipped / "model.yaml").read_text().replace("\n  ", " ")


def test_load_approved_needs_an_approved_version(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        load_approved_profiling(tmp_path)
    shutil.copytree(REPO_MODELS / "profiling", tmp_path / "profiling")
    pointer = tmp_path / "profiling" / "model.yaml"
    pointer.write_text(pointer.read_text().replace("status: approved", "status: candidate"))
    with pytest.raises(InvalidInput, match="not approved"):
        load_approved_profiling(tmp_path)
    with pytest.raises(InvalidInput, match=r"no model\.skops"):
        ProfilingModel.load(tmp_path / "nothing-here")
