"""A documented ``jupyterhub_config.py`` for a shared workspace, and ``workbench hub``.

One machine, JupyterHub 6:

- **proxy**: configurable-http-proxy (npm), found by :func:`proxy_command`;
- **analysts**: Hub users, each with a JupyterLab single-user server (local-process
  spawner) with the workbench server extension, on the one shared workspace;
- **team**: a YAML file (:func:`load_team`) names the users of each region and the
  facilitators; they become Hub groups ``region-<nuts>`` and ``facilitators``. Roles grant
  the custom scopes of :mod:`workbench.hub.rights` to those groups;
- **stakeholder apps**: the app server (Voilà, preheated kernels) is a Hub-managed
  service at ``/services/workbench-apps/``; its pages use no Hub auth (participants join
  by workshop token and have no Hub account);
- **jupyterhub-idle-culler** stops idle analyst servers; its role reaches user servers
  only, so it can never stop the app service;
- **PostgreSQL** for the workbench and for the Hub (its own database).

The team file::

    regions:            # NUTS code (country or region) -> Hub users
      ES: [ana, carmen]   # group region-es: every case study in Spain
      DE21: [bruno]       # group region-de21: Oberbayern only
    facilitators: [fatima]
    admins: [olga]      # Hub admins: every right on every region
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.classifications import nuts_problem
from workbench.config import Settings
from workbench.exceptions import InputError, InvalidInput, Problem
from workbench.hub.rights import (
    FACILITATORS,
    HUB_MARKER,
    RIGHT_SCOPES,
    RIGHT_WORDS,
    region_group,
)
from workbench.workspace import skeleton_root

APP_SERVICE = "workbench-apps"
CULLER_SERVICE = "idle-culler"
#: the rights each kind of member gets (through a role on their groups)
ANALYST_RIGHTS = ("run", "publish", "facilitate")
FACILITATOR_RIGHTS = ("facilitate", "dashboard")
#: what the idle culler may do: see and stop *user* servers; no scope reaches services
CULLER_SCOPES = ("list:users", "read:users:activity", "read:servers", "delete:servers")
PROXY_NPM = "configurable-http-proxy"
_USER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Team:
    """Who is on the Hub: users per NUTS region, facilitators and admins."""

    regions: dict[str, tuple[str, ...]]
    facilitators: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()

    @property
    def groups(self) -> dict[str, list[str]]:
        """Hub groups and their members: ``region-<nuts>`` per region, ``facilitators``."""
        out = {region_group(code): sorted(users) for code, users in self.regions.items()}
        out[FACILITATORS] = sorted(self.facilitators)
        return out

    @property
    def users(self) -> list[str]:
        """Every Hub user of the team."""
        names = {u for users in self.regions.values() for u in users}
        return sorted(names | set(self.facilitators) | set(self.admins))


def load_team(path: Path) -> Team:
    """Read and check a team file (see the module docstring); InvalidInput lists every
    problem with its key."""
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput([Problem(source, "", f"cannot read the team file: {exc}")]) from None
    return parse_team(raw, source)


def parse_team(raw: Any, source: str = "team") -> Team:
    """A :class:`Team` from parsed YAML; InvalidInput lists every problem."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise InvalidInput([Problem(source, "", "expected a mapping with regions:")])
    if unknown := set(raw) - {"regions", "facilitators", "admins"}:
        problems.append(Problem(source, ", ".join(sorted(unknown)), "unknown key"))

    def users(value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            problems.append(Problem(source, key, "expected a list of Hub user names"))
            return ()
        for name in value:
            if not isinstance(name, str) or not _USER_RE.match(name):
                problems.append(
                    Problem(source, key, f"{name!r} is not a Hub user name (a-z, 0-9, . _ -)")
                )
        return tuple(str(n) for n in value)

    regions: dict[str, tuple[str, ...]] = {}
    raw_regions = raw.get("regions")
    if not isinstance(raw_regions, dict) or not raw_regions:
        problems.append(Problem(source, "regions", "expected NUTS code: [users], at least one"))
    else:
        for code, members in raw_regions.items():
            if (why := nuts_problem(code)) is not None:
                problems.append(Problem(source, f"regions.{code}", why))
            regions[str(code)] = users(members, f"regions.{code}")
    team = Team(
        regions=regions,
        facilitators=users(raw.get("facilitators", []), "facilitators"),
        admins=users(raw.get("admins", []), "admins"),
    )
    if problems:
        raise InvalidInput(problems)
    return team


@dataclass(frozen=True)
class HubOptions:
    """Where the Hub listens and what it uses (ports on ``ip`` unless said otherwise)."""

    hub_db_url: str
    ip: str = "127.0.0.1"
    port: int = 8000
    #: the Hub's internal API (the proxy's target for /hub/, and the services' API)
    hub_port: int = 8081
    proxy_api_port: int = 8001
    #: the app service's port (default: the workspace's ``app_port``)
    app_port: int | None = None
    #: JupyterHub authenticator: ``pam`` (system users), an entry point name or a class.
    #: ``shared-password`` with ``shared_password`` is for tests and trials only.
    authenticator: str = "pam"
    shared_password: str | None = None
    #: seconds without activity after which the culler stops an analyst's server
    cull_timeout: int = 3600
    cull_every: int = 300
    #: the public base URL of the Hub (join links); default http://<ip>:<port>/
    public_url: str | None = None
    proxy: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """The Hub's public base URL, ending in '/'."""
        url = self.public_url or f"http://{self.ip}:{self.port}/"
        return url if url.endswith("/") else url + "/"


def proxy_command() -> list[str]:
    """The configurable-http-proxy to run: ``WORKBENCH_HUB_PROXY``, the project-local
    ``deploy/hub/node_modules`` (``npm ci --prefix deploy/hub``), or one on PATH."""
    if configured := os.environ.get("WORKBENCH_HUB_PROXY"):
        return [configured]
    local = skeleton_root() / "deploy" / "hub" / "node_modules" / ".bin" / PROXY_NPM
    if local.exists():
        return [str(local)]
    if found := shutil.which(PROXY_NPM):
        return [found]
    raise InputError(
        f"{PROXY_NPM} is not installed: run `npm ci --prefix deploy/hub` in the workbench "
        f"checkout, or `npm install -g {PROXY_NPM}`, or set WORKBENCH_HUB_PROXY"
    )


def scope_text(right: str) -> str:
    """The Hub's description of a right's custom scope."""
    return f"Workbench: {RIGHT_WORDS[right]} a case study of the user's regions"


def _check_postgres(url: str, what: str) -> None:
    if not url.startswith("postgresql"):
        raise InputError(
            f"hub mode needs PostgreSQL for {what}, got {url.split(':', 1)[0]}:…; "
            "set it to postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"
        )


def render_config(settings: Settings, team: Team, options: HubOptions) -> str:
    """The text of a documented ``jupyterhub_config.py`` for this workspace and team."""
    _check_postgres(settings.database_url, "the workbench (WORKBENCH_DB_URL)")
    _check_postgres(options.hub_db_url, "the Hub's own database (--hub-db-url)")
    state = settings.var_dir / "hub"
    app_port = options.app_port or settings.app_port
    py = sys.executable
    public_apps = f"{options.base_url}services/{APP_SERVICE}/"
    extensions = str(skeleton_root() / "extensions")
    workspace_env = {
        "WORKBENCH_HOME": str(settings.home),
        "WORKBENCH_DB_URL": settings.database_url,
        "WORKBENCH_PUBLIC_URL": public_apps,
    }
    analyst_env = {
        **workspace_env,
        HUB_MARKER: "1",
        "WORKBENCH_APP_PORT": str(app_port),
        "JUPYTER_PATH": extensions,
    }
    app_env = {
        **workspace_env,
        "WORKBENCH_APP_PORT": str(app_port),
        "WORKBENCH_BIND_HOST": "127.0.0.1",
        "WORKBENCH_POOL_SIZE": str(settings.pool_size),
    }
    region_groups = [g for g in team.groups if g != FACILITATORS]
    custom = [RIGHT_SCOPES[r] for r in RIGHT_SCOPES]
    singleuser_args = ["--ServerApp.jpserver_extensions=workbench.server=True"]
    if os.geteuid() == 0:
        singleuser_args.append("--allow-root")
    auth = {"pam": "pam"}.get(options.authenticator, options.authenticator)
    lines = [
        '"""JupyterHub configuration of a workbench workspace (written by `workbench hub`).',
        "",
        f"Workspace: {settings.home}",
        "Regenerate it rather than editing it: `workbench hub --write-config PATH`.",
        '"""',
        "# ruff: noqa",
        "c = get_config()  # noqa: F821 (JupyterHub provides it)",
        "",
        "# -- network: the public proxy, the Hub's API, the proxy's API --------------------",
        f"c.JupyterHub.bind_url = {options.base_url.rstrip('/')!r}",
        f"c.JupyterHub.hub_bind_url = {f'http://127.0.0.1:{options.hub_port}'!r}",
        "c.JupyterHub.proxy_class = 'configurable-http-proxy'",
        f"c.ConfigurableHTTPProxy.command = {options.proxy or proxy_command()!r}",
        f"c.ConfigurableHTTPProxy.api_url = {f'http://127.0.0.1:{options.proxy_api_port}'!r}",
        f"c.ConfigurableHTTPProxy.pid_file = {str(state / 'proxy.pid')!r}",
        "",
        "# -- state: the Hub's own PostgreSQL database and its cookie secret ---------------",
        f"c.JupyterHub.db_url = {options.hub_db_url!r}",
        f"c.JupyterHub.cookie_secret_file = {str(state / 'cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(state / 'jupyterhub.pid')!r}",
        "",
        "# -- who logs in ------------------------------------------------------------------",
        "# `shared-password` is for tests and trials only; use PAM, LDAP or OAuth in earnest.",
        f"c.JupyterHub.authenticator_class = {auth!r}",
        f"c.Authenticator.allowed_users = {set(team.users)!r}",
        f"c.Authenticator.admin_users = {set(team.admins)!r}",
    ]
    if options.shared_password:
        lines.append(f"c.SharedPasswordAuthenticator.user_password = {options.shared_password!r}")
    lines += [
        "",
        "# -- analysts' servers: JupyterLab + the workbench extension, on the workspace -----",
        "c.JupyterHub.spawner_class = 'simple'  # SimpleLocalProcessSpawner: one machine",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(state / 'homes' / '{username}')!r}",
        f"c.Spawner.cmd = {[py, '-m', 'jupyterhub.singleuser']!r}",
        f"c.Spawner.args = {singleuser_args!r}",
        f"c.Spawner.notebook_dir = {str(settings.home)!r}",
        "c.Spawner.default_url = '/lab'",
        "c.Spawner.start_timeout = 120",
        "c.Spawner.http_timeout = 120",
        f"c.Spawner.environment = {analyst_env!r}",
        "# The server's API token and its browser logins carry the user's groups and the",
        "# workbench scopes, so the extension and the CLI can check rights (hub.rights).",
        "c.Spawner.server_token_scopes = "
        f"{['users:activity!user', 'access:servers!server', 'read:users:groups!user', *custom]!r}",
        f"c.Spawner.oauth_client_allowed_scopes = {['read:users:groups!user', *custom]!r}",
        "",
        "# -- groups, custom scopes and the roles that grant them ------------------------",
        "# Group `region-<nuts>` covers case studies whose NUTS region starts with <nuts>.",
        f"c.JupyterHub.load_groups = {{g: {{'users': u}} for g, u in {team.groups!r}.items()}}",
        "c.JupyterHub.custom_scopes = {",
        *(f"    {RIGHT_SCOPES[r]!r}: {{'description': {scope_text(r)!r}}}," for r in RIGHT_SCOPES),
        "}",
        "c.JupyterHub.load_roles = [",
        "    {'name': 'workbench-analyst', 'description': 'Run, publish and facilitate the "
        "case studies of their regions',",
        f"     'scopes': {[RIGHT_SCOPES[r] for r in ANALYST_RIGHTS]!r},",
        f"     'groups': {region_groups!r}}},",
        "    {'name': 'workbench-facilitator', 'description': 'Run workshops and see their "
        "dashboards and exports in their regions',",
        f"     'scopes': {[RIGHT_SCOPES[r] for r in FACILITATOR_RIGHTS]!r},",
        f"     'groups': {[FACILITATORS]!r}}},",
        "    # the culler sees and stops user servers only: no scope reaches a service",
        f"    {{'name': {CULLER_SERVICE!r}, 'scopes': {list(CULLER_SCOPES)!r},",
        f"     'services': {[CULLER_SERVICE]!r}}},",
        "]",
        "",
        "# -- services: the stakeholder app server and the idle culler -------------------",
        "# The app server's pages use no Hub auth: participants join by workshop token.",
        "c.JupyterHub.services = [",
        f"    {{'name': {APP_SERVICE!r}, 'display': True,",
        f"     'url': {f'http://127.0.0.1:{app_port}'!r},",
        f"     'command': {[py, '-m', 'workbench.appserver', f'--Voila.base_url=/services/{APP_SERVICE}/']!r},",  # noqa: E501
        f"     'environment': {app_env!r}}},",
        f"    {{'name': {CULLER_SERVICE!r},",
        f"     'command': {[py, '-m', 'jupyterhub_idle_culler', f'--timeout={options.cull_timeout}', f'--cull-every={options.cull_every}']!r}}},",  # noqa: E501
        "]",
        "",
    ]
    return "\n".join(lines)


def write_config(
    settings: Settings, team: Team, options: HubOptions, path: Path | None = None
) -> Path:
    """Write the config (default ``<var>/hub/jupyterhub_config.py``, mode 0600: it may
    hold database passwords) and return its path."""
    target = path or settings.var_dir / "hub" / "jupyterhub_config.py"
    text = render_config(settings, team, options)
    target.parent.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "hub").mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return target


def hub_argv(config: Path) -> list[str]:
    """The command that runs JupyterHub on a written config."""
    return [sys.executable, "-m", "jupyterhub", "-f", str(config)]


def run_hub(
    settings: Settings,
    team_file: Path,
    options: HubOptions,
    *,
    announce: Callable[[str], None] = print,
) -> int:
    """``workbench hub``: write the config, run JupyterHub in the foreground until it
    stops or SIGINT/SIGTERM, and return its exit code. The CLI calls only this."""
    from workbench.db import Database

    team = load_team(team_file)
    config = write_config(settings, team, options)
    Database(settings.database_url)  # migrate once, before the servers connect
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    from workbench.facilitation.notebook import write_dashboard_notebook
    from workbench.pathways.notebook import write_counsellor_notebook

    write_dashboard_notebook(settings)
    write_counsellor_notebook(settings)
    announce(f"JupyterHub config: {config}")
    announce(f"analysts log in at {options.base_url}hub/login")
    announce(f"participants join at {options.base_url}services/{APP_SERVICE}/")
    # its own session: Ctrl-C reaches us only, and we stop the Hub with SIGTERM, which
    # it handles by stopping the proxy, its services and the analysts' servers
    proc = subprocess.Popen(hub_argv(config), cwd=settings.var_dir / "hub", start_new_session=True)

    def stop(_signum: int, _frame: Any) -> None:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return proc.wait()
