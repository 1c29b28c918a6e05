"""NUTS versions: which code of an older file carries a region's history.

The workbench names regions by their **NUTS 2024** code (the version of Eurostat's current
regional tables). Older files use NUTS 2010 or 2013, where some regions had other codes
(French regions were recoded in 2016), were part of a larger unit (Warszawski stołeczny,
PL91, was inside Mazowieckie, PL12) or had other borders (Ireland, Portugal). A region is
matched to a file by :func:`match_region`, which says how the code it found relates to
the region, so a chart can say "PL12 (Mazowieckie, NUTS 2013) covers PL91 and PL92".

The correspondence (``nuts/correspondence.csv`` in the real data pack) lists every code
change between the versions found in the pack's files for EU NUTS-2 regions; a code in
none of the pack's versions is an error, never a silent gap.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workbench.classifications import nuts_problem
from workbench.exceptions import InputError

__all__ = [
    "NoComparableRegion",
    "NutsCorrespondence",
    "RegionMatch",
    "UnknownRegion",
    "load_correspondence",
    "match_region",
]

#: How a code found in an older file relates to the NUTS 2024 region asked for.
RELATIONS = ("same", "recoded", "parent")


class UnknownRegion(InputError):
    """A code that is not a NUTS 2024 region of the data pack."""


class NoComparableRegion(InputError):
    """A region whose older unit had other borders, or which a file does not cover."""


@dataclass(frozen=True)
class RegionMatch:
    """The code of ``region`` to use in a file, and how it relates to the region."""

    region: str
    code: str
    relation: str  # "same" | "recoded" | "parent"
    note: str = ""

    @property
    def exact(self) -> bool:
        """True when the code covers exactly the region (same area)."""
        return self.relation in ("same", "recoded")

    def describe(self, labels: dict[str, str] | None = None) -> str:
        """Plain-language note for charts and tables ("" when the code is the region's)."""
        if self.relation == "same":
            return ""
        name = f" ({labels[self.code]})" if labels and self.code in labels else ""
        if self.relation == "recoded":
            return f"older files code {self.region} as {self.code}{name}"
        return f"older files only have {self.code}{name}, which includes {self.region}: {self.note}"


@dataclass(frozen=True)
class _Link:
    old: str
    new: str
    relation: str
    old_version: int
    new_version: int
    note: str


class NutsCorrespondence:
    """Code changes between NUTS versions, plus the names of NUTS 2024 regions."""

    def __init__(self, links: list[_Link], labels: dict[str, str]) -> None:
        self.links = links
        self.labels = labels
        self._by_new: dict[str, list[_Link]] = {}
        for link in links:
            self._by_new.setdefault(link.new, []).append(link)
        self._old = {link.old for link in links}

    def is_known(self, code: str) -> bool:
        """Whether ``code`` is a NUTS 2024 region, a country, or an older code we can map."""
        return code in self.labels or code in self._old or (len(code) == 2 and code.isalpha())

    def older_codes(self, region: str) -> list[_Link]:
        """Links from older codes to ``region`` (its own code excluded)."""
        return list(self._by_new.get(region, []))

    def match(self, region: str, available: Collection[str]) -> RegionMatch:
        """The code for ``region`` among ``available``: see :func:`match_region`."""
        problem = nuts_problem(region)
        if problem:
            raise UnknownRegion(problem)
        if not self.is_known(region):
            raise UnknownRegion(
                f"{region!r} is not a NUTS 2024 region of the data pack; check the code "
                "(NUTS 2024 names are listed in the pack's nuts/regions_2024.csv)"
            )
        if region in available:
            return RegionMatch(region, region, "same")
        links = self.older_codes(region)
        # An older code may itself have been recoded (FR91 -> FRA1 -> FRY1): follow one step.
        for link in sorted(links, key=lambda lk: lk.old_version, reverse=True):
            if link.old in available and link.relation == "recoded":
                return RegionMatch(region, link.old, "recoded", link.note)
        for link in links:
            if link.old in available and link.relation == "split":
                return RegionMatch(region, link.old, "parent", link.note)
        changed = [link for link in links if link.relation == "changed"]
        if changed:
            raise NoComparableRegion(
                f"{region}: {changed[0].note} (older codes "
                f"{', '.join(sorted({lk.old for lk in changed}))}), so this file's series "
                "cannot be shown for it"
            )
        raise NoComparableRegion(f"{region}: no data for this region or its older codes")


@lru_cache(maxsize=4)
def load_correspondence(folder: str | Path) -> NutsCorrespondence:
    """Read ``correspondence.csv`` and ``regions_2024.csv`` from a pack's ``nuts/`` folder."""
    folder = Path(folder)
    links: list[_Link] = []
    with (folder / "correspondence.csv").open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            relation = row.get("relation", "")
            if relation not in ("recoded", "split", "changed"):
                raise ValueError(f"{folder}/correspondence.csv:{lineno}: relation {relation!r}")
            links.append(
                _Link(
                    row["old_code"],
                    row["new_code"],
                    relation,
                    int(row["old_version"]),
                    int(row["new_version"]),
                    row["note"],
                )
            )
    with (folder / "regions_2024.csv").open(encoding="utf-8", newline="") as fh:
        labels = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    return NutsCorrespondence(links, labels)


def match_region(
    region: str, available: Collection[str], correspondence: NutsCorrespondence
) -> RegionMatch:
    """The code that carries ``region``'s data in a file whose codes are ``available``.

    Returns the region's own code when present, else an older code of the same area
    (``recoded``), else the older unit that contained it (``parent``, e.g. PL12 for PL91).

    Raises:
        UnknownRegion: ``region`` is malformed or not a NUTS 2024 region of the pack.
        NoComparableRegion: the file has no comparable unit (borders were redrawn).
    """
    return correspondence.match(region, available)
