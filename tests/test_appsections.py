"""The app's diagnosis section: escaped, labelled, and silent about what it does not have."""

from __future__ import annotations

from workbench.appsections import attribution_html, diagnosis_html, synthetic_parts


def _diagnosis(**extra: object) -> dict[str, object]:
    return {
        "region": {"code": "ES61", "name": "Andalucía <script>"},
        "latest": {
            "unemployment_rate": {"value": 15.2, "flags": "d", "year": "2025"},
            "eu_unemployment_rate": {"value": 6.0, "flags": "", "year": "2025"},
        },
        "context": {"unemployment": "high", "skill_level": "low", "cycle_phase": "expansion"},
        **extra,
    }


def test_diagnosis_section_is_escaped_and_labelled() -> None:
    html = diagnosis_html(7, _diagnosis(), images={"unemployment": "unemployment.png"})
    assert "Andalucía &lt;script&gt;" in html and "<script>" not in html
    assert "15.2% (d)" in html and "EU-27 6.0%" in html
    assert "Young people 15-29: <strong>not published</strong>" in html
    assert "/workbench/artefacts/7/diagnosis/unemployment.png" in html
    assert "beveridge.png" not in html  # no such image: nothing drawn
    assert "What the data point to" not in html  # no links: no heading


def test_transitions_and_links() -> None:
    d = _diagnosis(
        transitions=[
            {"from": "9312 <b>", "to": "7123 ceiling installer", "similarity": 0.4, "rank": 1,
             "skills_to_learn": ["apply wall coating", "clean"]},
            {"from": "x", "to": "y", "similarity": 0.3, "rank": 2, "skills_to_learn": []},
        ],
        policy_links=[{"programme_type": "training", "reason": "gaps & more"}],
    )  # fmt: skip
    html = diagnosis_html(1, d, images={})
    assert "9312 &lt;b&gt;" in html and "apply wall coating; clean" in html
    assert "<td>x</td>" not in html  # only each source's best move is listed
    assert "<strong>Training</strong>: gaps &amp; more" in html
    assert "SYNTHETIC jobseekers table" in html


def test_synthetic_parts_and_attribution_collect_unique_lines() -> None:
    art = {
        "diagnosis": {"json": {"diagnosis": {"synthetic_parts": ["PES [SYNTHETIC]"],
                                             "attribution": ["Source: Eurostat", "ESCO <x>"]}}},
        "other": {"json": {"x": {"attribution": ["Source: Eurostat"]}}},
    }  # fmt: skip
    assert synthetic_parts(art) == ["PES [SYNTHETIC]"]
    footer = attribution_html(art)
    assert footer.count("Source: Eurostat") == 1 and "ESCO &lt;x&gt;" in footer
    assert attribution_html({"evidence_review": {"json": {"evidence": {}}}}) == ""


def _mix() -> dict[str, object]:
    option = {
        "rank": 1, "programme_type": "training", "label": "Training <b>", "p_positive": 0.4,
        "p_positive_low": 0.17, "p_positive_high": 0.68, "votes": 7, "studies": 3,
        "reason": "Training: E074 & E086 <script>",
    }  # fmt: skip
    insufficient = {
        **option, "rank": 2, "programme_type": "job_search_assistance",
        "label": "Job search assistance", "p_positive": None, "p_positive_low": None,
        "p_positive_high": None, "votes": 1, "studies": 1, "reason": "insufficient evidence",
    }  # fmt: skip
    return {
        "model": {"version": "3"},
        "recommendation": {
            "target_groups": ["youth"],
            "horizon": "long",
            "context": {"unemployment": "high"},
            "by_group": {"youth": [option, insufficient]},
            "notes": ["Skill level is not coded <i>"],
        },
    }


def test_policy_mix_section_shows_figures_intervals_and_escaped_reasons() -> None:
    from workbench.appsections import policy_mix_html

    html = policy_mix_html(4, _mix(), images={"ranking": "ranking.png"})
    assert "almp_effectiveness 3" in html
    assert "40% [17%–68%]" in html and "7 / 3" in html
    assert "Training &lt;b&gt;" in html and "<script>" not in html and "<b>" not in html
    assert "E074 &amp; E086 &lt;script&gt;" in html
    assert "<td>insufficient evidence</td>" in html  # no number for it
    assert "Youth: long run, high unemployment" in html
    assert "/workbench/artefacts/4/policy_mix/ranking.png" in html
    assert "Skill level is not coded &lt;i&gt;" in html
    assert "ranking.png" not in policy_mix_html(4, _mix(), images={})


def test_evidence_section_names_the_model_and_draws_only_what_exists() -> None:
    from workbench.appsections import evidence_html

    doc = {"model": {"version": "2", "approved_by": "Dr <x>"}, "counts": {"rows_estimate": 89}}
    html = evidence_html(5, doc, images={"forest": "forest.png"})
    assert "almp_effectiveness 2" in html and "Dr &lt;x&gt;" in html and "89 published" in html
    assert "/workbench/artefacts/5/evidence/forest.png" in html
    assert "votes.png" not in html


def _tuning() -> dict:
    return {
        "short": "abc123def456", "round": 1, "method": "weighted-sum", "group_rule": "equal",
        "n_draws": 400, "weights": {"employer_fit": 0.3, "evidence": 0.2},
        "ranking": [
            {"rank": 1, "option": "training", "label": "Training <b>", "p_first": 0.78,
             "insufficient_evidence": False},
            {"rank": 2, "option": "public", "label": "Public works", "p_first": 0.22,
             "insufficient_evidence": True},
        ],
        "changes": {"against": "the evidence-based proposal",
                    "lines": ["Training <b> moved from 2nd to 1st: <script>"]},
        "sensitivity": ["method topsis: the same ranking."],
    }  # fmt: skip


def test_the_tuned_proposal_shows_its_ranking_certainty_and_what_changed() -> None:
    from workbench.appsections import policy_mix_html, tuned_html

    html = tuned_html(4, _tuning(), images={"tuned_ranking": "tuned_ranking.png"})
    assert "The proposal after workshop round 1" in html and "Version abc123def456" in html
    assert "Training &lt;b&gt;" in html and "<script>" not in html and "<b>" not in html
    assert '<td class="wb-num">78%</td>' in html and "First in (share of 400 draws)" in html
    assert "<td>insufficient evidence</td>" in html
    assert "employer fit 0.30" in html
    assert "What changed since the last round" in html
    assert "Compared with the evidence-based proposal:" in html
    assert "moved from 2nd to 1st: &lt;script&gt;" in html
    assert "method topsis: the same ranking." in html
    assert "/workbench/artefacts/4/policy_mix/tuned_ranking.png" in html
    assert "tuned_ranking.png" not in tuned_html(4, _tuning(), images={})
    # inside the policy-mix section, before the evidence table; absent without a tuning
    mix = {**_mix(), "tuning": _tuning()}
    full = policy_mix_html(4, mix, images={})
    assert full.index("wb-tuned") < full.index("Significantly positive")
    assert "wb-tuned" not in policy_mix_html(4, _mix(), images={})
