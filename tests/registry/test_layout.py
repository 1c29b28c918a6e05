"""The registry's files: names it accepts, atomic pointer writes, files for templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.exceptions import InvalidInput
from workbench.registry import approved_file
from workbench.registry.layout import check_name, file_problems, restore_pointer, write_pointer


def test_names_and_files_are_checked() -> None:
    assert check_name("almp_effectiveness") == "almp_effectiveness"
    for bad in ("", "../x", "A", "a/b", "x" * 65):
        with pytest.raises(InvalidInput):
            check_name(bad)
    problems = file_problems({"ok.json": b"", ".hidden": b"", "a/b": b"", "cells.json": b""}, "t")
    assert [p.message.split(" ")[0] for p in problems] == ["'.hidden'", "'a/b'", "'cells.json'"]
    assert file_problems({}, "t")[0].message == "a version needs at least one file"


def test_the_pointer_is_replaced_atomically_and_can_be_put_back(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text("name: m\nversion: '1'\n")
    previous = write_pointer(tmp_path, {"name": "m", "version": "2", "status": "approved"})
    assert previous == b"name: m\nversion: '1'\n"
    assert "version: '2'" in (tmp_path / "model.yaml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml"]  # no temp file left
    restore_pointer(tmp_path, previous)
    assert (tmp_path / "model.yaml").read_bytes() == previous
    restore_pointer(tmp_path, None)
    assert not (tmp_path / "model.yaml").exists()


def test_templates_find_an_approved_file_in_either_layout(tmp_path: Path) -> None:
    model = tmp_path / "m"
    (model / "versions" / "2").mkdir(parents=True)
    (model / "flat.csv").write_text("x")
    (model / "versions" / "2" / "model.json").write_text("{}")
    write_pointer(model, {"name": "m", "version": "2", "status": "approved",
                          "files": ["flat.csv", "versions/2/model.json"]})  # fmt: skip
    assert approved_file(tmp_path, "m", "model.json") == model / "versions/2/model.json"
    assert approved_file(tmp_path, "m", "flat.csv") == model / "flat.csv"
    with pytest.raises(InvalidInput, match=r"no file 'other\.csv'"):
        approved_file(tmp_path, "m", "other.csv")
    write_pointer(model, {"name": "m", "version": "3", "status": "candidate", "files": []})
    with pytest.raises(InvalidInput, match="not approved"):
        approved_file(tmp_path, "m", "model.json")
