"""The composed analysis of a round, on frames built from plain rows (the frame itself:
tests/db/test_frames.py)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest

from workbench.participation.analysis import FeedbackFrame, analyse

SPEC: dict[str, Any] = {
    "options": [
        {"key": "a", "label": "Apprenticeships"},
        {"key": "b", "label": "Bonus for hiring"},
        {"key": "c", "label": "Coaching"},
    ],
    "criteria": [{"key": "x", "label": "Effect"}, {"key": "y", "label": "Cost"}],
}
STATEMENTS = [(100 + i, f"Statement {i}") for i in range(1, 11)]
PEOPLE = [(p, "employers" if p % 2 else "unions") for p in range(1, 21)]


def ratings_of(p: int) -> dict[str, int]:
    """a: x 4 or 5, y 2 (score 3.25); b: x 5, y 4 (score 4.5); c: x 1, y 3 (score 2)."""
    return {"a:x": 4 + p % 2, "a:y": 2, "b:x": 5, "b:y": 4, "c:x": 1, "c:y": 3}


def round_rows(ratings: Any = ratings_of) -> list[tuple[int, str, str, Any]]:
    """Participants 1-10 are camp A, 11-20 camp B."""
    rows: list[tuple[int, str, str, Any]] = []
    for p, _ in PEOPLE:
        camp_a = p <= 10
        for item, value in ratings(p).items():
            rows.append((p, "rating", f"rating:{item}", value))
        approved = {"a", "b"} if camp_a else {"b", "c"}
        for o in "abc":
            rows.append((p, "approval", f"approval:{o}", o in approved))
        rows.append((p, "ranking", "ranking", ["a", "b", "c"] if camp_a else ["b", "c", "a"]))
        for i, (sid, _) in enumerate(STATEMENTS):
            if (p + i) % 11 == 0:
                continue
            rows.append((p, "vote", f"vote:{sid}", 1 if (i < 5) == camp_a else -1))
        rows.append((p, "comment", "comment:general", "Some reasons."))
    return rows


def frame(rows: list[tuple[int, str, str, Any]], round_number: int = 1) -> FeedbackFrame:
    return FeedbackFrame.from_rows(
        workshop_id=3,
        round_number=round_number,
        spec=SPEC,
        scale_max=5,
        statements=STATEMENTS,
        participants=PEOPLE,
        rows=rows,
    )


@pytest.fixture(scope="module")
def result():
    return analyse(frame(round_rows()))


def test_rating_figures(result) -> None:
    assert result.item_keys() == ["a:x", "a:y", "b:x", "b:y", "c:x", "c:y"]
    ax = result.ratings.row(0)
    # ten 4s and ten 5s: median 4.5, q1 4, q3 5, IQR 1 (= the 5-point limit), all in 4-5
    assert (ax["median"], ax["q1"], ax["q3"], ax["iqr"]) == (4.5, 4.0, 5.0, 1.0)
    assert (ax["top_share"], ax["agreement"], ax["consensus"]) == (1.0, "in", True)
    assert result.ratings.row(1)["agreement"] == "out"  # everyone rated a:y 2
    assert result.ratings.row(5)["agreement"] == "none"  # c:y 3 is in neither band
    assert result.without_consensus() == ["c:y"]
    assert result.scores.tolist() == [3.25, 4.5, 2.0]


def test_votes_rankings_and_approvals(result) -> None:
    assert result.approvals.approvals.tolist() == [10, 20, 10]
    assert result.approval_voters == 20
    # Borda (3 options): camp A a3 b2 c1, camp B b3 c2 a1 -> a 40, b 50, c 30
    assert result.borda.tolist() == [40, 50, 30]
    assert result.rankings == 20
    # ranks: a 10·1 + 10·3 = 40, b 20 + 10 = 30, c 30 + 20 = 50; mean 40; S = 200
    # W = 12 · 200 / (20² · (3³ − 3)) = 2400 / 9600 = 0.25
    assert result.concordance["ranking"].w == pytest.approx(0.25)
    # criterion x: odd p rate a 5 = b 5 > c 1 (ranks 1.5, 1.5, 3), even p b 5 > a 4 > c 1
    # rank sums a 35, b 25, c 60; S = 25 + 225 + 400 = 650; T = 10 · (2³ − 2) = 60
    # W = 12 · 650 / (400 · 24 − 20 · 60) = 7800 / 8400 = 13/14
    assert result.concordance["rating:x"].w == pytest.approx(13 / 14)
    assert result.concordance["rating:y"].w == pytest.approx(1.0)
    assert result.votes.agree.sum() + result.votes.disagree.sum() == 20 * 10 - 18
    assert result.votes.passes.sum() == 0
    assert result.participants == 20
    assert result.active_by_group == {"employers": 10, "unions": 10}


def test_opinion_groups_and_group_informed_approvals(result) -> None:
    groups = result.opinions
    assert groups.k == 2 and groups.group_sizes == (10, 10)
    of = groups.group_of()
    assert len({of[p] for p in range(1, 11)}) == 1 and len({of[p] for p in range(11, 21)}) == 1
    camp_a = of[1]
    reps = [sid for sid, _ in STATEMENTS[:5]]
    assert sorted(r.statement_id for r in groups.representative[camp_a]) == reps
    # approvals by opinion group: a: (10+1)/(10+2) · (0+1)/(10+2) = 11/144,
    # b: (11/12)², c: 11/144
    assert result.approval_consensus.tolist() == pytest.approx([11 / 144, 121 / 144, 11 / 144])


def test_method_sensitivity_agrees(result) -> None:
    sens = result.sensitivity
    assert [m.method for m in sens.methods] == ["borda", "approval", "score", "group_consensus"]
    assert all(m.top == ("b",) for m in sens.methods)
    assert sens.robust_top == ("b",) and sens.consistent
    assert sens.methods[0].order == ("b", "a", "c")


def test_method_sensitivity_disagrees() -> None:
    rows = [r for r in round_rows() if not (r[1] == "approval" and r[2] == "approval:b")]
    rows += [(p, "approval", "approval:b", False) for p, _ in PEOPLE]
    sens = analyse(frame(rows)).sensitivity
    tops = {m.method: m.top for m in sens.methods}
    assert tops["approval"] == ("a", "c") and tops["borda"] == ("b",)
    assert sens.robust_top == () and not sens.consistent


def test_as_dict_is_json_safe(result) -> None:
    data = result.as_dict()
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["ratings"]["a:x"]["median"] == 4.5
    assert back["ratings"]["a:x"]["option"] == "a" and back["ratings"]["a:x"]["criterion"] == "x"
    assert back["options"][0] == {"key": "a", "label": "Apprenticeships"}
    assert back["criteria"][1] == {"key": "y", "label": "Cost"}
    assert back["borda"]["points"] == {"a": 40, "b": 50, "c": 30}
    assert back["approvals"]["counts"] == {"a": 10, "b": 20, "c": 10}
    assert back["statements"][0]["id"] == 101 and back["statements"][0]["text"] == "Statement 1"
    assert back["opinions"]["k"] == 2 and back["stability"] is None
    assert back["sensitivity"]["robust_top"] == ["b"]
    assert back["n_rows"] == len(round_rows())


def test_stability_against_the_previous_round() -> None:
    def moved(p: int) -> dict[str, int]:
        return {**ratings_of(p), "c:y": 1 + p % 5}  # c:y changes, the rest stays

    first = frame(round_rows(), 1)
    second = frame(round_rows(moved), 2)
    result = analyse(second, previous=first)
    st = result.stability
    assert result.previous_round == 1
    assert st.pairs.tolist() == [20] * 6
    assert st.kappa[:5].tolist() == [1.0] * 5 and st.cv_change[:5].tolist() == [0.0] * 5
    assert st.stable.tolist() == [True] * 5 + [False]
    # c:y: round 1 all 3s (CV 0); round 2 four each of 1..5: mean 3, SD √2 -> CV √2/3
    assert st.cv_change[5] == pytest.approx(math.sqrt(2) / 3)
    data = json.loads(json.dumps(result.as_dict(), allow_nan=False))
    assert data["stability"]["items"]["c:y"]["stable"] is False
    with pytest.raises(ValueError, match="different options"):
        analyse(second, previous=dataclasses.replace(first, options=("a", "b", "z")))


def test_empty_round() -> None:
    result = analyse(frame([]))
    assert result.participants == 0 and result.n_rows == 0
    assert not result.opinions.found and result.opinions.reason
    assert result.sensitivity.methods == ()
    assert set(result.sensitivity.unavailable) == {"borda", "approval", "score", "group_consensus"}
    assert result.concordance == {}
    assert result.without_consensus() == result.item_keys()
    json.dumps(result.as_dict(), allow_nan=False)
