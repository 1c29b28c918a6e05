"""A real JupyterHub on 127.0.0.1 (configurable-http-proxy, PostgreSQL, the generated
config): two analysts in different region groups, a facilitator, the app service.

Logins use JupyterHub's ``shared-password`` authenticator (test-only) and API tokens the
test makes for each user through the Hub API.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _serve import free_port

from workbench.config import Settings
from workbench.exceptions import AccessDenied, InputError
from workbench.hub.config import APP_SERVICE, HubOptions, parse_team, proxy_command, write_config
from workbench.hub.rights import HubIdentity
from workbench.service import Workbench

pytestmark = [pytest.mark.databases("postgresql"), pytest.mark.timeout(300)]

ES_CASE = "es61-manufacturing-youth"
DE_CASE = "de21-ict-older-workers"
PASSWORD = "workbench-test-only-password"
ADMIN_TOKEN = "wb-test-admin-" + os.urandom(8).hex()


def _proxy_or_skip() -> None:
    """Skip on a developer machine without configurable-http-proxy; fail in CI."""
    try:
        proxy_command()
    except InputError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str, *, token: str | None = None, method: str = "GET", body: Any = None
) -> Response:
    """One HTTP request that follows no redirect (a 30x is returned as it is)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    headers = {"Authorization": f"token {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as resp:
            return Response(resp.status, resp.read(), _lower(resp.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(), _lower(exc.headers))


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@dataclass
class Hub:
    url: str  # public base URL, ending in /
    api: str  # the Hub's REST API through the proxy
    home: Path
    settings: Settings
    tokens: dict[str, str]
    workshop_id: int
    log: Path

    def user_url(self, user: str, path: str) -> str:
        return f"{self.url}user/{user}/{path}"

    def hub_api(self, path: str, **kw: Any) -> Response:
        return request(f"{self.api}{path}", token=ADMIN_TOKEN, **kw)


def _hub_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for the Hub itself, dropped afterwards."""
    import uuid

    import psycopg

    admin = os.environ["WORKBENCH_TEST_DB_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"wb_hub_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield os.environ["WORKBENCH_TEST_DB_URL"].rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait(what: str, check: Any, timeout: float, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, urllib.error.URLError):
            if result := check():
                return result
        time.sleep(0.3)
    raise AssertionError(
        f"{what} not ready in {timeout:.0f} s; hub log:\n" + log.read_text()[-6000:]
    )


@pytest.fixture(scope="module")
def hub(demo_runs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The demo workspace (ES61 published, a workshop open) behind a real JupyterHub."""
    _proxy_or_skip()
    stack = contextlib.ExitStack()
    home = tmp_path_factory.mktemp("hub") / "ws"
    db_url = demo_runs.copy(home, stack)
    assert db_url is not None and db_url.startswith("postgresql")
    hub_db = _hub_database()
    stack.callback(hub_db.close)
    port, hub_port, proxy_port, app_port = (free_port() for _ in range(4))
    options = HubOptions(
        hub_db_url=next(hub_db),
        port=port,
        hub_port=hub_port,
        proxy_api_port=proxy_port,
        app_port=app_port,
        authenticator="shared-password",
        shared_password=PASSWORD,
    )
    settings = Settings(
        home=home,
        db_url=db_url,
        app_port=app_port,
        public_url=options.base_url + f"services/{APP_SERVICE}/",
    )
    team = parse_team(
        {"regions": {"ES": ["ana", "fatima"], "DE": ["bruno"]}, "facilitators": ["fatima"]}
    )
    config = write_config(settings, team, options)
    # test-only: an admin service token to make users' tokens and start their servers
    with config.open("a") as fh:
        fh.write(
            "c.JupyterHub.services.append({'name': 'wb-test', 'api_token': "
            f"{ADMIN_TOKEN!r}}})\n"
            "c.JupyterHub.load_roles.append({'name': 'wb-test', 'services': ['wb-test'], "
            "'scopes': ['admin:users', 'admin:servers', 'tokens', 'list:services', "
            "'read:services']})\n"
        )
    wb = Workbench(settings)
    wb.publish(ES_CASE)
    info = wb.create_workshop(ES_CASE, title="Hub workshop", expected=2)
    wb.workshops.open(info.id)
    wb.close()
    (home / "dashboards").mkdir(exist_ok=True)
    from workbench.facilitation.notebook import write_dashboard_notebook

    write_dashboard_notebook(settings)
    log = home / "hub.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "JUPYTERHUB_"))}
    env["WORKBENCH_POOL_SIZE"] = "1"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=config.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = options.base_url
    api = f"{url}hub/api/"
    try:
        _wait("the Hub", lambda: request(f"{url}hub/health").status == 200, 60, log)
        tokens = {}
        for user in ("ana", "bruno", "fatima"):
            made = request(
                f"{api}users/{user}/tokens",
                token=ADMIN_TOKEN,
                method="POST",
                body={"note": "test", "expires_in": 3600},
            )
            assert made.status == 201, made.body
            tokens[user] = made.json()["token"]
        for user in ("ana", "fatima"):
            started = request(f"{api}users/{user}/server", token=ADMIN_TOKEN, method="POST")
            assert started.status in (201, 202), started.body
        for user in ("ana", "fatima"):
            _wait(
                f"{user}'s server",
                lambda u=user: (
                    request(f"{api}users/{u}", token=ADMIN_TOKEN)
                    .json()["servers"]
                    .get("", {})
                    .get("ready")
                ),
                120,
                log,
            )
        _wait(
            "the app service",
            lambda: request(f"{url}services/{APP_SERVICE}/workbench/health").status == 200,
            120,
            log,
        )
        yield Hub(url, api, home, settings, tokens, info.id, log)
    finally:
        leftover = _stop_hub(proc)
        stack.close()
    assert not leftover, f"the Hub left processes running: {leftover}"


def _stop_hub(proc: subprocess.Popen[bytes]) -> list[str]:
    """Stop the Hub as an operator would (SIGTERM to the Hub alone, so it stops the
    analysts' servers, the app service and the proxy itself) and return what it left.

    The spawner starts each server in its own session, out of reach of a process-group
    signal, so every descendant is listed first and killed if it outlives the Hub.
    """
    import psutil

    family = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    try:
        # JupyterHub stops each service and server with SIGINT, SIGTERM, then SIGKILL,
        # waiting up to 10 + 5 + 5 s for each (LocalProcessSpawner's timeouts): under a
        # loaded CI machine the whole orderly shutdown can take most of a minute.
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    _gone, alive = psutil.wait_procs(family, timeout=15)
    left = []
    for straggler in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            if straggler.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{straggler.pid} {' '.join(straggler.cmdline()[:3])}")
            straggler.kill()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return left


def test_analyst_cannot_publish_or_facilitate_another_region(hub: Hub) -> None:
    ana = hub.tokens["ana"]
    refused = request(
        hub.user_url("ana", "workbench/api/apps"), token=ana, method="POST", body={"case": DE_CASE}
    )
    assert refused.status == 403, refused.body
    message = refused.json()["error"]
    assert "'ana'" in message and "publish" in message and DE_CASE in message
    assert "region-de" in message
    workshop = request(
        hub.user_url("ana", "workbench/api/workshops"),
        token=ana,
        method="POST",
        body={"case": DE_CASE},
    )
    assert workshop.status == 403 and "facilitate" in workshop.json()["error"]
    # the same user may publish and facilitate her own region's case study
    own = request(
        hub.user_url("ana", "workbench/api/apps"), token=ana, method="POST", body={"case": ES_CASE}
    )
    assert own.status == 201, own.body
    opened = request(
        hub.user_url("ana", "workbench/api/workshops"),
        token=ana,
        method="POST",
        body={"case": ES_CASE, "title": "Ana's workshop"},
    )
    assert opened.status == 201, opened.body


def test_service_and_cli_refuse_with_the_hub_identity(hub: Hub) -> None:
    model = request(f"{hub.api}user", token=hub.tokens["ana"]).json()
    assert "region-es" in model["groups"]
    wb = Workbench(hub.settings, identity=HubIdentity.from_model(model))
    try:
        with pytest.raises(
            AccessDenied, match=r"'ana' may not publish the stakeholder app of case study 'de21"
        ):
            wb.publish(DE_CASE)
        with pytest.raises(AccessDenied, match="facilitate"):
            wb.create_workshop(DE_CASE)
    finally:
        wb.close()
    # the CLI inside ana's server: its identity comes from the server's environment
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")},
        "WORKBENCH_HOME": str(hub.home),
        "WORKBENCH_DB_URL": hub.settings.database_url,
        "WORKBENCH_HUB": "1",
        "JUPYTERHUB_USER": "ana",
        "JUPYTERHUB_API_URL": f"{hub.api}".rstrip("/"),
        "JUPYTERHUB_API_TOKEN": hub.tokens["ana"],
    }
    cli = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "publish", DE_CASE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode != 0
    assert "'ana' may not publish" in cli.stdout + cli.stderr


def test_participant_joins_through_the_hub_proxy_without_an_account(hub: Hub, browser: Any) -> None:
    wb = Workbench(hub.settings)
    try:
        link = wb.workshops.links(hub.workshop_id, 1)[0].url
    finally:
        wb.close()
    apps = f"{hub.url}services/{APP_SERVICE}/"
    assert link.startswith(f"{apps}voila/render/")
    page = request(link)  # no Hub cookie, no token header: not sent to the Hub's login
    assert page.status == 200, page.body[:500]
    html = page.body.decode()
    assert f"<title>{ES_CASE}</title>" in html
    assert f"/services/{APP_SERVICE}/voila/static/voila.js" in html
    assert request(apps).status == 200  # the gallery
    assert request(link.replace("token=", "token=x")).status == 403

    # a participant's browser: the page and its kernel websocket through the proxy
    context = browser.new_context(viewport={"width": 412, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(link, timeout=120_000)
        tab.get_by_role("button", name="Join the workshop").wait_for(timeout=90_000)
        tab.get_by_placeholder("a pseudonym is fine").fill("Pat")
        tab.locator("select").first.select_option(label="Trade unions")
        tab.get_by_text("I agree", exact=True).click()
        tab.get_by_role("button", name="Join the workshop").click()
        tab.get_by_role("heading", name="Rate the options").wait_for(timeout=30_000)
        Path("test-artifacts").mkdir(exist_ok=True)
        tab.screenshot(path="test-artifacts/hub-participant-joined.png")
        assert tab.url.startswith(f"{apps}voila/render/")
        assert "/hub/login" not in tab.url
    finally:
        context.close()
    wb = Workbench(hub.settings)
    try:
        assert wb.workshops.participation(hub.workshop_id).registered == 1
    finally:
        wb.close()


def _login(browser: Any, hub: Hub, user: str, path: str) -> Any:
    """A Chromium page logged in to the Hub as ``user`` (the login form), then at ``path``."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.url}hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url("**/user/**", timeout=60_000)
    page.goto(hub.user_url(user, path))
    return page


def test_dashboard_needs_a_hub_login_with_the_facilitator_scope(hub: Hub, browser: Any) -> None:
    path = f"voila/render/dashboards/facilitator.ipynb?workshop={hub.workshop_id}"
    anonymous = request(hub.user_url("fatima", path))
    assert anonymous.status == 302
    assert "/hub/" in anonymous.headers.get("location", "")
    api = f"workbench/api/workshops/{hub.workshop_id}/analysis"
    ana = request(hub.user_url("ana", api), token=hub.tokens["ana"])
    assert ana.status == 403 and "custom:workbench:dashboard" in ana.json()["error"]
    fatima = request(hub.user_url("fatima", api), token=hub.tokens["fatima"])
    assert fatima.status == 200, fatima.body[:300]
    Path("test-artifacts").mkdir(exist_ok=True)
    page = _login(browser, hub, "fatima", path)
    try:
        page.get_by_role("heading", name="Facilitator dashboard").wait_for(timeout=90_000)
        page.get_by_text("Hub workshop").first.wait_for(timeout=30_000)
        page.screenshot(path="test-artifacts/hub-dashboard-facilitator.png", full_page=False)
    finally:
        page.context.close()
    page = _login(browser, hub, "ana", path)
    try:
        page.get_by_text("may not see the workshop dashboards").wait_for(timeout=90_000)
        assert "'ana'" in page.inner_text("body")
        assert page.get_by_role("heading", name="Facilitator dashboard").count() == 0
        page.screenshot(path="test-artifacts/hub-dashboard-refused.png", full_page=False)
    finally:
        page.context.close()


def test_the_hub_runs_the_app_service_and_the_culler(hub: Hub) -> None:
    services = hub.hub_api("services").json()
    assert {APP_SERVICE, "idle-culler"} <= set(services)
    assert services[APP_SERVICE]["url"]
