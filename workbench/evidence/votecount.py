"""The vote-count model: P(significantly negative / insignificant / significantly positive).

As Card, Kluve & Weber (2010, 2018) do, each programme estimate is one "vote" coded by its
sign and significance, and the chance of each outcome is modelled on the estimate's
programme type, horizon, target group and unemployment context. The model is an
**ordered probit** (statsmodels :class:`~statsmodels.miscmodels.ordinal_model.OrderedModel`)
with **study-clustered** standard errors: several estimates of one study are not
independent votes.

Which rows vote: estimates (and synthetic rows in scale tests) whose significance is known,
whose programme type is one of the five CKW types (not ``all_types`` or ``other``) and
whose horizon is short, medium or long. Every other row is counted in
:attr:`VoteModel.excluded` with its reason.

Which terms enter (the **support rule**, fixed before looking at any result): a level of a
factor gets its own coefficient only when at least :data:`MIN_ROWS` votes from at least
:data:`MIN_STUDIES` studies have it; otherwise its rows are pooled with the factor's
reference level and every figure for it says so. An interaction (type x horizon, type x
context) enters only when its cell passes the same rule, both main levels entered, and the
type has votes outside the cell too. Figures come with 95% intervals simulated from the
clustered covariance (``N_DRAWS`` parameter draws, fixed seed), so they are deterministic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = [
    "FACTORS",
    "MIN_ROWS",
    "MIN_STUDIES",
    "MODEL_HORIZONS",
    "MODEL_TYPES",
    "OUTCOMES",
    "REFERENCE",
    "VoteModel",
    "fit_vote_model",
    "vote_rows",
]

#: The ordered outcome categories, worst first.
OUTCOMES: tuple[str, ...] = ("negative_significant", "insignificant", "positive_significant")
#: Programme types the model speaks about (CKW's four plus start-up support).
MODEL_TYPES: tuple[str, ...] = (
    "training",
    "job_search_assistance",
    "private_sector_subsidy",
    "public_employment",
    "start_up_support",
)
MODEL_HORIZONS: tuple[str, ...] = ("short", "medium", "long")
#: The factors of a cell, in key order.
FACTORS: tuple[str, ...] = ("programme_type", "horizon", "target_group", "unemployment_context")
#: Reference level of each factor (absorbed by the thresholds).
REFERENCE: dict[str, str] = {
    "programme_type": "training",
    "horizon": "short",
    "target_group": "general",
    "unemployment_context": "unknown",
}
#: Interactions the model may add when the data support them.
INTERACTIONS: tuple[tuple[str, str], ...] = (
    ("programme_type", "horizon"),
    ("programme_type", "unemployment_context"),
)
MIN_ROWS = 3
MIN_STUDIES = 2
N_DRAWS = 2000
SEED = 20101130


def vote_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows that vote, and the count of every other row by the reason it does not."""
    excluded: dict[str, int] = {}
    kinds = frame["kind"].isin(["estimate", "synthetic"])
    excluded["not an estimate (meta-analytic finding)"] = int((~kinds).sum())
    rest = frame[kinds]
    checks = (
        ("significance unknown", rest["significance"] == "unknown"),
        ("programme type all_types or other", ~rest["programme_type"].isin(MODEL_TYPES)),
        ("horizon unknown or all", ~rest["horizon"].isin(MODEL_HORIZONS)),
    )
    keep = pd.Series(True, index=rest.index)
    for reason, bad in checks:
        excluded[reason] = int((bad & keep).sum())
        keep &= ~bad
    return rest[keep].copy(), {k: v for k, v in excluded.items() if v}


def _supported(rows: pd.DataFrame, mask: pd.Series) -> bool:
    sub = rows[mask]
    return len(sub) >= MIN_ROWS and sub["study"].nunique() >= MIN_STUDIES


@dataclass(frozen=True)
class Term:
    """One coefficient of the model: a factor level or an interaction of two levels."""

    name: str
    levels: tuple[tuple[str, str], ...]  # ((factor, level), ...)

    def indicator(self, cells: pd.DataFrame) -> np.ndarray:
        """1.0 where a cell has every level of the term."""
        out = np.ones(len(cells), dtype=bool)
        for factor, level in self.levels:
            out &= cells[factor].to_numpy() == level
        return out.astype(float)


def references(rows: pd.DataFrame) -> dict[str, str]:
    """:data:`REFERENCE`, or a factor's most frequent level when its usual one is absent."""
    out = {}
    for factor, usual in REFERENCE.items():
        present = rows[factor].value_counts()
        out[factor] = usual if usual in present.index else str(present.index[0])
    return out


def choose_terms(
    rows: pd.DataFrame, reference: dict[str, str]
) -> tuple[list[Term], dict[str, list[str]]]:
    """Apply the support rule; return the terms and, per factor, the levels pooled."""
    terms: list[Term] = []
    pooled: dict[str, list[str]] = {}
    entered: set[tuple[str, str]] = set()
    for factor in FACTORS[1:]:
        for level in sorted(rows[factor].unique()):
            if level == reference[factor]:
                continue
            if _supported(rows, rows[factor] == level):
                terms.append(Term(f"{factor}={level}", ((factor, level),)))
                entered.add((factor, level))
            else:
                pooled.setdefault(factor, []).append(level)
    for level in sorted(rows["programme_type"].unique(), reverse=True):
        if level != reference["programme_type"]:
            terms.insert(0, Term(f"programme_type={level}", (("programme_type", level),)))
            entered.add(("programme_type", level))
    for first, second in INTERACTIONS:
        for a in sorted(rows[first].unique()):
            for b in sorted(rows[second].unique()):
                if (first, a) not in entered or (second, b) not in entered:
                    continue
                cell = (rows[first] == a) & (rows[second] == b)
                outside = (rows[first] == a) & (rows[second] != b)
                if _supported(rows, cell) and outside.sum() >= MIN_ROWS:
                    terms.append(Term(f"{first}={a}:{second}={b}", ((first, a), (second, b))))
    return terms, pooled


def _design(cells: pd.DataFrame, terms: list[Term]) -> np.ndarray:
    if not terms:
        return np.zeros((len(cells), 0))
    return np.column_stack([t.indicator(cells) for t in terms])


def _factor(cov: np.ndarray) -> np.ndarray:
    """``A`` with ``A @ A.T == cov`` for a positive semi-definite ``cov``, the same on every
    machine: from ``numpy.linalg.eigh`` (negative round-off eigenvalues clipped to 0), with
    each eigenvector's sign fixed so its largest component is positive. LAPACK builds may
    return eigenvectors with either sign, and ``Generator.multivariate_normal`` would then
    draw different samples from the same seed (the simulation bounds moved by up to 0.001
    between two installs)."""
    values, vectors = np.linalg.eigh(np.asarray(cov, dtype=float))
    pick = np.abs(vectors).argmax(axis=0)
    signs = np.sign(vectors[pick, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return (vectors * signs) * np.sqrt(np.clip(values, 0.0, None))


def _probabilities(xb: np.ndarray, cut1: np.ndarray, cut2: np.ndarray) -> np.ndarray:
    """Ordered-probit category probabilities, shape ``xb.shape + (3,)``."""
    low = norm.cdf(cut1 - xb)
    high = norm.cdf(cut2 - xb)
    return np.stack([low, high - low, 1.0 - high], axis=-1)


def pooled_cells(
    cells: pd.DataFrame, pooled: dict[str, list[str]], reference: dict[str, str]
) -> pd.DataFrame:
    """Map levels without their own term to the factor's reference level."""
    out = cells.copy()
    for factor, levels in pooled.items():
        out.loc[out[factor].isin(levels), factor] = reference[factor]
    return out


@dataclass
class VoteModel:
    """A fitted vote-count model, as plain numbers (JSON round-trip via to/from_dict)."""

    terms: list[Term]
    params: np.ndarray  # coefficients then the two thresholds (cut1, cut2)
    cov: np.ndarray  # covariance of ``params`` (study-clustered)
    pooled: dict[str, list[str]]
    n_rows: int
    n_studies: int
    cov_type: str
    types: list[str] = field(default_factory=list)  # programme types with a figure
    reference: dict[str, str] = field(default_factory=lambda: dict(REFERENCE))
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    separated: list[str] = field(default_factory=list)

    @property
    def n_terms(self) -> int:
        """Number of coefficients (thresholds not counted)."""
        return len(self.terms)

    def predict(self, cells: pd.DataFrame) -> np.ndarray:
        """Point probabilities (n, 3) for cells with the four factor columns."""
        x = _design(pooled_cells(cells, self.pooled, self.reference), self.terms)
        beta, cuts = self.params[: self.n_terms], self.params[self.n_terms :]
        return _probabilities(x @ beta, cuts[0], cuts[1])

    def draws(self, cells: pd.DataFrame, n_draws: int = N_DRAWS, seed: int = SEED) -> np.ndarray:
        """Simulated probabilities (draws, n, 3) from the parameters' sampling distribution."""
        x = _design(pooled_cells(cells, self.pooled, self.reference), self.terms)
        rng = np.random.default_rng(seed)
        params = (
            self.params + rng.standard_normal((n_draws, len(self.params))) @ _factor(self.cov).T
        )
        cuts = np.sort(params[:, self.n_terms :], axis=1)
        xb = params[:, : self.n_terms] @ x.T  # (draws, n)
        return _probabilities(xb, cuts[:, :1], cuts[:, 1:2])

    def predict_interval(
        self, cells: pd.DataFrame, n_draws: int = N_DRAWS, seed: int = SEED
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point probabilities and 95% simulation bounds, each (n, 3)."""
        low, high = np.percentile(self.draws(cells, n_draws, seed), [2.5, 97.5], axis=0)
        return self.predict(cells), low, high

    def coefficients(self) -> pd.DataFrame:
        """Coefficient table: term, estimate, clustered SE, z."""
        names = [t.name for t in self.terms] + ["threshold 1", "threshold 2"]
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = self.params / se
        return pd.DataFrame({"term": names, "coef": self.params, "se": se, "z": z})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "terms": [
                {"name": t.name, "levels": [list(lv) for lv in t.levels]} for t in self.terms
            ],
            "params": self.params.tolist(),
            "cov": self.cov.tolist(),
            "pooled": self.pooled,
            "n_rows": self.n_rows,
            "n_studies": self.n_studies,
            "cov_type": self.cov_type,
            "types": self.types,
            "reference": self.reference,
            "excluded": self.excluded,
            "warnings": self.warnings,
            "separated": self.separated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoteModel:
        """Inverse of :meth:`to_dict`."""
        terms = [
            Term(t["name"], tuple((str(f), str(v)) for f, v in t["levels"])) for t in data["terms"]
        ]
        return cls(
            terms=terms,
            params=np.asarray(data["params"], dtype=float),
            cov=np.asarray(data["cov"], dtype=float).reshape(len(data["params"]), -1),
            pooled={k: list(v) for k, v in data["pooled"].items()},
            n_rows=int(data["n_rows"]),
            n_studies=int(data["n_studies"]),
            cov_type=str(data["cov_type"]),
            types=[str(t) for t in data.get("types", [])],
            reference=dict(data.get("reference", REFERENCE)),
            excluded=dict(data.get("excluded", {})),
            warnings=list(data.get("warnings", [])),
            separated=list(data.get("separated", [])),
        )


def _separation(rows: pd.DataFrame, terms: list[Term]) -> list[str]:
    """Terms whose votes all fall in one outcome (the fit runs to a bound there)."""
    out = []
    for term in terms:
        sub = rows[term.indicator(rows).astype(bool)]
        if len(sub) and sub["significance"].nunique() == 1:
            out.append(f"{term.name}: all {len(sub)} votes {sub['significance'].iloc[0]}")
    return out


def fit_vote_model(frame: pd.DataFrame) -> VoteModel:
    """Fit the ordered probit on the voting rows of an evidence frame.

    Raises:
        ValueError: fewer than ``MIN_ROWS`` voting rows, or fewer than two outcome
            categories among them (nothing to model).
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rows, excluded = vote_rows(frame)
    if len(rows) < MIN_ROWS or rows["significance"].nunique() < 2:
        raise ValueError(
            f"the vote-count model needs at least {MIN_ROWS} estimates with a known "
            f"significance in two or more outcome categories; found {len(rows)}"
        )
    supported = [t for t in MODEL_TYPES if _supported(rows, rows["programme_type"] == t)]
    few = ~rows["programme_type"].isin(supported)
    if few.any():
        excluded["programme type with too few votes (insufficient evidence)"] = int(few.sum())
    # a fixed order (by id) so that the same rows in another order give the same fit
    rows = rows[~few].sort_values("id", kind="stable").reset_index(drop=True)
    if not supported or rows["significance"].nunique() < 2:
        raise ValueError(
            f"the vote-count model needs a programme type with at least {MIN_ROWS} votes "
            f"from {MIN_STUDIES} studies, and votes in two or more outcome categories; "
            f"found {len(rows)} usable votes"
        )
    reference = references(rows)
    terms, pooled = choose_terms(rows, reference)
    cells = pooled_cells(rows, pooled, reference)
    x = _design(cells, terms)
    y = rows["significance"].map({o: i for i, o in enumerate(OUTCOMES)}).to_numpy()
    groups = pd.factorize(rows["study"])[0]
    notes: list[str] = []
    exog = pd.DataFrame(x, columns=[t.name for t in terms])
    model = OrderedModel(y, exog, distr="probit") if terms else None
    if model is None:
        # no term passed the rule: thresholds only, i.e. the overall shares
        exog = pd.DataFrame({"_": np.zeros(len(rows))})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model is None:
            params, cov, cov_type = _thresholds_only(y)
        else:
            result, cov_type = _fit(model, groups)
            raw = np.asarray(result.params, dtype=float)
            cuts = model.transform_threshold_params(raw)[1:-1]
            if len(cuts) == 1:  # an outcome without votes: statsmodels fits one threshold
                cuts = _two_level_cuts(float(cuts[0]), np.unique(y))
            params = np.concatenate([raw[: len(terms)], cuts])
            try:
                raw_cov = np.asarray(result.cov_params(), dtype=float)
            except ValueError as exc:  # statsmodels could not invert the Hessian
                raise ValueError(
                    "the vote-count fit has no covariance (singular Hessian): terms are "
                    "collinear or their votes all fall in one outcome ("
                    + ("; ".join(_separation(rows, terms)) or "no single-outcome term")
                    + ")"
                ) from exc
            cov = _cut_covariance(model, raw, raw_cov)
    notes.extend(sorted({str(w.message).splitlines()[0] for w in caught}))
    if not np.all(np.isfinite(cov)):
        notes.append("covariance not finite; intervals unavailable")
        cov = np.zeros_like(cov)
    return VoteModel(
        terms=terms,
        params=params,
        cov=cov,
        pooled=pooled,
        n_rows=len(rows),
        n_studies=int(rows["study"].nunique()),
        cov_type=cov_type,
        types=supported,
        reference=reference,
        excluded=excluded,
        warnings=notes,
        separated=_separation(rows, terms),
    )


def _fit(model: Any, groups: np.ndarray) -> tuple[Any, str]:
    start = model.start_params
    if len(np.unique(groups)) >= 2:
        try:
            result = model.fit(
                start_params=start,
                method="bfgs",
                maxiter=2000,
                disp=False,
                cov_type="cluster",
                cov_kwds={"groups": groups},
            )
            return result, "cluster (study)"
        except (ValueError, np.linalg.LinAlgError):
            pass
    result = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=False)
    return result, "nonrobust (too few studies to cluster)"


#: A threshold this far out gives its outcome category probability 0 (finite for JSON).
FAR_CUT = 40.0


def _two_level_cuts(cut: float, present: np.ndarray) -> np.ndarray:
    """(cut1, cut2) when the votes fall in two outcome categories only.

    The missing category gets probability 0: no negative votes put cut1 at -FAR_CUT, no
    positive votes put cut2 at +FAR_CUT, no insignificant votes make the two cuts equal.
    """
    if 0 not in present:
        return np.array([-FAR_CUT, cut])
    if 2 not in present:
        return np.array([cut, FAR_CUT])
    return np.array([cut, cut])


def _cut_covariance(model: Any, raw: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Covariance of (coefficients, cut1, cut2) from statsmodels' (cut1, log increment).

    With two outcome categories statsmodels fits one threshold; the fixed one of
    :func:`_two_level_cuts` has no variance (or equals the fitted one).
    """
    if model.k_levels == 2:
        k = len(raw) - 1
        present = model.labels
        jac = np.zeros((k + 2, k + 1))
        jac[:k, :k] = np.eye(k)
        jac[k, k] = 0.0 if 0 not in present else 1.0
        jac[k + 1, k] = 0.0 if 2 not in present else 1.0
        return jac @ cov @ jac.T
    k = len(raw) - 2
    jac = np.eye(len(raw))
    jac[k + 1, k] = 1.0
    jac[k + 1, k + 1] = float(np.exp(raw[k + 1]))
    return jac @ cov @ jac.T


def _thresholds_only(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    counts = np.bincount(y, minlength=3).astype(float) + 0.5
    cum = np.cumsum(counts)[:2] / counts.sum()
    return norm.ppf(cum), np.zeros((2, 2)), "none (no term passed the support rule)"
