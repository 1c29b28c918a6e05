"""The inputs of a tuning, their validation, the refusals and their integer encoding.

Two tidy frames carry one round's feedback:

- ``points``: ``participant``, ``group`` (stakeholder group), ``criterion``, ``points``
  (whole numbers >= 0); each participant's points sum to :data:`BUDGET`;
- ``ratings``: ``participant``, ``group``, ``option``, ``criterion``, ``value`` (whole
  numbers 1..scale), at most one per participant, option and criterion.

The **evidence criterion** (:data:`EVIDENCE`) is scored by the recommender, never rated:
an option's score is its P(significantly positive), or 0 with an "insufficient evidence"
flag when the recommender has no figure. Its weight:

- ``evidence_weight`` given: that weight; the other criteria share the rest in proportion
  to their aggregated weights;
- else, when the workshop lists a criterion named ``evidence``: the participants' points
  on it, like any other criterion;
- else (:data:`DEFAULT_EVIDENCE_WEIGHT` rule): the evidence counts as much as an average
  criterion, ``1 / (k + 1)`` for ``k`` rated criteria, and the rated criteria share the
  rest.

Refusals (:class:`~workbench.exceptions.InvalidInput`, every problem at once, at most
:data:`MAX_PROBLEMS` listed): no feedback at all; malformed rows; a participant whose points
do not sum to the budget; an option x criterion cell that nobody rated; fewer than
:data:`MIN_PARTICIPANTS` participants with points or fewer than :data:`MIN_GROUPS`
stakeholder groups among them (the message names the threshold and the count).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.exceptions import InvalidInput, Problem

if TYPE_CHECKING:
    from workbench.evidence.recommend import Recommendation

__all__ = [
    "BUDGET",
    "DEFAULT_EVIDENCE_WEIGHT",
    "DEFAULT_SCALE",
    "EVIDENCE",
    "GROUP_RULES",
    "MAX_PROBLEMS",
    "METHODS",
    "MIN_GROUPS",
    "MIN_PARTICIPANTS",
    "POINTS_COLUMNS",
    "RATINGS_COLUMNS",
    "TUNING_VERSION",
    "Encoded",
    "EvidenceMap",
    "TuningInputs",
    "encode",
    "evidence_from_recommendation",
    "validate",
]

#: Points each participant spreads over the criteria.
BUDGET = 100
#: Fewer participants with points than this give no stable weights: the round is refused.
MIN_PARTICIPANTS = 5
#: Fewer stakeholder groups (among participants with points) than this are refused: group
#: rules and the drop-a-group sensitivity need at least two.
MIN_GROUPS = 2
#: The key of the evidence criterion (scored by the recommender, weighted by points when
#: the workshop lists it as a criterion).
EVIDENCE = "evidence"
#: How the default evidence weight is chosen when neither points nor a parameter give it.
DEFAULT_EVIDENCE_WEIGHT = "as much as an average criterion: 1 / (number of rated criteria + 1)"
#: Rating scale maximum when none is given (ratings are 1..scale).
DEFAULT_SCALE = 5
GROUP_RULES = ("equal", "as-present", "expected-mix")
METHODS = ("weighted-sum", "topsis")
#: At most this many problems are listed in one refusal (the rest are counted).
MAX_PROBLEMS = 20
#: Part of the content hash: bump when the computation changes, so old hashes never match.
TUNING_VERSION = 1
POINTS_COLUMNS = ("participant", "group", "criterion", "points")
RATINGS_COLUMNS = ("participant", "group", "option", "criterion", "value")
_MAX_DRAWS = 1_000_000

#: option -> (p, low, high), or None for insufficient evidence.
EvidenceMap = Mapping[str, tuple[float, float, float] | None]


@dataclass(frozen=True)
class TuningInputs:
    """Validated, canonical inputs: frames sorted, keys sorted, evidence for every option."""

    points: pd.DataFrame
    ratings: pd.DataFrame
    criteria: tuple[str, ...]
    options: tuple[str, ...]
    rated: tuple[str, ...]
    evidence: dict[str, tuple[float, float, float] | None] | None
    evidence_weight: float | None
    evidence_weight_source: str
    expected_mix: dict[str, float] | None
    scale: int
    notes: tuple[str, ...]

    @property
    def mcda_criteria(self) -> tuple[str, ...]:
        """The decision matrix's columns: the rated criteria, then the evidence."""
        return self.rated + ((EVIDENCE,) if self.evidence is not None else ())

    def content_hash(self, parameters: Mapping[str, Any]) -> str:
        """sha256 of the canonical JSON of the sorted rows, keys and ``parameters``."""
        doc = {
            "version": TUNING_VERSION,
            "points": self.points[list(POINTS_COLUMNS)].to_numpy().tolist(),
            "ratings": self.ratings[list(RATINGS_COLUMNS)].to_numpy().tolist(),
            "criteria": list(self.criteria),
            "options": list(self.options),
            "evidence": None
            if self.evidence is None
            else {k: None if v is None else list(v) for k, v in self.evidence.items()},
            "evidence_weight": self.evidence_weight,
            "expected_mix": self.expected_mix,
            "scale": self.scale,
            "parameters": dict(parameters),
        }
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Encoded:
    """The inputs as integer-coded numpy arrays (participants and groups sorted by key).

    ``weights`` is (participants x criteria): points / :data:`BUDGET`, zero rows for
    participants who rated but gave no points. A rating's ``cell`` is
    ``option_index * len(rated) + rated_criterion_index``.
    """

    participants: tuple[str, ...]
    groups: tuple[str, ...]
    group_of: np.ndarray
    weights: np.ndarray
    has_points: np.ndarray
    rating_participant: np.ndarray
    rating_cell: np.ndarray
    rating_value: np.ndarray
    n_options: int
    n_rated: int
    scale: int

    @property
    def n_cells(self) -> int:
        """Option x rated-criterion cells."""
        return self.n_options * self.n_rated


def evidence_from_recommendation(
    rec: Recommendation, group: str | None = None
) -> dict[str, tuple[float, float, float] | None]:
    """The evidence criterion from a recommendation: programme type -> (p, low, high).

    ``group`` is the target group (the recommendation's first when None). Types whose
    cell has no figure map to None (insufficient evidence).

    Raises:
        InvalidInput: the recommendation has no such target group.
    """
    group = group or rec.target_groups[0]
    if group not in rec.by_group:
        raise InvalidInput(
            [
                Problem(
                    "evidence",
                    "group",
                    f"the recommendation has no target group {group!r}; it has "
                    f"{', '.join(rec.target_groups)}",
                )
            ]
        )
    out: dict[str, tuple[float, float, float] | None] = {}
    for option in rec.by_group[group]:
        figures = (option.p_positive, option.p_positive_low, option.p_positive_high)
        ok = option.sufficient and all(f is not None for f in figures)
        out[option.programme_type] = tuple(float(f) for f in figures) if ok else None  # type: ignore[misc,arg-type]
    return out


# -- validation -----------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, source: str, key: str, message: str) -> None:
        self.items.append(Problem(source, key, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_PROBLEMS]
        rest = len(self.items) - len(shown)
        if rest:
            shown.append(Problem("tune", "", f"... and {rest} more problems"))
        raise InvalidInput(shown)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _keys(values: Any, name: str, problems: _Problems) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        problems.add("tune", name, f"give a non-empty list of {name}")
        return ()
    bad = [v for v in values if not isinstance(v, str) or not v.strip()]
    if bad:
        problems.add("tune", name, f"{name} must be non-empty text; got {bad[:3]!r}")
        return ()
    dupes = sorted({v for v in values if list(values).count(v) > 1})
    if dupes:
        problems.add("tune", name, f"duplicate {name}: {', '.join(dupes)}")
    return tuple(sorted(set(values)))


def _parameters(
    group_rule: Any, method: Any, n_draws: Any, seed: Any, scale: Any, problems: _Problems
) -> None:
    if group_rule not in GROUP_RULES:
        problems.add("tune", "group_rule", f"must be one of {', '.join(GROUP_RULES)}")
    if method not in METHODS:
        problems.add("tune", "method", f"must be one of {', '.join(METHODS)}")
    if not _is_int(n_draws) or not 1 <= n_draws <= _MAX_DRAWS:
        problems.add("tune", "n_draws", f"must be a whole number from 1 to {_MAX_DRAWS:,}")
    if not _is_int(seed) or seed < 0:
        problems.add("tune", "seed", "must be a whole number >= 0")
    if not _is_int(scale) or not 2 <= scale <= 100:
        problems.add("tune", "scale", "must be a whole number from 2 to 100")


def _distinct(values: pd.Series) -> set[Any]:
    return set(values.unique())


def _not_text(values: pd.Series) -> np.ndarray:
    """Rows whose value is not non-blank text (vectorised when the column is all text)."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        stripped = values.str.strip()
        return (stripped.isna() | (stripped == "")).to_numpy(dtype=bool, na_value=True)
    return values.map(lambda v: not isinstance(v, str) or not v.strip()).to_numpy(dtype=bool)


def _frame(
    frame: pd.DataFrame | None, columns: Sequence[str], name: str, problems: _Problems
) -> pd.DataFrame | None:
    """The frame with text key columns and an int64 value column, or None if unusable."""
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if not isinstance(frame, pd.DataFrame):
        problems.add(name, "", "must be a pandas DataFrame")
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.add(name, "columns", f"missing column(s) {', '.join(missing)}")
        return None
    out = frame[list(columns)].reset_index(drop=True)
    ok = True
    for column in columns[:-1]:
        values = out[column]
        bad = _not_text(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            problems.add(
                name,
                column,
                f"{int(bad.sum())} row(s) without a text {column} (first: row {row}, "
                f"{values.iloc[row]!r})",
            )
            ok = False
    value_col = columns[-1]
    values = out[value_col]
    whole = values.dtype == object and bool(values.map(_is_int).all())
    if values.dtype.kind in "iu" or whole:
        numbers = values.astype(np.int64)
    else:
        problems.add(name, value_col, f"{value_col} must be whole numbers")
        return None
    out[value_col] = numbers
    return out if ok else None


def _check_points(points: pd.DataFrame, criteria: tuple[str, ...], problems: _Problems) -> None:
    unknown = sorted(_distinct(points["criterion"]) - set(criteria))
    if unknown:
        problems.add("points", "criterion", f"unknown criteria {', '.join(unknown[:10])}")
    negative = points.loc[points["points"] < 0, "participant"].unique()
    for p in sorted(negative)[:MAX_PROBLEMS]:
        problems.add("points", f"participant {p}", "negative points")
    dupes = points.loc[points.duplicated(["participant", "criterion"]), "participant"].unique()
    for p in sorted(dupes)[:MAX_PROBLEMS]:
        problems.add("points", f"participant {p}", "gives points to a criterion twice")
    sums = points.groupby("participant", sort=True)["points"].sum()
    for p, total in sums[sums != BUDGET].items():
        problems.add("points", f"participant {p}", f"points sum to {int(total)}, not {BUDGET}")


def _check_ratings(
    ratings: pd.DataFrame,
    options: tuple[str, ...],
    rated: tuple[str, ...],
    scale: int,
    problems: _Problems,
) -> None:
    if EVIDENCE in _distinct(ratings["criterion"]):
        problems.add(
            "ratings", EVIDENCE, "the evidence criterion is scored by the recommender, not rated"
        )
    unknown = sorted(_distinct(ratings["criterion"]) - set(rated) - {EVIDENCE})
    if unknown:
        problems.add("ratings", "criterion", f"unknown criteria {', '.join(unknown[:10])}")
    unknown = sorted(_distinct(ratings["option"]) - set(options))
    if unknown:
        problems.add("ratings", "option", f"unknown options {', '.join(unknown[:10])}")
    out = ratings[(ratings["value"] < 1) | (ratings["value"] > scale)]
    if len(out):
        first = out.iloc[0]
        problems.add(
            "ratings",
            "value",
            f"{len(out)} rating(s) outside 1..{scale} (first: participant {first['participant']}, "
            f"{first['option']} x {first['criterion']} = {first['value']})",
        )
    dupes = ratings[ratings.duplicated(["participant", "option", "criterion"])]
    if len(dupes):
        first = dupes.iloc[0]
        problems.add(
            "ratings",
            f"participant {first['participant']}",
            f"rates {first['option']} x {first['criterion']} twice ({len(dupes)} duplicate rows)",
        )
    pairs = ratings[["option", "criterion"]].drop_duplicates()
    seen = set(zip(pairs["option"], pairs["criterion"], strict=True))
    empty = [(o, c) for o in options for c in rated if (o, c) not in seen]
    for o, c in empty[:MAX_PROBLEMS]:
        problems.add("ratings", f"{o} x {c}", "nobody rated this option on this criterion")


def _check_groups(points: pd.DataFrame, ratings: pd.DataFrame, problems: _Problems) -> None:
    pairs = pd.concat([points[["participant", "group"]], ratings[["participant", "group"]]])
    pairs = pairs.drop_duplicates()
    split = pairs.loc[pairs["participant"].duplicated(), "participant"].unique()
    for p in sorted(split)[:MAX_PROBLEMS]:
        groups = sorted(pairs.loc[pairs["participant"] == p, "group"])
        problems.add("feedback", f"participant {p}", f"in several groups: {', '.join(groups)}")


def _evidence(
    evidence: Any, options: tuple[str, ...], problems: _Problems, notes: list[str]
) -> dict[str, tuple[float, float, float] | None] | None:
    if evidence is None:
        return None
    if not isinstance(evidence, Mapping):
        problems.add("evidence", "", "must map option -> (p, low, high) or None")
        return None
    out: dict[str, tuple[float, float, float] | None] = {}
    for option in options:
        if option not in evidence:
            notes.append(f"No evidence given for {option}: scored as insufficient evidence.")
            out[option] = None
            continue
        value = evidence[option]
        if value is None:
            out[option] = None
            continue
        try:
            p, low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            problems.add("evidence", option, "must be (p, low, high) or None")
            continue
        if not all(math.isfinite(v) for v in (p, low, high)) or not 0 <= low <= p <= high <= 1:
            problems.add("evidence", option, f"need 0 <= low <= p <= high <= 1; got {value!r}")
            continue
        out[option] = (p, low, high)
    extra = sorted(str(k) for k in evidence if k not in options)
    if extra and len(extra) == len(evidence):
        problems.add(
            "evidence", "", f"no evidence key is a workshop option (got {', '.join(extra[:5])})"
        )
    elif extra:
        notes.append(f"Evidence for {', '.join(extra)} ignored: not among the options.")
    return out


def _expected_mix(expected_mix: Any, problems: _Problems) -> dict[str, float] | None:
    if expected_mix is None:
        return None
    if not isinstance(expected_mix, Mapping) or not expected_mix:
        problems.add("expected_mix", "", "must map stakeholder group -> expected count")
        return None
    out = {}
    for group, count in sorted(expected_mix.items(), key=lambda kv: str(kv[0])):
        ok = isinstance(count, int | float | np.number) and not isinstance(count, bool)
        if not isinstance(group, str) or not ok or not math.isfinite(count) or count <= 0:
            problems.add("expected_mix", str(group), f"need a positive count; got {count!r}")
            continue
        out[group] = float(count)
    return out


def _no_feedback(points: Any, ratings: Any) -> bool:
    def empty(frame: Any) -> bool:
        return frame is None or (isinstance(frame, pd.DataFrame) and frame.empty)

    return empty(points) and empty(ratings)


def validate(
    points: pd.DataFrame | None,
    ratings: pd.DataFrame | None,
    criteria: Sequence[str],
    options: Sequence[str],
    *,
    evidence: EvidenceMap | None = None,
    evidence_weight: float | None = None,
    expected_mix: Mapping[str, float] | None = None,
    group_rule: str = "equal",
    method: str = "weighted-sum",
    n_draws: int = 1000,
    seed: int = 0,
    scale: int = DEFAULT_SCALE,
    round_no: int | None = None,
) -> TuningInputs:
    """Check everything (see the module doc) and return the canonical inputs.

    Raises:
        InvalidInput: every problem found, or the refusal that applies.
    """
    problems = _Problems()
    where = f"round {round_no}" if round_no is not None else "this round"
    _parameters(group_rule, method, n_draws, seed, scale, problems)
    crit = _keys(criteria, "criteria", problems)
    opts = _keys(options, "options", problems)
    problems.raise_if_any()
    if _no_feedback(points, ratings):
        problems.add("tune", "", f"no feedback in {where}: no points and no ratings to tune on")
        problems.raise_if_any()
    notes: list[str] = []
    ev = _evidence(evidence, opts, problems, notes)
    mix = _expected_mix(expected_mix, problems)
    if group_rule == "expected-mix" and expected_mix is None:
        problems.add("expected_mix", "", "the expected-mix rule needs the expected counts")
    if EVIDENCE in crit and evidence is None:
        problems.add("evidence", "", "the criterion 'evidence' needs the recommender's evidence")
    if evidence_weight is not None:
        if evidence is None:
            problems.add("evidence_weight", "", "given without evidence")
        ok = isinstance(evidence_weight, int | float) and not isinstance(evidence_weight, bool)
        if not ok or not 0 <= evidence_weight < 1:
            problems.add("evidence_weight", "", "must be a number from 0 to below 1")
    pts = _frame(points, POINTS_COLUMNS, "points", problems)
    rts = _frame(ratings, RATINGS_COLUMNS, "ratings", problems)
    problems.raise_if_any()
    assert pts is not None and rts is not None
    rated = tuple(c for c in crit if c != EVIDENCE)
    _check_points(pts, crit, problems)
    _check_ratings(rts, opts, rated, int(scale), problems)
    _check_groups(pts, rts, problems)
    if mix is not None and group_rule == "expected-mix":
        for group in sorted(_distinct(pts["group"]) | _distinct(rts["group"])):
            if group not in mix:
                problems.add("expected_mix", group, "no expected count for this group")
    problems.raise_if_any()
    people = pts.drop_duplicates("participant")
    n_people, n_groups = len(people), people["group"].nunique()
    if n_people < MIN_PARTICIPANTS:
        problems.add(
            "tune",
            "participants",
            f"only {n_people} participant(s) gave points in {where}; tuning needs at least "
            f"{MIN_PARTICIPANTS} (MIN_PARTICIPANTS)",
        )
    if n_groups < MIN_GROUPS:
        names = ", ".join(sorted(people["group"].unique())) or "none"
        problems.add(
            "tune",
            "groups",
            f"only {n_groups} stakeholder group(s) gave points in {where} ({names}); tuning "
            f"needs at least {MIN_GROUPS} (MIN_GROUPS)",
        )
    problems.raise_if_any()
    if ev is None:
        weight, source = None, "none"
    elif evidence_weight is not None:
        weight, source = float(evidence_weight), "parameter"
    elif EVIDENCE in crit:
        weight, source = None, "points"
    else:
        weight, source = 1.0 / (len(rated) + 1), "default"
    return TuningInputs(
        points=pts.sort_values(["participant", "criterion"], ignore_index=True),
        ratings=rts.sort_values(["participant", "option", "criterion"], ignore_index=True),
        criteria=crit,
        options=opts,
        rated=rated,
        evidence=ev,
        evidence_weight=weight,
        evidence_weight_source=source,
        expected_mix=mix,
        scale=int(scale),
        notes=tuple(notes),
    )


def encode(inputs: TuningInputs) -> Encoded:
    """Integer-code the validated inputs (see :class:`Encoded`)."""
    pts, rts = inputs.points, inputs.ratings
    pairs = pd.concat([pts[["participant", "group"]], rts[["participant", "group"]]])
    pairs = pairs.drop_duplicates("participant").sort_values("participant")
    participants = tuple(pairs["participant"])
    groups = tuple(sorted(_distinct(pairs["group"])))
    group_of = np.searchsorted(np.array(groups, dtype=object), pairs["group"].to_numpy())
    p_index = pd.Index(participants)
    weights = np.zeros((len(participants), len(inputs.criteria)))
    rows = p_index.get_indexer(pts["participant"])
    cols = pd.Index(inputs.criteria).get_indexer(pts["criterion"])
    weights[rows, cols] = pts["points"].to_numpy(dtype=float) / BUDGET
    has_points = np.zeros(len(participants), dtype=bool)
    has_points[rows] = True
    option = pd.Index(inputs.options).get_indexer(rts["option"])
    criterion = pd.Index(inputs.rated).get_indexer(rts["criterion"])
    return Encoded(
        participants=participants,
        groups=groups,
        group_of=group_of.astype(np.int64),
        weights=weights,
        has_points=has_points,
        rating_participant=p_index.get_indexer(rts["participant"]).astype(np.int64),
        rating_cell=(option * len(inputs.rated) + criterion).astype(np.int64),
        rating_value=rts["value"].to_numpy(dtype=np.int64),
        n_options=len(inputs.options),
        n_rated=len(inputs.rated),
        scale=inputs.scale,
    )
