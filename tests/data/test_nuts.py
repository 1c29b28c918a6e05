"""NUTS correspondence: codes across versions, and clear errors for unknown regions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workbench.config import REAL_DATA_DIR
from workbench.data.eurostat import geo_codes
from workbench.data.nuts import NoComparableRegion, UnknownRegion, load_correspondence

NUTS = REAL_DATA_DIR / "nuts"
EUROSTAT = REAL_DATA_DIR / "eurostat"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "eurostat"


@pytest.fixture(scope="module")
def corr():  # type: ignore[no-untyped-def]
    return load_correspondence(str(NUTS))


def test_region_names_come_from_eurostats_workbook(corr) -> None:  # type: ignore[no-untyped-def]
    assert corr.labels["PL91"] == "Warszawski stołeczny"
    assert corr.labels["ES61"] == "Andalucía"
    # Every NUTS 2 code of the 2025 file has a name.
    new = {g for g in geo_codes(EUROSTAT / "lfst_r_lfu3rt__2025__ryb2026.tsv") if len(g) == 4}
    assert new <= set(corr.labels)


def test_matches_same_recoded_and_parent(corr) -> None:  # type: ignore[no-untyped-def]
    old = geo_codes(EUROSTAT / "lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz")
    same = corr.match("ES61", old)
    assert (same.code, same.relation, same.exact, same.describe()) == ("ES61", "same", True, "")
    recoded = corr.match("FRL0", old)  # Provence-Alpes-Côte d'Azur was FR82 in NUTS 2013
    assert (recoded.code, recoded.relation, recoded.exact) == ("FR82", "recoded", True)
    parent = corr.match("PL91", old)
    assert (parent.code, parent.relation, parent.exact) == ("PL12", "parent", False)
    assert "PL12" in parent.describe() and "PL91" in parent.describe()
    # The 2010 file only has FR9x for the overseas departments: FRY1 <- FR91.
    old10 = geo_codes(EUROSTAT / "lfst_r_lfu3rt__1999-2013__eu10let.tsv.gz")
    assert corr.match("FRY1", old10).code == "FR91"


def test_redrawn_and_unknown_regions_fail_clearly(corr) -> None:  # type: ignore[no-untyped-def]
    old = geo_codes(EUROSTAT / "lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz")
    with pytest.raises(NoComparableRegion, match=r"PT1A: Portuguese .* no one-to-one history"):
        corr.match("PT1A", old)
    with pytest.raises(UnknownRegion, match="ZZ"):
        corr.match("ZZ99", old)
    with pytest.raises(UnknownRegion, match="not a NUTS 2024 region"):
        corr.match("ES6Z", old)
    with pytest.raises(NoComparableRegion, match="no data"):
        corr.match("ES61", {"DE21"})


def test_every_changed_code_of_the_pack_is_covered(corr) -> None:  # type: ignore[no-untyped-def]
    """Each EU NUTS-2 code of the NUTS 2024 file that older files lack has a link, and each
    older code that NUTS 2024 lacks is linked to a 2024 code: no silent gap."""
    eu = {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }  # fmt: skip

    def nuts2(path: Path) -> set[str]:
        return {g for g in geo_codes(path) if len(g) == 4 and g[:2] in eu}

    new = nuts2(EUROSTAT / "lfst_r_lfu3rt__2025__ryb2026.tsv")
    old = nuts2(EUROSTAT / "lfst_r_lfe2en2__2008-2015__euhackathon2017.tsv.gz") | nuts2(
        EUROSTAT / "lfst_r_lfu3rt__1999-2013__eu10let.tsv.gz"
    )
    with (NUTS / "correspondence.csv").open(encoding="utf-8") as fh:
        links = list(csv.DictReader(fh))
    linked_new = {row["new_code"] for row in links}
    linked_old = {row["old_code"] for row in links}
    assert new - old <= linked_new
    assert old - new <= linked_old


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not here")
def test_pack_files_are_byte_copies_of_the_gathered_data() -> None:
    for path in EUROSTAT.iterdir():
        assert path.read_bytes() == (SHARED / path.name).read_bytes(), path.name
