"""Opinion groups from agree/disagree/pass votes on statements, in the manner of Pol.is.

Re-implemented from the published description of Pol.is (Small et al. 2021;
compdemocracy.org), not from its code:

1. A participants × statements matrix: agree +1, disagree −1, pass 0, unseen missing.
2. Keep participants with at least min(:data:`MIN_VOTES`, number of statements) votes
   (passes count as votes: the participant saw the statement).
3. Fill missing cells with the statement's mean vote over the kept participants, centre
   the columns, project on 2 principal components (:class:`sklearn.decomposition.PCA`)
   and scale each participant's projection by √(statements / votes cast), so that people
   who voted on few statements are not pulled to the centre.
4. k-means (fixed seed and number of restarts) for k = 2..5 (k below the number of kept
   participants); k is the one with the best silhouette. Groups are numbered by size,
   largest first (ties: the group holding the earliest participant first).
5. Representative statements of a group: the group agrees significantly more than everyone
   else. With smoothed agree shares p = (agrees + 1) / (votes + 2) for the group and for
   the others, the one-sided two-proportion z-test
   z = (p_g − p_o) / √(p̂(1 − p̂)(1/n_g + 1/n_o)), p̂ the smoothed pooled share and n the
   votes (passes included), must exceed :data:`Z_90` (90%, one-sided), and the group's
   own smoothed agree share must exceed :data:`REP_MIN_SHARE` (a group majority agrees).
6. Group-informed consensus of statement c: Π over groups g of (agrees_gc + 1) /
   (votes_gc + 2).

Everything is deterministic: the same votes give the same groups, coordinates and labels,
whatever order the votes arrive in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from workbench.participation.aggregates import group_informed_consensus

#: Participants need at least min(MIN_VOTES, statements) votes to be placed.
MIN_VOTES = 7
#: Fewest placed participants for which groups are sought (k = 2 needs k < participants).
MIN_PARTICIPANTS = 4
#: Fewest approved statements (two principal components need two columns).
MIN_STATEMENTS = 2
#: Numbers of groups tried.
K_VALUES = (2, 3, 4, 5)
#: Seed of k-means and of the silhouette sample.
RANDOM_STATE = 0
#: k-means restarts per k.
N_INIT = 10
#: The silhouette is computed on a random sample (fixed seed) above this many participants.
SILHOUETTE_SAMPLE = 2000
#: One-sided 90% critical value of the standard normal distribution.
Z_90 = 1.2816
#: A representative statement also needs this smoothed agree share within the group.
REP_MIN_SHARE = 0.5

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _frozen(array: ArrayLike, dtype: object = None) -> NDArray:
    out = np.array(array, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class Representative:
    """A statement a group agrees with significantly more than the other participants."""

    statement_id: int
    #: smoothed agree share in the group, (agrees + 1) / (votes + 2)
    group_share: float
    #: smoothed agree share among everyone else
    others_share: float
    z: float


@dataclass(frozen=True)
class OpinionGroups:
    """Opinion groups of one round's votes.

    When no groups could be formed, ``k`` is 0, ``reason`` says why and ``labels`` are −1
    (coordinates are still given if the projection could be computed).
    """

    #: the placed participants (those with enough votes), in input order
    participant_ids: IntArray
    #: 2-D opinion map coordinates of the placed participants, shape (n, 2)
    coords: FloatArray
    #: group of each placed participant, 0..k−1 (−1: no groups)
    labels: IntArray
    k: int
    #: silhouette score of each k tried
    silhouette: dict[int, float]
    group_sizes: tuple[int, ...]
    #: per group, its representative statements, strongest first
    representative: tuple[tuple[Representative, ...], ...]
    #: group-informed consensus per statement id (empty without groups)
    consensus: dict[int, float]
    #: share of the variance each principal component explains
    explained_variance: tuple[float, ...] = ()
    reason: str = ""
    #: agree and vote counts per group and statement, shape (k, statements)
    agrees: IntArray = field(default_factory=lambda: _frozen(np.zeros((0, 0)), np.int64))
    votes: IntArray = field(default_factory=lambda: _frozen(np.zeros((0, 0)), np.int64))

    @property
    def found(self) -> bool:
        """True when the participants were split into groups."""
        return self.k > 0

    def group_of(self) -> dict[int, int]:
        """Group of each placed participant, by participant id."""
        return {int(p): int(g) for p, g in zip(self.participant_ids, self.labels, strict=True)}

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-safe data (without internal participant ids)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        return {
            "k": self.k,
            "reason": self.reason or None,
            "coords": [[float(x), float(y)] for x, y in self.coords],
            "labels": [int(g) for g in self.labels],
            "group_sizes": list(self.group_sizes),
            "silhouette": {str(k): num(v) for k, v in self.silhouette.items()},
            "explained_variance": [float(v) for v in self.explained_variance],
            "representative": [
                [
                    {
                        "statement_id": r.statement_id,
                        "group_share": r.group_share,
                        "others_share": r.others_share,
                        "z": r.z,
                    }
                    for r in reps
                ]
                for reps in self.representative
            ],
            "consensus": {str(sid): value for sid, value in self.consensus.items()},
        }


def vote_matrix(
    participant: ArrayLike, statement: ArrayLike, vote: ArrayLike, *, shape: tuple[int, int]
) -> FloatArray:
    """Participants × statements matrix of votes (+1/−1/0), NaN where not voted."""
    matrix = np.full(shape, np.nan)
    matrix[np.asarray(participant, dtype=np.int64), np.asarray(statement, dtype=np.int64)] = (
        np.asarray(vote, dtype=np.float64)
    )
    return matrix


def _none(
    reason: str,
    ids: IntArray | None = None,
    coords: FloatArray | None = None,
    explained: tuple[float, ...] = (),
    silhouette: dict[int, float] | None = None,
) -> OpinionGroups:
    ids = np.zeros(0, dtype=np.int64) if ids is None else ids
    coords = np.zeros((0, 2)) if coords is None else coords
    return OpinionGroups(
        participant_ids=_frozen(ids, np.int64),
        coords=_frozen(coords, np.float64),
        labels=_frozen(np.full(len(ids), -1), np.int64),
        k=0,
        silhouette=dict(silhouette or {}),
        group_sizes=(),
        representative=(),
        consensus={},
        explained_variance=explained,
        reason=reason,
    )


def _canonical(labels: IntArray, k: int) -> IntArray:
    """Renumber groups by size (largest first), ties by their earliest member."""
    sizes = np.bincount(labels, minlength=k)
    first = np.array([np.flatnonzero(labels == g)[0] for g in range(k)])
    order = sorted(range(k), key=lambda g: (-sizes[g], first[g]))
    mapping = np.empty(k, dtype=np.int64)
    mapping[order] = np.arange(k)
    return mapping[labels]


def _representative(
    agrees: IntArray,
    votes: IntArray,
    statement_ids: IntArray,
    *,
    z_min: float,
    min_share: float,
) -> tuple[tuple[Representative, ...], ...]:
    total_a, total_v = agrees.sum(axis=0), votes.sum(axis=0)
    out = []
    for a_g, v_g in zip(agrees, votes, strict=True):
        a_o, v_o = total_a - a_g, total_v - v_g
        p_g = (a_g + 1.0) / (v_g + 2.0)
        p_o = (a_o + 1.0) / (v_o + 2.0)
        pooled = (a_g + a_o + 1.0) / (v_g + v_o + 2.0)
        tested = (v_g > 0) & (v_o > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(pooled * (1 - pooled) * (1.0 / v_g + 1.0 / v_o))
            z = np.where(tested & (se > 0), (p_g - p_o) / se, np.nan)
        hits = np.flatnonzero(np.nan_to_num(z, nan=-np.inf) > z_min)
        hits = hits[p_g[hits] > min_share]
        hits = hits[np.lexsort((statement_ids[hits], -z[hits]))]
        out.append(
            tuple(
                Representative(
                    statement_id=int(statement_ids[c]),
                    group_share=float(p_g[c]),
                    others_share=float(p_o[c]),
                    z=float(z[c]),
                )
                for c in hits
            )
        )
    return tuple(out)


def opinion_groups(
    participant: ArrayLike,
    statement: ArrayLike,
    vote: ArrayLike,
    *,
    participant_ids: Sequence[int] | ArrayLike,
    statement_ids: Sequence[int] | ArrayLike,
    min_votes: int = MIN_VOTES,
    min_participants: int = MIN_PARTICIPANTS,
    k_values: Iterable[int] = K_VALUES,
    random_state: int = RANDOM_STATE,
    n_init: int = N_INIT,
    silhouette_sample: int = SILHOUETTE_SAMPLE,
    z_min: float = Z_90,
    min_share: float = REP_MIN_SHARE,
) -> OpinionGroups:
    """Opinion groups from votes given as parallel arrays.

    ``participant`` and ``statement`` are codes (indexes into ``participant_ids`` and
    ``statement_ids``), ``vote`` is +1 (agree), −1 (disagree) or 0 (pass); one vote per
    participant and statement.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    pids = np.asarray(participant_ids, dtype=np.int64)
    sids = np.asarray(statement_ids, dtype=np.int64)
    n_statements = len(sids)
    if n_statements < MIN_STATEMENTS:
        return _none(
            f"opinion groups need votes on at least {MIN_STATEMENTS} approved statements; "
            f"there are {n_statements}"
        )
    matrix = vote_matrix(participant, statement, vote, shape=(len(pids), n_statements))
    seen = ~np.isnan(matrix)
    cast = seen.sum(axis=1)
    need = min(min_votes, n_statements)
    kept = np.flatnonzero(cast >= need)
    if len(kept) < max(min_participants, 3):
        return _none(
            f"only {len(kept)} participant(s) voted on at least {need} statements; "
            f"opinion groups need at least {max(min_participants, 3)}"
        )
    x, seen, cast = matrix[kept], seen[kept], cast[kept]
    ids = pids[kept]
    counts = seen.sum(axis=0)
    col_mean = np.divide(
        np.where(seen, x, 0.0).sum(axis=0),
        counts,
        out=np.zeros(n_statements),
        where=counts > 0,
    )
    centred = np.where(seen, x, col_mean) - col_mean
    if not centred.any():
        return _none("the votes are too alike to split into groups", ids, np.zeros((len(ids), 2)))
    pca = PCA(n_components=2, svd_solver="full")
    # One BLAS/OpenMP thread throughout: on these small matrices threads cost more than
    # they save (much more when another process holds a core), and a fixed summation
    # order keeps results bit-identical between runs.
    with threadpool_limits(limits=1):
        projected = pca.fit_transform(centred)
    coords = projected * np.sqrt(n_statements / cast)[:, None]
    explained = tuple(float(v) for v in np.nan_to_num(pca.explained_variance_ratio_))
    distinct = len(np.unique(np.round(coords, 9), axis=0))
    ks = [k for k in k_values if 2 <= k < len(kept) and k <= distinct]
    if not ks:
        return _none("the votes are too alike to split into groups", ids, coords, explained)
    sample = silhouette_sample if len(kept) > silhouette_sample else None
    scores: dict[int, float] = {}
    fits: dict[int, IntArray] = {}
    with threadpool_limits(limits=1):
        for k in ks:
            model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state)
            labels = model.fit_predict(coords).astype(np.int64)
            if len(np.unique(labels)) < 2:
                continue
            scores[k] = float(
                silhouette_score(coords, labels, sample_size=sample, random_state=random_state)
            )
            fits[k] = labels
    if not scores:
        return _none("the votes are too alike to split into groups", ids, coords, explained, scores)
    best = max(scores, key=lambda k: (scores[k], -k))
    labels = _canonical(fits[best], best)
    onehot = np.zeros((best, len(kept)))
    onehot[labels, np.arange(len(kept))] = 1.0
    agrees = np.rint(onehot @ (seen & (x == 1)).astype(np.float64)).astype(np.int64)
    votes = np.rint(onehot @ seen.astype(np.float64)).astype(np.int64)
    consensus = group_informed_consensus(agrees, votes)
    return OpinionGroups(
        participant_ids=_frozen(ids, np.int64),
        coords=_frozen(coords, np.float64),
        labels=_frozen(labels, np.int64),
        k=best,
        silhouette=scores,
        group_sizes=tuple(int(s) for s in np.bincount(labels, minlength=best)),
        representative=_representative(agrees, votes, sids, z_min=z_min, min_share=min_share),
        consensus={int(s): float(c) for s, c in zip(sids, consensus, strict=True)},
        explained_variance=explained,
        agrees=_frozen(agrees, np.int64),
        votes=_frozen(votes, np.int64),
    )
