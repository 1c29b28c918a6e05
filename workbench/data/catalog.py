"""The data pack of a workspace: which files exist, what they cover, their content hashes.

A data pack is a folder with a ``catalog.yaml`` describing its datasets (title, source,
``synthetic``, ``geo_level``) and the files themselves, e.g. Eurostat SDMX-TSV files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.data.eurostat import geo_codes
from workbench.exceptions import InputError


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class DataCatalog:
    """Read-only view of a data pack folder."""

    directory: Path
    _meta: dict[str, Any] | None = None
    _hashes: dict[tuple[str, int, int], str] = field(default_factory=dict)
    _geos: dict[tuple[str, int, int], frozenset[str]] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        """The parsed catalog.yaml (empty if the pack has none)."""
        if self._meta is None:
            path = self.directory / "catalog.yaml"
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
            self._meta = loaded if isinstance(loaded, dict) else {}
        return self._meta

    def dataset(self, rel: str) -> dict[str, Any]:
        """Catalog entry of one file (empty if undocumented)."""
        datasets = self.meta.get("datasets") or {}
        entry = datasets.get(rel) if isinstance(datasets, dict) else None
        return entry if isinstance(entry, dict) else {}

    def path(self, rel: str) -> Path:
        """Absolute path of ``rel``; refuses paths that escape the pack."""
        candidate = (self.directory / rel).resolve()
        if not candidate.is_relative_to(self.directory.resolve()):
            raise ValueError(f"data path {rel!r} escapes the data folder")
        return candidate

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` is a file of the pack."""
        try:
            return self.path(rel).is_file()
        except ValueError:
            return False

    def _key(self, rel: str) -> tuple[str, int, int]:
        stat = self.path(rel).stat()
        return (rel, stat.st_mtime_ns, stat.st_size)

    def file_hash(self, rel: str) -> str:
        """SHA-256 of a file, cached while its size and mtime are unchanged."""
        key = self._key(rel)
        if key not in self._hashes:
            self._hashes[key] = sha256_file(self.path(rel))
        return self._hashes[key]

    def is_regional(self, rel: str) -> bool:
        """Whether the file holds series by region (then a run's region must be in it)."""
        level = self.dataset(rel).get("geo_level")
        return level == "regional" or (level is None and rel.endswith(".tsv"))

    def regions(self, rel: str) -> frozenset[str]:
        """Geo codes present in an SDMX-TSV file."""
        key = self._key(rel)
        if key not in self._geos:
            self._geos[key] = frozenset(geo_codes(self.path(rel)))
        return self._geos[key]

    def coverage_problem(self, rel: str, region: str, covered: frozenset[str]) -> str | None:
        """Why a regional file has no data for ``region`` (None when it has).

        In a file of an older NUTS version, the older code of the same area, or of the unit
        that contained the region, counts (through the pack's ``nuts/`` correspondence).
        """
        if region in covered:
            return None
        where = f"{rel} (data folder {self.directory})"
        version = self.dataset(rel).get("nuts_version")
        nuts = self.directory / "nuts"
        if version is not None and int(version) < 2024 and (nuts / "correspondence.csv").is_file():
            from workbench.data.nuts import load_correspondence

            try:
                load_correspondence(str(nuts)).match(region, covered)
            except InputError as exc:
                return f"no data for region {region!r} in {where}: {exc}"
            return None
        same_country = sorted(c for c in covered if len(c) == 4 and c[:2] == region[:2])
        hint = (
            f"regions of {region[:2]} with data: {same_country}"
            if same_country
            else f"the file has no NUTS-2 region of {region[:2]}"
        )
        return f"no data for region {region!r} in {where}; {hint}"

    def data_note(self, rels: list[str] | tuple[str, ...]) -> str:
        """One line for reports: synthetic pack, real data with synthetic tables, or real."""
        if self.meta.get("synthetic"):
            return "SYNTHETIC demo data"
        fake = [
            str(self.dataset(r).get("title", r)) for r in rels if self.dataset(r).get("synthetic")
        ]
        if fake:
            return "Real data, with SYNTHETIC tables: " + "; ".join(fake)
        return "Real data"

    def attribution(self, rels: list[str] | tuple[str, ...]) -> list[str]:
        """The attribution texts the licences of the given files ask for (unique)."""
        texts = self.meta.get("attribution") or {}
        keys = dict.fromkeys(self.dataset(r).get("attribution") for r in rels)
        return [
            " ".join(str(texts[k]).split()) for k in keys if isinstance(texts, dict) and k in texts
        ]

    def is_demo(self, rels: list[str] | tuple[str, ...]) -> bool:
        """True if the pack is synthetic, or every given file is (nothing real behind it)."""
        return bool(self.meta.get("synthetic")) or (
            bool(rels) and all(bool(self.dataset(rel).get("synthetic")) for rel in rels)
        )
