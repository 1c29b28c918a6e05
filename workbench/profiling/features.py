"""The feature policy of the profiling model: what the model may see, and why.

Default features (:data:`BASE_FEATURES`): education, the ISCO-08 major group of the last
job (its first digit; ``"none"`` when there was none), months in work in the 24 months
before registering, earlier spells in 5 years, an earlier long-term spell, own transport
(when the table has that column: yes, no, or unknown for an empty cell) and the **real**
long-term unemployment share of the person's region (Eurostat ``lfst_r_lfu2ltu``, % of the
unemployed, the 2025 value, else the region's latest earlier one, from the real pack
shipped with the workbench). A region the
file does not give gets the EU27 value of the same file and ``region_ltu_imputed = 1``; the
notes say which regions.

Protected attributes (:data:`~workbench.profiling.schema.PROTECTED`: sex, origin,
disability, age band) are kept for the fairness audit only. One becomes a feature only when
an expert records a :class:`Justification` (who, why, when) in the :class:`FeaturePolicy`;
the justifications are saved with the version (``features.json``) and shown on its card.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.schema import PROTECTED

__all__ = [
    "BASE_FEATURES",
    "CATEGORICAL",
    "LTU_FILE",
    "FeaturePolicy",
    "FeatureSet",
    "Justification",
    "RegionLtu",
    "feature_columns",
]

#: The pack-relative file of the real regional long-term unemployment shares.
LTU_FILE = "eurostat/lfst_r_lfu2ltu__2025__ryb2026.tsv"
EU_CODE = "EU27_2020"
LTU_YEARS = ("2025", "2024", "2023")
#: Optional schema columns a model may read; absent or empty, they count as unknown.
_OPTIONAL_INPUTS = ("isco", "own_transport")
#: The default features, in model order (``own_transport`` only when the table has it).
BASE_FEATURES: tuple[str, ...] = (
    "education",
    "isco_major",
    "months_employed_24m",
    "prior_spells_5y",
    "prior_ltu",
    "own_transport",
    "region_ltu_share",
    "region_ltu_imputed",
)
#: Features one-hot encoded; every other feature is a number (booleans as 0/1).
#: ``own_transport`` is ``yes``/``no``/``unknown`` (an optional column may be empty).
CATEGORICAL: frozenset[str] = frozenset(
    {"education", "isco_major", "own_transport", "sex", "origin", "age_band"}
)
#: Feature -> the jobseeker-table columns it is computed from.
_INPUTS: dict[str, tuple[str, ...]] = {
    "isco_major": ("isco",),
    "region_ltu_share": ("region",),
    "region_ltu_imputed": ("region",),
}
SOURCE = "feature policy"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Justification:
    """An expert's recorded reason to use protected ``attribute`` as a feature."""

    attribute: str
    by: str
    reason: str
    at: str = field(default_factory=_now)  # ISO 8601, UTC

    def __post_init__(self) -> None:
        problems = []
        if self.attribute not in PROTECTED:
            msg = f"{self.attribute!r} is not a protected attribute ({', '.join(PROTECTED)})"
            problems.append(Problem(SOURCE, "attribute", msg))
        for key in ("by", "reason", "at"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                msg = f"a justification of {self.attribute!r} needs {key} (who, why, when)"
                problems.append(Problem(SOURCE, key, msg))
        if problems:
            raise InvalidInput(problems)

    def to_dict(self) -> dict[str, str]:
        """JSON-safe fields."""
        return {"attribute": self.attribute, "by": self.by, "reason": self.reason, "at": self.at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The inverse of :meth:`to_dict`."""
        return cls(str(data["attribute"]), str(data["by"]), str(data["reason"]), str(data["at"]))


@dataclass(frozen=True)
class FeaturePolicy:
    """Which protected attributes may be features: only the justified ones."""

    justifications: tuple[Justification, ...] = ()

    def __post_init__(self) -> None:
        seen = [j.attribute for j in self.justifications]
        dup = sorted({a for a in seen if seen.count(a) > 1})
        if dup:
            msg = f"one justification per attribute; given twice: {', '.join(dup)}"
            raise InvalidInput([Problem(SOURCE, "justifications", msg)])

    @property
    def justified(self) -> tuple[str, ...]:
        """The protected attributes that may be features, in schema order."""
        given = {j.attribute for j in self.justifications}
        return tuple(a for a in PROTECTED if a in given)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the justifications log)."""
        return {"justifications": [j.to_dict() for j in self.justifications]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The inverse of :meth:`to_dict`."""
        return cls(tuple(Justification.from_dict(j) for j in data.get("justifications", [])))


def feature_columns(
    policy: FeaturePolicy | None = None, available: Iterable[str] | None = None
) -> list[str]:
    """The model's features under ``policy``: the defaults, then the justified protected
    attributes. ``available`` (the table's columns) drops ``own_transport`` when absent."""
    policy = policy or FeaturePolicy()
    cols = set(available) if available is not None else None
    base = [f for f in BASE_FEATURES if f != "own_transport" or cols is None or f in cols]
    return base + list(policy.justified)


@dataclass(frozen=True)
class RegionLtu:
    """Real long-term unemployment share (% of the unemployed) by NUTS region."""

    shares: dict[str, float]
    years: dict[str, str]
    eu: float
    source: str = LTU_FILE

    @classmethod
    def from_pack(cls, pack: Path | None = None) -> Self:
        """Read :data:`LTU_FILE` from a data pack (default: the shipped real pack)."""
        from workbench.config import REAL_DATA_DIR
        from workbench.data.eurostat import read_sdmx_tsv

        tidy = read_sdmx_tsv(Path(pack or REAL_DATA_DIR) / LTU_FILE)
        tidy = tidy[tidy["time"].isin(LTU_YEARS) & tidy["value"].notna()]
        rank = tidy["time"].map({y: i for i, y in enumerate(LTU_YEARS)})
        latest = tidy.assign(rank=rank).sort_values(["geo", "rank"]).groupby("geo").first()
        if EU_CODE not in latest.index:
            raise InvalidInput([Problem(LTU_FILE, "geo", f"no {EU_CODE} value")])
        eu = float(latest.loc[EU_CODE, "value"])
        regional = latest[latest.index.str.fullmatch(r"[A-Z]{2}[0-9A-Z]{2}")]
        return cls(
            shares={str(g): float(v) for g, v in regional["value"].items()},
            years={str(g): str(t) for g, t in regional["time"].items()},
            eu=eu,
        )

    def lookup(self, regions: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Share and imputed flag (1.0 = EU value used) for each region, vectorised."""
        share = regions.astype(str).map(self.shares)
        imputed = share.isna()
        return share.fillna(self.eu).astype(float), imputed.astype(float)

    def notes(self, regions: Iterable[str]) -> list[str]:
        """What was imputed or taken from an earlier year, for the given regions."""
        regions = sorted(set(map(str, regions)))
        out = []
        missing = [r for r in regions if r not in self.shares]
        if missing:
            out.append(
                f"no long-term unemployment share in {self.source} for {', '.join(missing)}: "
                f"the EU27 value ({self.eu:g}%) is used and region_ltu_imputed is 1"
            )
        older = [f"{r} ({self.years[r]})" for r in regions if self.years.get(r, "2025") != "2025"]
        if older:
            out.append(f"no 2025 value, latest earlier year used: {', '.join(older)}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (stored in ``features.json`` so a version scores the same later)."""
        return {"source": self.source, "eu": self.eu, "shares": self.shares, "years": self.years}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The inverse of :meth:`to_dict`."""
        return cls(
            shares={str(k): float(v) for k, v in data["shares"].items()},
            years={str(k): str(v) for k, v in data.get("years", {}).items()},
            eu=float(data["eu"]),
            source=str(data.get("source", LTU_FILE)),
        )


@dataclass(frozen=True)
class FeatureSet:
    """The features of one model version and how they are computed from a jobseeker table."""

    features: tuple[str, ...]
    policy: FeaturePolicy
    region_ltu: RegionLtu
    notes: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        policy: FeaturePolicy | None = None,
        available: Iterable[str] | None = None,
        region_ltu: RegionLtu | None = None,
        notes: Iterable[str] = (),
    ) -> Self:
        """The features under ``policy`` for a table with columns ``available``."""
        policy = policy or FeaturePolicy()
        return cls(
            features=tuple(feature_columns(policy, available)),
            policy=policy,
            region_ltu=region_ltu or RegionLtu.from_pack(),
            notes=tuple(notes),
        )

    @property
    def categorical(self) -> list[str]:
        """Features one-hot encoded."""
        return [f for f in self.features if f in CATEGORICAL]

    @property
    def numeric(self) -> list[str]:
        """Features used as numbers (booleans as 0/1)."""
        return [f for f in self.features if f not in CATEGORICAL]

    @property
    def inputs(self) -> list[str]:
        """The jobseeker-table columns the features are computed from."""
        out: list[str] = []
        for f in self.features:
            out += [c for c in _INPUTS.get(f, (f,)) if c not in out]
        return out

    def transform(self, frame: pd.DataFrame, source: str = "jobseekers") -> pd.DataFrame:
        """The model's input for ``frame`` (same index), vectorised.

        Raises:
            InvalidInput: a needed column is missing or has empty cells (row and column).
        """
        absent = [c for c in _OPTIONAL_INPUTS if c in self.inputs and c not in frame.columns]
        if absent:  # an optional column the table leaves out: every cell is empty
            frame = frame.assign(**{c: pd.Series(pd.NA, index=frame.index) for c in absent})
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            msg = f"missing column(s) the model needs: {', '.join(missing)}"
            raise InvalidInput([Problem(source, "columns", msg)])
        problems = []
        for col in self.inputs:
            optional = col in _OPTIONAL_INPUTS
            empty = np.zeros(len(frame), bool) if optional else frame[col].isna().to_numpy()
            if empty.any():
                rows = ", ".join(str(r) for r in frame.index[empty][:5])
                more = f" and {int(empty.sum()) - 5} more" if empty.sum() > 5 else ""
                problems.append(Problem(source, col, f"empty in row(s) {rows}{more}"))
        if problems:
            raise InvalidInput(problems)
        share, imputed = self.region_ltu.lookup(frame["region"])
        cols: dict[str, Any] = {}
        for f in self.features:
            if f == "isco_major":
                isco = frame["isco"].fillna("").astype(str).str.strip().str[:1]
                cols[f] = isco.where(isco != "", "none").to_numpy(dtype=object)
            elif f == "own_transport":
                flag = frame[f].astype("boolean")
                known = np.where(flag.fillna(False).to_numpy(dtype=bool), "yes", "no")
                cols[f] = np.where(flag.isna().to_numpy(), "unknown", known).astype(object)
            elif f == "region_ltu_share":
                cols[f] = share.to_numpy()
            elif f == "region_ltu_imputed":
                cols[f] = imputed.to_numpy()
            elif f in CATEGORICAL:  # object arrays: the encoders of the folds read them as is
                cols[f] = frame[f].astype(str).to_numpy(dtype=object)
            else:
                cols[f] = frame[f].to_numpy(dtype=float)
        return pd.DataFrame(
            {f: pd.Series(v, index=frame.index, dtype=v.dtype) for f, v in cols.items()},
            index=frame.index,
        )

    def to_json(self) -> bytes:
        """``features.json``: features, justifications log, region table and notes."""
        doc = {
            "schema": 1,
            "features": list(self.features),
            "categorical": self.categorical,
            "numeric": self.numeric,
            "protected_used": list(self.policy.justified),
            "protected_audit_only": [a for a in PROTECTED if a not in self.policy.justified],
            "policy": self.policy.to_dict(),
            "region_ltu": self.region_ltu.to_dict(),
            "notes": list(self.notes),
        }
        return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes | str, source: str = "features.json") -> Self:
        """The inverse of :meth:`to_json`; InvalidInput when it is not one."""
        try:
            doc = json.loads(data)
            out = cls(
                features=tuple(str(f) for f in doc["features"]),
                policy=FeaturePolicy.from_dict(doc["policy"]),
                region_ltu=RegionLtu.from_dict(doc["region_ltu"]),
                notes=tuple(doc.get("notes", ())),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise InvalidInput([Problem(source, "", f"not a feature list: {e!r}")]) from e
        unknown = [f for f in out.features if f not in BASE_FEATURES and f not in PROTECTED]
        if unknown:
            msg = f"unknown feature(s): {', '.join(unknown)}"
            raise InvalidInput([Problem(source, "features", msg)])
        unjustified = [f for f in out.features if f in PROTECTED and f not in out.policy.justified]
        if unjustified:
            msg = f"protected attribute(s) used without a justification: {', '.join(unjustified)}"
            raise InvalidInput([Problem(source, "features", msg)])
        return out
