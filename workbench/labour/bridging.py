"""Skill-based bridging: which shortage occupations can surplus occupations move into?

From ESCO's occupation-skill relations this module builds a weighted occupations x skills
matrix (essential relations weigh ``essential_weight``, optional ones ``optional_weight``),
compares occupations by cosine similarity of their rows, and for every transition
(source -> target) lists the **skill gap**: the target's essential skills the source does
not hold at all (neither essential nor optional). Gaps become training needs.

Labour-market tables are by ISCO-08 unit group, so :func:`group_matrix` turns the matrix
into ISCO group profiles (unit groups, minor groups, ...) and every other function works
on either kind of matrix. Row ids are occupation URIs or ISCO codes.

Everything is sparse (scipy.sparse CSR, scikit-learn ``normalize``); similarities are
computed in row blocks, so the full ESCO (3,007 occupations x 13,896 skills) takes about a
second. Results are deterministic: rows are ordered by id, similarities are rounded to
12 decimals before ranking and ties go to the smaller id.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from workbench.data.esco import Esco
from workbench.exceptions import InputError

__all__ = [
    "ISCO_MAJOR_GROUPS",
    "SkillMatrix",
    "UnknownIdError",
    "group_matrix",
    "nearest_occupations",
    "similarity",
    "skill_gap",
    "skill_gaps",
    "skill_matrix",
    "training_needs",
    "transitions",
]

#: ISCO-08 major groups (International Labour Organization, ISCO-08 structure).
ISCO_MAJOR_GROUPS: dict[str, str] = {
    "1": "Managers",
    "2": "Professionals",
    "3": "Technicians and associate professionals",
    "4": "Clerical support workers",
    "5": "Service and sales workers",
    "6": "Skilled agricultural, forestry and fishery workers",
    "7": "Craft and related trades workers",
    "8": "Plant and machine operators, and assemblers",
    "9": "Elementary occupations",
    "0": "Armed forces occupations",
}
_DECIMALS = 12  # similarities are rounded to this many decimals before ranking
_BLOCK = 256  # source rows per similarity block
_SKILL_COLUMNS = ["skill_uri", "skill_label", "skill_type", "reuse_level"]


class UnknownIdError(InputError, ValueError):
    """Some source or target ids are not rows of the skill matrix."""

    def __init__(self, what: str, missing: Sequence[str], level: str) -> None:
        self.missing = list(missing)
        shown = ", ".join(repr(m) for m in self.missing[:10])
        more = f" (and {len(self.missing) - 10} more)" if len(self.missing) > 10 else ""
        super().__init__(
            f"{len(self.missing)} unknown {what} id(s) for this {level} matrix: {shown}{more}"
        )


@dataclass(frozen=True, eq=False)
class SkillMatrix:
    """Skill profiles of occupations (or ISCO groups): sparse rows x skills matrices.

    Attributes:
        weights: CSR float, the relation weight of each (row, skill); for groups the mean
            over their occupations.
        essential: CSR bool, the row's essential skills (for groups: essential for at least
            ``min_share`` of the group's occupations).
        held: CSR bool, skills the row has at all, essential or optional (for groups:
            related to at least ``min_share`` of its occupations). Gaps are measured
            against it.
        features: CSR float, the L2-normalised rows compared by cosine similarity
            (``weights`` times ``idf`` when IDF weighting is on).
        rows: ``id`` (occupation URI or ISCO code), ``label``, ``isco``,
            ``n_occupations``; sorted by id, in matrix row order.
        skills: ``uri``, ``label``, ``skill_type``, ``reuse_level``; sorted by URI, in
            matrix column order.
        idf: per-skill IDF factors, or None when similarities use the raw weights.
        level: ``"occupation"`` or ``"isco1"`` ... ``"isco4"``.
    """

    weights: sp.csr_matrix
    essential: sp.csr_matrix
    held: sp.csr_matrix
    features: sp.csr_matrix
    rows: pd.DataFrame
    skills: pd.DataFrame
    idf: np.ndarray | None
    level: str

    @functools.cached_property
    def _index(self) -> pd.Index:
        return pd.Index(self.rows["id"].to_numpy(dtype=object))

    def positions(self, ids: Iterable[object], what: str = "row") -> np.ndarray:
        """Matrix row positions of ``ids`` (str, or ints for ISCO codes), in the given order.

        Raises:
            UnknownIdError: some ids are not rows; all of them are listed.
        """
        keys = [str(i) for i in ids]
        pos = self._index.get_indexer(keys)
        if (pos < 0).any():
            missing = list(dict.fromkeys(k for k, p in zip(keys, pos, strict=True) if p < 0))
            raise UnknownIdError(what, missing, self.level)
        return pos.astype(np.int64)


def _features(weights: sp.csr_matrix, idf: np.ndarray | None) -> sp.csr_matrix:
    scaled = weights @ sp.diags_array(idf) if idf is not None else weights
    return sp.csr_matrix(normalize(scaled, norm="l2", axis=1))


def skill_matrix(
    esco: Esco, essential_weight: float = 1.0, optional_weight: float = 0.5, idf: bool = False
) -> SkillMatrix:
    """Build the occupations x skills matrix of ``esco``.

    Args:
        esco: occupations, skills and relations (e.g. from ``read_esco``).
        essential_weight: weight of an essential relation (> 0).
        optional_weight: weight of an optional relation (>= 0; 0 ignores optional skills
            in similarities, but they still count as held in skill gaps).
        idf: if true, down-weight ubiquitous skills: each skill column is multiplied by
            scikit-learn's smoothed IDF ``ln((1 + n) / (1 + df)) + 1``, where ``df`` is
            the number of occupations related to the skill and ``n`` all occupations.

    Raises:
        ValueError: bad weights, or relations that name unknown URIs or repeat a pair.
    """
    if not (np.isfinite(essential_weight) and essential_weight > 0):
        raise ValueError(f"essential_weight must be a positive number, got {essential_weight}")
    if not (np.isfinite(optional_weight) and optional_weight >= 0):
        raise ValueError(f"optional_weight must be a number >= 0, got {optional_weight}")
    occ = esco.occupations.sort_values("uri", kind="stable").reset_index(drop=True)
    skills = esco.skills.sort_values("uri", kind="stable").reset_index(drop=True)
    rel = esco.relations
    row = pd.Index(occ["uri"]).get_indexer(rel["occupation_uri"])
    col = pd.Index(skills["uri"]).get_indexer(rel["skill_uri"])
    if (row < 0).any() or (col < 0).any():
        raise ValueError("relations name occupation or skill URIs that are not in the Esco")
    shape = (len(occ), len(skills))
    if pd.Series(row * shape[1] + col).duplicated().any():
        raise ValueError("relations repeat an (occupation, skill) pair")
    is_essential = rel["relation"].eq("essential").to_numpy(dtype=bool)
    value = np.where(is_essential, float(essential_weight), float(optional_weight))
    weights = sp.csr_matrix((value, (row, col)), shape=shape, dtype=np.float64)
    weights.eliminate_zeros()
    ones = np.ones(len(row), dtype=bool)
    held = sp.csr_matrix((ones, (row, col)), shape=shape, dtype=bool)
    essential = sp.csr_matrix(
        (ones[is_essential], (row[is_essential], col[is_essential])), shape=shape, dtype=bool
    )
    factors = TfidfTransformer(smooth_idf=True).fit(held).idf_ if idf else None
    rows = pd.DataFrame(
        {"id": occ["uri"], "label": occ["label"], "isco": occ["isco"], "n_occupations": 1}
    )
    return SkillMatrix(
        weights=weights,
        essential=essential,
        held=held,
        features=_features(weights, factors),
        rows=rows,
        skills=skills[["uri", "label", "skill_type", "reuse_level"]],
        idf=factors,
        level="occupation",
    )


def _at_least(counts: sp.csr_matrix, need: np.ndarray) -> sp.csr_matrix:
    """Bool CSR: ``counts[i, j] >= need[i]`` (counts are whole numbers, need > 0)."""
    counts = sp.csr_matrix(counts)
    row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    out = counts.copy()
    out.data = (counts.data >= need[row_of] - 1e-9).astype(np.float64)
    out.eliminate_zeros()
    return sp.csr_matrix(out, dtype=bool)


def group_matrix(
    matrix: SkillMatrix, by: str = "isco", level: int = 4, min_share: float = 0.5
) -> SkillMatrix:
    """Profiles of ISCO-08 groups built from an occupation matrix.

    A group's weights are the mean of its occupations' weighted rows; a skill is
    essential for the group when it is essential for at least ``min_share`` of its
    occupations, and held when related (essential or optional) to at least that share.
    The IDF factors, if any, are kept from the occupation matrix.

    Args:
        matrix: an occupation-level matrix from :func:`skill_matrix`.
        by: only ``"isco"``.
        level: digits of the ISCO code: 4 = unit groups, 3 = minor, 2 = sub-major,
            1 = major groups.
        min_share: share of a group's occupations, in (0, 1].

    Raises:
        ValueError: unsupported ``by``/``level``/``min_share`` or a non-occupation matrix.
    """
    if by != "isco":
        raise ValueError(f"group_matrix: by must be 'isco', got {by!r}")
    if level not in (1, 2, 3, 4):
        raise ValueError(f"group_matrix: level must be 1, 2, 3 or 4 ISCO digits, got {level!r}")
    if not 0 < min_share <= 1:
        raise ValueError(f"group_matrix: min_share must be in (0, 1], got {min_share}")
    if matrix.level != "occupation":
        raise ValueError(f"group_matrix needs an occupation matrix, got a {matrix.level} one")
    keys = matrix.rows["isco"].str.slice(0, level).to_numpy(dtype=object)
    codes, group_of = np.unique(keys, return_inverse=True)
    n_rows = len(keys)
    member = sp.csr_matrix(
        (np.ones(n_rows), (group_of, np.arange(n_rows))), shape=(len(codes), n_rows)
    )
    sizes = np.asarray(member.sum(axis=1)).ravel()
    weights = sp.csr_matrix(sp.diags_array(1.0 / sizes) @ (member @ matrix.weights))
    need = min_share * sizes
    essential = _at_least(member @ matrix.essential.astype(np.float64), need)
    held = _at_least(member @ matrix.held.astype(np.float64), need)
    labels = [f"ISCO-08 {c} ({ISCO_MAJOR_GROUPS.get(c[0], 'unknown major group')})" for c in codes]
    rows = pd.DataFrame(
        {"id": codes, "label": labels, "isco": codes, "n_occupations": sizes.astype(np.int64)}
    ).astype({"id": "str", "label": "str", "isco": "str"})
    return SkillMatrix(
        weights=weights,
        essential=essential,
        held=held,
        features=_features(weights, matrix.idf),
        rows=rows,
        skills=matrix.skills,
        idf=matrix.idf,
        level=f"isco{level}",
    )


def similarity(
    matrix: SkillMatrix,
    rows: Sequence[object] | None = None,
    targets: Sequence[object] | None = None,
) -> np.ndarray:
    """Cosine similarity (dense array) of ``rows`` (default: all) against ``targets`` (all).

    Rows and columns follow the order of the given ids, or matrix order (sorted by id).
    """
    src = np.arange(matrix.features.shape[0]) if rows is None else matrix.positions(rows)
    tgt = np.arange(matrix.features.shape[0]) if targets is None else matrix.positions(targets)
    return (matrix.features[src] @ matrix.features[tgt].T).toarray()


def _top_k(
    matrix: SkillMatrix, src: np.ndarray, tgt: np.ndarray, k: int, min_similarity: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The best ``k`` targets per source: (source pos, target pos, similarity, rank).

    ``tgt`` must be sorted and unique (so column order is id order). A source is never its
    own target; pairs with similarity 0 (no skill in common) or below ``min_similarity``
    are dropped.
    """
    features = matrix.features
    target_t = sp.csr_matrix(features[tgt].T)
    floor = max(float(min_similarity), 0.0)
    kk = min(k, len(tgt))
    out_s: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    out_v: list[np.ndarray] = []
    out_r: list[np.ndarray] = []
    for start in range(0, len(src) if kk else 0, _BLOCK):
        block = src[start : start + _BLOCK]
        sims = np.round((features[block] @ target_t).toarray(), _DECIMALS)
        at = np.searchsorted(tgt, block).clip(max=len(tgt) - 1)
        own = tgt[at] == block
        sims[np.flatnonzero(own), at[own]] = -np.inf
        sims[(sims <= 0) | (sims < floor)] = -np.inf
        part = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        kth = sims[np.arange(len(block))[:, None], part].min(axis=1)
        for i, source in enumerate(block):
            cand = np.flatnonzero(sims[i] >= kth[i]) if np.isfinite(kth[i]) else None
            if cand is None:
                cand = np.flatnonzero(np.isfinite(sims[i]))
            values = sims[i, cand]
            best = cand[np.lexsort((cand, -values))[:kk]]  # ties: smaller column = smaller id
            out_s.append(np.full(len(best), source))
            out_t.append(tgt[best])
            out_v.append(sims[i, best])
            out_r.append(np.arange(1, len(best) + 1))
    if not out_s:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return (
        np.concatenate(out_s),
        np.concatenate(out_t),
        np.concatenate(out_v),
        np.concatenate(out_r),
    )


def nearest_occupations(matrix: SkillMatrix, k: int = 10) -> pd.DataFrame:
    """The ``k`` most similar other rows of every row: ``source, target, similarity, rank``.

    Computed in blocks of rows, so memory stays at a few MB per block. Rows with no
    skill in common (similarity 0) are not listed. Sorted by source, then rank.
    """
    every = np.arange(matrix.features.shape[0])
    src, tgt, sim, rank = _top_k(matrix, every, every, _check_k(k), 0.0)
    ids = matrix.rows["id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {"source": ids[src], "target": ids[tgt], "similarity": sim, "rank": rank}
    ).astype({"source": "str", "target": "str"})


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive whole number, got {k!r}")
    return int(k)


def _missing(matrix: SkillMatrix, src: np.ndarray, tgt: np.ndarray) -> sp.csr_matrix:
    """Row i: the essential skills of ``tgt[i]`` not held by ``src[i]`` (int8 CSR)."""
    needed = matrix.essential[tgt].astype(np.int8)
    covered = needed.multiply(matrix.held[src].astype(np.int8))
    missing = sp.csr_matrix(needed - covered)
    missing.eliminate_zeros()
    return missing


def transitions(
    matrix: SkillMatrix,
    sources: Sequence[object],
    targets: Sequence[object] | None = None,
    k: int = 5,
    min_similarity: float = 0.0,
) -> pd.DataFrame:
    """The ``k`` most similar targets of each source, with the size of each skill gap.

    Args:
        matrix: occupation or group matrix.
        sources: ids of the rows people move from (e.g. surplus occupations).
        targets: ids they may move to (e.g. shortage occupations); default all rows. A
            source is never its own target.
        k: targets per source.
        min_similarity: drop pairs below this cosine similarity. Pairs with no skill in
            common (similarity 0) are never listed.

    Returns:
        One row per (source, target): ``source, source_label, target, target_label,
        similarity, rank, n_target_essential, n_missing_essential, missing_share``
        (``missing_share`` = missing / target essentials; 0 when the target has none).
        Sorted by source id, then rank.

    Raises:
        UnknownIdError: unknown source or target ids (all listed).
    """
    k = _check_k(k)
    src = np.unique(matrix.positions(sources, "source"))
    every = np.arange(matrix.features.shape[0])
    tgt = every if targets is None else np.unique(matrix.positions(targets, "target"))
    s_pos, t_pos, sim, rank = _top_k(matrix, src, tgt, k, min_similarity)
    n_essential = np.diff(matrix.essential.indptr)[t_pos]
    n_missing = np.diff(_missing(matrix, s_pos, t_pos).indptr)
    share = np.divide(
        n_missing.astype(float), n_essential, out=np.zeros(len(t_pos)), where=n_essential > 0
    )
    ids = matrix.rows["id"].to_numpy(dtype=object)
    labels = matrix.rows["label"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "source": ids[s_pos],
            "source_label": labels[s_pos],
            "target": ids[t_pos],
            "target_label": labels[t_pos],
            "similarity": sim,
            "rank": rank.astype(np.int64),
            "n_target_essential": n_essential.astype(np.int64),
            "n_missing_essential": n_missing.astype(np.int64),
            "missing_share": share,
        }
    )
    return frame.astype({c: "str" for c in ("source", "source_label", "target", "target_label")})


def _pairs(pairs: pd.DataFrame | Iterable[tuple[object, object]]) -> tuple[list[str], list[str]]:
    if isinstance(pairs, pd.DataFrame):
        absent = [c for c in ("source", "target") if c not in pairs.columns]
        if absent:
            raise ValueError(f"skill_gaps: the pairs frame lacks columns {absent}")
        return [str(s) for s in pairs["source"]], [str(t) for t in pairs["target"]]
    sources: list[str] = []
    targets: list[str] = []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValueError(f"skill_gaps: pair {n} is not a (source, target) pair: {pair!r}")
        sources.append(str(pair[0]))
        targets.append(str(pair[1]))
    return sources, targets


def skill_gaps(
    matrix: SkillMatrix, pairs: pd.DataFrame | Iterable[tuple[object, object]]
) -> pd.DataFrame:
    """Skill gaps of many transitions at once (sparse).

    Args:
        matrix: occupation or group matrix.
        pairs: a frame with ``source`` and ``target`` columns (e.g. from
            :func:`transitions`) or (source, target) tuples.

    Returns:
        Long frame ``source, target, skill_uri, skill_label, skill_type, reuse_level``:
        one row per essential skill of the target that the source does not hold. Pairs in
        the given order, skills by label then URI within a pair; pairs without a gap have
        no rows.

    Raises:
        UnknownIdError: unknown ids; ValueError: malformed pairs.
    """
    sources, targets = _pairs(pairs)
    src = matrix.positions(sources, "source")
    tgt = matrix.positions(targets, "target")
    missing = _missing(matrix, src, tgt).tocoo()
    skills = matrix.skills
    by_label = np.lexsort(
        (skills["uri"].to_numpy(dtype=object), skills["label"].to_numpy(dtype=object))
    )
    label_rank = np.empty(len(by_label), dtype=np.int64)
    label_rank[by_label] = np.arange(len(by_label))
    order = np.lexsort((label_rank[missing.col], missing.row))
    pair, col = missing.row[order], missing.col[order]
    frame = pd.DataFrame(
        {
            "source": np.asarray(sources, dtype=object)[pair],
            "target": np.asarray(targets, dtype=object)[pair],
            "skill_uri": skills["uri"].to_numpy(dtype=object)[col],
            "skill_label": skills["label"].to_numpy(dtype=object)[col],
            "skill_type": skills["skill_type"].to_numpy(dtype=object)[col],
            "reuse_level": skills["reuse_level"].to_numpy(dtype=object)[col],
        }
    )
    return frame.astype("str")


def skill_gap(
    matrix: SkillMatrix, source: object, target: object, limit: int | None = None
) -> pd.DataFrame:
    """Essential skills of ``target`` that ``source`` does not hold (neither essential nor
    optional): ``skill_uri, skill_label, skill_type, reuse_level``, by label then URI,
    at most ``limit`` rows."""
    gaps = skill_gaps(matrix, [(source, target)])[_SKILL_COLUMNS]
    return (gaps if limit is None else gaps.head(limit)).reset_index(drop=True)


def training_needs(gaps: pd.DataFrame) -> pd.DataFrame:
    """Count how often each skill is missing in a :func:`skill_gaps` frame.

    Returns ``skill_uri, skill_label, skill_type, reuse_level, n_transitions,
    n_sources`` (distinct sources lacking it), most frequent first, ties by URI.
    """
    absent = [c for c in ("source", "target", *_SKILL_COLUMNS) if c not in gaps.columns]
    if absent:
        raise ValueError(f"training_needs: the gaps frame lacks columns {absent}")
    counts = (
        gaps.groupby(_SKILL_COLUMNS, sort=False)
        .agg(n_transitions=("target", "size"), n_sources=("source", "nunique"))
        .reset_index()
    )
    counts = counts.sort_values(["n_transitions", "skill_uri"], ascending=[False, True])
    return counts.reset_index(drop=True)
