"""``workbench hub``: the written config (the Hub itself runs in tests/hub/test_hub_live.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader

TEAM = {"regions": {"ES": ["ana"], "DE21": ["bruno"]}, "facilitators": ["fatima"]}
HUB_DB = "postgresql+psycopg://hub:secret@127.0.0.1:5432/jupyterhub"


def _team(tmp_path: Path, team: object = TEAM) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(team), encoding="utf-8")
    return path


@pytest.mark.databases("postgresql")
def test_write_config_writes_a_config_jupyterhub_loads(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "jupyterhub_config.py"
    result = cli("hub", "--team", str(_team(tmp_path)), "--hub-db-url", HUB_DB,
                 "--port", "9123", "--write-config", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    c = PyFileConfigLoader(out.name, str(out.parent)).load_config()
    assert c.JupyterHub.db_url == HUB_DB
    assert c.JupyterHub.bind_url == "http://127.0.0.1:9123"
    assert c.Authenticator.allowed_users == {"ana", "bruno", "fatima"}


@pytest.mark.databases("sqlite")
def test_hub_mode_refuses_sqlite_and_a_bad_team_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "jupyterhub_config.py"
    result = cli("hub", "--team", str(_team(tmp_path)), "--hub-db-url", HUB_DB,
                 "--write-config", str(out))  # fmt: skip
    assert result.exit_code != 0
    assert "WORKBENCH_DB_URL" in result.output and "PostgreSQL" in result.output
    assert not out.exists()
    bad = cli("hub", "--team", str(_team(tmp_path, {"regions": "ES"})), "--hub-db-url",
              HUB_DB, "--write-config", str(out))  # fmt: skip
    assert bad.exit_code != 0 and "regions" in bad.output
    assert not out.exists()
