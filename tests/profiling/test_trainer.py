"""Training a profiling version: validation, held-out metrics, the fairness audit and the
card; the registry's fairness gate (a candidate above the limits needs a logged override),
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import Settings
from workbench.exceptions import InvalidInput
from workbench.profiling.fairness import FairnessLimits
from workbench.profiling.features import FeaturePolicy, FeatureSet, Justification
from workbench.profiling.model import ProfilingModel, load_approved_profiling
from workbench.profiling.schema import PROTECTED
from workbench.profiling.synthetic import generate_jobseekers
from workbench.profiling.trainer import (
    AUDIT_FILE,
    fairness_gate,
    read_audit,
    train_profiling,
)
from workbench.registry import TrainedVersion
from workbench.registry.service import GATES
from workbench.service import Workbench

STRICT = FairnessLimits(max_dp_difference=0.0, max_eo_difference=0.0, min_dp_ratio=1.0,
                        min_eo_ratio=1.0)  # fmt: skip
LOOSE = FairnessLimits(max_dp_difference=1.0, max_eo_difference=1.0, min_dp_ratio=0.0,
                       min_eo_ratio=0.0)  # fmt: skip
WHY = Justification("disability", "Dr. Ana Ruiz", "reasonable-adjustment budget planning")


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate_jobseekers(3000, seed=21, regions=["ES61", "DE21", "BE10"])


@pytest.fixture(scope="module")
def strict(people: pd.DataFrame) -> TrainedVersion:
    return train_profiling(
        people,
        limits=STRICT,
        policy=FeaturePolicy((WHY,)),
        lawful_basis="Art. 6(1)(e) public task (Employment Services Act s. 12)",
        minimisation="no health data beyond the disability flag",
        override_signals=["counsellors rejected the training step for 40% of women 16-24 (n=25)"],
    )


@pytest.fixture(scope="module")
def loose(people: pd.DataFrame) -> TrainedVersion:
    return train_profiling(people, limits=LOOSE, threshold=0.4, method="sigmoid")


def test_a_version_has_its_files_metrics_and_cells(strict: TrainedVersion) -> None:
    assert set(strict.files) == {"model.skops", "features.json", AUDIT_FILE, "tradeoff.png"}
    assert strict.files["tradeoff.png"][:8] == b"\x89PNG\r\n\x1a\n"
    m = strict.metrics
    assert m["n_train"] == 2250 and m["n_test"] == 750
    assert 0.65 < m["test_auc"] < 0.95 and 0.1 < m["test_brier"] < 0.25
    assert strict.kind == "profiling-model" and len(strict.training_hash) == 64
    assert strict.cells["metric|auc"].value == pytest.approx(m["test_auc"])
    sel = strict.cells["selection_rate|sex|F"]
    assert sel.n > 300 and 0 < sel.value < 1 and "0.5" in sel.label
    assert "eo_difference|origin" in strict.cells
    doc = json.loads(strict.files[AUDIT_FILE])
    assert doc["threshold"] == 0.5 and doc["limits"]["min_dp_ratio"] == 1.0
    assert doc["audit"]["thresholds"] == [0.3, 0.5, 0.7]
    assert doc["audit"]["attributes"] == list(PROTECTED)
    assert len(doc["breaches"]) == m["fairness_breaches"] > 0


def test_the_card_states_use_data_audit_justifications_gdpr_and_overrides(
    strict: TrainedVersion,
) -> None:
    card = strict.card
    assert "decides nothing" in card and "SYNTHETIC" in card
    assert "## Fairness audit at the decision threshold 0.5" in card
    assert "| sex | F |" in card and "cannot be approved without a recorded override" in card
    assert "| 0.3 |" in card and "| 0.7 |" in card  # the trade-off table
    assert "](tradeoff.png)" in card
    assert "| disability | Dr. Ana Ruiz |" in card  # the justifications log
    assert "reasonable-adjustment budget planning" in card
    assert "Art. 6(1)(e) public task (Employment Services Act s. 12)" in card
    assert "audit only: `sex`, `origin`, `age_band`" in card
    assert "no health data beyond the disability flag" in card
    assert "rejected the training step for 40% of women 16-24" in card
    features = json.loads(strict.files["features.json"])
    assert features["protected_used"] == ["disability"]
    assert features["policy"]["justifications"][0]["reason"] == WHY.reason


def test_defaults_say_what_is_missing(loose: TrainedVersion) -> None:
    assert "not stated: the PES's data protection officer must fill this in" in loose.card
    assert "None: no protected attribute is a feature" in loose.card
    assert "None recorded for this version yet" in loose.card
    assert "sigmoid" in loose.card and loose.metrics["threshold"] == 0.4
    # the decision threshold is audited too, next to the usual three
    assert json.loads(loose.files[AUDIT_FILE])["audit"]["thresholds"] == [0.3, 0.4, 0.5, 0.7]


def test_bad_rows_are_reported_with_row_and_field(people: pd.DataFrame) -> None:
    bad = people.head(400).copy()
    bad = bad.astype({"months_employed_24m": object, "ltu": object})
    bad.loc[5, "months_employed_24m"] = 99
    bad.loc[9, "ltu"] = None
    with pytest.raises(InvalidInput) as err:
        train_profiling(bad, source="pes.csv")
    said = [str(p) for p in err.value.problems]
    assert any("5" in s and "months_employed_24m" in s for s in said), said
    assert any("9" in s and "ltu" in s for s in said), said
    with pytest.raises(InvalidInput, match="ltu"):
        train_profiling(people.drop(columns="ltu").head(400))
    with pytest.raises(InvalidInput, match="at least 200 rows"):
        train_profiling(people.head(150))
    with pytest.raises(InvalidInput, match="threshold"):
        train_profiling(people.head(400), threshold=1.5)


def test_the_gate_is_registered_for_profiling() -> None:
    assert GATES["profiling"] == "workbench.profiling.trainer:fairness_gate"


@pytest.fixture
def wb(workspace: Path, db_url: str) -> Workbench:
    service = Workbench(Settings(home=workspace, db_url=db_url))
    yield service
    service.close()


def test_a_candidate_above_the_limits_needs_a_logged_override(
    wb: Workbench, workspace: Path, strict: TrainedVersion
) -> None:
    reg = wb.registry
    version = reg.create_candidate("profiling", strict, by="Ana", reason="retrained on 2026 data")
    assert version == "2"  # the shipped seed is version 1
    problems = fairness_gate(reg.show("profiling", version))
    assert problems and all(p.key == "fairness" for p in problems)
    with pytest.raises(InvalidInput) as err:
        reg.approve("profiling", version, by="Boss", reason="looks fine")
    said = " ".join(str(p) for p in err.value.problems)
    assert "demographic parity" in said and "--override" in said
    assert reg.approved("profiling").version == "1"
    assert load_approved_profiling(workspace / "shared_models").version == "1"

    decision = reg.approve(
        "profiling", version, by="Boss", reason="pilot in two offices",
        override="works council agreed: limits reviewed monthly; counsellors decide",
    )  # fmt: skip
    assert decision.version == version and decision.previous == "1"
    event = reg.events("profiling")[-1]
    assert (event.action, event.version, event.by) == ("approve", version, "Boss")
    assert event.override == "works council agreed: limits reviewed monthly; counsellors decide"
    assert event.reason == "pilot in two offices" and event.at is not None
    model = load_approved_profiling(workspace / "shared_models")
    assert model.version == version and "disability" in model.features


def test_a_candidate_within_the_limits_is_approved_without_override(
    wb: Workbench, workspace: Path, loose: TrainedVersion
) -> None:
    version = wb.registry.create_candidate("profiling", loose, by="Ana", reason="loose limits")
    assert fairness_gate(wb.registry.show("profiling", version)) == []
    wb.registry.approve("profiling", version, by="Boss", reason="within the agreed limits")
    assert wb.registry.events("profiling")[-1].override is None
    model = load_approved_profiling(workspace / "shared_models")
    assert (model.version, model.threshold, model.method) == (version, 0.4, "sigmoid")


def test_the_gate_fails_closed_without_a_readable_audit(wb: Workbench, tmp_path: Path) -> None:
    info = wb.registry.show("profiling", "1")
    assert read_audit(info).threshold == 0.5  # the shipped seed has one
    [problem] = fairness_gate(replace(info, files=("versions/1/model.skops",)))
    assert "no fairness audit" in problem.message
    (tmp_path / "audit.json").write_text('{"threshold": 0.5}')
    [problem] = fairness_gate(replace(info, directory=tmp_path, files=("audit.json",)))
    assert "unreadable fairness audit" in problem.message


def test_a_justified_protected_feature_is_fitted(strict: TrainedVersion, tmp_path: Path) -> None:
    for name, data in strict.files.items():
        (tmp_path / name).write_bytes(data)
    model = ProfilingModel.load(tmp_path)
    assert set(model.input_columns()) & set(PROTECTED) == {"disability"}
    assert model.feature_set == FeatureSet.from_json(strict.files["features.json"])


def test_the_shipped_seed_carries_its_override_into_the_log(wb: Workbench, workspace: Path) -> None:
    [seeded] = [e for e in wb.registry.events("profiling") if e.action == "seeded"]
    assert seeded.version == "1" and "SYNTHETIC" in (seeded.override or "")
    assert "0.147" in (seeded.override or "")  # the breaches it overrides are named


def test_a_shipped_pointer_may_not_approve_past_the_gate_silently(
    workspace: Path, db_url: str
) -> None:
    import yaml

    pointer = workspace / "shared_models" / "profiling" / "model.yaml"
    data = yaml.safe_load(pointer.read_text())
    del data["override"]
    pointer.write_text(yaml.safe_dump(data))
    service = Workbench(Settings(home=workspace, db_url=db_url))
    try:
        with pytest.raises(InvalidInput) as err:
            service.registry.versions("profiling")
        said = " ".join(str(p) for p in err.value.problems)
        assert "demographic parity" in said and "add `override:`" in said
    finally:
        service.close()
