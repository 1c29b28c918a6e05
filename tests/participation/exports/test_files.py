"""Writing and reading exports: exact round trips in every format, pseudonymous ids only,
default paths, no overwriting, refusing what is not an export. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import _exports as ex
import _hostile as hostile
import pytest

from workbench.exceptions import InvalidInput
from workbench.participation.exports import FORMATS, read_export, workshop_tables, write_export


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_exactly(room, tmp_path: Path, fmt: str) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    texts = set(tables["comments"]["text"]) | set(tables["statements"]["text"])
    assert set(hostile.RAW_STARTS) <= texts
    path = write_export(tables, fmt, home=tmp_path)
    ex.assert_same(read_export(path), tables)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_workshop_round_trips(env, tmp_path: Path, fmt: str) -> None:
    tables = workshop_tables(env.db, env.wid)
    assert len(tables["workshop"]) == 1 and len(tables["ratings"]) == 0
    ex.assert_same(read_export(write_export(tables, fmt, home=tmp_path)), tables)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_names_or_token_hashes_in_any_export(room, tmp_path: Path, fmt: str) -> None:
    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), fmt, home=tmp_path)
    written = ex.files_text(path)
    assert all(pid in written for pid in h.public_ids[:3])
    for secret in [*h.names, *h.token_hashes, *h.tokens]:
        assert secret not in written
    for name in h.names:  # nor any distinctive part of a name
        assert name.split()[1] not in written


# -- paths ---------------------------------------------------------------------------


def test_default_paths_and_no_overwrite(env, tmp_path: Path) -> None:
    tables = workshop_tables(env.db, env.wid)
    first = write_export(tables, "json", home=tmp_path)
    second = write_export(tables, "json", home=tmp_path)
    assert first != second and first.parent == second.parent == tmp_path / "exports"
    assert first.name.startswith(f"workshop-{env.wid}-") and first.suffix == ".json"
    xlsx = write_export(tables, "xlsx", home=tmp_path)
    assert xlsx.suffix == ".xlsx" and xlsx.is_file()

    before = first.read_bytes()
    with pytest.raises(InvalidInput, match="already exists; refusing to overwrite"):
        write_export(tables, "json", first)
    assert first.read_bytes() == before
    folder = write_export(tables, "csv", tmp_path / "out")
    with pytest.raises(InvalidInput, match="already exists"):
        write_export(tables, "csv", folder)
    with pytest.raises(InvalidInput, match=r"must end in \.xlsx"):
        write_export(tables, "xlsx", tmp_path / "book.xls")
    with pytest.raises(InvalidInput, match="is a folder"):
        write_export(tables, "csv", tmp_path / "tables.csv")
    with pytest.raises(InvalidInput, match="'parquet' is not one of csv, xlsx, json"):
        write_export(tables, "parquet", tmp_path / "x.parquet")
    assert not list(tmp_path.glob(".*")), "no temporary files left behind"
    assert not list((tmp_path / "exports").glob(".*"))


def test_read_export_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such export"):
        read_export(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(InvalidInput, match="is not 'almp-workbench-export'"):
        read_export(tmp_path / "other.json")
    with pytest.raises(InvalidInput, match=r"no datapackage\.json"):
        read_export(tmp_path)
