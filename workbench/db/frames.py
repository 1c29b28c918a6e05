"""One workshop round's answers as columnar integer arrays: :class:`FeedbackFrame`.

The store reads it (:func:`workbench.db.analytics.load_frame`); the analysis
(:mod:`workbench.participation.analysis`) and the tuning read from it. It lives here,
beside the store and below both, so that the store never imports the analysis. No
database: :meth:`FeedbackFrame.from_rows` builds one from plain rows (tests, small data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

_INT_FIELDS = (
    "statement_ids",
    "participant_ids",
    "rating_participant",
    "rating_item",
    "rating_value",
    "approval_participant",
    "approval_option",
    "ranking_participant",
    "vote_participant",
    "vote_statement",
    "vote_value",
    "points_participant",
    "points_criterion",
    "points_value",
)
#: the lists :meth:`FeedbackFrame.from_rows` fills
_ROW_LISTS = ("rp", "ri", "rv", "ap", "ao", "av", "kp", "ko", "vp", "vs", "vv", "pp", "pc", "pv")


def _empty() -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class FeedbackFrame:
    """One round's answers as parallel integer arrays (codes, not strings).

    Codes: participants index ``participant_ids`` (every participant of the workshop,
    by id); rating items are ``option · len(criteria) + criterion``; options and criteria
    index ``options`` and ``criteria`` (the spec's order); statements index
    ``statement_ids`` (approved statements only, by id). ``ranking_order`` has one row per
    ranking: option codes, best first. ``vote_value`` is +1 agree, −1 disagree, 0 pass.
    ``n_rows`` counts the feedback rows the frame was built from (comments included).
    ``points_*``: points given to each criterion (code) out of ``points_budget`` (0 when
    the workshop does not ask for points).
    """

    workshop_id: int
    round: int
    scale_max: int
    options: tuple[str, ...]
    option_labels: tuple[str, ...]
    criteria: tuple[str, ...]
    criterion_labels: tuple[str, ...]
    statement_ids: IntArray
    statement_texts: tuple[str, ...]
    participant_ids: IntArray
    participant_groups: tuple[str, ...]
    rating_participant: IntArray
    rating_item: IntArray
    rating_value: IntArray
    approval_participant: IntArray
    approval_option: IntArray
    approval_value: NDArray[np.bool_]
    ranking_participant: IntArray
    ranking_order: IntArray
    vote_participant: IntArray
    vote_statement: IntArray
    vote_value: IntArray
    n_rows: int = 0
    points_budget: int = 0
    points_participant: IntArray = field(default_factory=_empty)
    points_criterion: IntArray = field(default_factory=_empty)
    points_value: IntArray = field(default_factory=_empty)

    def __post_init__(self) -> None:
        def fix(name: str, value: Any, dtype: Any) -> None:
            array = np.array(value, dtype=dtype)
            array.flags.writeable = False
            object.__setattr__(self, name, array)

        for name in _INT_FIELDS:
            fix(name, getattr(self, name), np.int64)
        fix("approval_value", self.approval_value, np.bool_)
        order = np.asarray(self.ranking_order, dtype=np.int64).reshape(-1, len(self.options))
        fix("ranking_order", order, np.int64)
        for fields in (
            ("rating_participant", "rating_item", "rating_value"),
            ("approval_participant", "approval_option", "approval_value"),
            ("vote_participant", "vote_statement", "vote_value"),
            ("points_participant", "points_criterion", "points_value"),
        ):
            if len({len(getattr(self, f)) for f in fields}) != 1:
                raise ValueError(f"{', '.join(fields)} must have the same length")
        if len(self.ranking_participant) != len(self.ranking_order):
            raise ValueError("ranking_participant and ranking_order must have the same length")
        if len(self.participant_ids) != len(self.participant_groups):
            raise ValueError("participant_ids and participant_groups must have the same length")
        if len(self.statement_ids) != len(self.statement_texts):
            raise ValueError("statement_ids and statement_texts must have the same length")
        if len(self.option_labels) != len(self.options) or len(self.criterion_labels) != len(
            self.criteria
        ):
            raise ValueError("one label per option and per criterion")

    @property
    def n_items(self) -> int:
        """Number of rating items (options × criteria)."""
        return len(self.options) * len(self.criteria)

    def item_keys(self) -> list[str]:
        """Rating item keys ``option:criterion`` in code order."""
        return [f"{o}:{c}" for o in self.options for c in self.criteria]

    # -- building from plain rows (tests, small data) --------------------------------------
    @classmethod
    def from_rows(
        cls,
        *,
        workshop_id: int,
        round_number: int,
        spec: Mapping[str, Any],
        scale_max: int,
        statements: Iterable[tuple[int, str]],
        participants: Iterable[tuple[int, str | None]],
        rows: Iterable[tuple[int, str, str, Any]],
    ) -> FeedbackFrame:
        """Build a frame from (participant id, kind, item, value) rows.

        ``statements`` are the approved (id, text) pairs and ``participants`` the
        workshop's (id, stakeholder group) pairs. Comments, unknown items, invalid values,
        votes on other statements and rows of unlisted participants are left out. This is
        the plain-Python reference for :func:`workbench.db.analytics.load_frame`.
        """
        options = tuple(o["key"] for o in spec.get("options", []))
        criteria = tuple(c["key"] for c in spec.get("criteria", []))
        stmts = sorted(statements)
        people = sorted(participants)
        pcode = {pid: i for i, (pid, _) in enumerate(people)}
        scode = {sid: i for i, (sid, _) in enumerate(stmts)}
        ocode = {o: i for i, o in enumerate(options)}
        icode = {f"rating:{o}:{c}": i for i, (o, c) in enumerate(_grid(options, criteria))}
        pcode_of = {f"points:{c}": i for i, c in enumerate(criteria)}
        budget = spec.get("points") or 0
        # (r)ating, (a)pproval, ran(k)ing, (v)ote x (p)articipant, item/option/statement, value
        out: dict[str, list[Any]] = {name: [] for name in _ROW_LISTS}
        n_rows = 0
        for pid, kind, item, value in rows:
            n_rows += 1
            p = pcode.get(pid)
            if p is None:
                continue
            whole = isinstance(value, int) and not isinstance(value, bool)
            if kind == "rating" and item in icode and whole and 1 <= value <= scale_max:
                out["rp"].append(p)
                out["ri"].append(icode[item])
                out["rv"].append(value)
            elif (
                kind == "approval"
                and item.removeprefix("approval:") in ocode
                and isinstance(value, bool)
            ):
                out["ap"].append(p)
                out["ao"].append(ocode[item.removeprefix("approval:")])
                out["av"].append(value)
            elif (
                kind == "ranking"
                and isinstance(value, list)
                and sorted(map(str, value)) == sorted(options)
            ):
                out["kp"].append(p)
                out["ko"].append([ocode[str(o)] for o in value])
            elif kind == "vote" and whole and value in (-1, 0, 1):
                sid = item.removeprefix("vote:")
                if sid.isdigit() and int(sid) in scode:
                    out["vp"].append(p)
                    out["vs"].append(scode[int(sid)])
                    out["vv"].append(value)
            elif kind == "points" and item in pcode_of and whole and 0 <= value <= budget:
                out["pp"].append(p)
                out["pc"].append(pcode_of[item])
                out["pv"].append(value)
        return cls(
            workshop_id=workshop_id,
            round=round_number,
            scale_max=scale_max,
            options=options,
            option_labels=tuple(o.get("label", o["key"]) for o in spec.get("options", [])),
            criteria=criteria,
            criterion_labels=tuple(c.get("label", c["key"]) for c in spec.get("criteria", [])),
            statement_ids=np.array([sid for sid, _ in stmts], dtype=np.int64),
            statement_texts=tuple(text for _, text in stmts),
            participant_ids=np.array([pid for pid, _ in people], dtype=np.int64),
            participant_groups=tuple(group or "" for _, group in people),
            rating_participant=out["rp"],
            rating_item=out["ri"],
            rating_value=out["rv"],
            approval_participant=out["ap"],
            approval_option=out["ao"],
            approval_value=np.array(out["av"], dtype=bool),
            ranking_participant=out["kp"],
            ranking_order=np.array(out["ko"], dtype=np.int64).reshape(-1, len(options)),
            vote_participant=out["vp"],
            vote_statement=out["vs"],
            vote_value=out["vv"],
            n_rows=n_rows,
            points_budget=budget,
            points_participant=out["pp"],
            points_criterion=out["pc"],
            points_value=out["pv"],
        )


def _grid(options: Sequence[str], criteria: Sequence[str]) -> list[tuple[str, str]]:
    return [(o, c) for o in options for c in criteria]
