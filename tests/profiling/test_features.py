"""The feature policy: protected attributes stay out of the model unless justified; the
region's real long-term unemployment share; derived features; ``features.json``."""

from __future__ import annotations

import contextlib
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.config import REAL_DATA_DIR
from workbench.exceptions import InvalidInput
from workbench.profiling.features import (
    BASE_FEATURES,
    LTU_FILE,
    FeaturePolicy,
    FeatureSet,
    Justification,
    RegionLtu,
    feature_columns,
)
from workbench.profiling.model import ProfilingModel
from workbench.profiling.schema import PROTECTED
from workbench.profiling.synthetic import generate_jobseekers

WHY = Justification("age_band", "Dr. Ana Ruiz", "older workers' re-entry support differs")


@pytest.fixture(scope="module")
def ltu() -> RegionLtu:
    return RegionLtu.from_pack()


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate_jobseekers(1200, seed=7, regions=["ES61", "DE21", "BE10"])


def ltu_line(geo: str) -> list[str]:
    """The raw 2023..2025 cells of a region's line in the shipped file."""
    text = (REAL_DATA_DIR / LTU_FILE).read_text(encoding="utf-8")
    [line] = [r for r in text.splitlines() if r.split("\t")[0].endswith(f",{geo}")]
    return [c.strip() for c in line.split("\t")[1:]]


def test_by_default_no_protected_attribute_is_a_feature() -> None:
    cols = feature_columns()
    assert cols == list(BASE_FEATURES)
    assert not set(cols) & set(PROTECTED)
    assert "own_transport" not in feature_columns(available=["region", "isco"])


def test_a_justified_attribute_becomes_a_feature_and_only_that_one() -> None:
    cols = feature_columns(FeaturePolicy((WHY,)))
    assert set(cols) & set(PROTECTED) == {"age_band"}
    assert cols[-1] == "age_band"


def test_protected_attributes_are_absent_from_the_fitted_model_unless_justified(
    people: pd.DataFrame, ltu: RegionLtu
) -> None:
    y = people["ltu"].astype(int)
    plain = ProfilingModel.fit(people, y, FeatureSet.build(None, people.columns, ltu))
    assert not set(plain.input_columns()) & set(PROTECTED)
    assert not any(n.split("__")[1].startswith(PROTECTED) for n in plain.encoded_columns())
    assert plain.estimator.feature_names_in_.tolist() == plain.features

    policy = FeaturePolicy((WHY, Justification("sex", "Works council", "agreed audit trial")))
    justified = ProfilingModel.fit(people, y, FeatureSet.build(policy, people.columns, ltu))
    assert set(justified.input_columns()) & set(PROTECTED) == {"age_band", "sex"}
    encoded = justified.encoded_columns()
    assert "categorical__age_band_55+" in encoded and "categorical__sex_F" in encoded
    assert not any("origin" in n or "disability" in n for n in encoded)


def test_a_justification_needs_a_protected_attribute_who_and_why() -> None:
    with pytest.raises(InvalidInput, match="not a protected attribute"):
        Justification("education", "Ana", "because")
    with pytest.raises(InvalidInput) as err:
        Justification("sex", " ", "")
    assert {p.key for p in err.value.problems} == {"by", "reason"}
    with pytest.raises(InvalidInput, match="given twice: sex"):
        FeaturePolicy((Justification("sex", "A", "x"), Justification("sex", "B", "y")))
    assert WHY.at.endswith("+00:00")  # recorded in UTC


def test_region_share_is_the_real_2025_value_else_the_eu_value_with_a_flag(
    ltu: RegionLtu,
) -> None:
    assert ltu_line("BE10")[2] == "46.4" and ltu_line("EU27_2020")[2] == "31.6"
    share, imputed = ltu.lookup(pd.Series(["BE10", "AT11", "ZZ99"], index=[5, 6, 7]))
    assert share.tolist() == [46.4, 31.6, 31.6]
    assert imputed.tolist() == [0.0, 1.0, 1.0] and list(share.index) == [5, 6, 7]
    # CZ01 has no 2025 value (':'), its latest earlier one is used and said
    assert ltu_line("CZ01")[2].startswith(":") and ltu.shares["CZ01"] == 21.8
    notes = " ".join(ltu.notes(["AT11", "CZ01", "BE10"]))
    assert "AT11" in notes and "EU27 value (31.6%)" in notes and "CZ01 (2024)" in notes
    assert "BE10" not in notes


def test_transform_derives_isco_major_transport_and_region(ltu: RegionLtu) -> None:
    frame = pd.DataFrame(
        {
            "region": ["BE10", "XX00"],
            "education": ["low", "high"],
            "isco": ["5230", ""],
            "months_employed_24m": [3, 20],
            "prior_spells_5y": [1, 0],
            "prior_ltu": [True, False],
            "own_transport": pd.array([None, True], dtype="boolean"),
        },
        index=["a", "b"],
    )
    out = FeatureSet.build(None, frame.columns, ltu).transform(frame)
    assert list(out.index) == ["a", "b"] and list(out.columns) == list(BASE_FEATURES)
    assert out["isco_major"].tolist() == ["5", "none"]
    assert out["own_transport"].tolist() == ["unknown", "yes"]
    assert out["region_ltu_share"].tolist() == [46.4, 31.6]
    assert out["region_ltu_imputed"].tolist() == [0.0, 1.0]
    assert out["prior_ltu"].tolist() == [1.0, 0.0]
    # a table without the optional columns still scores: they count as unknown / none
    bare = FeatureSet.build(None, frame.columns, ltu).transform(
        frame.drop(columns=["own_transport", "isco"])
    )
    assert bare["own_transport"].tolist() == ["unknown", "unknown"]
    assert bare["isco_major"].tolist() == ["none", "none"]
    with pytest.raises(InvalidInput, match="months_employed_24m"):
        FeatureSet.build(None, frame.columns, ltu).transform(
            frame.drop(columns="months_employed_24m")
        )


def test_transform_names_missing_columns_and_empty_cells(ltu: RegionLtu) -> None:
    fs = FeatureSet.build(None, None, ltu)
    with pytest.raises(InvalidInput, match=r"missing column.*education"):
        fs.transform(pd.DataFrame({"region": ["BE10"]}))
    frame = generate_jobseekers(8, seed=3)
    frame.loc[[2, 5], "prior_spells_5y"] = None
    with pytest.raises(InvalidInput) as err:
        fs.transform(frame, source="batch.csv")
    [problem] = err.value.problems
    assert (problem.source, problem.key) == ("batch.csv", "prior_spells_5y")
    assert "row(s) 2, 5" in problem.message


def test_features_json_round_trips_with_the_justifications_log(ltu: RegionLtu) -> None:
    fs = FeatureSet.build(FeaturePolicy((WHY,)), None, ltu, notes=["a note"])
    doc = json.loads(fs.to_json())
    assert doc["protected_used"] == ["age_band"]
    assert doc["protected_audit_only"] == ["sex", "origin", "disability"]
    assert doc["policy"]["justifications"][0]["by"] == "Dr. Ana Ruiz"
    assert FeatureSet.from_json(fs.to_json()) == fs


def test_features_json_with_an_unjustified_protected_attribute_is_refused(
    ltu: RegionLtu,
) -> None:
    doc = json.loads(FeatureSet.build(None, None, ltu).to_json())
    doc["features"].append("origin")
    with pytest.raises(InvalidInput, match="without a justification: origin"):
        FeatureSet.from_json(json.dumps(doc))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda kids: (
                st.lists(kids, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["features", "policy", "region_ltu", "shares", "eu", "notes"]),
                    kids,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_features_json_parser_refuses_garbage_cleanly(data: bytes | str) -> None:
    with contextlib.suppress(InvalidInput):
        FeatureSet.from_json(data)
