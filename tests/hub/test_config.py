"""The generated jupyterhub_config.py and the team file, loaded by JupyterHub's own
config loader (no Hub started: tests/hub/test_hub_live.py starts one)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from traitlets.config.loader import PyFileConfigLoader

from workbench.config import Settings
from workbench.exceptions import InputError, InvalidInput
from workbench.hub.config import (
    APP_SERVICE,
    CULLER_SCOPES,
    CULLER_SERVICE,
    HubOptions,
    load_team,
    parse_team,
    render_config,
    write_config,
)
from workbench.hub.rights import RIGHT_SCOPES

PG = "postgresql+psycopg://wb:secret@127.0.0.1:5432/workbench"
HUB_PG = "postgresql+psycopg://hub:secret@127.0.0.1:5432/jupyterhub"
TEAM = {"regions": {"ES": ["ana"], "DE21": ["bruno"]}, "facilitators": ["fatima"]}


def load(path: Path) -> Any:
    """The config as JupyterHub reads it (``get_config`` and all)."""
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


@pytest.fixture
def written(tmp_path: Path) -> tuple[Any, Path, Settings]:
    settings = Settings(home=tmp_path, db_url=PG, app_port=9866, pool_size=2)
    options = HubOptions(hub_db_url=HUB_PG, port=9000, proxy=["/opt/chp"])
    path = write_config(settings, parse_team(TEAM), options)
    return load(path), path, settings


def test_config_loads_in_jupyterhub_and_sets_the_deployment(written: Any) -> None:
    c, path, settings = written
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds database passwords
    assert path == settings.var_dir / "hub" / "jupyterhub_config.py"
    assert c.JupyterHub.db_url == HUB_PG
    assert c.JupyterHub.bind_url == "http://127.0.0.1:9000"
    assert c.ConfigurableHTTPProxy.command == ["/opt/chp"]
    assert c.JupyterHub.spawner_class == "simple"
    assert c.Spawner.notebook_dir == str(settings.home)
    assert "--ServerApp.jpserver_extensions=workbench.server=True" in c.Spawner.args
    env = c.Spawner.environment
    assert env["WORKBENCH_HUB"] == "1" and env["WORKBENCH_DB_URL"] == PG
    assert env["WORKBENCH_PUBLIC_URL"] == f"http://127.0.0.1:9000/services/{APP_SERVICE}/"
    assert c.Authenticator.allowed_users == {"ana", "bruno", "fatima"}


def test_groups_scopes_and_roles(written: Any) -> None:
    c = written[0]
    assert {g: v["users"] for g, v in c.JupyterHub.load_groups.items()} == {
        "region-es": ["ana"],
        "region-de21": ["bruno"],
        "facilitators": ["fatima"],
    }
    assert set(c.JupyterHub.custom_scopes) == set(RIGHT_SCOPES.values())
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["workbench-analyst"]["groups"] == ["region-es", "region-de21"]
    assert "custom:workbench:dashboard" not in roles["workbench-analyst"]["scopes"]
    assert roles["workbench-facilitator"]["groups"] == ["facilitators"]
    assert "custom:workbench:dashboard" in roles["workbench-facilitator"]["scopes"]
    for scopes in (c.Spawner.server_token_scopes, c.Spawner.oauth_client_allowed_scopes):
        assert "read:users:groups!user" in scopes
        assert set(RIGHT_SCOPES.values()) <= set(scopes)


def test_services_app_server_without_hub_auth_and_culler_that_spares_it(written: Any) -> None:
    c = written[0]
    services = {s["name"]: s for s in c.JupyterHub.services}
    apps = services[APP_SERVICE]
    assert apps["url"] == "http://127.0.0.1:9866"
    assert f"--Voila.base_url=/services/{APP_SERVICE}/" in apps["command"]
    assert "oauth_client_id" not in apps and "api_token" not in apps
    assert apps["environment"]["WORKBENCH_POOL_SIZE"] == "2"
    assert "WORKBENCH_HUB" not in apps["environment"]  # participants' kernels: no rights
    culler = services[CULLER_SERVICE]
    assert "jupyterhub_idle_culler" in culler["command"]
    assert "--timeout=3600" in culler["command"]
    assert not any("cull-users" in a for a in culler["command"])
    role = {r["name"]: r for r in c.JupyterHub.load_roles}[CULLER_SERVICE]
    assert role["services"] == [CULLER_SERVICE]
    assert set(role["scopes"]) == set(CULLER_SCOPES)
    assert not any("service" in s for s in role["scopes"])  # reaches user servers only


def test_hub_mode_refuses_sqlite(tmp_path: Path) -> None:
    team = parse_team(TEAM)
    sqlite = Settings(home=tmp_path)
    with pytest.raises(InputError, match="needs PostgreSQL for the workbench"):
        render_config(sqlite, team, HubOptions(hub_db_url=HUB_PG, proxy=["chp"]))
    pg = Settings(home=tmp_path, db_url=PG)
    with pytest.raises(InputError, match="Hub's own database"):
        render_config(pg, team, HubOptions(hub_db_url="sqlite:///hub.db", proxy=["chp"]))


def test_team_file_problems_are_listed_with_their_keys(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "regions:\n  XX: [ana]\n  ES: [Not A User]\nfacilitators: fatima\ncolour: blue\n"
    )
    with pytest.raises(InvalidInput) as exc:
        load_team(path)
    keys = {p.key for p in exc.value.problems}
    assert {"regions.XX", "regions.ES", "facilitators", "colour"} <= keys
    assert all(p.source == str(path) for p in exc.value.problems)
    path.write_text("regions:\n  ES61: [ana]\nadmins: [olga]\n")
    team = load_team(path)
    assert team.groups == {"region-es61": ["ana"], "facilitators": []}
    assert team.users == ["ana", "olga"]
