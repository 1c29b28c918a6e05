"""Workshop options from a ``policy_mix`` artefact: the ranking, in order, with its evidence."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.context import RegionContext
from workbench.evidence.recommend import load_approved_model, recommend
from workbench.i18n import ENGLISH
from workbench.participation.spec import parse_spec
from workbench.participation.spec_defaults import policy_mix_spec

ROOT = Path(__file__).resolve().parents[2]


def _context(unemployment: str) -> RegionContext:
    return RegionContext(
        region="ES61",
        name="Andalucía",
        country="ES",
        unemployment=unemployment,  # type: ignore[arg-type]
        unemployment_rate=15.2 if unemployment == "high" else 4.0,
        eu_unemployment_rate=6.0,
        unemployment_year="2025",
        threshold_ratio=1.2,
        skill_level="low",
        high_skill_share=30.0,
        eu_high_skill_share=40.0,
        skill_basis="test",
        cycle_phase="expansion",
        cycle_basis="test",
    )


def _policy_mix(groups: list[str]) -> dict[str, object]:
    model, version = load_approved_model(ROOT / "shared_models")
    rec = recommend(_context("high"), groups, "long", model=model, model_version=version)
    # through JSON, as the app reads the artefact
    doc = {"region": {"code": "ES61", "name": "Andalucía"}, "recommendation": rec.to_dict()}
    return json.loads(json.dumps(doc))


def test_options_follow_the_first_groups_ranking_with_their_evidence() -> None:
    doc = _policy_mix(["youth", "long_term_unemployed"])
    raw = policy_mix_spec(
        title="W", policy_mix=doc, region_name="Andalucía", target_groups=["youth"]
    )(ENGLISH)
    spec = parse_spec(raw, "policy_mix")  # a valid workshop spec
    ranked = doc["recommendation"]["by_group"]["youth"]  # type: ignore[index]
    assert spec.option_keys() == [o["programme_type"] for o in ranked]
    for option, entry in zip(raw["options"], ranked, strict=True):
        if entry["p_positive"] is None:
            assert option["description"] == "Insufficient published evidence for this situation."
        else:
            assert option["description"].startswith(f"Evidence rank {entry['rank']}: ")
            assert f"{entry['p_positive']:.0%} chance" in option["description"]
            assert f"{entry['votes']} estimates" in option["description"]
    assert raw["statements"][0].startswith(f"{ranked[0]['label']} should be the first priority")


def test_an_accepted_tuning_orders_the_options_and_keeps_their_evidence() -> None:
    doc = _policy_mix(["youth"])
    ranked = doc["recommendation"]["by_group"]["youth"]  # type: ignore[index]
    keys = [o["programme_type"] for o in ranked]
    tuned = list(reversed(keys))
    doc["tuning"] = {"ranking": [{"option": key} for key in tuned]}
    raw = policy_mix_spec(title="W", policy_mix=doc, region_name="Andalucía", target_groups=[])(
        ENGLISH
    )
    assert [o["key"] for o in raw["options"]] == tuned
    descriptions = {o["key"]: o["description"] for o in raw["options"]}
    untuned = policy_mix_spec(
        title="W", policy_mix={**doc, "tuning": None}, region_name="A", target_groups=[]
    )(ENGLISH)
    assert [o["key"] for o in untuned["options"]] == keys
    assert descriptions == {o["key"]: o["description"] for o in untuned["options"]}
