"""What the dashboard and the minutes show, computed from planted answers."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from workbench.exceptions import InvalidInput
from workbench.facilitation.dashboard import FacilitatorDashboard
from workbench.facilitation.summary import summarise

PNG = b"\x89PNG"
FIGURES = ("participation", "ratings", "rankings", "opinions", "statements", "sensitivity")


def test_summary_shows_groups_consensus_and_who_is_missing(room: Any) -> None:
    s = summarise(room.wb, room.wid)
    assert s.registered == 10 and s.active == 10
    # per participant 8 votes + 3 ratings + 3 approvals (one row per option) + 1 ranking,
    # and two comments
    assert s.n_feedback == 10 * (8 + 3 + 3 + 1) + 2
    for name in (*FIGURES, "stability"):
        assert s.figures[name].startswith(PNG), name
    # "who is missing": NGOs were expected (4) and nobody came
    assert "Missing:</strong> NGOs and civil society (0 of 4)" in s.html["missing"]
    # the camps are the two opinion groups, each with its own statements
    assert "form 2 opinion groups" in s.html["opinions"]
    assert "group A (5)" in s.html["opinions"] and "group B (5)" in s.html["opinions"]
    # Delphi: training/effectiveness (all 5) is the only item with consensus
    assert "1 of 6 items reached consensus in round 1" in s.html["ratings"]
    # the sensitivity panel names the option that is top under every method
    assert "holds under every method:</strong> Vocational training" in s.html["sensitivity"]
    # Kendall's W of two exactly opposite camps of 5 is 0
    assert "Kendall's W for the rankings: <strong>0.00</strong>" in s.html["consensus"]


def test_participant_text_is_escaped_and_names_never_shown(room: Any) -> None:
    s = summarise(room.wb, room.wid)
    page = "".join(s.html.values())
    assert escape(room.HOSTILE_COMMENT) in s.html["comments"]
    assert room.HOSTILE_COMMENT not in page
    assert escape(room.HOSTILE_STATEMENT) in s.html["statements"]
    assert "<img src=x" not in page and "<script>" not in page
    for name in room.NAMES:
        assert name not in page and escape(name) not in page
    assert room.public_id(7) in s.html["comments"]  # pseudonymous ids only


def test_round_two_compares_with_round_one(room: Any) -> None:
    room.wb.workshops.next_round(room.wid)
    for p in range(10):  # everybody re-rates one re-asked item, the camps converge
        room.submit(p, "rating", {"ratings": {"wage_subsidy": {"effectiveness": 4}}})
    s = summarise(room.wb, room.wid)
    assert s.round == 2
    assert "between round 1 and round 2" in s.html["stability"]
    assert s.figures["stability"].startswith(PNG)


def test_dashboard_renders_and_moderates(room: Any) -> None:
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    for name in FIGURES:  # an <img> with the PNG inline (base64 of b"\x89PNG" is "iVBORw")
        assert '<img class="wb-figure" src="data:image/png;base64,iVBORw' in dash.img[name].value
    assert "10 registered" in dash.status.value
    comments = [i for i in room.wb.moderation.queue(room.wid) if i.kind == "comment"]
    assert len(dash.moderation.children) == len(room.wb.moderation.queue(room.wid))
    # hiding without a reason is refused and said on the page; with one it is logged
    hostile = next(i for i in comments if "Ms Y" in i.text)
    dash._moderate(hostile, "hide", _Reason(""))(None)
    assert "reason" in dash.status.value and "wb-status-error" in dash.status.value
    dash._moderate(hostile, "hide", _Reason("names a person"))(None)
    assert [e.reason for e in room.wb.moderation.log(room.wid)] == ["names a person"]
    assert "names a person" in dash.text["log"].value
    assert dash.collect(False) is None  # nothing changed since the refresh
    room.submit(1, "comment", {"text": "Another view"})
    assert dash.collect(False) is not None  # a new answer changes the fingerprint


class _Reason:
    def __init__(self, value: str) -> None:
        self.value = value


def test_dashboard_shows_an_earlier_round_on_request(room: Any) -> None:
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    assert dash.round_picker.layout.display == "none"  # one round: nothing to pick
    assert "reached consensus in round 1" in dash.text["ratings"].value

    dash._ask("next-round")(None)  # asks first
    assert "Start the next round?" in dash.confirm.children[0].value
    yes = dash.confirm.children[1].children[0]
    yes.click()
    assert room.wb.workshops.get(room.wid).current_round == 2
    assert dash.confirm.children == ()
    assert dash.round_picker.layout.display == "flex"
    assert [label for label, _ in dash.round_picker.options] == ["Round 1", "Round 2 (current)"]
    assert dash.round_picker.value == 2
    assert "reached consensus in round 2" in dash.text["ratings"].value
    assert "0 answers in round 2" in dash.status.value

    dash.round_picker.value = 1  # the facilitator looks back
    assert "reached consensus in round 1" in dash.text["ratings"].value
    assert "Showing round 1" in dash.status.value and "answers in round 1" in dash.status.value
    room.submit(2, "comment", {"text": "A round-2 thought"})
    dash.refresh()
    assert dash.round_picker.value == 1  # a new answer does not pull the view away

    dash.round_picker.value = 2
    assert dash.round_choice is None  # back to following the current round
    assert "Showing round" not in dash.status.value

    with pytest.raises(InvalidInput, match=r"has rounds 1\.\.2"):
        summarise(room.wb, room.wid, round_number=3)


def test_weights_overall_and_by_group_in_the_summary_dashboard_and_minutes(room: Any) -> None:
    # camp A (p0-p4, employers and unions alternate) and camp B weigh differently
    for p in range(6):
        eff = 80 if p < 3 else 20
        room.submit(p, "points", {"effectiveness": eff, "feasibility": 100 - eff})
    s = summarise(room.wb, room.wid)
    w = s.analysis.weights
    # overall: (3 × 80 + 3 × 20) / 6 = 50; employers p0, p2, p4: (80 + 80 + 20) / 3 = 60;
    # unions p1, p3, p5: (80 + 20 + 20) / 3 = 40
    assert w.n == 6 and w.groups == ("employers", "unions")
    assert w.overall.tolist() == pytest.approx([0.5, 0.5])
    assert w.by_group.ravel().tolist() == pytest.approx([0.6, 0.4, 0.4, 0.6])
    assert s.figures["weights"].startswith(PNG)
    assert s.alt["weights"] == (
        "What matters most, criteria weights (mean share of the points): overall (6) "
        "Effectiveness 50%, Feasibility 50%; Employers and business associations (3) "
        "Effectiveness 60%, Feasibility 40%; Trade unions (3) Effectiveness 40%, "
        "Feasibility 60%."
    )
    html = s.html["weights"]
    assert "6 participants spread 100 points each" in html
    assert "<th scope='col'>Trade unions (3)</th>" in html
    assert (
        "<tr><th scope='row'>Effectiveness</th><td class='wb-num'>0.5</td>"
        "<td class='wb-num'>0.6</td><td class='wb-num'>0.4</td></tr>"
    ) in html
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    assert dash.text["weights"].value == html
    assert 'alt="What matters most, criteria weights' in dash.img["weights"].value
    minutes = list(s.minutes_section("weights"))
    assert minutes[0] == "<h2>What matters most: criteria weights</h2>"
    assert 'alt="What matters most' in minutes[1] and minutes[2] == html


def test_a_workshop_without_points_says_so(room: Any) -> None:
    from workbench.participation.spec import WorkshopSpec

    spec = WorkshopSpec.model_validate(
        {
            "title": "No points",
            "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
            "criteria": [{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}],
            "points": False,
        }
    )
    info = room.wb.workshops.create(case_slug="es61-test", spec=spec)
    room.wb.workshops.open(info.id)
    s = summarise(room.wb, info.id)
    assert "weights" not in s.figures
    assert s.html["weights"] == (
        "<p>This workshop does not ask participants to spread points over the criteria.</p>"
    )
    assert s.alt["ratings"] == "Ratings heatmap: no ratings yet."
