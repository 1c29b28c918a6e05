"""Validation of the input of :func:`workbench.evaluation.estimate_att`.

Every problem raises :class:`EvaluationError` (an :class:`~workbench.exceptions.InvalidInput`
and a ``ValueError``) whose message names the column or option: unknown method, a column
not in the data, a non-numeric covariate or outcome, missing or infinite values, values too
large to use (beyond +-:data:`MAX_ABS_VALUE`), a treatment that is not 0/1 (the values found
are listed), too few treated or control rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from workbench.exceptions import InvalidInput, Problem

__all__ = [
    "MAX_ABS_VALUE",
    "METHODS",
    "MIN_BOOT",
    "EvaluationError",
    "Method",
    "check_counts",
    "check_options",
    "error",
    "prepare",
]

Method = Literal["ipw", "matching", "dr"]
METHODS: tuple[str, ...] = get_args(Method)
#: Values larger than this (in absolute value) are refused: rescale the column.
MAX_ABS_VALUE = 1e12
#: Fewest bootstrap draws allowed.
MIN_BOOT = 10
_SOURCE = "<data>"


class EvaluationError(InvalidInput, ValueError):
    """The data or options of an evaluation cannot be used; each problem names its column."""


def error(key: str, message: str) -> EvaluationError:
    """One problem about ``key`` (a column or option name) as an :class:`EvaluationError`."""
    return EvaluationError([Problem(_SOURCE, key, message)])


def check_options(
    method: object,
    n_boot: object,
    seed: object,
    trim: object,
    min_treated: object,
    k: object,
    caliper: object,
) -> tuple[float, float] | str | None:
    """Check the options of an evaluation; return the trimming rule, normalised."""
    if method not in METHODS:
        raise error("method", f"unknown method {method!r}; use one of {', '.join(METHODS)}")

    def whole(name: str, value: object, low: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise error(name, f"must be a whole number >= {low}, got {value!r}")

    whole("n_boot", n_boot, MIN_BOOT)
    whole("seed", seed, 0)
    whole("min_treated", min_treated, 1)
    whole("k", k, 1)
    if caliper is not None and (
        isinstance(caliper, bool)
        or not isinstance(caliper, int | float)
        or not math.isfinite(caliper)
        or caliper <= 0
    ):
        raise error("caliper", f"must be a positive number (SDs of the log-odds), got {caliper!r}")
    if trim is None or trim == "common_support":
        return trim  # type: ignore[return-value]
    ok = (
        isinstance(trim, tuple | list)
        and len(trim) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in trim)
        and 0 <= trim[0] < trim[1] <= 1
    )
    if not ok:
        raise error(
            "trim",
            f"must be (low, high) with 0 <= low < high <= 1, 'common_support' or None; "
            f"got {trim!r}",
        )
    return (float(trim[0]), float(trim[1]))  # type: ignore[index]


def _column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    """The column as float64, or an error naming it (non-numeric, missing, infinite, huge)."""
    col = data[name]
    if isinstance(col, pd.DataFrame):
        raise error(name, f"the {role} column name appears more than once in the data")
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise error(name, f"the {role} column is not numeric (dtype {col.dtype})")
    n_missing = int(col.isna().sum())
    if n_missing:
        raise error(name, f"the {role} column has {n_missing} missing value(s)")
    try:
        values = col.to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise error(name, f"the {role} column cannot be read as numbers: {exc}") from None
    if not np.isfinite(values).all():
        raise error(name, f"the {role} column has infinite values")
    if values.size and np.abs(values).max() > MAX_ABS_VALUE:
        raise error(name, f"the {role} column has values beyond +-{MAX_ABS_VALUE:g}; rescale it")
    return values


def prepare(
    data: object, treatment: object, outcome: object, covariates: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Check the frame and column names; return covariates ``x``, outcome ``y``, treatment
    ``d`` (bool) as arrays and the covariate names."""
    if not isinstance(data, pd.DataFrame):
        raise error("data", f"expected a pandas DataFrame, got {type(data).__name__}")
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise error("covariates", f"must be a list of column names, got {covariates!r}")
    covs = tuple(covariates)
    for role, name in (("treatment", treatment), ("outcome", outcome)):
        if not isinstance(name, str) or not name:
            raise error(role, f"the {role} must be a column name, got {name!r}")
    if not covs:
        raise error("covariates", "give at least one covariate")
    bad = [c for c in covs if not isinstance(c, str) or not c]
    if bad:
        raise error("covariates", f"covariates must be column names, got {bad!r}")
    repeated = sorted({c for c in covs if covs.count(c) > 1})
    if repeated:
        raise error(", ".join(repeated), "covariate listed more than once")
    for role, name in (("treatment", treatment), ("outcome", outcome)):
        if name in covs:
            raise error(str(name), f"the {role} column cannot also be a covariate")
    if treatment == outcome:
        raise error(str(treatment), "the treatment and outcome are the same column")
    columns = [str(c) for c in data.columns]
    missing = [c for c in (treatment, outcome, *covs) if c not in columns]
    if missing:
        shown = ", ".join(columns[:30]) + (" ..." if len(columns) > 30 else "")
        raise error(", ".join(map(str, missing)), f"column(s) not in the data (found: {shown})")
    if len(data) == 0:
        raise error("data", "the data have no rows")
    d_raw = data[treatment]
    if isinstance(d_raw, pd.DataFrame):
        raise error(str(treatment), "the treatment column name appears more than once")
    n_missing = int(d_raw.isna().sum())
    if n_missing:
        raise error(str(treatment), f"the treatment column has {n_missing} missing value(s)")
    found = sorted({repr(v.item() if isinstance(v, np.generic) else v) for v in pd.unique(d_raw)})
    binary = pd.api.types.is_bool_dtype(d_raw) or (
        pd.api.types.is_numeric_dtype(d_raw) and set(pd.unique(d_raw)) <= {0, 1}
    )
    if not binary:
        shown = ", ".join(found[:10]) + (f" ... ({len(found)} values)" if len(found) > 10 else "")
        raise error(str(treatment), f"the treatment must be 0/1 or true/false; found {shown}")
    d = d_raw.to_numpy().astype(bool)
    y = _column(data, outcome, "outcome")  # type: ignore[arg-type]
    x = np.column_stack([_column(data, c, "covariate") for c in covs])
    return x, y, d, covs


def check_counts(d: np.ndarray, treatment: str, min_treated: int, k: int, when: str) -> None:
    """At least ``min_treated`` treated rows and ``max(2, k)`` control rows."""
    n_t, n_c = int(d.sum()), int((~d).sum())
    need_c = max(2, k)
    if n_t < min_treated:
        raise error(
            treatment,
            f"too few treated rows {when}: {n_t}, fewer than min_treated = {min_treated}",
        )
    if n_c < need_c:
        raise error(
            treatment,
            f"too few control rows (treatment = 0) {when}: {n_c}, at least {need_c} needed",
        )
