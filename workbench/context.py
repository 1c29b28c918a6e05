"""``RegionContext``: the labour-market context of a region, with where each figure came from.

One small frozen value shared by the labour-market diagnosis (which builds it), the
evidence recommender and the pathways (which consume it), so none of them imports another.
Three labels, each with the figures and rule behind it:

- **unemployment** ``high`` | ``low``: the region's unemployment rate against the EU-27 rate
  of the same year (high when ``rate >= threshold_ratio x EU rate``);
- **skill level** ``high`` | ``low``: the share of jobs in ISCO-08 major groups 1-3
  (managers, professionals, technicians) against the EU reference share;
- **cycle phase** ``expansion`` | ``slowdown`` | ``downturn`` | ``recovery``: where the
  (national) labour market is in the cycle, from the recent change in unemployment and
  its level against its own longer-run mean.

Every figure carries :class:`Source` rows naming the dataset, the series key and whether
the value is real, derived from real figures, or synthetic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["CYCLE_PHASES", "RegionContext", "Source"]

Level = Literal["high", "low"]
Phase = Literal["expansion", "slowdown", "downturn", "recovery"]
#: Cycle phases, in the order of a textbook cycle.
CYCLE_PHASES: tuple[str, ...] = ("expansion", "slowdown", "downturn", "recovery")
#: What a figure is: read from a real file, computed from real figures, or made up.
Kind = Literal["real", "derived", "synthetic"]


@dataclass(frozen=True)
class Source:
    """Where one figure comes from: a dataset of the pack and the series it was read from."""

    figure: str
    dataset: str
    key: str
    value: float | None
    kind: Kind = "real"
    note: str = ""

    def describe(self) -> str:
        """One line for tables and tooltips."""
        value = "n/a" if self.value is None else f"{self.value:g}"
        extra = f" ({self.note})" if self.note else ""
        return f"{self.figure} = {value}: {self.kind}, {self.dataset} [{self.key}]{extra}"


@dataclass(frozen=True)
class RegionContext:
    """The context class of a region, with its figures, rules and sources."""

    region: str
    name: str
    country: str
    unemployment: Level
    unemployment_rate: float
    eu_unemployment_rate: float
    unemployment_year: str
    threshold_ratio: float
    skill_level: Level
    high_skill_share: float
    eu_high_skill_share: float
    skill_basis: str
    cycle_phase: Phase
    cycle_basis: str
    sources: tuple[Source, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.unemployment not in ("high", "low"):
            raise ValueError(f"unemployment must be 'high' or 'low', not {self.unemployment!r}")
        if self.skill_level not in ("high", "low"):
            raise ValueError(f"skill_level must be 'high' or 'low', not {self.skill_level!r}")
        if self.cycle_phase not in CYCLE_PHASES:
            raise ValueError(f"cycle_phase must be one of {CYCLE_PHASES}, not {self.cycle_phase!r}")

    @property
    def key(self) -> tuple[str, str, str]:
        """``(unemployment, skill_level, cycle_phase)``, e.g. ``("high", "low", "expansion")``."""
        return (self.unemployment, self.skill_level, self.cycle_phase)

    @property
    def ratio(self) -> float:
        """The region's unemployment rate divided by the EU-27 rate."""
        return self.unemployment_rate / self.eu_unemployment_rate

    @property
    def synthetic(self) -> bool:
        """True if any figure behind the context is synthetic."""
        return any(s.kind == "synthetic" for s in self.sources)

    def describe(self) -> str:
        """The context in one plain-language paragraph, figures included."""
        return (
            f"{self.name} ({self.region}) is a {self.unemployment}-unemployment region: "
            f"{self.unemployment_rate:.1f}% in {self.unemployment_year} against "
            f"{self.eu_unemployment_rate:.1f}% for the EU-27 (ratio {self.ratio:.2f}; "
            f"high from {self.threshold_ratio:g}). Its jobs are {self.skill_level}-skilled: "
            f"{self.high_skill_share:.1f}% in ISCO major groups 1-3 against "
            f"{self.eu_high_skill_share:.1f}% in the EU reference ({self.skill_basis}). "
            f"The labour market is in {self.cycle_phase} ({self.cycle_basis})."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :meth:`from_dict`)."""
        out = asdict(self)
        out["sources"] = [asdict(s) for s in self.sources]
        out["key"] = list(self.key)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegionContext:
        """Rebuild a context from :meth:`to_dict` output (an artefact)."""
        fields = {k: v for k, v in data.items() if k != "key"}
        fields["sources"] = tuple(Source(**s) for s in data.get("sources", ()))
        return cls(**fields)
