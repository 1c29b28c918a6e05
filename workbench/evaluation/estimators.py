"""The numerical core of :func:`workbench.evaluation.estimate_att`: propensity model and
the three ATT estimators, on numpy arrays.

Every estimator takes *frequency weights* ``f`` (how often each row is in the sample: 1 for
the point estimate, the bootstrap counts for a draw), so a bootstrap draw never copies the
data; matching takes the resampled rows themselves, because a neighbour search needs them.

**Propensity model.** ``Pipeline(StandardScaler, LogisticRegression)`` from scikit-learn:
a logit, as in Dehejia & Wahba (1999), with standardised covariates so that the small
L2 penalty (``C`` = :data:`PROPENSITY_C`) weighs every covariate alike and the fit stays
finite when a covariate separates the groups perfectly. The penalty is negligible on
samples of realistic size (the fit is then the maximum-likelihood logit). The solver is
``newton-cholesky``: Newton steps reach the optimum tightly and fast with few covariates
(``lbfgs`` stopped visibly short of it on the NSW/CPS data), and refits warm-start from the
previous solution. The scores used are the fitted log-odds (``decision_function``),
clipped to +-:data:`LOGIT_CLIP`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import LinAlgWarning
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "LOGIT_CLIP",
    "PROPENSITY_C",
    "MatchResult",
    "bootstrap",
    "dr_att",
    "estimate_once",
    "fit_logit",
    "ipw_att",
    "match_att",
    "propensity_model",
]

#: Inverse L2 penalty of the propensity logit on standardised covariates (large = weak).
PROPENSITY_C = 1e4
#: Log-odds are clipped to this range, so ATT weights stay finite (odds <= e^30).
LOGIT_CLIP = 30.0
_MAX_ITER = 200


def propensity_model() -> Pipeline:
    """A fresh propensity model (see the module docstring); warm-started when refitted."""
    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "logit",
                LogisticRegression(
                    C=PROPENSITY_C, solver="newton-cholesky", max_iter=_MAX_ITER, warm_start=True
                ),
            ),
        ]
    )


def fit_logit(
    model: Pipeline, x: np.ndarray, d: np.ndarray, f: np.ndarray | None = None, *, quiet: bool
) -> np.ndarray:
    """Fit ``model`` on rows ``x`` with treatment ``d`` (frequency weights ``f``) and return
    the clipped log-odds of *every* row of ``x``.

    ``quiet`` silences convergence and ill-conditioning warnings (used for bootstrap draws:
    they warm-start from the point estimate's fit, and an ill-conditioned Newton step
    falls back to lbfgs); the point estimate's own fits keep their warnings.
    """
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", LinAlgWarning)
        model.fit(x, d, logit__sample_weight=f)
    return np.clip(model.decision_function(x), -LOGIT_CLIP, LOGIT_CLIP)


def att_odds(logit: np.ndarray) -> np.ndarray:
    """ATT weights of controls, ``p / (1 - p)`` = ``exp(logit)``."""
    return np.exp(logit)


def ipw_att(y: np.ndarray, d: np.ndarray, logit: np.ndarray, f: np.ndarray) -> float:
    """IPW ATT: treated mean minus the odds-weighted (normalised) control mean.

    ``ATT = sum(f d y) / sum(f d) - sum(f (1-d) w y) / sum(f (1-d) w)`` with ``w = p/(1-p)``
    (Hirano, Imbens & Ridder 2003; the normalised "Hajek" form, Imbens 2004).
    """
    w = f * att_odds(logit)
    wt = np.where(d, f, 0.0)
    wc = np.where(d, 0.0, w)
    return float(wt @ y / wt.sum() - wc @ y / wc.sum())


def dr_att(x: np.ndarray, y: np.ndarray, d: np.ndarray, logit: np.ndarray, f: np.ndarray) -> float:
    """Doubly robust ATT: outcome regression on controls plus an IPW residual correction.

    With ``m0(x)`` a linear regression of ``y`` on ``x`` fitted on the controls
    (scikit-learn ``LinearRegression``) and ``w = p/(1-p)``::

        ATT = sum(f d (y - m0)) / sum(f d) - sum(f (1-d) w (y - m0)) / sum(f (1-d) w)

    This is the standard doubly robust (AIPW) estimator of the ATT with normalised weights:
    Sant'Anna & Zhao (2020), "Doubly robust difference-in-differences estimators", Journal
    of Econometrics 219(1): 101-122, section 3 (their ``tau^dr`` with the outcome level in
    place of its change; the cross-section form of Imbens & Wooldridge 2009, J. Econ. Lit.
    47(1), section 5.8). It is consistent when either the propensity logit or the linear
    outcome model is correct.
    """
    controls = ~d & (f > 0)
    reg = LinearRegression().fit(x[controls], y[controls], sample_weight=f[controls])
    resid = y - reg.predict(x)
    return ipw_att(resid, d, logit, f)


class MatchResult:
    """One nearest-neighbour match: the ATT, the weight of each row, unmatched treated."""

    __slots__ = ("att", "n_matched", "n_unmatched", "weights")

    def __init__(self, att: float, weights: np.ndarray, n_matched: int, n_unmatched: int) -> None:
        self.att = att
        self.weights = weights
        self.n_matched = n_matched
        self.n_unmatched = n_unmatched


def match_att(
    y: np.ndarray, d: np.ndarray, score: np.ndarray, *, k: int, caliper: float | None
) -> MatchResult:
    """Nearest-neighbour matching on the propensity log-odds, with replacement.

    Each treated row gets its ``k`` nearest controls (scikit-learn ``NearestNeighbors``,
    Euclidean distance on the log-odds; ties go to the earlier row). With a ``caliper``
    (in standard deviations of the log-odds in this sample; Austin 2011 suggests 0.2),
    neighbours farther away are not used and a treated row with none left is unmatched
    and dropped. ``ATT = mean over matched treated of (y_i - mean of its neighbours' y)``.
    ``weights``: 1 for each matched treated row, and for a control the sum of ``1/k_i``
    over the treated rows it serves (used for balance).
    """
    treated = np.flatnonzero(d)
    controls = np.flatnonzero(~d)
    nn = NearestNeighbors(n_neighbors=k).fit(score[controls].reshape(-1, 1))
    dist, ind = nn.kneighbors(score[treated].reshape(-1, 1))
    within = np.ones_like(dist, dtype=bool)
    if caliper is not None:
        within = dist <= caliper * float(np.std(score))
    used = within.sum(axis=1)
    ok = used > 0
    weights = np.zeros(len(y))
    if not ok.any():
        return MatchResult(float("nan"), weights, 0, len(treated))
    share = np.where(within, 1.0 / np.maximum(used, 1)[:, None], 0.0)
    control_mean = (y[controls][ind] * share).sum(axis=1)
    att = float(np.mean(y[treated][ok] - control_mean[ok]))
    weights[treated[ok]] = 1.0
    np.add.at(weights, controls[ind[ok]].ravel(), share[ok].ravel())
    return MatchResult(att, weights, int(ok.sum()), int((~ok).sum()))


def estimate_once(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    d: np.ndarray,
    logit: np.ndarray,
    f: np.ndarray,
    k: int,
    caliper: float | None,
) -> float:
    """One estimate on rows with frequency weights ``f`` (matching: ``f`` is all ones)."""
    if method == "ipw":
        return ipw_att(y, d, logit, f)
    if method == "dr":
        return dr_att(x, y, d, logit, f)
    return match_att(y, d, logit, k=k, caliper=caliper).att


def bootstrap(
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    d: np.ndarray,
    n_boot: int,
    seed: int,
    k: int,
    caliper: float | None,
    model: Pipeline,
) -> np.ndarray:
    """``n_boot`` bootstrap estimates (NaN where a draw gives none).

    Each draw resamples treated and control rows separately with replacement (group
    sizes kept), refits ``model`` on the draw (warm-started from the previous fit) and
    re-estimates; draws come from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    treated, controls = np.flatnonzero(d), np.flatnonzero(~d)
    draws = np.full(n_boot, np.nan)
    for b in range(n_boot):
        rows = np.concatenate(
            [
                treated[rng.integers(0, len(treated), len(treated))],
                controls[rng.integers(0, len(controls), len(controls))],
            ]
        )
        f = np.bincount(rows, minlength=len(y)).astype("float64")
        logit = fit_logit(model, x, d, f, quiet=True)
        with np.errstate(all="ignore"):
            if method == "matching":
                ones = np.ones(len(rows))
                draws[b] = estimate_once(
                    method, x[rows], y[rows], d[rows], logit[rows], ones, k, caliper
                )
            else:
                draws[b] = estimate_once(method, x, y, d, logit, f, k, caliper)
    return draws
