"""Who may do what with a case study, from a JupyterHub identity.

Rights follow Hub groups and custom scopes (JupyterHub ≥ 5 ``custom_scopes``):

- a **region group** is named ``region-<nuts>`` with a NUTS code in lower case:
  ``region-es`` covers every case study whose region starts with ``ES`` (``ES61``,
  ``ES300``…); ``region-es61`` covers Andalucía only. A user acts only on case studies
  of their region groups' regions;
- a **right** is held through a custom scope that roles grant to groups
  (:data:`RIGHT_SCOPES`): ``run``, ``publish``, ``facilitate`` (create, open and close
  workshops, their links) and ``dashboard`` (a workshop's dashboard, figures and
  exports). The generated config grants analysts (the region groups)
  run/publish/facilitate and the ``facilitators`` group facilitate/dashboard;
- Hub admins hold every right on every region.

Outside hub mode there is no identity and the rights are unrestricted.
:func:`identity_from_env` gives the identity of the Hub user whose server (terminal,
kernel, CLI) this process runs in: the service layer uses it by default in hub mode.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.exceptions import AccessDenied

#: the right a service method needs → the Hub custom scope that grants it
RIGHT_SCOPES = {
    "run": "custom:workbench:run",
    "publish": "custom:workbench:publish",
    "facilitate": "custom:workbench:facilitate",
    "dashboard": "custom:workbench:dashboard",
}
#: what each right allows, in words (refusals and the Hub's scope descriptions)
RIGHT_WORDS = {
    "run": "run",
    "publish": "publish the stakeholder app of",
    "facilitate": "create, open and close the workshops of",
    "dashboard": "see the workshop dashboards and exports of",
}
REGION_PREFIX = "region-"
FACILITATORS = "facilitators"
#: set (to 1) in the environment of every Hub user server the generated config spawns
HUB_MARKER = "WORKBENCH_HUB"


def region_of_group(group: str) -> str | None:
    """The NUTS prefix a ``region-<nuts>`` group covers (upper case), else None."""
    if not group.startswith(REGION_PREFIX):
        return None
    code = group[len(REGION_PREFIX) :].upper()
    return code if 2 <= len(code) <= 5 and code.isalnum() and code[:2].isalpha() else None


def region_group(nuts: str) -> str:
    """The Hub group name of a NUTS region (``ES`` → ``region-es``)."""
    return f"{REGION_PREFIX}{nuts.lower()}"


@dataclass(frozen=True)
class HubIdentity:
    """A Hub user as the workbench sees it: name, groups, scopes, admin flag."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    admin: bool = False

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> HubIdentity:
        """From a Hub API user model (``/hub/api/user``, or a server's ``hub_user``)."""
        return cls(
            name=str(model.get("name", "?")),
            groups=frozenset(model.get("groups") or ()),
            scopes=frozenset(model.get("scopes") or ()),
            admin=bool(model.get("admin")),
        )

    @property
    def regions(self) -> list[str]:
        """The NUTS prefixes of the user's region groups, sorted."""
        return sorted(r for g in self.groups if (r := region_of_group(g)) is not None)

    def has(self, right: str) -> bool:
        """Whether the user holds the scope of ``right`` (admins hold all)."""
        if right not in RIGHT_SCOPES:
            raise ValueError(f"unknown right {right!r}; rights are {', '.join(RIGHT_SCOPES)}")
        return self.admin or RIGHT_SCOPES[right] in self.scopes

    def covers(self, region: str) -> bool:
        """Whether one of the user's region groups covers NUTS ``region`` (admins: all)."""
        return self.admin or any(region.upper().startswith(r) for r in self.regions)

    def may(self, right: str, region: str) -> bool:
        """Whether the user may exercise ``right`` on a case study of ``region``."""
        return self.has(right) and self.covers(region)

    def require(self, right: str, case_slug: str, region: str) -> None:
        """Raise :class:`AccessDenied` naming the user, the right and the case, unless
        :meth:`may` allows it."""
        if self.may(right, region):
            return
        if not self.has(right):
            why = f"they lack the Hub scope {RIGHT_SCOPES[right]}"
        else:
            mine = ", ".join(region_group(r) for r in self.regions) or "none"
            why = (
                f"the case's region {region} is not covered by their region groups ({mine}); "
                f"it needs membership of {region_group(region[:2])} or {region_group(region)}"
            )
        raise AccessDenied(
            f"Hub user {self.name!r} may not {RIGHT_WORDS[right]} case study {case_slug!r} "
            f"(right {right!r}): {why}"
        )


def in_hub_server(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs in a Hub user's server spawned by the generated config."""
    env = os.environ if environ is None else environ
    return bool(env.get(HUB_MARKER)) and bool(env.get("JUPYTERHUB_USER"))


def identity_from_env(
    environ: Mapping[str, str] | None = None, *, timeout: float = 10.0
) -> HubIdentity | None:
    """The identity of the Hub user whose server this process runs in, asked of the Hub
    API with the server's ``JUPYTERHUB_API_TOKEN``; None outside hub mode.

    Raises:
        AccessDenied: in hub mode, the Hub did not answer (rights cannot be checked, so
            nothing is allowed).
    """
    env = os.environ if environ is None else environ
    if not in_hub_server(env):
        return None
    user = env["JUPYTERHUB_USER"]
    api = env.get("JUPYTERHUB_API_URL", "").rstrip("/")
    token = env.get("JUPYTERHUB_API_TOKEN", "")
    if not api.startswith(("http://", "https://")) or not token:
        raise AccessDenied(
            f"cannot check the rights of Hub user {user!r}: JUPYTERHUB_API_URL or "
            "JUPYTERHUB_API_TOKEN is missing from the environment"
        )
    request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
        f"{api}/user", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            model = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise AccessDenied(
            f"cannot check the rights of Hub user {user!r}: the Hub API at {api} did not "
            f"answer ({exc})"
        ) from None
    return HubIdentity.from_model(model)
