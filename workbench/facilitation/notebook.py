"""The dashboard notebook that the JupyterLab server renders with Voilà."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import nbformat

from workbench.config import Settings

DASHBOARD_PATH = "dashboards/facilitator.ipynb"
DASHBOARD_VERSION = "2"

_CELL = """\
# The facilitator dashboard (written by `workbench serve`; edits are overwritten).
from workbench.facilitation.dashboard import FacilitatorDashboard
from workbench.preheat import query_string

FacilitatorDashboard.show(query_string())
"""


def write_dashboard_notebook(settings: Settings) -> Path:
    """Write ``<home>/dashboards/facilitator.ipynb`` (idempotent) and return its path."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_CELL)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["voila"] = {"template": "workbench"}
    nb.metadata["workbench"] = {"dashboard_version": DASHBOARD_VERSION}
    path = settings.home / DASHBOARD_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def dashboard_url(lab_base: str, workshop_id: int, token: str | None = None) -> str:
    """The dashboard URL of a workshop on the JupyterLab server (``lab_base`` ends in /)."""
    query = {"workshop": workshop_id, **({"token": token} if token else {})}
    return f"{lab_base}voila/render/{DASHBOARD_PATH}?{urlencode(query)}"


def lab_path_from_dashboard(path: str) -> str:
    """A URL, relative to the dashboard page, of ``path`` under the lab's base URL.

    The page is ``<base>voila/render/<DASHBOARD_PATH>``, so this works whatever base URL the
    lab runs under (e.g. behind JupyterHub) without the kernel having to know it.
    """
    return "../" * (DASHBOARD_PATH.count("/") + 2) + path.lstrip("/")
