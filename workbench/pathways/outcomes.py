"""Return-to-work rates by programme and area, computed as La Bonne Formation does.

The **return-to-work rate** of a programme is the share of its participants in salaried
work of at least one month within 6 months of the programme's end: the jobseeker table's
``employed_1m_6m`` column (see :mod:`workbench.profiling.schema`). Pôle emploi's La Bonne
Formation reports it for training by training domain and area, never by provider; here
it is computed for every programme type (``programme``), for training also by
``programme_domain``, and by area at three levels: the NUTS-2 ``region``, its country
(the code's first two letters) and all areas together.

**Small cells are suppressed**: a cell of fewer than ``min_n`` people (20 by default)
gets no rate, only a note, so that nobody's outcome can be read off a tiny group. Rows
with no programme (``none`` or empty) or no recorded outcome are not counted; how many
were left out is in :attr:`ReturnToWork.notes`. The rate is descriptive: participants
were not chosen at random, so it is not the programme's effect (that needs a comparison
group, see :func:`workbench.evaluation.att.estimate_att`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.exceptions import InvalidInput, Problem

__all__ = ["ALL_AREAS", "MIN_N", "RateCell", "ReturnToWork", "return_to_work"]

#: Smallest cell whose rate is shown.
MIN_N = 20
#: The area code of the all-areas cells.
ALL_AREAS = "all"
_LEVELS = ("region", "country", "all")
_COLUMNS = [
    "programme",
    "programme_domain",
    "area_level",
    "area",
    "n",
    "employed",
    "rate",
    "suppressed",
]
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


@dataclass(frozen=True)
class RateCell:
    """One return-to-work cell: who it counts and the rate (None when suppressed)."""

    programme: str
    programme_domain: str
    area_level: str
    area: str
    n: int
    employed: int
    rate: float | None
    suppressed: bool

    @property
    def basis(self) -> str:
        """What the rate rests on, e.g. ``training · welding · ES61, 132 people``."""
        parts = [self.programme, self.programme_domain]
        where = "all areas" if self.area_level == "all" else self.area
        if self.area_level == "country":
            where += " (country)"
        return " · ".join(p for p in [*parts, where] if p) + f", {self.n} people"

    def describe(self, min_n: int = MIN_N) -> str:
        """One plain-language sentence."""
        if self.rate is None:
            return f"{self.basis}: fewer than {min_n} people, so no rate is shown"
        what = self.basis.split(",")[0].replace("_", " ")
        return (
            f"{self.rate:.0%} of {self.n} participants ({what}) were in "
            "salaried work of at least one month within 6 months of the programme's end"
        )


@dataclass(frozen=True)
class ReturnToWork:
    """The table of rates (one row per programme x domain x area) and how it was made."""

    table: pd.DataFrame
    min_n: int
    synthetic: bool
    notes: tuple[str, ...]

    def __post_init__(self) -> None:
        index: dict[tuple[str, str, str], RateCell] = {}
        for row in self.table.itertuples(index=False):
            cell = RateCell(
                str(row.programme),
                str(row.programme_domain),
                str(row.area_level),
                str(row.area),
                int(row.n),
                int(row.employed),
                None if pd.isna(row.rate) else float(row.rate),
                bool(row.suppressed),
            )
            index[cell.programme, cell.programme_domain, cell.area] = cell
        object.__setattr__(self, "_index", index)

    def cell(self, programme: str, area: str, domain: str = "") -> RateCell | None:
        """The cell of exactly this programme, domain and area (``all`` for every area)."""
        index: dict[tuple[str, str, str], RateCell] = self.__dict__["_index"]
        return index.get((programme, _domain(domain), area))

    def lookup(self, programme: str, region: str, domain: str = "") -> RateCell | None:
        """The most specific cell with a rate: the region, else its country, else all
        areas; with a domain only when one is given. ``None`` when there are no data at
        all; a suppressed cell when every level is too small."""
        first: RateCell | None = None
        for area in (region, region[:2], ALL_AREAS):
            hit = self.cell(programme, area, domain)
            if hit is not None and hit.rate is not None:
                return hit
            first = first or hit
        return first

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        rows = self.table.astype(object).where(self.table.notna(), None)
        return {
            "min_n": self.min_n,
            "synthetic": self.synthetic,
            "notes": list(self.notes),
            "table": rows.to_dict(orient="records"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReturnToWork:
        """Rebuild from :meth:`to_dict` output."""
        table = pd.DataFrame.from_records(list(data["table"]), columns=_COLUMNS)
        return cls(table, int(data["min_n"]), bool(data["synthetic"]), tuple(data["notes"]))


def _domain(value: object) -> str:
    """A training domain as grouped: trimmed, lower case, inner spaces collapsed."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(str(value).split()).lower()


def _flags(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """(known, true) masks of a yes/no column given as bools or text; unreadable values
    are problems naming their row (1 = the first data row)."""
    problems: list[Problem] = []
    known = np.zeros(len(values), dtype=bool)
    true = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.tolist()):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, bool | np.bool_):
            known[i], true[i] = True, bool(value)
            continue
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            known[i], true[i] = True, text in _TRUE
        elif text:
            problems.append(
                Problem("<outcomes>", column, f"row {i + 1}: {value!r} is not true/false")
            )
    return known, true, problems


def return_to_work(frame: pd.DataFrame, *, min_n: int = MIN_N) -> ReturnToWork:
    """Return-to-work rates of the programmes in ``frame`` (see the module doc).

    ``frame`` needs ``region``, ``programme`` and ``employed_1m_6m``; ``programme_domain``
    and ``synthetic`` are used when present.

    Raises:
        InvalidInput: a missing column, ``min_n`` below 1, or an outcome that is not
            true/false (each problem names its row).
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise InvalidInput([Problem("return_to_work", "min_n", "must be a whole number >= 1")])
    missing = [c for c in ("region", "programme", "employed_1m_6m") if c not in frame.columns]
    if missing:
        raise InvalidInput(
            [
                Problem("<outcomes>", c, "column is missing (needed for return-to-work rates)")
                for c in missing
            ]
        )
    known, employed, problems = _flags(frame["employed_1m_6m"], "employed_1m_6m")
    if problems:
        raise InvalidInput(problems)
    programme = frame["programme"].fillna("").astype(str).str.strip()
    took = (programme != "") & (programme != "none")
    use = took.to_numpy() & known
    notes = []
    if (~known & took.to_numpy()).any():
        notes.append(
            f"{int((~known & took.to_numpy()).sum())} participants have no recorded outcome "
            "(employed_1m_6m empty) and are not counted"
        )
    notes.append(
        "A return-to-work rate describes participants; it is not a programme's effect "
        "(participants were not chosen at random)."
    )
    domain = (
        frame["programme_domain"].map(_domain)
        if "programme_domain" in frame.columns
        else pd.Series("", index=frame.index)
    )
    region = frame["region"].astype(str).str.strip()
    base = pd.DataFrame(
        {
            "programme": programme.to_numpy()[use],
            "domain": domain.to_numpy()[use],
            "region": region.to_numpy()[use],
            "employed": employed[use].astype(np.int64),
        }
    )
    base["country"] = base["region"].str[:2]
    base["all"] = ALL_AREAS
    parts = []
    for level in _LEVELS:
        for by_domain in (False, True):
            rows = (
                base[(base["programme"] == "training") & (base["domain"] != "")]
                if by_domain
                else base
            )
            if rows.empty:
                continue
            keys = ["programme", "domain", level] if by_domain else ["programme", level]
            agg = rows.groupby(keys, sort=True)["employed"].agg(["size", "sum"]).reset_index()
            parts.append(
                pd.DataFrame(
                    {
                        "programme": agg["programme"],
                        "programme_domain": agg["domain"] if by_domain else "",
                        "area_level": level,
                        "area": agg[level],
                        "n": agg["size"].astype(np.int64),
                        "employed": agg["sum"].astype(np.int64),
                    }
                )
            )
    table = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS[:6]})
    )
    small = table["n"] < min_n
    table["rate"] = (table["employed"] / table["n"].where(table["n"] > 0)).where(~small)
    table["suppressed"] = small.astype(bool)
    if small.any():
        notes.append(f"{int(small.sum())} cells of fewer than {min_n} people are suppressed")
    table = table.sort_values(
        ["programme", "programme_domain", "area_level", "area"], ignore_index=True
    )[_COLUMNS]
    synthetic = _any_synthetic(frame, use)
    if synthetic:
        notes.insert(0, "SYNTHETIC outcome data: these rates are made up, not facts.")
    return ReturnToWork(table, min_n, synthetic, tuple(notes))


def _any_synthetic(frame: pd.DataFrame, use: np.ndarray) -> bool:
    if "synthetic" not in frame.columns:
        return False
    known, true, _ = _flags(frame["synthetic"], "synthetic")
    return bool((known & true & use).any())
