"""A workshop's default content from the runs, in every language it offers."""

from __future__ import annotations

from typing import Any

from workbench.i18n import ENGLISH, translator
from workbench.participation.spec import parse_spec
from workbench.participation.spec_defaults import (
    default_spec,
    diagnosis_spec,
    multilingual,
    policy_mix_spec,
)

LINKS = {
    "policy_links": [
        {"programme_type": "mobility_support", "reason": "3 groups short elsewhere"},
        {"programme_type": "training", "reason": "skill gaps of 12 per move"},
    ]
}


def test_diagnosis_spec_says_what_the_data_point_to() -> None:
    build = diagnosis_spec(
        title="T", diagnosis=LINKS, region_name="Andalucía", target_groups=["youth"]
    )
    spec = parse_spec(build(ENGLISH), "diagnosis")
    keys = [o.key for o in spec.options]
    assert keys == [
        "training", "job_search_assistance", "private_employment_subsidy", "public_employment",
        "mobility_support",
    ]  # fmt: skip
    by_key = {o.key: o.description for o in spec.options}
    assert by_key["training"] == "The regional data point to it: skill gaps of 12 per move"
    assert "no specific signal" in by_key["public_employment"]
    assert spec.statements[0] == "Mobility support should be the first priority in Andalucía."
    # Without a mobility link the option is left out; without any link, no priority claim.
    bare = diagnosis_spec(title="T", diagnosis={}, region_name="X", target_groups=[])(ENGLISH)
    assert "mobility_support" not in [o["key"] for o in bare["options"]]
    assert bare["statements"][0] == "Employers in X should co-design the programmes."


def _mix() -> dict[str, Any]:
    option = {
        "rank": 1, "programme_type": "training", "label": "Training", "p_positive": 0.4,
        "p_positive_low": 0.17, "p_positive_high": 0.68, "votes": 7, "studies": 3,
    }  # fmt: skip
    other = {**option, "rank": 2, "programme_type": "job_search_assistance",
             "label": "Job search assistance", "p_positive": None}  # fmt: skip
    return {"recommendation": {"target_groups": ["youth"], "by_group": {"youth": [option, other]}}}


def test_a_spanish_workshop_gets_its_content_in_spanish_with_english_translations() -> None:
    build = policy_mix_spec(
        title="Taller", policy_mix=_mix(), region_name="Andalucía", target_groups=["youth"]
    )
    raw = multilingual(build, "es", ["es", "en"])
    spec = parse_spec(raw, "defaults")
    es, en = translator("es"), ENGLISH
    assert (spec.language, spec.languages) == ("es", ["es", "en"])
    training = spec.options[0]
    assert training.label == es._("Training") and training.translations["en"].label == "Training"
    assert "40" in training.description and "[17" in training.description
    assert training.translations["en"].description.startswith("Evidence rank 1: 40% chance")
    assert spec.criteria[0].label == es._("Effectiveness")
    assert spec.criteria[0].translations["en"].label == "Effectiveness"
    assert len(spec.statement_translations) == len(spec.statements) == 6
    assert spec.statement_translations[3]["en"] == en._(
        "Results of each programme should be published every year."
    )
    assert spec.statements[3] == es._("Results of each programme should be published every year.")


def test_one_language_has_no_translations() -> None:
    build = policy_mix_spec(title="T", policy_mix=_mix(), region_name="X", target_groups=[])
    spec = parse_spec(multilingual(build, "en", ["en"]), "defaults")
    assert spec.languages == ["en"] and not spec.options[0].translations
    assert spec.statement_translations == [{}] * 6


def test_the_default_specs_ask_for_100_points() -> None:
    evidence = {
        "ranking": [
            {"status": "ranked", "programme_type": t, "programme": t.title(), "score": 2,
             "n_findings": 3}
            for t in ("training", "wage_subsidy")
        ]
    }  # fmt: skip
    made = [
        default_spec(title="T", evidence=evidence, region_name="R", target_groups=[])(ENGLISH),
        diagnosis_spec(title="T", diagnosis={}, region_name="R", target_groups=[])(ENGLISH),
    ]
    for raw in made:
        assert parse_spec(raw, "default").points == 100
