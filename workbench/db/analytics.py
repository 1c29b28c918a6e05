"""Read one workshop round's feedback as a columnar :class:`FeedbackFrame`, fast.

Everything is read with SQLAlchemy Core column selects (no ORM objects). A round's
ratings, approvals and votes can be a million rows; fetching them as a million Python
rows costs more than everything else, so the database concatenates each participant's
answers into one string (``group_concat`` on SQLite, ``string_agg`` on PostgreSQL;
the rows arrive in the order of the ``(workshop_id, round, participant_id, item)`` unique
index) and Python splits them in one go and maps item keys and values to integer codes
with dictionaries (C-level ``map``). On SQLite with 1,000,000 rows
(``benchmarks/bench_dashboard.py``, 2 cores) this loads in about 1.5 s, against about 4 s
for one query per kind with SQL ``CASE`` mappings of the item keys, and needs about half
the CPU time of fetching the rows one by one (``SELECT participant_id, item, value``).

JSON values are cast to text in SQL (PostgreSQL's ``json`` type needs it). Item keys
(``rating:<option>:<criterion>``, ``approval:<option>``, ``vote:<statement id>``,
``points:<criterion>``) and values (``-1``..``1000``, ``true``, ``false``) never contain
spaces; should a participant's string not split into exactly two tokens per answer (a
value written by other means), their rows are read one by one instead. Votes on
statements that are not approved, unknown items and invalid values are dropped. Rankings
(one JSON list per participant) are read separately and parsed in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, func, literal, select
from sqlmodel import Session, col

from workbench.db.frames import FeedbackFrame
from workbench.db.models import Feedback, Participant, Statement, Workshop
from workbench.exceptions import WorkshopNotFound
from workbench.participation.spec import MAX_POINTS

#: kinds read in bulk (their items and values contain no spaces)
_BULK_KINDS = ("rating", "approval", "vote", "points")
#: value codes (ratings, votes, points up to the largest budget); anything else is dropped
_VALUES: dict[str, int] = {str(v): v for v in range(-1, MAX_POINTS + 1)} | {
    "true": 1,
    "false": 0,
}
_BAD = -99


def _value_text() -> Any:
    """The JSON value as text ("3", "true"), "null" when missing."""
    return func.coalesce(cast(col(Feedback.value), Text), literal("null"))


def _round(workshop_id: int, round_number: int) -> list[Any]:
    return [Feedback.workshop_id == workshop_id, Feedback.round == round_number]


def _aggregate(session: Session) -> Any | None:
    """The dialect's string aggregate: group_concat (SQLite) or string_agg (PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return func.group_concat
    if name == "postgresql":
        return func.string_agg
    return None


def _answers(
    session: Session, workshop_id: int, round_number: int
) -> tuple[np.ndarray, list[str], list[str]]:
    """(participant id, item, value text) of the round's ratings, approvals and votes."""
    where = [*_round(workshop_id, round_number), col(Feedback.kind).in_(_BULK_KINDS)]
    aggregate = _aggregate(session)
    pids: list[int] = []
    counts: list[int] = []
    chunks: list[str] = []
    odd: list[int] = []
    if aggregate is not None:
        pair = col(Feedback.item) + literal(" ") + _value_text()
        query = (
            select(col(Feedback.participant_id), func.count(), aggregate(pair, literal(" ")))
            .where(*where)
            .group_by(col(Feedback.participant_id))
        )
        for pid, count, text in session.connection().execute(query):
            if text is not None and text.count(" ") == 2 * count - 1:
                pids.append(pid)
                counts.append(count)
                chunks.append(text)
            else:
                odd.append(pid)
    tokens = " ".join(chunks).split(" ") if chunks else []
    items, values = tokens[0::2], tokens[1::2]
    participants = np.repeat(np.array(pids, dtype=np.int64), np.array(counts, dtype=np.int64))
    if aggregate is None or odd:
        query = select(col(Feedback.participant_id), col(Feedback.item), _value_text()).where(
            *where
        )
        if aggregate is not None:
            query = query.where(col(Feedback.participant_id).in_(odd))
        rows = session.connection().execute(query).all()
        participants = np.concatenate(
            [participants, np.array([r[0] for r in rows], dtype=np.int64)]
        )
        items += [r[1] for r in rows]
        values += [r[2] for r in rows]
    return participants, items, values


def _codes(keys: list[str], table: dict[str, int], missing: int) -> np.ndarray:
    return np.fromiter(map(table.get, keys, repeat(missing)), dtype=np.int64, count=len(keys))


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each id in ``sorted_ids``, whether it is there at all)."""
    pos = np.searchsorted(sorted_ids, ids)
    known = pos < len(sorted_ids)
    known[known] = sorted_ids[pos[known]] == ids[known]
    return pos, known


def _labels(entries: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(e.get("label") or e["key"]) for e in entries)


def load_frame(session: Session, *, workshop_id: int, round_number: int) -> FeedbackFrame:
    """One round of a workshop as integer-coded arrays (see :class:`FeedbackFrame`).

    Participants are every participant of the workshop, by id; statements are the
    approved ones, by id. Raises :class:`WorkshopNotFound` for an unknown workshop.
    """
    conn = session.connection()
    head = conn.execute(
        select(col(Workshop.spec), col(Workshop.scale_max)).where(Workshop.id == workshop_id)
    ).first()
    if head is None:
        raise WorkshopNotFound(f"no workshop {workshop_id}")
    spec: dict[str, Any] = head[0] or {}
    scale_max = int(head[1])
    options = [str(o["key"]) for o in spec.get("options", [])]
    criteria = [str(c["key"]) for c in spec.get("criteria", [])]
    statements = conn.execute(
        select(col(Statement.id), col(Statement.text))
        .where(Statement.workshop_id == workshop_id, Statement.status == "approved")
        .order_by(col(Statement.id))
    ).all()
    people = conn.execute(
        select(col(Participant.id), col(Participant.stakeholder_group))
        .where(Participant.workshop_id == workshop_id)
        .order_by(col(Participant.id))
    ).all()
    participant_ids = np.array([p[0] for p in people], dtype=np.int64)
    statement_ids = np.array([s[0] for s in statements], dtype=np.int64)

    # item codes: ratings [0, R), approvals [R, R + O), votes [R + O, R + O + S),
    # points [R + O + S, R + O + S + C)
    n_ratings, n_options = len(options) * len(criteria), len(options)
    keys = [f"rating:{o}:{c}" for o in options for c in criteria]
    keys += [f"approval:{o}" for o in options]
    keys += [f"vote:{sid}" for sid in statement_ids]
    keys += [f"points:{c}" for c in criteria]
    first_points = n_ratings + n_options + len(statement_ids)
    budget = int(spec.get("points") or 0)
    item_code = {key: i for i, key in enumerate(keys)}

    pids, items, values = _answers(session, workshop_id, round_number)
    item = _codes(items, item_code, -1)
    value = _codes(values, _VALUES, _BAD)
    part, known = _positions(participant_ids, pids)

    is_rating = known & (item >= 0) & (item < n_ratings) & (value >= 1) & (value <= scale_max)
    is_approval = known & (item >= n_ratings) & (item < n_ratings + n_options)
    is_approval &= (value == 0) | (value == 1)
    is_vote = known & (item >= n_ratings + n_options) & (item < first_points)
    is_vote &= (value >= -1) & (value <= 1)
    is_points = known & (item >= first_points) & (value >= 0) & (value <= budget)

    option_code = {o: i for i, o in enumerate(options)}
    ranked_by: list[int] = []
    orders: list[list[int]] = []
    query = select(col(Feedback.participant_id), _value_text()).where(
        *_round(workshop_id, round_number), Feedback.item == "ranking"
    )
    rows = conn.execute(query).all()
    parsed = json.loads("[" + ",".join(r[1] for r in rows) + "]")  # one parse for all
    wanted = sorted(options)
    for (pid, _), order in zip(rows, parsed, strict=True):
        if isinstance(order, list) and sorted(map(str, order)) == wanted:
            ranked_by.append(pid)
            orders.append([option_code[str(o)] for o in order])
    k_pos, k_known = _positions(participant_ids, np.array(ranked_by, dtype=np.int64))
    order_array = np.array(orders, dtype=np.int64).reshape(-1, len(options))

    n_rows = conn.execute(
        select(func.count()).select_from(Feedback).where(*_round(workshop_id, round_number))
    ).scalar_one()
    return FeedbackFrame(
        workshop_id=workshop_id,
        round=round_number,
        scale_max=scale_max,
        options=tuple(options),
        option_labels=_labels(spec.get("options", [])),
        criteria=tuple(criteria),
        criterion_labels=_labels(spec.get("criteria", [])),
        statement_ids=statement_ids,
        statement_texts=tuple(s[1] for s in statements),
        participant_ids=participant_ids,
        participant_groups=tuple(p[1] or "" for p in people),
        rating_participant=part[is_rating],
        rating_item=item[is_rating],
        rating_value=value[is_rating],
        approval_participant=part[is_approval],
        approval_option=item[is_approval] - n_ratings,
        approval_value=value[is_approval].astype(bool),
        ranking_participant=k_pos[k_known],
        ranking_order=order_array[k_known],
        vote_participant=part[is_vote],
        vote_statement=item[is_vote] - n_ratings - n_options,
        vote_value=value[is_vote],
        n_rows=int(n_rows),
        points_budget=budget,
        points_participant=part[is_points],
        points_criterion=item[is_points] - first_points,
        points_value=value[is_points],
    )
