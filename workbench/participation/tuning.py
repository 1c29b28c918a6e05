"""Tune a workshop round: its stored feedback through :func:`workbench.tuning.tune`.

:func:`tune_round` reads one round with :func:`workbench.db.analytics.load_frame` (the same
columnar load as the dashboard), turns it into the tuning frames (one row per participant
and criterion for the 100-point allocations, one per rating), takes the evidence criterion
from the workshop's published ``policy_mix`` artefact (the approved effectiveness model's
P(significantly positive) for the case's first target group; none for an app without a
policy mix) and the expected stakeholder mix from the workshop, and returns the
:class:`~workbench.tuning.tune.TuningResult`. Nothing is written: this is the preview a
facilitator reads before a tuned version is proposed. :func:`read_and_tune` also returns
the exact feedback rows read and the evidence model, for a stored version
(:mod:`workbench.participation.recommendations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.evidence.recommend import Recommendation
from workbench.exceptions import InvalidInput, Problem
from workbench.publish import load_artefacts
from workbench.tuning import BUDGET, evidence_from_recommendation, tune
from workbench.tuning.tune import TuningResult

if TYPE_CHECKING:
    from workbench.participation.analysis import FeedbackFrame
    from workbench.participation.workshops import WorkshopInfo
    from workbench.service import Workbench

__all__ = ["NO_GROUP", "TunedRound", "frames_of", "read_and_tune", "tune_round"]

#: The stakeholder group of a participant who named none.
NO_GROUP = "unspecified"


def frames_of(frame: FeedbackFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The round's ``points`` and ``ratings`` frames in the tuning module's columns."""
    pids = frame.participant_ids
    groups = np.array([g or NO_GROUP for g in frame.participant_groups], dtype=object)

    def who(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array([f"p{pids[c]}" for c in codes], dtype=object), groups[codes]

    participant, group = who(frame.points_participant)
    points = pd.DataFrame(
        {
            "participant": participant,
            "group": group,
            "criterion": np.array(frame.criteria, dtype=object)[frame.points_criterion],
            "points": frame.points_value.astype(int),
        }
    )
    n_crit = len(frame.criteria)
    participant, group = who(frame.rating_participant)
    ratings = pd.DataFrame(
        {
            "participant": participant,
            "group": group,
            "option": np.array(frame.options, dtype=object)[frame.rating_item // n_crit],
            "criterion": np.array(frame.criteria, dtype=object)[frame.rating_item % n_crit],
            "value": frame.rating_value.astype(int),
        }
    )
    return points, ratings


@dataclass(frozen=True)
class TunedRound:
    """A round's tuning and what it rests on: the exact feedback rows and the evidence."""

    result: TuningResult
    workshop: WorkshopInfo
    round: int
    #: ``[[feedback id, revision], …]`` of the points and ratings read, by id
    feedback_rows: list[list[int]]
    #: "almp_effectiveness <version>" of the policy mix the evidence came from ("" if none)
    evidence_model: str
    #: option keys as the evidence-based proposal ranked them (the spec's order without one)
    proposal_order: tuple[str, ...]


def tune_round(
    wb: Workbench,
    workshop_id: int,
    round_number: int | None = None,
    *,
    method: str = "weighted-sum",
    group_rule: str = "equal",
    n_draws: int = 1000,
    seed: int = 0,
) -> TuningResult:
    """The tuned ranking of one round (the current one when ``round_number`` is None).

    Raises:
        WorkshopNotFound: no such workshop.
        InvalidInput: no such round, a workshop that does not ask for points, a budget
            other than 100, or a round the tuning refuses (no feedback, too few
            participants or groups: the threshold and the count are named).
    """
    return read_and_tune(
        wb, workshop_id, round_number, method=method, group_rule=group_rule,
        n_draws=n_draws, seed=seed,
    ).result  # fmt: skip


def read_and_tune(
    wb: Workbench,
    workshop_id: int,
    round_number: int | None = None,
    *,
    method: str = "weighted-sum",
    group_rule: str = "equal",
    n_draws: int = 1000,
    seed: int = 0,
) -> TunedRound:
    """:func:`tune_round` with the ids and revisions of the feedback rows it read (one
    consistent snapshot of the round) and the evidence model it took."""
    from workbench.db.analytics import load_frame
    from workbench.db.recommendations import feedback_rows

    info = wb.workshops.get(workshop_id)
    number = info.round_or_current(round_number)
    source = f"workshop {workshop_id}"
    if not info.points:
        raise InvalidInput(
            [Problem(source, "points", "this workshop does not ask for points over the "
                     "criteria, so there are no weights to tune with")]
        )  # fmt: skip
    if info.points != BUDGET:
        raise InvalidInput(
            [Problem(source, "points", f"tuning needs allocations of {BUDGET} points; this "
                     f"workshop asks for {info.points}")]
        )  # fmt: skip
    with wb.db.session(snapshot=True) as session:
        frame = load_frame(session, workshop_id=workshop_id, round_number=number)
        rows = feedback_rows(session, workshop_id=workshop_id, round_number=number)
    points, ratings = frames_of(frame)
    mix = load_artefacts(wb.db, wb.settings, info.publication_id).get("policy_mix", {})
    doc = mix.get("json", {}).get("policy_mix")
    evidence, evidence_model = None, ""
    order = list(frame.options)
    if doc:
        rec = Recommendation.from_dict(doc["recommendation"])
        evidence = evidence_from_recommendation(rec)
        evidence = {k: v for k, v in evidence.items() if k in frame.options}
        model = doc.get("model", {})
        evidence_model = f"{model.get('name', 'almp_effectiveness')} {model.get('version', '?')}"
        ranked = [t for t in rec.ranked_types() if t in frame.options]
        order = ranked + [o for o in frame.options if o not in ranked]
    result = tune(
        points,
        ratings,
        list(frame.criteria),
        list(frame.options),
        evidence=evidence or None,
        expected_mix=info.expected_mix or None,
        group_rule=group_rule,
        method=method,
        n_draws=n_draws,
        seed=seed,
        scale=frame.scale_max,
        round_no=number,
    )
    return TunedRound(
        result=result,
        workshop=info,
        round=number,
        feedback_rows=rows,
        evidence_model=evidence_model if evidence else "",
        proposal_order=tuple(order),
    )
