"""The columnar frame of one round's answers, built from plain rows: what it keeps, and
that it is validated and read-only. (Read from the database: tests/db/test_analytics.py.)"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from workbench.db.frames import FeedbackFrame

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


def frame(rows: list[tuple[int, str, str, Any]]) -> FeedbackFrame:
    return FeedbackFrame.from_rows(
        workshop_id=3,
        round_number=1,
        spec=SPEC,
        scale_max=5,
        statements=STATEMENTS,
        participants=PEOPLE,
        rows=rows,
    )


def everyone_answers() -> list[tuple[int, str, str, Any]]:
    """Each of the 20 people rates every item, approves one option, ranks and votes."""
    rows: list[tuple[int, str, str, Any]] = []
    for p, _ in PEOPLE:
        for o in "abc":
            rows += [(p, "rating", f"rating:{o}:{c}", 1 + (p + ord(o)) % 5) for c in "xy"]
            rows.append((p, "approval", f"approval:{o}", o == "abc"[p % 3]))
        rows.append((p, "ranking", "ranking", ["a", "b", "c"] if p <= 10 else ["b", "c", "a"]))
        rows.append((p, "vote", f"vote:{STATEMENTS[p % 10][0]}", 1 if p % 2 else -1))
    return rows


def test_from_rows_keeps_only_valid_answers() -> None:
    rows = [
        (1, "rating", "rating:a:x", 4),
        (1, "rating", "rating:a:x2", 4),  # unknown criterion
        (1, "rating", "rating:b:x", 6),  # beyond the scale
        (1, "rating", "rating:b:y", True),  # not a number
        (1, "approval", "approval:a", True),
        (1, "approval", "approval:a", "yes"),  # not a boolean
        (1, "vote", "vote:101", -1),
        (1, "vote", "vote:999", 1),  # not an approved statement
        (1, "vote", "vote:102", 2),  # not a vote
        (99, "rating", "rating:a:y", 3),  # not a participant of the workshop
        (2, "ranking", "ranking", ["a", "b"]),  # incomplete
        (2, "ranking", "ranking", ["c", "a", "b"]),
        (2, "comment", "comment:a", "text"),
    ]
    f = frame(rows)
    assert f.n_rows == len(rows)
    assert (f.rating_participant.tolist(), f.rating_item.tolist()) == ([0], [0])
    assert f.approval_value.tolist() == [True]
    assert (f.vote_statement.tolist(), f.vote_value.tolist()) == ([0], [-1])
    assert f.ranking_participant.tolist() == [1] and f.ranking_order.tolist() == [[2, 0, 1]]


def test_frame_is_validated_and_read_only() -> None:
    f = frame(everyone_answers())
    assert len(f.rating_value) == 20 * 6 and f.n_items == 6
    with pytest.raises(ValueError, match="read-only"):
        f.rating_value[0] = 1
    with pytest.raises(ValueError, match="same length"):
        dataclasses.replace(f, rating_value=f.rating_value[:-1])
    with pytest.raises(ValueError, match="participant_groups"):
        dataclasses.replace(f, participant_groups=())
    assert f.ranking_order.shape == (20, 3)
    assert np.array_equal(f.participant_ids, np.arange(1, 21))
