"""Pathways (workbench.pathways.build) on the shipped real pack, ESCO and evidence model.

The profiling model is a stand-in (any object with ``version``, ``features`` and
``predict_risk``), so these tests pin the pathway rules, not a fitted model's risks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from workbench.config import REAL_DATA_DIR
from workbench.data.labourdata import LabourData
from workbench.exceptions import InvalidInput
from workbench.labour.bridging import skill_gap, transitions
from workbench.labour.shortages import occupation_status
from workbench.pathways.build import Pathway, PathwayBuilder, build_pathways
from workbench.pathways.evidence import EvidenceView
from workbench.pathways.occupations import LabourView
from workbench.pathways.outcomes import return_to_work

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared_models"


class StandInModel:
    """Risk from the months in work: 0 months -> 0.9, 24 months -> 0.1 (interval +-0.05)."""

    version = "stand-in-3"
    features: ClassVar[list[str]] = ["months_employed_24m"]

    def predict_risk(self, frame: pd.DataFrame) -> pd.DataFrame:
        risk = 0.9 - frame["months_employed_24m"].to_numpy(float) / 30
        return pd.DataFrame(
            {"risk": risk, "risk_low": risk - 0.05, "risk_high": risk + 0.05}, index=frame.index
        )


MONTHS = {"high": 3, "medium": 15, "low": 22}  # risk 0.8, 0.4, 0.167


def person(pid: str, band: str = "high", **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "person_id": pid,
        "region": "ES61",
        "age_band": "30-54",
        "sex": "M",
        "origin": "national",
        "disability": False,
        "education": "medium",
        "isco": "",
        "months_employed_24m": MONTHS[band],
        "prior_spells_5y": 1,
        "prior_ltu": False,
        "synthetic": True,
    }
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def labour() -> LabourView:
    return LabourView.shipped()


@pytest.fixture(scope="module")
def evidence() -> EvidenceView:
    return EvidenceView.load(SHARED_MODELS)


@pytest.fixture(scope="module")
def es61_status() -> pd.DataFrame:
    """ES61's occupation statuses, computed here the way the diagnosis does."""
    pes = LabourData(REAL_DATA_DIR).pes_table()
    rows = pes[(pes["region"] == "ES61") & (pes["period"] == "2015")]
    return occupation_status(rows[["isco", "jobseekers", "vacancies"]].reset_index(drop=True))


def build(frame: pd.DataFrame, evidence: EvidenceView, labour: LabourView, **kw) -> list[Pathway]:
    builder = PathwayBuilder(evidence, labour, **kw)
    return builder.build(frame, StandInModel().predict_risk(frame), StandInModel.version)


def test_every_step_carries_a_reason_and_an_evidence_count(evidence, labour) -> None:
    frame = pd.DataFrame(
        [
            person(f"p{i}", band, isco=isco)
            for i, (band, isco) in enumerate(
                [("high", "7212"), ("medium", "2512"), ("low", ""), ("high", "9313")]
            )
        ]
    )
    pathways = build(frame, evidence, labour)
    assert [p.person for p in pathways] == ["p0", "p1", "p2", "p3"]
    for p in pathways:
        assert p.model_version == "stand-in-3" and p.evidence_version == evidence.version
        assert p.context is not None and p.context["region"] == "ES61"
        assert [s.order for s in p.steps] == list(range(1, len(p.steps) + 1))
        for step in p.steps:
            assert step.reason.startswith(step.label) and len(step.reason) > 80
            assert step.evidence_count > 0 and step.studies > 0 and step.evidence_ids
            assert step.step_id == f"{step.order}-{step.kind}"
            assert 0 <= step.effect_low <= step.expected_effect <= step.effect_high <= 1
            # the reason names its evidence; the sources give study and link for each id
            assert all(i in step.reason for i in step.evidence_ids)
            assert [s.split(" · ")[0] for s in step.sources][: len(step.evidence_ids)] == list(
                step.evidence_ids
            )
            assert any("http" in s for s in step.sources)


def test_the_band_rule_sets_the_steps(evidence, labour) -> None:
    frame = pd.DataFrame([person("h", "high"), person("m", "medium"), person("l", "low")])
    high, medium, low = build(frame, evidence, labour)
    assert (high.risk_band, medium.risk_band, low.risk_band) == ("high", "medium", "low")
    assert [s.kind for s in low.steps] == ["job_search_assistance"]
    assert [s.when for s in low.steps] == ["now"]
    assert [s.kind for s in medium.steps] == ["job_search_assistance", "training"]
    assert [s.when for s in high.steps] == [
        "now",
        "within 3 months",
        "if still unemployed after 6 months",
    ]
    assert high.steps[2].kind in ("private_sector_subsidy", "public_employment")
    assert any("light pathway" in n for n in low.notes)
    # the medium person's interval [0.35, 0.45] is below 0.5: no uncertainty note;
    # with the threshold at 0.42 it spans it and the band is high
    assert not any("spans the threshold" in n for n in medium.notes)
    again = build(frame.iloc[[1]], evidence, labour, threshold=0.42)[0]
    assert again.risk_band == "medium" and any("spans the threshold" in n for n in again.notes)


def test_the_same_input_gives_the_same_pathways(evidence, labour) -> None:
    rows = [
        person(f"p{i}", band, isco=isco, sex=sex)
        for i, (band, isco, sex) in enumerate(
            [("high", "7212", "F"), ("medium", "", "M"), ("low", "2512", "F"), ("high", "12", "X")]
        )
    ]
    frame = pd.DataFrame(rows)
    first = [p.to_json() for p in build(frame, evidence, labour)]
    fresh = [
        p.to_json() for p in build(frame, EvidenceView.load(SHARED_MODELS), LabourView.shipped())
    ]
    assert first == fresh
    shuffled = frame.iloc[[2, 0, 3, 1]].reset_index(drop=True)
    by_person = {p.person: p.to_json() for p in build(shuffled, evidence, labour)}
    assert [by_person[f"p{i}"] for i in range(4)] == first
    # records round-trip through their dicts and JSON
    for text in first:
        assert Pathway.from_dict(json.loads(text)).to_json() == text


def test_protected_attributes_never_choose_order_or_score_steps(evidence, labour) -> None:
    base = person("a", "high", isco="7212", education="low", prior_ltu=True)
    variants = [
        base,
        {**base, "person_id": "b", "sex": "F", "age_band": "16-24"},
        {**base, "person_id": "c", "origin": "non_eu", "disability": True, "age_band": "55+"},
    ]
    pathways = build(pd.DataFrame(variants), evidence, labour)
    shape = [
        [
            (s.kind, s.when, s.target_isco, s.skill_gap, s.expected_effect, s.evidence_count)
            for s in p.steps
        ]
        for p in pathways
    ]
    assert shape[0] == shape[1] == shape[2]
    # the evidence coded for women and youth (they have their own terms) is shown, and
    # the reason says why; it never appears for the others
    young_woman = pathways[1].steps[0].reason
    assert "for youth" in young_woman and "for women" in young_woman
    assert "never choose, order or score" in young_woman
    assert "Evidence coded by target group" not in pathways[0].steps[0].reason
    assert pathways[1].groups == {
        "age_band": "16-24",
        "sex": "F",
        "origin": "national",
        "disability": "false",
    }


def test_a_reachable_shortage_occupation_and_its_skill_gap(evidence, labour, es61_status) -> None:
    status = es61_status.set_index("isco")["status"]
    surplus = [c for c in status.index if status[c] != "shortage" and len(c) == 4]
    found = next((c for c in surplus if labour.move("ES61", c)[0] is not None), None)
    assert found is not None
    shortage = next(c for c in status.index if status[c] == "shortage")
    frame = pd.DataFrame(
        [person("mover", "high", isco=found), person("stayer", "high", isco=shortage)]
    )
    mover, stayer = build(frame, evidence, labour)
    training = mover.steps[1]
    assert training.kind == "training" and training.target_isco is not None
    assert status[training.target_isco] == "shortage"
    expected = skill_gap(labour.matrix(), found, training.target_isco)["skill_label"]
    assert training.skill_gap == tuple(expected)
    assert training.target_occupation.startswith(f"ISCO-08 {training.target_isco}")
    assert f"ISCO-08 {found}" in training.reason and "SYNTHETIC" in training.reason
    assert mover.steps[0].target_isco is None and mover.synthetic
    # own occupation in shortage: the job search starts there, no training target
    assert stayer.steps[0].target_isco == shortage and stayer.steps[1].target_isco is None
    assert any("is in shortage in ES61" in n for n in stayer.notes)


def test_missing_pieces_degrade_with_a_note(evidence, labour, tmp_path: Path) -> None:
    frame = pd.DataFrame([person("x", "high", isco="7212")])
    ctx = labour.context("ES61")[0]
    # no labour-market data, but a known context: evidence yes, occupations no
    (p,) = build(frame, evidence, LabourView(None, contexts={"ES61": ctx}))
    assert all(s.target_isco is None for s in p.steps)
    assert p.steps[0].evidence_count > 0
    assert any("No labour-market data for ES61" in n for n in p.notes)
    # no labour-market data at all: no context either, so no expected effect
    (p,) = build(frame, evidence, LabourView(None))
    assert p.context is None and all(s.expected_effect is None for s in p.steps)
    assert all(s.evidence_count == 0 and "No expected effect" in s.reason for s in p.steps)
    # no approved effectiveness model
    (p,) = build(frame, EvidenceView.load(tmp_path), labour)
    assert p.evidence_version == "" and any("No approved effectiveness model" in n for n in p.notes)
    assert all(s.expected_effect is None and s.reason for s in p.steps)
    # a region outside the pack, no previous job and a coarse ISCO code
    odd = pd.DataFrame([person("y", region="XX11"), person("z", isco=""), person("w", isco="72")])
    y, z, w = build(odd, evidence, labour)
    assert y.context is None and any("XX11" in n for n in y.notes)
    assert any("No previous occupation" in n for n in z.notes)
    assert any("not a 4-digit" in n for n in w.notes)


def test_return_to_work_rates_go_on_their_steps(evidence, labour) -> None:
    past = pd.DataFrame(
        [
            {"region": "ES61", "programme": "job_search_assistance", "employed_1m_6m": i < 9}
            for i in range(20)
        ]
        + [{"region": "ES61", "programme": "training", "employed_1m_6m": True}] * 4
    )
    frame = pd.DataFrame([person("r", "medium")])
    (p,) = build(frame, evidence, labour, outcomes=return_to_work(past))
    jsa, training = p.steps
    assert jsa.return_to_work == pytest.approx(0.45) and jsa.return_to_work_n == 20
    assert jsa.return_to_work_basis == "job_search_assistance · ES61, 20 people"
    assert "45% of 20 participants" in jsa.reason
    assert training.return_to_work is None and training.return_to_work_n == 0
    assert "fewer than 20 people" in training.return_to_work_basis


def test_build_pathways_scores_with_the_model_and_checks_its_input(evidence, labour) -> None:
    frame = pd.DataFrame([person("s", "high")])
    builder = PathwayBuilder(evidence, labour)
    (p,) = build_pathways(frame, StandInModel(), SHARED_MODELS, builder=builder)
    assert p.risk == pytest.approx(0.8) and (p.risk_low, p.risk_high) == pytest.approx((0.75, 0.85))
    with pytest.raises(InvalidInput, match="education"):
        builder.build(frame.drop(columns="education"), StandInModel().predict_risk(frame), "v")
    wrong = StandInModel().predict_risk(frame).set_axis([7])
    with pytest.raises(InvalidInput, match="index"):
        builder.build(frame, wrong, "v")
    with pytest.raises(InvalidInput, match="threshold"):
        PathwayBuilder(evidence, labour, threshold=1.5)


def test_large_batches_share_steps(evidence, labour) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        [
            person(
                f"q{i}",
                rng.choice(["high", "medium", "low"]),
                isco=str(rng.choice(["7212", "2512", "", "5223"])),
            )
            for i in range(300)
        ]
    )
    pathways = build(frame, evidence, labour)
    steps = {id(s) for p in pathways for s in p.steps}
    assert len(steps) < 20  # cached: a handful of distinct steps for 300 people
    assert len(pathways) == 300


def test_moves_follow_the_transitions_rule(labour, es61_status) -> None:
    """Every move of ES61 is the top-1 of ``transitions`` to the region's shortage groups."""
    status = es61_status.set_index("isco")["status"]
    known = set(labour.matrix().rows["id"])
    targets = [c for c in status.index if status[c] == "shortage" and c in known]
    sources = sorted(c for c in status.index if status[c] != "shortage" and c in known)
    expected = transitions(labour.matrix(), sources, targets, k=1, min_similarity=0.3)
    best = dict(zip(expected["source"], expected["target"], strict=True))
    labour.prepare(pd.DataFrame({"region": "ES61", "isco": sources}))
    got = {s: labour.move("ES61", s)[0] for s in sources}
    assert {s: m.target for s, m in got.items() if m is not None} == best
    assert len(best) > 20
    for source, move in got.items():
        if move is not None:
            sim = expected.loc[expected["source"] == source, "similarity"].iloc[0]
            assert move.similarity == pytest.approx(sim, abs=1e-6)


def test_a_model_trained_on_synthetic_rows_labels_every_pathway(evidence, labour) -> None:
    from workbench.pathways.build import SYNTHETIC_MODEL_NOTE
    from workbench.profiling.model import load_approved_profiling

    frame = pd.DataFrame([person("real-1", "high", synthetic=False)])
    builder = PathwayBuilder(evidence, labour)
    risks = StandInModel().predict_risk(frame)
    [plain] = builder.build(frame, risks, "v")
    assert not plain.synthetic and SYNTHETIC_MODEL_NOTE not in plain.notes
    [labelled] = builder.build(frame, risks, "v", model_synthetic=True)
    assert labelled.synthetic and labelled.notes[0] == SYNTHETIC_MODEL_NOTE
    assert labelled.steps == plain.steps  # the label changes nothing else
    # the shipped seed was trained on SYNTHETIC jobseekers, and says so through the pathways
    seed = load_approved_profiling(SHARED_MODELS)
    assert seed.trained_on_synthetic
    frame = frame.assign(isco="", months_employed_24m=10, own_transport=True)
    [scored] = build_pathways(frame, seed, SHARED_MODELS, labour=labour)
    assert scored.synthetic and SYNTHETIC_MODEL_NOTE in scored.notes
