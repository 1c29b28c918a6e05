"""One workshop round, analysed: what the facilitator dashboard, minutes and REST API show.

:class:`~workbench.db.frames.FeedbackFrame` (in the store's package, which reads it with
:func:`workbench.db.analytics.load_frame`) holds one round's answers as columnar integer
arrays; :func:`analyse` turns it into a :class:`WorkshopAnalysis` using
:mod:`workbench.participation.aggregates` and :mod:`workbench.participation.opinions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from workbench.db.frames import FeedbackFrame, IntArray
from workbench.participation.aggregates import (
    ApprovalStats,
    KendallW,
    RatingStats,
    Sensitivity,
    Stability,
    approval_stats,
    borda,
    group_informed_consensus,
    kendalls_w,
    method_sensitivity,
    option_scores,
    ranks_from_orders,
    rating_stats,
    stability,
)
from workbench.participation.opinions import OpinionGroups, opinion_groups
from workbench.participation.weights import CriterionWeights, criterion_weights

if TYPE_CHECKING:
    from workbench.db import Database

FloatArray = NDArray[np.float64]

#: Names of the voting methods compared by the sensitivity analysis.
METHODS = ("borda", "approval", "score", "group_consensus")


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


# -- the analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class VoteCounts:
    """Agree, disagree and pass counts per statement (arrays in statement order)."""

    agree: IntArray
    disagree: IntArray
    passes: IntArray


@dataclass(frozen=True)
class WorkshopAnalysis:
    """Every figure of one workshop round. Arrays follow the frame's code order."""

    workshop_id: int
    round: int
    scale_max: int
    n_rows: int
    options: tuple[str, ...]
    option_labels: tuple[str, ...]
    criteria: tuple[str, ...]
    criterion_labels: tuple[str, ...]
    #: participants with at least one answer this round, overall and per stakeholder group
    participants: int
    active_by_group: dict[str, int]
    #: per rating item (option-major: option · len(criteria) + criterion)
    ratings: RatingStats
    #: score voting: per option, mean over criteria of the mean rating
    scores: FloatArray
    approvals: ApprovalStats
    #: participants who submitted approvals
    approval_voters: int
    #: Borda points per option and the number of rankings they come from
    borda: IntArray
    rankings: int
    #: Kendall's W: "ranking" (the rankings) and "rating:<criterion>" (ratings of every
    #: option on that criterion, ties allowed); left out with fewer than 2 raters
    concordance: dict[str, KendallW]
    statement_ids: tuple[int, ...]
    statement_texts: tuple[str, ...]
    votes: VoteCounts
    opinions: OpinionGroups
    #: group-informed consensus on approvals per option (None without opinion groups)
    approval_consensus: FloatArray | None
    sensitivity: Sensitivity
    #: compared with ``previous_round`` (None in the first round)
    stability: Stability | None
    previous_round: int | None
    #: what matters most: criteria weights from the points (None: not computed)
    weights: CriterionWeights | None = None

    def item_keys(self) -> list[str]:
        """Rating item keys ``option:criterion`` in code order."""
        return [f"{o}:{c}" for o in self.options for c in self.criteria]

    def without_consensus(self) -> list[str]:
        """Rating items (``option:criterion``) to re-ask in a next Delphi round."""
        return [k for k, ok in zip(self.item_keys(), self.ratings.consensus, strict=True) if not ok]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (NaN becomes None) for the REST API."""
        keys = self.item_keys()
        n_crit = len(self.criteria)
        ratings = {}
        for i, key in enumerate(keys):
            row = self.ratings.row(i)
            row["option"] = self.options[i // n_crit]
            row["criterion"] = self.criteria[i % n_crit]
            ratings[key] = row
        stab = None
        if self.stability is not None:
            st = self.stability
            stab = {
                "previous_round": self.previous_round,
                "threshold": st.threshold,
                "items": {
                    key: {
                        "cv_previous": _num(st.cv_previous[i]),
                        "cv_current": _num(st.cv_current[i]),
                        "cv_change": _num(st.cv_change[i]),
                        "stable": bool(st.stable[i]),
                        "kappa": _num(st.kappa[i]),
                        "pairs": int(st.pairs[i]),
                    }
                    for i, key in enumerate(keys)
                },
            }
        by_option = dict(zip(self.options, range(len(self.options)), strict=True))
        return {
            "workshop_id": self.workshop_id,
            "round": self.round,
            "scale_max": self.scale_max,
            "n_rows": self.n_rows,
            "participants": self.participants,
            "active_by_group": dict(self.active_by_group),
            "options": [
                {"key": k, "label": lab}
                for k, lab in zip(self.options, self.option_labels, strict=True)
            ],
            "criteria": [
                {"key": k, "label": lab}
                for k, lab in zip(self.criteria, self.criterion_labels, strict=True)
            ],
            "ratings": ratings,
            "without_consensus": self.without_consensus(),
            "scores": {o: _num(self.scores[i]) for o, i in by_option.items()},
            "approvals": {
                "voters": self.approval_voters,
                "counts": {o: int(self.approvals.approvals[i]) for o, i in by_option.items()},
                "share": {o: _num(self.approvals.share[i]) for o, i in by_option.items()},
                "group_consensus": None
                if self.approval_consensus is None
                else {o: float(self.approval_consensus[i]) for o, i in by_option.items()},
            },
            "borda": {
                "rankings": self.rankings,
                "points": {o: int(self.borda[i]) for o, i in by_option.items()},
            },
            "concordance": {name: w.as_dict() for name, w in self.concordance.items()},
            "statements": [
                {
                    "id": sid,
                    "text": text,
                    "agree": int(self.votes.agree[i]),
                    "disagree": int(self.votes.disagree[i]),
                    "pass": int(self.votes.passes[i]),
                    "consensus": self.opinions.consensus.get(sid),
                }
                for i, (sid, text) in enumerate(
                    zip(self.statement_ids, self.statement_texts, strict=True)
                )
            ],
            "opinions": self.opinions.as_dict(),
            "sensitivity": self.sensitivity.as_dict(),
            "stability": stab,
            "weights": None if self.weights is None else self.weights.as_dict(),
        }


def _criterion_matrix(frame: FeedbackFrame, criterion: int) -> FloatArray:
    """Ratings of every option on one criterion, rows: participants who rated them all."""
    n_crit, n_opt = len(frame.criteria), len(frame.options)
    mask = frame.rating_item % n_crit == criterion
    grid = np.full((len(frame.participant_ids), n_opt), np.nan)
    option = frame.rating_item[mask] // n_crit
    grid[frame.rating_participant[mask], option] = frame.rating_value[mask]
    return grid[~np.isnan(grid).any(axis=1)]


def _approval_consensus(frame: FeedbackFrame, groups: OpinionGroups) -> FloatArray | None:
    """Π over opinion groups of (approvals + 1) / (voters + 2), per option."""
    if not groups.found:
        return None
    label_of = np.full(len(frame.participant_ids), -1, dtype=np.int64)
    codes = np.searchsorted(frame.participant_ids, groups.participant_ids)
    label_of[codes] = groups.labels
    label = label_of[frame.approval_participant]
    placed = label >= 0
    n_opt = len(frame.options)
    cell = label[placed] * n_opt + frame.approval_option[placed]
    size = groups.k * n_opt
    votes = np.bincount(cell, minlength=size).reshape(groups.k, n_opt)
    agrees = np.bincount(cell[frame.approval_value[placed]], minlength=size)
    return group_informed_consensus(agrees.reshape(groups.k, n_opt), votes)


def analyse(frame: FeedbackFrame, previous: FeedbackFrame | None = None) -> WorkshopAnalysis:
    """All figures of a round; ``previous`` (the round before) adds stability."""
    n_opt, n_crit = len(frame.options), len(frame.criteria)
    ratings = rating_stats(
        frame.rating_item, frame.rating_value, n_items=frame.n_items, scale_max=frame.scale_max
    )
    scores = option_scores(ratings.mean, n_options=n_opt, n_criteria=n_crit)
    approvals = approval_stats(frame.approval_option, frame.approval_value, n_options=n_opt)
    points = borda(frame.ranking_order, n_options=n_opt)

    concordance: dict[str, KendallW] = {}
    if len(frame.ranking_order) >= 2:
        concordance["ranking"] = kendalls_w(ranks_from_orders(frame.ranking_order))
    for c, key in enumerate(frame.criteria):
        grid = _criterion_matrix(frame, c)
        if len(grid) >= 2:
            concordance[f"rating:{key}"] = kendalls_w(grid, higher_is_better=True)

    n_stmt = len(frame.statement_ids)
    vote_code = frame.vote_statement * 3 + (frame.vote_value + 1)
    tally = np.bincount(vote_code, minlength=3 * n_stmt).reshape(n_stmt, 3)
    votes = VoteCounts(agree=tally[:, 2], disagree=tally[:, 0], passes=tally[:, 1])
    groups = opinion_groups(
        frame.vote_participant,
        frame.vote_statement,
        frame.vote_value,
        participant_ids=frame.participant_ids,
        statement_ids=frame.statement_ids,
    )
    approval_consensus = _approval_consensus(frame, groups)

    unavailable = {}
    if not len(frame.ranking_order):
        unavailable["borda"] = "nobody ranked the options"
    if not len(frame.approval_option):
        unavailable["approval"] = "nobody approved options"
    if not len(frame.rating_item):
        unavailable["score"] = "nobody rated the options"
    if approval_consensus is None:
        unavailable["group_consensus"] = (
            f"no opinion groups: {groups.reason}" if groups.reason else "no opinion groups"
        )
    elif not len(frame.approval_option):
        unavailable["group_consensus"] = "nobody approved options"
    candidates = {
        "borda": points.astype(np.float64) if len(frame.ranking_order) else None,
        "approval": approvals.approvals.astype(np.float64) if len(frame.approval_option) else None,
        "score": scores if len(frame.rating_item) else None,
        "group_consensus": approval_consensus if len(frame.approval_option) else None,
    }
    sensitivity = method_sensitivity(
        {m: v for m, v in candidates.items() if m not in unavailable},
        frame.options,
        unavailable=unavailable,
    )

    stab = None
    if previous is not None:
        if previous.options != frame.options or previous.criteria != frame.criteria:
            raise ValueError("the two rounds rate different options or criteria")
        stab = stability(
            (
                previous.participant_ids[previous.rating_participant],
                previous.rating_item,
                previous.rating_value,
            ),
            (
                frame.participant_ids[frame.rating_participant],
                frame.rating_item,
                frame.rating_value,
            ),
            n_items=frame.n_items,
            scale_max=frame.scale_max,
        )

    n_people = len(frame.participant_ids)
    answered = np.zeros(n_people, dtype=bool)
    for codes in (
        frame.rating_participant,
        frame.approval_participant,
        frame.ranking_participant,
        frame.vote_participant,
        frame.points_participant,
    ):
        answered[codes] = True
    active = np.flatnonzero(answered)
    by_group: dict[str, int] = {}
    for code in active:
        group = frame.participant_groups[code]
        by_group[group] = by_group.get(group, 0) + 1
    return WorkshopAnalysis(
        workshop_id=frame.workshop_id,
        round=frame.round,
        scale_max=frame.scale_max,
        n_rows=frame.n_rows,
        options=frame.options,
        option_labels=frame.option_labels,
        criteria=frame.criteria,
        criterion_labels=frame.criterion_labels,
        participants=len(active),
        active_by_group=dict(sorted(by_group.items())),
        ratings=ratings,
        scores=scores,
        approvals=approvals,
        approval_voters=int(np.count_nonzero(np.bincount(frame.approval_participant))),
        borda=points,
        rankings=len(frame.ranking_order),
        concordance=concordance,
        statement_ids=tuple(int(s) for s in frame.statement_ids),
        statement_texts=frame.statement_texts,
        votes=votes,
        opinions=groups,
        approval_consensus=approval_consensus,
        sensitivity=sensitivity,
        stability=stab,
        previous_round=None if previous is None else previous.round,
        weights=frame_weights(frame),
    )


def frame_weights(frame: FeedbackFrame) -> CriterionWeights:
    """Criteria weights (mean points / budget) of a round, overall and per group."""
    return criterion_weights(
        frame.points_participant,
        frame.points_criterion,
        frame.points_value,
        participant_groups=frame.participant_groups,
        criteria=frame.criteria,
        criterion_labels=frame.criterion_labels,
        budget=frame.points_budget,
    )


def round_weights(db: Database, workshop_id: int, round_number: int) -> CriterionWeights:
    """Load one round and return its criteria weights, overall and per stakeholder group."""
    from workbench.db.analytics import load_frame

    with db.session() as session:
        frame = load_frame(session, workshop_id=workshop_id, round_number=round_number)
    return frame_weights(frame)


def analyse_workshop(
    db: Database, workshop_id: int, round_number: int
) -> tuple[WorkshopAnalysis, WorkshopAnalysis | None]:
    """Load and analyse a round and, from round 2 on, the round before it.

    Returns (current, previous); the current analysis includes stability against the
    previous round.
    """
    from workbench.db.analytics import load_frame

    with db.session() as session:
        frame = load_frame(session, workshop_id=workshop_id, round_number=round_number)
        before = (
            load_frame(session, workshop_id=workshop_id, round_number=round_number - 1)
            if round_number >= 2
            else None
        )
    previous = analyse(before) if before is not None else None
    return analyse(frame, before), previous
