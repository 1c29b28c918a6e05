"""Text alternatives of the dashboard and minutes figures: the main numbers, exactly.

The planted workshop (tests/facilitation/conftest.py) is small enough to work out by
hand; the expectations below are those hand-worked values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.facilitation import alttext
from workbench.facilitation.dashboard import FacilitatorDashboard
from workbench.facilitation.summary import figure_html, summarise

FIGURES = (
    "participation",
    "ratings",
    "rankings",
    "weights",
    "stability",
    "opinions",
    "statements",
    "sensitivity",
)


def test_every_figure_of_the_planted_round_states_its_numbers(room: Any) -> None:
    s = summarise(room.wb, room.wid)
    assert set(s.alt) == set(s.figures) == set(FIGURES)
    # 5 employers and 5 unions registered (i % 2), 4 of each and 4 NGOs expected
    assert s.alt["participation"] == (
        "Who is taking part, per stakeholder group (10 registered of 12 expected): "
        "Employers and business associations 5 of 4 expected, 5 active; "
        "Trade unions 5 of 4 expected, 5 active; NGOs and civil society 0 of 4 expected, 0 active."
    )
    # training/effectiveness: ten 5s; training/feasibility: 1..5 twice (median 3, Q1 2, Q3 4);
    # wage subsidies/effectiveness: five 2s and five 5s (median 3.5, Q1 2, Q3 5)
    assert s.alt["ratings"] == (
        "Ratings heatmap, 1 of 6 items with consensus: Vocational training – Effectiveness "
        "median 5 of 5 (IQR 0, 10 ratings, consensus), Feasibility median 3 of 5 (IQR 2, "
        "10 ratings); Wage subsidies – Effectiveness median 3.5 of 5 (IQR 3, 10 ratings), "
        "Feasibility no ratings; Job-search assistance – Effectiveness no ratings, "
        "Feasibility no ratings."
    )
    # approvals: all 10 approve training, camp B (5) wage subsidies; opposite rankings of
    # 3 options give every option 5 × 3 + 5 × 1 = 20 Borda points (ties keep spec order)
    assert s.alt["rankings"] == (
        "Approval and ranking, most Borda points first: Vocational training 100% approval, "
        "20 Borda points; Wage subsidies 50% approval, 20 Borda points; Job-search "
        "assistance 0% approval, 20 Borda points."
    )
    assert s.alt["stability"] == "Stability between rounds: needs two rounds of ratings."
    assert s.alt["opinions"] == (
        "Opinion map (PCA of statement votes): 10 participants in 2 opinion groups: "
        "group A 5; group B 5."
    )
    # each statement: one camp of 5 all agree, the other none: (5+1)/(5+2) × (0+1)/(5+2) = 6/49
    camp = "group A 100%, group B 0% agree"
    other = "group A 0%, group B 100% agree"
    assert s.alt["statements"] == (
        "Group-informed consensus per statement (0 to 1): "
        + "; ".join(f"S{i} 0.12 ({camp if i <= 4 else other})" for i in range(1, 9))
        + "."
    )
    # score: training (10 × 5 + 30) / 20 = 4, wage subsidies 3.5, job search unrated
    assert s.alt["sensitivity"] == (
        "Rank of each option under each method (1 = top): Borda: Vocational training 1, "
        "Wage subsidies 1, Job-search assistance 1; Approval: Vocational training 1, Wage "
        "subsidies 2, Job-search assistance 3; Score (mean rating): Vocational training 1, "
        "Wage subsidies 2; Group-informed consensus: Vocational training 1, Wage subsidies 2, "
        "Job-search assistance 3."
    )


def test_round_two_stability_and_empty_figures_say_so(room: Any) -> None:
    room.wb.workshops.next_round(room.wid)
    for p in range(10):  # the camps (2 and 5, CV 1.5 / 3.5) converge on 4 (CV 0)
        room.submit(p, "rating", {"ratings": {"wage_subsidy": {"effectiveness": 4}}})
    s = summarise(room.wb, room.wid)
    assert s.alt["stability"] == (
        "Stability between rounds: 0 of 1 items stable (change in coefficient of variation "
        "below 0.15): Wage subsidies / Effectiveness 0.43."
    )
    assert s.alt["rankings"] == "Approval and ranking: no approvals or rankings yet."
    assert s.alt["opinions"] == "Opinion map: not enough votes for opinion groups yet."
    assert s.alt["statements"] == "Where the groups agree: no statements with votes yet."
    assert s.alt["sensitivity"] == (
        "Rank of each option under each method (1 = top): Score (mean rating): Wage subsidies 1."
    )


def test_dashboard_and_minutes_put_the_alt_text_on_the_img(room: Any) -> None:
    s = summarise(room.wb, room.wid)
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    for name in FIGURES:
        assert dash.img[name].value == figure_html(s.figures[name], s.alt[name]), name
    part = list(s.minutes_section("ratings"))
    assert part[1] == figure_html(s.figures["ratings"], s.alt["ratings"])
    assert part[1].startswith('<img class="wb-figure" src="data:image/png;base64,iVBORw0KGgo')
    assert 'alt="Ratings heatmap, 1 of 6 items with consensus: Vocational training' in part[1]


def test_figure_html_escapes_the_alt_text() -> None:
    html = figure_html(b"\x89PNG", 'Group "A" <b>& co</b>')
    assert html == (
        '<img class="wb-figure" src="data:image/png;base64,iVBORw==" '
        'alt="Group &quot;A&quot; &lt;b&gt;&amp; co&lt;/b&gt;" style="max-width:100%;height:auto">'
    )


def test_long_lists_stop_at_the_limit_and_count_the_rest() -> None:
    items = [f"item {i:02d} " + "x" * 20 for i in range(40)]  # 28 characters each
    text = alttext.join("Head: ", items, limit=100)
    # "Head: " (6) + 2 items (28 + 2 + 28) + "; and 38 more (see the table)." (30) = 94;
    # a third item would make it 124
    assert text == "Head: " + "; ".join(items[:2]) + "; and 38 more (see the table)."
    assert len(text) == 94
    assert alttext.join("Head: ", items[:3], limit=100) == "Head: " + "; ".join(items[:3]) + "."
    assert alttext.join("Head: ", [], limit=100) == "Head."
    # one item is always shown, however long
    assert alttext.join("H: ", ["y" * 200], limit=50) == "H: " + "y" * 200 + "."


def test_small_figures_by_hand() -> None:
    assert alttext.participation([], [], [], []) == "Who is taking part: nobody has joined yet."
    assert alttext.participation(["Researchers"], [2], [1], [0]) == (
        "Who is taking part, per stakeholder group (2 registered): "
        "Researchers 2 (none expected), 1 active."
    )
    nan = float("nan")
    assert alttext.ratings(
        ["A"], ["x", "y"], np.array([[4.5, nan]]), np.array([[1.0, nan]]),
        np.array([[4, 0]]), np.array([[False, False]]), 9,
    ) == (
        "Ratings heatmap, 0 of 2 items with consensus: A – x median 4.5 of 9 (IQR 1, 4 "
        "ratings), y no ratings."
    )  # fmt: skip
    assert alttext.ratings(["A"], ["x"], np.array([[nan]]), *[np.array([[0]])] * 3, 5) == (
        "Ratings heatmap: no ratings yet."
    )
    assert alttext.rankings(["A", "B"], [0.25, 2 / 3], [3, 7]) == (
        "Approval and ranking, most Borda points first: B 67% approval, 7 Borda points; "
        "A 25% approval, 3 Borda points."
    )
    assert alttext.opinion_map([3, 2, 1]) == (
        "Opinion map (PCA of statement votes): 6 participants in 3 opinion groups: "
        "group A 3; group B 2; group C 1."
    )
    assert alttext.statement_consensus(["S1"], [nan], np.zeros((1, 0))) == (
        "Group-informed consensus per statement (0 to 1): S1 –."
    )
    ranks = np.array([[2.0, 1.0], [nan, nan]])
    assert alttext.sensitivity(["A", "B"], ["Borda", "Score"], ranks) == (
        "Rank of each option under each method (1 = top): Borda: B 1, A 2; Score: no ranks."
    )
    assert alttext.stability(["A / x", "B / x"], [-0.1, 0.2], 0.15) == (
        "Stability between rounds: 1 of 2 items stable (change in coefficient of variation "
        "below 0.15): A / x 0.1 (stable); B / x 0.2."
    )
