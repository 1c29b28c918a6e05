from pathlib import Path

import pytest

from workbench.config import PACKAGED_DATA_DIR, Settings, find_workspace


def test_environment_supplies_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DB_URL", "postgresql+psycopg://u:p@127.0.0.1/x")
    settings = Settings()
    assert settings.home == tmp_path.resolve()
    assert settings.database_url == "postgresql+psycopg://u:p@127.0.0.1/x"


def test_sqlite_default_and_data_fallback(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'var' / 'workbench.sqlite'}"
    assert settings.data_dir == PACKAGED_DATA_DIR
    (tmp_path / "data").mkdir()
    assert Settings(home=tmp_path).data_dir == (tmp_path / "data").resolve()


def test_workspace_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "case_studies" / "x").mkdir(parents=True)
    (tmp_path / "templates").mkdir()
    assert find_workspace(tmp_path / "case_studies" / "x") == tmp_path.resolve()


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="extra"):
        Settings(home=tmp_path, not_a_setting=1)  # type: ignore[call-arg]
