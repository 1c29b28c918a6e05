"""Delphi rounds: round 2 shows round-1 results and re-asks only items without consensus."""

from __future__ import annotations

import pytest

from workbench.exceptions import InvalidInput


@pytest.fixture
def room(env):
    env.open()
    return env


def _rate(env, tokens, option, criterion, values):
    for token, value in zip(tokens, values, strict=True):
        env.submit(token, "rating", {"ratings": {option: {criterion: value}}})


def test_round_one_has_no_previous_results(room) -> None:
    [token] = room.participants(1)
    view = room.feedback.delphi(workshop_id=room.wid, token=token)
    assert view == {"round": 1, "reask": None, "previous": None, "reasons": []}


def test_next_round_freezes_results_and_reasks_only_items_without_consensus(room) -> None:
    tokens = room.participants(10)
    # training/effectiveness: 8 × 5 and 2 × 4 → median 5, IQR 0.25, 100% top band: consensus
    _rate(room, tokens, "training", "effectiveness", [5] * 8 + [4] * 2)
    # training/feasibility: split 1..5 twice → median 3, IQR 2: no consensus
    _rate(room, tokens, "training", "feasibility", [1, 2, 3, 4, 5] * 2)
    room.submit(tokens[0], "comment", {"text": "Firms must be involved."})
    room.workshops.next_round(room.wid)
    view = room.feedback.delphi(workshop_id=room.wid, token=tokens[3])
    prev = view["previous"]
    assert prev["round"] == 1 and prev["participants"] == 10
    eff = prev["items"]["training:effectiveness"]
    # by hand: sorted [4,4,5,...,5]; numpy 'linear' q1 at position 2.25 → 5, q3 → 5
    assert (eff["n"], eff["median"], eff["q1"], eff["q3"], eff["iqr"]) == (10, 5.0, 5.0, 5.0, 0.0)
    assert eff["consensus"] is True and eff["agreement"] == "in"
    feas = prev["items"]["training:feasibility"]
    # by hand: sorted [1,1,2,2,3,3,4,4,5,5]; q1 at 2.25 → 2.0, q3 at 6.75 → 4.0
    assert (feas["median"], feas["q1"], feas["q3"], feas["iqr"]) == (3.0, 2.0, 4.0, 2.0)
    assert feas["consensus"] is False
    # items nobody rated are re-asked too; the consensus item is not
    assert "training:effectiveness" not in view["reask"]
    assert "training:feasibility" in view["reask"]
    assert len(view["reask"]) == len(room.OPTIONS) * len(room.CRITERIA) - 1
    assert view["reasons"] == [
        {"about": "general", "text": "Firms must be involved.", "language": None}
    ]
    # the settled item is refused with a clear message; a re-asked one is accepted
    with pytest.raises(InvalidInput, match="reached consensus in round 1"):
        room.submit(tokens[3], "rating", {"ratings": {"training": {"effectiveness": 1}}})
    room.submit(tokens[3], "rating", {"ratings": {"training": {"feasibility": 3}}})
    # round-1 rows are untouched
    assert len(room.feedback_rows(round_number=1, kind="rating")) == 20


def test_a_round_without_ratings_reasks_everything(room) -> None:
    [token] = room.participants(1)
    room.submit(token, "comment", {"text": "Only a comment."})
    room.workshops.next_round(room.wid)
    view = room.feedback.delphi(workshop_id=room.wid, token=token)
    assert view["reask"] is None and view["previous"] is None
    room.submit(token, "rating", {"ratings": {"training": {"effectiveness": 2}}})


def test_too_few_ratings_are_never_consensus() -> None:
    from workbench.participation.aggregates import MIN_RATINGS, rating_stats

    # item 0: two identical top ratings; item 1: three
    stats = rating_stats([0, 0, 1, 1, 1], [5, 5, 5, 5, 5], n_items=2, scale_max=5)
    assert MIN_RATINGS == 3
    assert stats.iqr_rule.tolist() == [True, True]
    assert stats.agreement.tolist() == ["in", "in"]
    assert stats.consensus.tolist() == [False, True]
