"""SYNTHETIC jobseekers, calibrated to real long-term unemployment figures.

No real jobseeker microdata can be shipped, so the profiling model is trained and
tested on made-up people. :func:`generate_jobseekers` writes a frame with every column
of :data:`workbench.profiling.schema.COLUMNS`; every row has ``synthetic=True``. The same
``(n, seed, regions)`` gives byte-identical output.

**Calibration targets (real figures).** The outcome ``ltu`` (still unemployed 12 months
after registering) is drawn so that its expected share matches a real figure exactly:

* ``regions=None``: **39.2%**, the Irish PEX cohort (O'Connell, McGuinness, Kelly & Walsh
  2009, *National Profiling of the Unemployed in Ireland*, ESRI Research Series No. 10): a
  sample of 33,754 jobseekers who first claimed in September-December 2006; 12,095 of
  them (39.2%, i.e. of the 30,855 classed as stayers or leavers) were still claiming 12
  months later and 18,760 (60.8%) had left (as reported by the Irish Times, 2009). People
  are spread evenly over Ireland's NUTS-2 regions IE04, IE05 and IE06 (an assumption; the
  region column is then only a label).
* ``regions=[...]``: each region's **real 2025 long-term unemployment share** (12 months
  or more, % of the unemployed aged 15-74; Eurostat ``lfst_r_lfu2ltu``, read from the
  shipped pack file :data:`LTU_FILE`). People are spread evenly over the regions, or by
  the weights of a ``{region: weight}`` mapping. A region without a 2025 value raises
  :class:`~workbench.exceptions.InvalidInput` naming it. **Caveat:** this is a *stock*
  share (of everyone unemployed at a time, how many have been so for 12 months or more)
  used as a proxy for a *cohort's* 12-month outcome (of everyone who registers, how many
  are still unemployed 12 months later). The two differ (a stock over-represents long
  spells; a register cohort counts claimants, the survey counts the ILO-unemployed);
  the proxy only gives regions realistic relative levels.

For each region the intercept of the risk model below is solved (``scipy.optimize.brentq``)
so that the mean predicted probability over that region's generated people equals the
target; ``ltu`` is then a Bernoulli draw, so the realised share is within sampling error
of the target (:func:`calibration_report`).

**Group differences (directions from the ESRI findings, magnitudes ASSUMED).** The
directions follow the ESRI profiling studies (ESRI 2009 media release on Research Series
No. 10; O'Connell, McGuinness & Kelly, *The Economic and Social Review* (2012); ESRI
2022 recalibration of the PEX model): the risk rises with age, low education, a history
of long-term unemployment, low recent labour-market engagement and no own transport; in
2018 older workers were much less likely to leave the register before 12 months. The
**log-odds below are assumptions of this generator, not published estimates**. The
origin and disability differences are also assumptions, added so the fairness audit has
a real-world-like disparity to find. Sex has **no direct effect**.

=========================  ========  ==========================================================
attribute                  log-odds  basis
=========================  ========  ==========================================================
``age_band=16-24``         -0.4      assumption (vs 30-54); direction: ESRI, risk rises with age
``age_band=25-29``         -0.2      assumption (vs 30-54); direction: ESRI
``age_band=55+``           +0.9      assumption (vs 30-54); direction: ESRI 2022, older workers
``education=low``          +0.5      assumption (vs medium); direction: ESRI
``education=high``         -0.5      assumption (vs medium); direction: ESRI
``prior_ltu``              +0.9      assumption; direction: ESRI, history of LTU
``months_employed_24m``    -0.05     assumption, per month; direction: ESRI, engagement
``prior_spells_5y``        +0.05     assumption, per spell
``own_transport=false``    +0.3      assumption; direction: ESRI, no own transport
``isco=empty``             +0.3      assumption: no previous job
``origin=eu``              +0.1      ASSUMPTION only (vs national), for the fairness audit
``origin=non_eu``          +0.4      ASSUMPTION only (vs national), for the fairness audit
``disability``             +0.5      ASSUMPTION only, for the fairness audit
``sex``                    0         no direct effect (a stated choice)
=========================  ========  ==========================================================

**Other assumptions** (all in :data:`GENERATOR_ASSUMPTIONS`, none is data): the shares of
age bands, sexes, origins, disability, education, prior long-term unemployment (by age),
own transport and no previous job; ``prior_spells_5y`` ~ Poisson; ``months_employed_24m``
~ Binomial(24, Beta) with less work after a long spell; the last job's ISCO-08 unit group
(major group by an assumed mix, then unit groups in proportion to their number of ESCO
occupations in the shipped ESCO extract); ``registered`` uniform over 2024. Outcomes:
``programme`` is drawn independently of risk by an assumed mix (so a naive comparison of
programmes is not confounded); ``programme_domain`` (training only) by an assumed mix;
``employed_1m_6m`` (a job of at least one month within 6 months of the programme's end,
as La Bonne Formation counts; for ``none``, within 6 months of registering) is a
Bernoulli draw with assumed log-odds by ``ltu``, programme and domain.

Randomness: one ``numpy.random.default_rng([seed, k])`` stream per component ``k``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from workbench.classifications import nuts_problem
from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.schema import COLUMNS

__all__ = [
    "DEFAULT_SEED",
    "GENERATOR_ASSUMPTIONS",
    "LTU_FILE",
    "PEX_SOURCE",
    "PEX_TARGET",
    "calibration_report",
    "generate_jobseekers",
    "regional_targets",
]

DEFAULT_SEED = 20261201
#: Share still claiming 12 months after registering, Irish PEX cohort (real figure).
PEX_TARGET = 0.392
PEX_SOURCE = (
    "O'Connell, McGuinness, Kelly & Walsh (2009), National Profiling of the Unemployed in "
    "Ireland, ESRI Research Series No. 10: of jobseekers who first claimed Sep-Dec 2006, "
    "12,095 (39.2%) still claiming after 12 months, 18,760 (60.8%) had left"
)
_PACK = Path(__file__).resolve().parents[1] / "data" / "packs" / "real"
#: Real 2025 long-term unemployment shares (% of the unemployed, NUTS 2024 regions).
LTU_FILE = _PACK / "eurostat" / "lfst_r_lfu2ltu__2025__ryb2026.tsv"
_ESCO_FILE = _PACK / "esco" / "occupations.csv.gz"
_LTU_YEAR = "2025"
_IRELAND = ("IE04", "IE05", "IE06")
_PROGRAMMES = next(c.values for c in COLUMNS if c.name == "programme")

#: Every number the generator makes up. ASSUMPTIONS, not published figures (see above).
GENERATOR_ASSUMPTIONS: dict[str, dict[str, float]] = {
    "risk_log_odds": {
        "age_band=16-24": -0.4,
        "age_band=25-29": -0.2,
        "age_band=55+": 0.9,
        "education=low": 0.5,
        "education=high": -0.5,
        "prior_ltu": 0.9,
        "months_employed_24m": -0.05,
        "prior_spells_5y": 0.05,
        "own_transport=false": 0.3,
        "isco=empty": 0.3,
        "origin=eu": 0.1,
        "origin=non_eu": 0.4,
        "disability": 0.5,
        "sex": 0.0,
    },
    "age_band_share": {"16-24": 0.17, "25-29": 0.14, "30-54": 0.52, "55+": 0.17},
    "sex_share": {"F": 0.47, "M": 0.525, "X": 0.005},
    "origin_share": {"national": 0.80, "eu": 0.07, "non_eu": 0.13},
    "education_share": {"low": 0.35, "medium": 0.43, "high": 0.22},
    "disability_share": {"true": 0.09},
    "prior_ltu_share_by_age": {"16-24": 0.05, "25-29": 0.12, "30-54": 0.20, "55+": 0.28},
    "own_transport_share_by_age": {"16-24": 0.40, "25-29": 0.65, "30-54": 0.72, "55+": 0.70},
    "no_previous_job_share_by_age": {"16-24": 0.25, "25-29": 0.07, "30-54": 0.04, "55+": 0.04},
    "prior_spells_5y_poisson_mean": {"prior_ltu=false": 0.8, "prior_ltu=true": 1.5},
    # months_employed_24m ~ Binomial(24, q), q ~ Beta(a, b)
    "months_employed_beta": {"a": 3.0, "b": 1.5, "a_prior_ltu": 1.2, "b_prior_ltu": 2.5},
    "isco_major_share": {
        "1": 0.03,
        "2": 0.07,
        "3": 0.09,
        "4": 0.12,
        "5": 0.22,
        "6": 0.03,
        "7": 0.14,
        "8": 0.10,
        "9": 0.20,
    },
    "programme_share": {
        "job_search_assistance": 0.34,
        "training": 0.22,
        "private_sector_subsidy": 0.08,
        "public_employment": 0.07,
        "start_up_support": 0.03,
        "none": 0.26,
    },
    "training_domain_share": {
        "welding": 0.15,
        "care": 0.25,
        "logistics": 0.20,
        "ict": 0.15,
        "hospitality": 0.15,
        "office": 0.10,
    },
    "employment_log_odds": {
        "ltu=false": 0.9,
        "ltu=true": -1.4,
        "programme=job_search_assistance": 0.2,
        "programme=training": 0.3,
        "programme=private_sector_subsidy": 0.5,
        "programme=public_employment": -0.2,
        "programme=start_up_support": 0.0,
        "programme=none": 0.0,
        "domain=welding": 0.3,
        "domain=care": 0.2,
        "domain=logistics": 0.1,
        "domain=ict": 0.2,
        "domain=hospitality": 0.0,
        "domain=office": -0.2,
    },
}


# ---------------------------------------------------------------- targets


@lru_cache(maxsize=2)
def _ltu_table(path: str) -> pd.DataFrame:
    from workbench.data.eurostat import read_sdmx_tsv

    frame = read_sdmx_tsv(path)
    keep = (
        frame["unit"].eq("PC_UNE")
        & frame["isced11"].eq("TOTAL")
        & frame["sex"].eq("T")
        & frame["age"].eq("Y15-74")
    )
    return frame[keep]


def regional_targets(regions: Sequence[str]) -> dict[str, float]:
    """Each region's real 2025 long-term unemployment share (a fraction, e.g. 0.334),
    from :data:`LTU_FILE`.

    Raises:
        InvalidInput: a region is not a NUTS-2 code or has no 2025 value (each named).
    """
    table = _ltu_table(str(LTU_FILE))
    source = LTU_FILE.name
    problems: list[Problem] = []
    targets: dict[str, float] = {}
    for region in regions:
        reason = nuts_problem(region)
        if reason is None and len(region) != 4:
            reason = f"{region!r} is not a NUTS-2 code (4 characters, e.g. ES61)"
        if reason is not None:
            problems.append(Problem(source, str(region), reason))
            continue
        rows = table[table["geo"].eq(region)]
        value = rows.loc[rows["time"].eq(_LTU_YEAR), "value"]
        if len(value) and not np.isnan(value.iloc[0]):
            targets[region] = round(float(value.iloc[0]) / 100, 10)
            continue
        other = rows[rows["value"].notna()]
        if len(rows) == 0:
            message = f"region {region} is not in the file (NUTS 2024 regions)"
        else:
            message = f"region {region} has no {_LTU_YEAR} long-term unemployment share"
            if len(other):
                message += f" (the file has only {', '.join(other['time'])})"
        problems.append(Problem(source, region, message + "; choose another region"))
    if problems:
        raise InvalidInput(problems)
    return targets


def _targets(regions: Sequence[str] | Mapping[str, float] | None) -> dict[str, float]:
    if regions is None:
        return {}
    names = list(regions)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"regions must be distinct NUTS-2 codes, got {names!r}")
    return regional_targets(names)


# ---------------------------------------------------------------- generator


@lru_cache(maxsize=1)
def _isco_units() -> tuple[np.ndarray, np.ndarray]:
    """ISCO-08 unit groups (major groups 1-9) with ESCO occupations, and their counts."""
    codes = pd.read_csv(_ESCO_FILE, dtype=str, usecols=["iscoGroup"])["iscoGroup"]
    codes = codes[codes.str.fullmatch(r"[1-9][0-9]{3}", na=False)]
    counts = codes.value_counts().sort_index()
    return counts.index.to_numpy(dtype=object), counts.to_numpy(dtype=float)


def _choice(rng: np.random.Generator, share: Mapping[str, float], n: int) -> np.ndarray:
    keys = list(share)
    p = np.array([share[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _split(n: int, weights: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``n`` in proportion to ``weights`` (largest remainder)."""
    exact = n * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _regions(
    n: int, regions: Sequence[str] | Mapping[str, float] | None, rng: np.random.Generator
) -> np.ndarray:
    names = list(_IRELAND if regions is None else regions)
    if isinstance(regions, Mapping):
        weights = np.array([float(regions[r]) for r in names])
        if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"region weights must be >= 0 and not all 0, got {dict(regions)}")
    else:
        weights = np.ones(len(names))
    counts = _split(n, weights)
    return rng.permutation(np.repeat(np.asarray(names, dtype=object), counts))


def _people(n: int, seed: int) -> dict[str, np.ndarray]:
    """Attributes before the outcomes (each from its own random stream)."""
    a = GENERATOR_ASSUMPTIONS
    rng = [np.random.default_rng([seed, k]) for k in range(10)]
    age = _choice(rng[0], a["age_band_share"], n)
    people: dict[str, np.ndarray] = {
        "age_band": age,
        "sex": _choice(rng[1], a["sex_share"], n),
        "origin": _choice(rng[2], a["origin_share"], n),
        "disability": rng[3].random(n) < a["disability_share"]["true"],
        "education": _choice(rng[4], a["education_share"], n),
    }
    by_age = pd.Series(age)
    p_prior = by_age.map(a["prior_ltu_share_by_age"]).to_numpy(dtype=float)
    prior_ltu = rng[5].random(n) < p_prior
    lam = a["prior_spells_5y_poisson_mean"]
    mean = np.where(prior_ltu, lam["prior_ltu=true"], lam["prior_ltu=false"])
    beta = a["months_employed_beta"]
    q = np.where(
        prior_ltu,
        rng[6].beta(beta["a_prior_ltu"], beta["b_prior_ltu"], n),
        rng[6].beta(beta["a"], beta["b"], n),
    )
    people["months_employed_24m"] = rng[6].binomial(24, q).astype("int64")
    people["prior_spells_5y"] = np.minimum(rng[7].poisson(mean), 60).astype("int64")
    people["prior_ltu"] = prior_ltu
    p_car = by_age.map(a["own_transport_share_by_age"]).to_numpy(dtype=float)
    people["own_transport"] = rng[8].random(n) < p_car
    people["isco"] = _isco(rng[9], by_age, n)
    return people


def _isco(rng: np.random.Generator, by_age: pd.Series, n: int) -> np.ndarray:
    a = GENERATOR_ASSUMPTIONS
    units, counts = _isco_units()
    major = np.array([u[0] for u in units])
    share = a["isco_major_share"]
    weight = np.zeros(len(units))
    for m, s in share.items():  # within a major group: in proportion to ESCO occupations
        weight[major == m] = s * counts[major == m] / counts[major == m].sum()
    codes = units[rng.choice(len(units), size=n, p=weight / weight.sum())]
    none = rng.random(n) < by_age.map(a["no_previous_job_share_by_age"]).to_numpy(dtype=float)
    return np.where(none, "", codes).astype(object)


def _risk_score(people: Mapping[str, np.ndarray]) -> np.ndarray:
    """Linear predictor of the LTU risk without the intercept."""
    b = GENERATOR_ASSUMPTIONS["risk_log_odds"]
    score = np.zeros(len(people["age_band"]))
    for key, coef in b.items():
        column, _, value = key.partition("=")
        x = people[column]
        if column in ("months_employed_24m", "prior_spells_5y"):
            score += coef * x
        elif column in ("prior_ltu", "disability"):
            score += coef * x.astype(float)
        elif column == "own_transport":
            score += coef * (~x).astype(float)
        elif column == "isco":
            score += coef * (x == "").astype(float)
        elif value:
            score += coef * (x == value).astype(float)
    return score


def _intercept(score: np.ndarray, target: float) -> float:
    """The intercept at which the mean probability over ``score`` equals ``target``."""
    return float(brentq(lambda c: expit(c + score).mean() - target, -40.0, 40.0, xtol=1e-13))


def generate_jobseekers(
    n: int,
    seed: int = DEFAULT_SEED,
    regions: Sequence[str] | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """``n`` SYNTHETIC jobseekers with every schema column (``synthetic`` = True).

    ``regions=None`` calibrates the whole cohort to the Irish PEX figure (39.2% still
    unemployed after 12 months); a list (or ``{region: weight}``) of NUTS-2 codes
    calibrates each region to its real 2025 long-term unemployment share (see the module
    docstring for the caveat). Columns and dtypes are those of
    :func:`workbench.profiling.jobseekers.validate_jobseeker_frame`. Vectorised; the same
    arguments give byte-identical output.

    Raises:
        ValueError: ``n`` < 1, or repeated regions / bad weights.
        InvalidInput: a region is not NUTS-2 or has no 2025 value (each named).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}")
    n = int(n)
    targets = _targets(regions)
    people = _people(n, seed)
    region = _regions(n, regions, np.random.default_rng([seed, 10]))
    score = _risk_score(people)
    p_ltu = np.empty(n)
    for name in np.unique(region) if targets else ():
        rows = region == name
        p_ltu[rows] = expit(_intercept(score[rows], targets[name]) + score[rows])
    if not targets:
        p_ltu = expit(_intercept(score, PEX_TARGET) + score)
    ltu = np.random.default_rng([seed, 11]).random(n) < p_ltu

    a = GENERATOR_ASSUMPTIONS
    programme = _choice(np.random.default_rng([seed, 12]), a["programme_share"], n)
    domain = _choice(np.random.default_rng([seed, 13]), a["training_domain_share"], n)
    domain = np.where(programme == "training", domain, "").astype(object)
    e = a["employment_log_odds"]
    logit = np.where(ltu, e["ltu=true"], e["ltu=false"])
    logit += pd.Series(programme).map(lambda p: e[f"programme={p}"]).to_numpy(dtype=float)
    logit += pd.Series(domain).map(lambda d: e.get(f"domain={d}", 0.0)).to_numpy(dtype=float)
    employed = np.random.default_rng([seed, 14]).random(n) < expit(logit)
    days = np.random.default_rng([seed, 15]).integers(0, 366, n)
    registered = (np.datetime64("2024-01-01") + days).astype("datetime64[D]").astype(str)

    width = max(6, len(str(n)))
    columns = {
        "person_id": pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width).radd("syn-"),
        "region": region,
        "registered": registered.astype(object),
        **people,
        "ltu": ltu,
        "programme": programme,
        "programme_domain": domain,
        "employed_1m_6m": employed,
        "synthetic": np.ones(n, dtype=bool),
    }
    frame = pd.DataFrame({c.name: columns[c.name] for c in COLUMNS})
    text = [c.name for c in COLUMNS if c.kind not in ("bool", "int")]
    return frame.astype(dict.fromkeys(text, "str"))


# ---------------------------------------------------------------- report


def calibration_report(
    frame: pd.DataFrame, regions: Sequence[str] | Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Realised ``ltu`` share against each calibration target.

    One row per target (``region`` = ``"all"`` for the PEX target when ``regions`` is
    None): ``region``, ``target``, ``realised``, ``n``, ``se`` (binomial standard error
    of a share of ``n`` people at the target), ``within_3se`` (bool) and ``source``.

    Raises:
        InvalidInput: no ``ltu`` column, empty ``ltu`` cells or a region without rows.
        ValueError / InvalidInput: as :func:`regional_targets`.
    """
    if "ltu" not in frame.columns or frame["ltu"].isna().any():
        raise InvalidInput(
            [Problem("calibration_report", "ltu", "needs an ltu outcome in every row")]
        )
    if regions is not None and "region" not in frame.columns:
        raise InvalidInput([Problem("calibration_report", "region", "needs a region column")])
    ltu = frame["ltu"].astype(bool)
    if regions is None:
        groups = {"all": (PEX_TARGET, ltu, PEX_SOURCE)}
    else:
        source = f"Eurostat lfst_r_lfu2ltu {_LTU_YEAR}, % of the unemployed ({LTU_FILE.name})"
        groups = {r: (t, ltu[frame["region"].eq(r)], source) for r, t in _targets(regions).items()}
    rows = []
    for name, (target, values, source) in groups.items():
        if len(values) == 0:
            message = f"the frame has no rows of region {name}"
            raise InvalidInput([Problem("calibration_report", name, message)])
        se = float(np.sqrt(target * (1 - target) / len(values)))
        realised = float(values.mean())
        rows.append(
            {
                "region": name,
                "target": target,
                "realised": realised,
                "n": len(values),
                "se": se,
                "within_3se": abs(realised - target) <= 3 * se,
                "source": source,
            }
        )
    return pd.DataFrame(rows)
