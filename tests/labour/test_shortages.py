"""Shortages, transitions and policy links on a hand-built example."""

from __future__ import annotations

import pandas as pd

from workbench.data.esco import Esco
from workbench.labour.bridging import skill_matrix
from workbench.labour.shortages import bridge, occupation_status, policy_links, regional_mismatch

E = "http://data.europa.eu/esco/"


def _esco() -> Esco:
    """Three occupations: a cook (surplus) close to a baker (shortage); a pilot far away."""
    occupations = pd.DataFrame(
        {"uri": [E + "cook", E + "baker", E + "pilot"], "label": ["cook", "baker", "pilot"],
         "isco": ["5120", "7512", "3153"], "code": ["5120.1", "7512.1", "3153.1"]}
    )  # fmt: skip
    skills = pd.DataFrame(
        {"uri": [E + s for s in ("hygiene", "ovens", "dough", "flying")],
         "label": ["food hygiene", "use ovens", "knead dough", "fly aircraft"],
         "skill_type": "skill/competence", "reuse_level": "sector-specific"}
    )  # fmt: skip
    relations = pd.DataFrame(
        {"occupation_uri": [E + "cook", E + "cook", E + "baker", E + "baker", E + "baker",
                            E + "pilot"],
         "skill_uri": [E + "hygiene", E + "ovens", E + "hygiene", E + "ovens", E + "dough",
                       E + "flying"],
         "relation": "essential"}
    )  # fmt: skip
    return Esco(occupations=occupations, skills=skills, relations=relations, source="test")


def test_bridge_and_links_by_hand() -> None:
    table = pd.DataFrame(
        {"isco": ["5120", "7512", "3153"], "jobseekers": [400, 20, 100], "vacancies": [20, 100, 40]}
    )
    status = occupation_status(table, min_count=10).set_index("isco")
    # Overall 160 / 520; cook 0.05 (surplus), baker 5.0 (shortage), pilot 0.4 (balanced).
    assert status.loc["5120", "status"] == "surplus"
    assert status.loc["7512", "status"] == "shortage"
    assert status.loc["3153", "status"] == "balanced"
    from workbench.labour.bridging import group_matrix

    groups = group_matrix(skill_matrix(_esco()), level=4)
    moves, gaps = bridge(status.reset_index(), groups, k=3, min_similarity=0.1)
    assert moves[["source", "target"]].values.tolist() == [["5120", "7512"]]
    assert moves["n_missing_essential"].tolist() == [1]
    assert gaps["skill_label"].tolist() == ["knead dough"]
    assert moves["jobseekers"].tolist() == [400] and moves["vacancies"].tolist() == [100]
    links = policy_links(status.reset_index(), moves, gaps, pd.DataFrame())
    # One missing skill is a small gap: a matching friction, not a training need.
    assert links["programme_type"].tolist() == ["job_search_assistance"]
    strict = policy_links(status.reset_index(), moves, gaps, pd.DataFrame(), small_gap=0)
    assert strict["programme_type"].tolist() == ["training"]
    assert "knead dough" in strict["detail"].iloc[0]


def test_regional_mismatch_by_hand() -> None:
    country = pd.DataFrame(
        {"region": ["XX01", "XX01", "XX02", "XX02"], "isco": ["5120", "7512", "5120", "7512"],
         "jobseekers": [400, 50, 20, 200], "vacancies": [10, 100, 100, 40]}
    )  # fmt: skip
    here = occupation_status(country[country["region"] == "XX01"], min_count=10)
    out = regional_mismatch(country, "XX01", here, min_count=10)
    # Cooks: surplus in XX01 (0.025 vs 110/450), shortage in XX02 (5.0 vs 140/220).
    assert out["isco"].tolist() == ["5120"]
    assert out["shortage_regions"].iloc[0] == ["XX02"]
    assert out["vacancies_elsewhere"].iloc[0] == 100
