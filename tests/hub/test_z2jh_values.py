"""Lint of the shipped Zero to JupyterHub values (deploy/z2jh/values.yaml).

The chart's JSON schema is not available offline (it ships in the Helm chart, not on
PyPI), so this checks the structure the chart reads, the JupyterHub traits that
``hub.config`` sets (against JupyterHub's own classes), and that the groups, scopes,
roles, app service and culler agree with the one-machine config (workbench.hub).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jupyterhub.app import JupyterHub
from jupyterhub.spawner import Spawner

from workbench.hub.config import ANALYST_RIGHTS, APP_SERVICE, FACILITATOR_RIGHTS
from workbench.hub.rights import FACILITATORS, HUB_MARKER, RIGHT_SCOPES, region_of_group

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "z2jh"
#: top-level keys of the jupyterhub Helm chart (4.x)
CHART_KEYS = {
    "fullnameOverride",
    "nameOverride",
    "enabled",
    "imagePullSecrets",
    "imagePullSecret",
    "custom",
    "hub",
    "rbac",
    "proxy",
    "singleuser",
    "scheduling",
    "prePuller",
    "ingress",
    "httpRoute",
    "cull",
    "debug",
    "global",
}


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "values.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_structure_and_traits(values: dict[str, Any]) -> None:
    assert set(values) <= CHART_KEYS, set(values) - CHART_KEYS
    hub_traits = JupyterHub.class_traits(config=True)
    spawner_traits = Spawner.class_traits(config=True)
    config = values["hub"]["config"]
    for name in config["JupyterHub"]:
        assert name in hub_traits, f"hub.config.JupyterHub.{name} is not a JupyterHub trait"
    for name in config["KubeSpawner"]:
        assert name in spawner_traits, f"hub.config.KubeSpawner.{name} is not a Spawner trait"
    assert values["singleuser"]["defaultUrl"] == "/lab"
    assert values["singleuser"]["extraEnv"][HUB_MARKER] == "1"


def test_hub_database_is_postgres(values: dict[str, Any]) -> None:
    db = values["hub"]["db"]
    assert db["type"] == "postgres"
    assert db["url"].startswith("postgresql")
    assert "password" not in db  # set from a Secret, never in the file


def test_groups_scopes_and_roles_match_workbench_hub(values: dict[str, Any]) -> None:
    config = values["hub"]["config"]
    assert set(config["JupyterHub"]["custom_scopes"]) == set(RIGHT_SCOPES.values())
    groups = set(config["JupyterHub"]["load_groups"])
    regions = {g for g in groups if region_of_group(g)}
    assert groups == regions | {FACILITATORS} and regions
    roles = values["hub"]["loadRoles"]
    analyst, facilitator = roles["workbench-analyst"], roles["workbench-facilitator"]
    assert analyst["scopes"] == [RIGHT_SCOPES[r] for r in ANALYST_RIGHTS]
    assert set(analyst["groups"]) == regions
    assert facilitator["scopes"] == [RIGHT_SCOPES[r] for r in FACILITATOR_RIGHTS]
    assert facilitator["groups"] == [FACILITATORS]
    for key in ("server_token_scopes", "oauth_client_allowed_scopes"):
        scopes = set(config["KubeSpawner"][key])
        assert {"read:users:groups!user", *RIGHT_SCOPES.values()} <= scopes


def test_app_service_and_culler(values: dict[str, Any]) -> None:
    service = values["hub"]["services"][APP_SERVICE]
    assert service["url"].startswith("http://")
    assert "oauth_client_id" not in service  # participants need no Hub account
    cull = values["cull"]
    assert cull["enabled"] is True and cull["users"] is False
    assert cull["timeout"] > 0 and cull["every"] > 0
    # the culler's role is the chart's own; nothing grants it more
    assert not any("cull" in name for name in values["hub"]["loadRoles"])
    apps = list(yaml.safe_load_all((DEPLOY / "workbench-apps.yaml").read_text(encoding="utf-8")))
    deployment = next(d for d in apps if d["kind"] == "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert f"--Voila.base_url=/services/{APP_SERVICE}/" in container["command"]
    port = int(service["url"].rsplit(":", 1)[1])
    assert container["ports"][0]["containerPort"] == port
