from pathlib import Path

import pytest

from workbench.exceptions import InvalidInput
from workbench.yamlio import load_yaml


def test_lines_of_nested_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("title: x\ntemplates:\n  diag:\n    start_year: 2015\nlist: [a, b]\n")
    doc = load_yaml(path, "a.yaml")
    assert doc.data["templates"]["diag"]["start_year"] == 2015
    assert doc.line_of(("templates", "diag", "start_year")) == 4
    assert doc.line_of(("templates", "diag", "missing_key")) == 3
    assert str(doc.problem(("title",), "bad")) == "a.yaml:1: title: bad"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("title: ok\nregion: [ES51\nsector: C\n")
    with pytest.raises(InvalidInput) as info:
        load_yaml(path, "case_studies/b/case.yaml")
    (problem,) = info.value.problems
    assert problem.source == "case_studies/b/case.yaml"
    assert problem.line is not None and problem.line >= 2
    assert "YAML syntax error" in problem.message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("region: ES51\nregion: ES61\n")
    with pytest.raises(InvalidInput, match=r"c.yaml:2: region: duplicate key"):
        load_yaml(path, "c.yaml")


def test_python_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(InvalidInput, match="YAML"):
        load_yaml(path, "d.yaml")


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("x: " + "a" * 2000 + "\n")
    with pytest.raises(InvalidInput, match="limit is 1000"):
        load_yaml(path, "e.yaml", max_bytes=1000)
