"""Rights from a Hub identity: scopes, region groups, admins, refusals, the environment."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from workbench.exceptions import AccessDenied
from workbench.hub.rights import (
    RIGHT_SCOPES,
    HubIdentity,
    identity_from_env,
    region_group,
    region_of_group,
)

ANALYST = HubIdentity(
    name="ana",
    groups=frozenset({"region-es"}),
    scopes=frozenset(RIGHT_SCOPES[r] for r in ("run", "publish", "facilitate")),
)


def test_region_groups_cover_nuts_prefixes() -> None:
    assert region_of_group("region-es") == "ES"
    assert region_of_group("region-es61") == "ES61"
    assert region_of_group("facilitators") is None
    assert region_of_group("region-") is None
    assert region_of_group("region-1x") is None
    assert region_group("DE21") == "region-de21"
    assert ANALYST.covers("ES61") and ANALYST.covers("es300")
    assert not ANALYST.covers("DE21")
    narrow = HubIdentity("b", groups=frozenset({"region-de21"}))
    assert narrow.covers("DE212") and not narrow.covers("DE11")


@pytest.mark.parametrize(
    ("right", "region", "allowed"),
    [
        ("run", "ES61", True),
        ("publish", "ES61", True),
        ("facilitate", "ES61", True),
        ("dashboard", "ES61", False),  # no scope
        ("publish", "DE21", False),  # other region
        ("facilitate", "DE21", False),
    ],
)
def test_may_needs_the_scope_and_the_region(right: str, region: str, allowed: bool) -> None:
    assert ANALYST.may(right, region) is allowed


def test_refusals_name_user_right_case_and_reason() -> None:
    with pytest.raises(AccessDenied) as exc:
        ANALYST.require("publish", "de21-ict", "DE21")
    text = str(exc.value)
    assert "'ana'" in text and "'publish'" in text and "'de21-ict'" in text
    assert "region-es" in text and "region-de" in text
    with pytest.raises(AccessDenied, match="lack the Hub scope custom:workbench:dashboard"):
        ANALYST.require("dashboard", "es61", "ES61")
    ANALYST.require("run", "es61", "ES61")  # allowed: no error
    assert AccessDenied.http_status == 403 and AccessDenied.exit_code != 0


def test_admins_hold_every_right_and_unknown_rights_are_errors() -> None:
    admin = HubIdentity.from_model({"name": "olga", "admin": True, "groups": [], "scopes": []})
    assert all(admin.may(r, "PL22") for r in RIGHT_SCOPES)
    with pytest.raises(ValueError, match="unknown right"):
        ANALYST.may("delete", "ES61")


@pytest.fixture
def fake_hub() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A stand-in for the Hub's /hub/api/user, recording each request's headers."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
            body = json.dumps(
                {"name": "ana", "groups": ["region-es"], "scopes": [RIGHT_SCOPES["run"]]}
            ).encode()
            self.send_response(200 if self.headers.get("Authorization") == "token t0k" else 403)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hub/api", seen
    server.shutdown()


def test_identity_from_env_asks_the_hub(fake_hub: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = fake_hub
    env = {
        "WORKBENCH_HUB": "1",
        "JUPYTERHUB_USER": "ana",
        "JUPYTERHUB_API_URL": url,
        "JUPYTERHUB_API_TOKEN": "t0k",
    }
    who = identity_from_env(env)
    assert who is not None and who.name == "ana" and who.may("run", "ES61")
    assert seen == [{"path": "/hub/api/user", "auth": "token t0k"}]
    assert identity_from_env({k: v for k, v in env.items() if k != "WORKBENCH_HUB"}) is None
    with pytest.raises(AccessDenied, match="did not answer"):
        identity_from_env({**env, "JUPYTERHUB_API_TOKEN": "wrong"})
    with pytest.raises(AccessDenied, match="JUPYTERHUB_API_URL"):
        identity_from_env({**env, "JUPYTERHUB_API_URL": ""})
