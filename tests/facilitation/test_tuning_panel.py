"""The dashboard's live tuning preview (``workbench.facilitation.tuning_panel``).

In-process on both databases: a planted round with two camps, employers putting all
their points on effectiveness and unions 80 of 100 on feasibility, everybody rating
alike. With min-max normalised ratings (training 5/1, wage subsidies 1/5, job search 4/4
on effectiveness/feasibility: training 1/0, wage subsidies 0/1, job search 0.75/0.75),
an effectiveness weight w gives training w, wage subsidies 1 − w and job search 0.75:

- ``equal`` (each group half): w = (1.0 + 0.2) / 2 = 0.6, so job search is first;
- ``as-present`` (10 employers, 3 unions): w = (10 · 1.0 + 3 · 0.2) / 13 ≈ 0.815, so
  training is first;
- without the employers w = 0.2 (wage subsidies first), without the unions w = 1
  (training first).

The preview in Chromium (a real ``workbench serve``, the group-rule dropdown, screenshot
``test-artifacts/dashboard-tuning.png``, axe) is part of ``test_dashboard_e2e.py``, which
already pays for loading the dashboard page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from workbench.config import Settings
from workbench.db import participation as store
from workbench.db import recommendations as rec_store
from workbench.facilitation import alttext
from workbench.facilitation.dashboard import FacilitatorDashboard
from workbench.facilitation.tuning_panel import PREVIEW_DRAWS, versions_html
from workbench.participation import tuning
from workbench.participation.spec import WorkshopSpec
from workbench.participation.tuning import tune_round
from workbench.service import Workbench

CASE = "es61-tuning-panel"
RATINGS = {
    "training": {"effectiveness": 5, "feasibility": 1},
    "wage_subsidy": {"effectiveness": 1, "feasibility": 5},
    "job_search": {"effectiveness": 4, "feasibility": 4},
}
LABELS = {"training": "Vocational training", "wage_subsidy": "Wage subsidies",
          "job_search": "Job-search assistance"}  # fmt: skip
POINTS = {
    "employers": {"effectiveness": 100, "feasibility": 0},
    "unions": {"effectiveness": 20, "feasibility": 80},
}
SPEC = {
    "title": "Tuning preview",
    "scale": 5,
    "expected_participants": 13,
    "expected_mix": {"employers": 6, "unions": 6},
    "options": [{"key": k, "label": v} for k, v in LABELS.items()],
    "criteria": [
        {"key": "effectiveness", "label": "Effectiveness"},
        {"key": "feasibility", "label": "Feasibility"},
    ],
}


@dataclass
class Round:
    """A workshop with an open round 1 and a helper to plant participants."""

    wb: Workbench
    wid: int
    keys: Iterator[int]

    def plant(self, group: str, count: int, *, points: bool = True) -> list[str]:
        """``count`` participants of ``group`` rate every cell and (if asked) give points."""
        links = self.wb.workshops.links(self.wid, count)
        tokens = [parse_qs(urlsplit(link.url).query)["token"][0] for link in links]
        for i, token in enumerate(tokens):
            self.wb.workshops.register(self.wid, token, display_name=f"P{i}", group=group,
                                       consent=True)  # fmt: skip
            self.submit(token, "rating", {"ratings": RATINGS})
            if points:
                self.submit(token, "points", POINTS[group])
        return tokens

    def submit(self, token: str, kind: str, payload: dict[str, Any]) -> None:
        """Submit through the real feedback service (current round)."""
        self.wb.feedback.submit(
            workshop_id=self.wid, token=token, kind=kind, payload=payload,
            round_number=self.wb.workshops.get(self.wid).current_round,
            idempotency_key=f"key-{next(self.keys):08d}",
        )  # fmt: skip


@pytest.fixture
def room(db_url: str, tmp_path: Path) -> Iterator[Round]:
    """An open workshop (3 options, 2 criteria, 100 points) without answers yet."""
    wb = Workbench(Settings(home=tmp_path, db_url=db_url))
    with wb.db.session(write=True) as s:
        store.add_publication(
            s, case_slug=CASE, title="Tuning panel test", app_path=f"{CASE}.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"}, bundle_hash="0123456789abcdef",
            app_version="1", synthetic_data=True,
        )  # fmt: skip
    info = wb.workshops.create(case_slug=CASE, spec=WorkshopSpec.model_validate(SPEC))
    wb.workshops.open(info.id)
    yield Round(wb=wb, wid=info.id, keys=iter(range(1, 10**9)))
    wb.close()


def _camps(room: Round) -> None:
    room.plant("employers", 10)
    room.plant("unions", 3)


def test_the_preview_shows_the_ranking_weights_and_what_ifs(room: Round) -> None:
    _camps(room)
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    panel = dash.tuning
    expected = tune_round(room.wb, room.wid, n_draws=PREVIEW_DRAWS)  # the same parameters
    assert expected.order[0] == "job_search"  # by hand, see the module doc
    top = expected.ranking[0]
    text = panel.ranking.value
    assert "Job-search assistance would be first</strong>" in text
    assert f"(first in {top.p_first:.0%} of {PREVIEW_DRAWS} draws)" in text
    assert f"{PREVIEW_DRAWS} bootstrap draws keep the preview quick" in text
    assert "<code>workbench tune " + str(room.wid) + "</code>" in text
    # one table row per option, in tuned order, with its P(first)
    for r in expected.ranking:
        assert (
            f"<tr><td class='wb-num'>{r.rank}</td><th scope='row'>{LABELS[r.option]}</th>"
            f"<td class='wb-num'>{r.p_first:.0%}</td>"
        ) in text
    # the figure: an <img> whose text alternative states the rank probabilities
    figure = panel.figure.value
    assert figure.startswith('<img class="wb-figure" src="data:image/png;base64,iVBORw')
    first = ", ".join(
        f"rank {k} {p * 100:.0f}%" for k, p in enumerate(top.rank_probabilities, 1) if p > 0
    )
    assert (
        f'alt="Tuned ranking, best first, with the share of {PREVIEW_DRAWS} draws at each '
        f"rank: 1. Job-search assistance ({first}); 2. "
    ) in figure
    # weights under the equal rule: (100 + 20) / 2 = 60% effectiveness; each group's own
    weights = panel.weights.value
    assert "group rule equal" in weights
    assert "Employers and business associations (10; share 50%)" in weights
    assert "Trade unions (3; share 50%)" in weights
    assert (
        "<tr><th scope='row'>Effectiveness</th><td class='wb-num'>60%</td>"
        "<td class='wb-num'>100%</td><td class='wb-num'>20%</td></tr>"
    ) in weights
    # the sensitivity panel: other rules, the other method, each group's absence
    what_if = panel.sensitivity.value
    assert "The top option changes in" in what_if
    assert (
        "<strong>group rule as-present: Vocational training would be first instead of "
        "Job-search assistance.</strong>"
    ) in what_if
    assert "group rule expected-mix: the same ranking." in what_if  # 6 and 6 expected
    assert (
        "without Employers and business associations: Wage subsidies would be first instead "
        "of Job-search assistance."
    ) in what_if
    assert "without Trade unions: Vocational training would be first instead of" in what_if
    assert "<li>method topsis: " in what_if
    # 2 other group rules, 1 other method, 2 groups left out in turn
    assert what_if.count("<li>") == len(expected.sensitivity_lines()) == 5
    # nothing stored yet: said, with the commands
    versions = panel.versions.value
    assert "No tuned version of this workshop is stored yet." in versions
    assert f"No tuned version is accepted for case {CASE}" in versions
    assert "workbench recommendation accept VERSION --by NAME --reason TEXT" in versions


def test_the_dropdowns_change_the_preview_only(room: Round) -> None:
    _camps(room)
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    panel = dash.tuning
    assert "Job-search assistance would be first" in panel.ranking.value
    panel.group_rule.value = "as-present"
    assert "Vocational training would be first" in panel.ranking.value
    # (10 · 100 + 3 · 20) / 13 = 81.5% effectiveness; the groups' shares 10/13 and 3/13
    assert "<td class='wb-num'>82%</td><td class='wb-num'>100%</td>" in panel.weights.value
    assert "(10; share 77%)" in panel.weights.value
    assert "--groups as-present" in panel.ranking.value
    assert "<li>group rule equal: Job-search assistance would be first" in (
        panel.sensitivity.value.replace("<strong>", "")
    )
    panel.method.value = "topsis"
    expected = tune_round(room.wb, room.wid, group_rule="as-present", method="topsis",
                          n_draws=PREVIEW_DRAWS)  # fmt: skip
    assert f"{LABELS[expected.order[0]]} would be first" in panel.ranking.value
    assert "Method topsis" in panel.ranking.value
    assert "--groups as-present --method topsis" in panel.ranking.value
    assert room.wb.recommendations.list(workshop_id=room.wid) == []  # a preview stores nothing


def test_a_refused_round_says_why_with_the_threshold_and_count(room: Round) -> None:
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    assert "no feedback in round 1" in dash.tuning.ranking.value
    room.plant("employers", 2)
    room.plant("unions", 1)
    room.plant("unions", 2, points=False)  # ratings without points do not count
    dash.refresh()
    text = dash.tuning.ranking.value
    assert "No tuned ranking for round 1 yet.</strong> The tuning refuses this round:" in text
    assert (
        "<li>participants: only 3 participant(s) gave points in round 1; tuning needs at "
        "least 5 (MIN_PARTICIPANTS)</li>"
    ) in text
    assert "Traceback" not in text and "role='alert'" not in text
    assert dash.tuning.figure.value == "" and dash.tuning.weights.value == ""
    assert "Shown once the round can be tuned." in dash.tuning.sensitivity.value
    # the other sections are unaffected
    assert "5 registered" in dash.status.value


def test_it_tunes_again_only_when_the_answers_or_the_choice_change(
    room: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = room.plant("employers", 10)
    room.plant("unions", 3)
    calls: list[dict[str, Any]] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return tune_round(*args, **kwargs)

    monkeypatch.setattr(tuning, "tune_round", counted)
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    assert len(calls) == 1 and calls[0]["n_draws"] == PREVIEW_DRAWS
    dash.refresh()  # the poll: nothing changed
    dash.refresh(force=True)  # "Refresh now": the figures are redrawn, the tuning is not
    assert len(calls) == 1
    panel = dash.tuning
    panel.group_rule.value = "as-present"
    assert len(calls) == 2 and calls[1]["group_rule"] == "as-present"
    panel.group_rule.value = "equal"  # back: kept from before
    assert len(calls) == 2
    assert "Job-search assistance would be first" in panel.ranking.value
    # an employer moves all points to feasibility: the answers changed, the preview follows
    room.submit(tokens[0], "points", {"effectiveness": 0, "feasibility": 100})
    dash.refresh()
    assert len(calls) == 3
    assert "<tr><th scope='row'>Effectiveness</th><td class='wb-num'>55%</td>" in (
        panel.weights.value  # (9 · 100 / 10 + 20) / 2 = 55%
    )


def test_the_accepted_and_the_stored_versions_are_listed(room: Round) -> None:
    _camps(room)
    proposal = room.wb.recommendations.propose(room.wid, by="Ana", n_draws=100)
    dash = FacilitatorDashboard(room.wb, room.wid)
    dash.refresh(force=True)
    short = proposal.info.short
    versions = dash.tuning.versions.value
    assert f"<tr><td><code>{short}</code></td><td class='wb-num'>1</td>" in versions
    assert "<td>weighted-sum, equal</td><td>Job-search assistance</td><td>proposed</td>" in (
        versions
    )
    assert f"workbench recommendation accept {short} --by NAME --reason TEXT" in versions
    with room.wb.db.session(write=True) as s:  # accepting re-runs notebooks: the event only
        rec_store.add_event(s, case_slug=CASE, version=proposal.info.version, action="accept",
                            actor="Ana", reason="planted")  # fmt: skip
    dash.refresh(force=True)
    versions = dash.tuning.versions.value
    assert (
        f"Accepted for case {CASE}: version <code>{short}</code> (round 1); first option: "
        "Job-search assistance."
    ) in versions
    assert "<td>accepted</td>" in versions
    # a version accepted from another workshop of the case names that workshop
    info = room.wb.workshops.get(room.wid)
    other = replace(room.wb.recommendations.accepted(CASE), workshop_id=room.wid + 1)
    assert f"(workshop {room.wid + 1}, round 1)" in versions_html(info, other, [])


def test_the_rank_probability_alt_text_by_hand() -> None:
    text = alttext.tuned_ranking(["A", "B"], [(0.75, 0.25), (0.25, 0.75)], 300)
    assert text == (
        "Tuned ranking, best first, with the share of 300 draws at each rank: "
        "1. A (rank 1 75%, rank 2 25%); 2. B (rank 1 25%, rank 2 75%)."
    )
    assert alttext.tuned_ranking(["A", "B"], [(1.0, 0.0), (0.0, 1.0)], 10).endswith(
        "1. A (rank 1 100%); 2. B (rank 2 100%)."
    )
    assert alttext.tuned_ranking([], [], 300) == "Tuned ranking: no options."
