from pathlib import Path

import pytest

from workbench.exceptions import InputError
from workbench.workspace import init_workspace


def test_init_copies_skeleton_and_data(tmp_path: Path) -> None:
    home = tmp_path / "new"
    init_workspace(home)
    assert (home / "templates" / "regional_diagnosis.ipynb").is_file()
    assert (home / "case_studies" / "es61-manufacturing-youth" / "case.yaml").is_file()
    assert (home / "shared_models" / "almp_evidence" / "model.yaml").is_file()
    assert not (home / "data").exists()  # packaged packs are used by name, not copied
    assert (home / "runs").is_dir() and (home / "var").is_dir()
    assert "runs/" in (home / ".gitignore").read_text()
    assert (home / "pathways").is_dir() and "pathways/" in (home / ".gitignore").read_text()


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    with pytest.raises(InputError, match="refusing to overwrite"):
        init_workspace(tmp_path)
    assert list((tmp_path / "templates").iterdir()) == []


def test_init_can_copy_only_some_examples(tmp_path: Path) -> None:
    home = tmp_path / "few"
    init_workspace(home, cases=["es61-manufacturing-youth"])
    assert [p.name for p in (home / "case_studies").iterdir()] == ["es61-manufacturing-youth"]
    with pytest.raises(InputError, match="no example case studies \\['nope'\\]"):
        init_workspace(tmp_path / "other", cases=["nope"])
    assert not (tmp_path / "other").exists()
