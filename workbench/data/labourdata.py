"""The real data pack's labour-market tables, read once and kept as tidy frames.

:class:`LabourData` knows the file of each dataset in a real pack (see the pack's
``catalog.yaml``) and reads it lazily with :func:`workbench.data.eurostat.read_sdmx_tsv`.
It does no analysis: ``workbench.labour`` computes indicators from these frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.data.catalog import DataCatalog
from workbench.data.eurostat import read_sdmx_tsv
from workbench.data.nuts import NutsCorrespondence, load_correspondence

__all__ = ["FILES", "LabourData"]

#: Pack-relative files by role. Their vintages and NUTS versions are in catalog.yaml.
FILES: dict[str, str] = {
    "unemployment_2025": "eurostat/lfst_r_lfu3rt__2025__ryb2026.tsv",
    "long_term_2025": "eurostat/lfst_r_lfu2ltu__2025__ryb2026.tsv",
    "unemployment_history": "eurostat/lfst_r_lfu3rt__1999-2013__eu10let.tsv.gz",
    "unemployed_persons": "eurostat/lfst_r_lfu3pers__1999-2015__euhackathon2017.tsv.gz",
    "employment_nace": "eurostat/lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz",
    "vacancies": "eurostat/jvs_a_nace2__2008-2015__euhackathon2017.tsv.gz",
    "unemployment_monthly": "eurostat/une_rt_m__2016-01_2024-12__tristimuli.tsv.gz",
    "unemployment_annual": "eurostat/une_rt_a__subset_T_PC_ACT__stat163.tsv",
    "esco_occupations": "esco/occupations.csv.gz",
    "nuts_labels": "nuts/regions_2024.csv",
    "pes_table": "synthetic/pes_jobseekers_vacancies__2015__synthetic.csv.gz",
    "regional_vacancies": "synthetic/jvs_regional_nace__2015__synthetic.csv.gz",
}


@dataclass
class LabourData:
    """Lazy, cached access to a real data pack's tables (read-only)."""

    directory: Path
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def path(self, role: str) -> Path:
        """Absolute path of a dataset by role (see :data:`FILES`)."""
        return Path(self.directory) / FILES[role]

    def has(self, role: str) -> bool:
        """Whether the pack has the file of ``role``."""
        return role in FILES and self.path(role).is_file()

    def frame(self, role: str) -> pd.DataFrame:
        """The tidy frame of an SDMX-TSV dataset (``time`` stripped; cached)."""
        if role not in self._frames:
            path = self.path(role)
            if not path.is_file():
                raise FileNotFoundError(f"the data pack {self.directory} has no {FILES[role]}")
            self._frames[role] = read_sdmx_tsv(path)
        return self._frames[role]

    @cached_property
    def catalog(self) -> DataCatalog:
        """The pack's catalog (sources, synthetic flags, attribution)."""
        return DataCatalog(Path(self.directory))

    def entry(self, role: str) -> dict[str, Any]:
        """Catalog entry of a dataset (title, source, synthetic, nuts_version...)."""
        return dict(self.catalog.dataset(FILES[role]))

    def attribution(self, roles: list[str]) -> list[str]:
        """The attribution texts the licences ask for, for the datasets used (unique)."""
        return self.catalog.attribution([FILES[r] for r in roles])

    @cached_property
    def nuts(self) -> NutsCorrespondence:
        """NUTS correspondence and region names of the pack."""
        return load_correspondence(str(Path(self.directory) / "nuts"))

    def pes_table(self) -> pd.DataFrame:
        """The PES jobseekers x vacancies table, validated (:func:`read_pes_table`; cached)."""
        key = "pes_table:validated"
        if key not in self._frames:
            from workbench.data.pes import read_pes_table

            path = self.path("pes_table")
            if not path.is_file():
                raise FileNotFoundError(
                    f"the data pack {self.directory} has no {FILES['pes_table']}"
                )
            self._frames[key] = read_pes_table(path)
        return self._frames[key]

    def csv(self, role: str) -> pd.DataFrame:
        """A CSV dataset of the pack as strings (cached)."""
        if role not in self._frames:
            path = self.path(role)
            if not path.is_file():
                raise FileNotFoundError(f"the data pack {self.directory} has no {FILES[role]}")
            self._frames[role] = pd.read_csv(path, dtype=str, keep_default_na=False)
        return self._frames[role]
