"""Tests for skill-based bridging: similarities, transitions and skill gaps.

The tiny sample (5 occupations, 8 skills; essential weight 1, optional 0.5):

    A 7212: essential s1 s2 s3, optional s4     -> A = {s1:1, s2:1, s3:1, s4:.5}, |A|^2 = 3.25
    B 7212: essential s1 s2 s5, optional s3     -> B = {s1:1, s2:1, s5:1, s3:.5}, |B|^2 = 3.25
    C 7213: essential s1 s4 s6                  -> C = {s1:1, s4:1, s6:1},        |C|^2 = 3
    D 2512: essential s7 s8, optional s1        -> D = {s7:1, s8:1, s1:.5},       |D|^2 = 2.25
    E 2512: essential s7, optional s8           -> E = {s7:1, s8:.5},             |E|^2 = 1.25

A.B = 1 + 1 + .5 = 2.5; A.C = 1 + .5 = 1.5; A.D = .5; A.E = 0; C.B = 1; C.D = .5;
D.E = 1 + .5 = 1.5. Every expected number below is worked out from this table by hand.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from workbench.data.esco import Esco, packaged_esco
from workbench.labour.bridging import (
    UnknownIdError,
    group_matrix,
    nearest_occupations,
    similarity,
    skill_gap,
    skill_gaps,
    skill_matrix,
    training_needs,
    transitions,
)

OCCUPATIONS = [("A", "welder", "7212"), ("B", "pipe welder", "7212"),
               ("C", "sheet metal worker", "7213"), ("D", "software developer", "2512"),
               ("E", "web developer", "2512")]  # fmt: skip
RELATIONS = {
    "A": {"s1": "essential", "s2": "essential", "s3": "essential", "s4": "optional"},
    "B": {"s1": "essential", "s2": "essential", "s5": "essential", "s3": "optional"},
    "C": {"s1": "essential", "s4": "essential", "s6": "essential"},
    "D": {"s7": "essential", "s8": "essential", "s1": "optional"},
    "E": {"s7": "essential", "s8": "optional"},
}


def make_esco(occupations, relations) -> Esco:
    """An Esco built from (id, label, isco) tuples and {occupation: {skill: relation}}."""
    skills = sorted({s for rel in relations.values() for s in rel})
    occ = pd.DataFrame(
        [(o, label, isco, f"{isco}.1") for o, label, isco in occupations],
        columns=["uri", "label", "isco", "code"],
    )
    sk = pd.DataFrame(
        [(s, f"skill {s}", "skill/competence", "cross-sector") for s in skills],
        columns=["uri", "label", "skill_type", "reuse_level"],
    )
    rel = pd.DataFrame(
        [(o, s, kind) for o, rel in relations.items() for s, kind in rel.items()],
        columns=["occupation_uri", "skill_uri", "relation"],
    )
    return Esco(occupations=occ, skills=sk, relations=rel, source="tiny")


@pytest.fixture(scope="module")
def tiny():
    return skill_matrix(make_esco(OCCUPATIONS, RELATIONS))


def test_top_transition_similarity_and_gap_by_hand(tiny) -> None:
    out = transitions(tiny, ["A"], k=5)
    assert out["target"].tolist() == ["B", "C", "D"]  # E shares no skill with A
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["similarity"].tolist() == pytest.approx(
        [2.5 / 3.25, 1.5 / math.sqrt(3.25 * 3), 0.5 / math.sqrt(3.25 * 2.25)]
    )
    assert out["source_label"].unique().tolist() == ["welder"]
    assert out["target_label"].tolist() == ["pipe welder", "sheet metal worker",
                                            "software developer"]  # fmt: skip
    # B needs s1 s2 s5 (A lacks s5); C needs s1 s4 s6 (A has s4 as optional: lacks s6);
    # D needs s7 s8 (both lacking).
    assert out["n_target_essential"].tolist() == [3, 3, 2]
    assert out["n_missing_essential"].tolist() == [1, 1, 2]
    assert out["missing_share"].tolist() == pytest.approx([1 / 3, 1 / 3, 1.0])
    assert skill_gap(tiny, "A", "B")["skill_uri"].tolist() == ["s5"]
    assert skill_gap(tiny, "A", "C")["skill_uri"].tolist() == ["s6"]
    gap = skill_gap(tiny, "A", "D")
    assert list(gap.columns) == ["skill_uri", "skill_label", "skill_type", "reuse_level"]
    assert gap["skill_label"].tolist() == ["skill s7", "skill s8"]
    assert skill_gap(tiny, "A", "D", limit=1)["skill_uri"].tolist() == ["s7"]
    assert skill_gap(tiny, "B", "A").empty  # B holds s1, s2 and s3 (optional)


def test_similarity_matrix_by_hand(tiny) -> None:
    sims = similarity(tiny)
    assert sims.shape == (5, 5)
    assert np.diag(sims) == pytest.approx(np.ones(5))
    assert np.allclose(sims, sims.T)
    assert sims[2, 1] == pytest.approx(1 / math.sqrt(3 * 3.25))  # C.B
    assert sims[3, 4] == pytest.approx(1.5 / math.sqrt(2.25 * 1.25))  # D.E
    assert sims[0, 4] == 0.0
    sub = similarity(tiny, rows=["E", "A"], targets=["D"])
    assert sub[:, 0] == pytest.approx([1.5 / math.sqrt(2.25 * 1.25), 0.5 / math.sqrt(3.25 * 2.25)])


def test_nearest_occupations_by_hand(tiny) -> None:
    near = nearest_occupations(tiny, k=1)
    assert list(near.columns) == ["source", "target", "similarity", "rank"]
    # C: A (1.5/sqrt(9.75)=.48) beats B (1/sqrt(9.75)) and D (.5/sqrt(6.75)=.19)
    assert dict(zip(near["source"], near["target"], strict=True)) == {
        "A": "B", "B": "A", "C": "A", "D": "E", "E": "D",
    }  # fmt: skip
    full = nearest_occupations(tiny, k=10)
    assert (full["source"] != full["target"]).all()
    assert full.groupby("source").size().to_dict() == {"A": 3, "B": 3, "C": 3, "D": 4, "E": 1}


def test_ties_go_to_the_smaller_id_and_filters() -> None:
    # z3, z1, z2 have identical profiles: similarity 1 each; z0 shares only half.
    esco = make_esco(
        [("z3", "c", "1111"), ("z1", "a", "1111"), ("z2", "b", "1111"), ("z0", "d", "1111")],
        {"z3": {"t1": "essential"}, "z1": {"t1": "essential"}, "z2": {"t1": "essential"},
         "z0": {"t1": "essential", "t2": "essential"}},
    )  # fmt: skip
    m = skill_matrix(esco)
    out = transitions(m, ["z3", "z2"], k=2)
    assert out["source"].tolist() == ["z2", "z2", "z3", "z3"]
    assert out["target"].tolist() == ["z1", "z3", "z1", "z2"]
    assert out["similarity"].tolist() == pytest.approx([1.0] * 4)
    assert m.rows["id"].tolist() == ["z0", "z1", "z2", "z3"]
    only = transitions(m, ["z3"], targets=["z0", "z3", "z2"], k=5)
    assert only["target"].tolist() == ["z2", "z0"]  # never itself
    high = transitions(m, ["z3"], k=5, min_similarity=0.9)
    assert high["target"].tolist() == ["z1", "z2"]  # z0: 1/sqrt(2) < 0.9
    none = transitions(m, ["z3"], targets=[], k=5)
    assert none.empty
    assert list(none.columns) == list(out.columns)


def test_weights_and_idf_by_hand() -> None:
    esco = make_esco(OCCUPATIONS, RELATIONS)
    no_optional = skill_matrix(esco, optional_weight=0.0)
    # A = {s1, s2, s3}, B = {s1, s2, s5}: 2 / 3
    assert similarity(no_optional, ["A"], ["B"])[0, 0] == pytest.approx(2 / 3)
    assert skill_gap(no_optional, "B", "A").empty  # optional skills still count as held
    m = skill_matrix(esco, idf=True)
    # smoothed IDF over 5 occupations: ln(6 / (1 + df)) + 1
    df = {"s1": 4, "s2": 2, "s3": 2, "s4": 2, "s5": 1, "s6": 1, "s7": 2, "s8": 2}
    idf = {s: math.log(6 / (1 + n)) + 1 for s, n in df.items()}
    assert m.idf.tolist() == pytest.approx([idf[s] for s in sorted(idf)])
    a = {"s1": idf["s1"], "s2": idf["s2"], "s3": idf["s3"], "s4": 0.5 * idf["s4"]}
    d = {"s7": idf["s7"], "s8": idf["s8"], "s1": 0.5 * idf["s1"]}
    expected = (
        a["s1"]
        * d["s1"]
        / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in d.values()))
    )
    assert similarity(m, ["A"], ["D"])[0, 0] == pytest.approx(expected)
    # A and D share only the ubiquitous s1: IDF lowers their similarity
    assert expected < 0.5 / math.sqrt(3.25 * 2.25)
    with pytest.raises(ValueError, match="essential_weight"):
        skill_matrix(esco, essential_weight=0)
    with pytest.raises(ValueError, match="optional_weight"):
        skill_matrix(esco, optional_weight=-1)


def test_skill_gaps_vectorised_and_training_needs(tiny) -> None:
    pairs = [("A", "B"), ("C", "B"), ("A", "D"), ("B", "A")]
    gaps = skill_gaps(tiny, pairs)
    assert list(gaps.columns) == ["source", "target", "skill_uri", "skill_label", "skill_type",
                                  "reuse_level"]  # fmt: skip
    # C holds s1 s4 s6, B needs s1 s2 s5
    assert list(zip(gaps["source"], gaps["target"], gaps["skill_uri"], strict=True)) == [
        ("A", "B", "s5"), ("C", "B", "s2"), ("C", "B", "s5"), ("A", "D", "s7"), ("A", "D", "s8"),
    ]  # fmt: skip
    frame_pairs = pd.DataFrame(pairs, columns=["source", "target"])
    pd.testing.assert_frame_equal(skill_gaps(tiny, frame_pairs), gaps)
    needs = training_needs(gaps)
    assert needs["skill_uri"].tolist() == ["s5", "s2", "s7", "s8"]
    assert needs["n_transitions"].tolist() == [2, 1, 1, 1]
    assert needs["n_sources"].tolist() == [2, 1, 1, 1]
    with pytest.raises(ValueError, match="not a \\(source, target\\) pair"):
        skill_gaps(tiny, [("A", "B", "C")])


def test_unknown_ids_are_listed(tiny) -> None:
    with pytest.raises(UnknownIdError) as info:
        transitions(tiny, ["A", "nope", "zip"])
    assert info.value.missing == ["nope", "zip"]
    assert "2 unknown source id(s)" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownIdError, match="target"):
        transitions(tiny, ["A"], targets=["7212"])
    with pytest.raises(UnknownIdError, match="'X'"):
        skill_gap(tiny, "X", "A")
    with pytest.raises(ValueError, match="k must be"):
        transitions(tiny, ["A"], k=0)


def test_isco_unit_groups_by_hand(tiny) -> None:
    groups = group_matrix(tiny, level=4)
    assert groups.level == "isco4"
    assert groups.rows["id"].tolist() == ["2512", "7212", "7213"]
    assert groups.rows["n_occupations"].tolist() == [2, 2, 1]
    assert groups.rows["label"].tolist()[1] == "ISCO-08 7212 (Craft and related trades workers)"
    skills = groups.skills["uri"].tolist()
    row = dict(zip(skills, groups.weights[1].toarray().ravel(), strict=True))
    # 7212 = mean of A and B
    assert row == pytest.approx({"s1": 1, "s2": 1, "s3": 0.75, "s4": 0.25, "s5": 0.5,
                                 "s6": 0, "s7": 0, "s8": 0})  # fmt: skip

    def names(matrix, r: int) -> list[str]:
        return [skills[j] for j in matrix[r].indices]

    # essential for at least half of A, B: s1 s2 (both), s3 (A), s5 (B)
    assert sorted(names(groups.essential, 1)) == ["s1", "s2", "s3", "s5"]
    assert sorted(names(groups.held, 1)) == ["s1", "s2", "s3", "s4", "s5"]
    assert sorted(names(groups.essential, 0)) == ["s7", "s8"]  # D: s7 s8, E: s7
    strict = group_matrix(tiny, level=4, min_share=1.0)
    assert sorted(names(strict.essential, 1)) == ["s1", "s2"]
    # 7213 (= C: s1 s4 s6) -> 7212: 7212 profile |.|^2 = 1 + 1 + .5625 + .0625 + .25
    out = transitions(groups, ["7213"], k=1)
    assert out["target"].tolist() == ["7212"]
    assert out["similarity"].iloc[0] == pytest.approx(1.25 / math.sqrt(3 * 2.875))
    assert skill_gap(groups, "7213", "7212")["skill_uri"].tolist() == ["s2", "s3", "s5"]
    assert out["n_missing_essential"].tolist() == [3]


def test_isco_minor_groups_by_hand(tiny) -> None:
    minor = group_matrix(tiny, level=3)
    assert minor.rows["id"].tolist() == ["251", "721"]
    assert minor.rows["n_occupations"].tolist() == [2, 3]
    skills = minor.skills["uri"].tolist()
    # 721 = A, B, C: s1 essential in 3/3, s2 in 2/3; s3, s4, s5, s6 in 1/3 only
    assert sorted(skills[j] for j in minor.essential[1].indices) == ["s1", "s2"]
    assert transitions(minor, [251], k=3)["target"].tolist() == ["721"]
    with pytest.raises(ValueError, match="occupation matrix"):
        group_matrix(minor, level=2)
    with pytest.raises(ValueError, match="level"):
        group_matrix(tiny, level=5)


@pytest.fixture(scope="module")
def real():
    return skill_matrix(packaged_esco())


def _minor_group_rate(isco: pd.Series, near: pd.DataFrame) -> float:
    return float(
        (isco.loc[near["source"]].to_numpy() == isco.loc[near["target"]].to_numpy()).mean()
    )


@pytest.mark.parametrize("idf", [False, True])
def test_real_esco_nearest_occupation_shares_minor_group(real, idf: bool) -> None:
    start = time.perf_counter()
    matrix = skill_matrix(packaged_esco(), idf=idf) if idf else real
    near = nearest_occupations(matrix, k=1)
    assert len(near) == 3007  # every occupation has a neighbour with a skill in common
    minor = pd.Series(matrix.rows["isco"].str.slice(0, 3).to_numpy(), index=matrix.rows["id"])
    rate = _minor_group_rate(minor, near)
    shuffled = pd.Series(np.random.default_rng(20240601).permutation(minor.to_numpy()),
                         index=minor.index)  # fmt: skip
    baseline = _minor_group_rate(shuffled, near)
    print(f"idf={idf}: same ISCO minor group {rate:.3f}, shuffled baseline {baseline:.4f}")
    assert rate > 5 * baseline
    assert time.perf_counter() - start < 20


def test_real_esco_group_transitions(real) -> None:
    groups = group_matrix(real, level=4)
    assert len(groups.rows) == 426
    assert groups.rows["n_occupations"].sum() == 3007
    out = transitions(groups, groups.rows["id"], k=3)
    assert len(out) == 3 * 426
    assert (out["source"] != out["target"]).all()
    assert out["n_missing_essential"].le(out["n_target_essential"]).all()
    gaps = skill_gaps(groups, out)
    assert gaps.groupby(["source", "target"]).size().sum() == out["n_missing_essential"].sum()
