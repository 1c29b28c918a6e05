"""The workbench's Jupyter server extension: the facilitator REST API and page.

Enabled by ``workbench serve`` on the analyst JupyterLab (token auth); thin handlers
over :class:`workbench.service.Workbench`.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from workbench.server.handlers import setup_handlers

    setup_handlers(serverapp.web_app)
    serverapp.log.info("workbench server extension loaded: /workbench/api, /workbench/facilitator")
