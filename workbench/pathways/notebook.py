"""The counsellor-view notebook that the JupyterLab server renders with Voilà.

Like the facilitator dashboard (:mod:`workbench.facilitation.notebook`), it lives in the
workspace at :data:`COUNSELLOR_PATH` and is served at ``<lab>/voila/render/...``: behind the
lab's token or JupyterHub login, never on the public app server. The view itself is
:class:`workbench.widgets.counsellor.CounsellorView`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import nbformat

from workbench.config import Settings

COUNSELLOR_PATH = "dashboards/counsellor.ipynb"
COUNSELLOR_VERSION = "1"

_CELL = """\
# The counsellor view (written by `workbench serve`; edits are overwritten).
from workbench.preheat import query_string
from workbench.widgets.counsellor import CounsellorView

view = CounsellorView.show(query_string())
"""


def write_counsellor_notebook(settings: Settings) -> Path:
    """Write ``<home>/dashboards/counsellor.ipynb`` (idempotent) and return its path."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_CELL, id="counsellor-view")]  # fixed id: idempotent
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["voila"] = {"template": "workbench"}
    nb.metadata["workbench"] = {"counsellor_version": COUNSELLOR_VERSION}
    path = settings.home / COUNSELLOR_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def counsellor_url(lab_base: str, person: str | None = None, token: str | None = None) -> str:
    """The counsellor view's URL on the JupyterLab server (``lab_base`` ends in /);
    ``person`` (a pseudonym) opens that jobseeker's newest pathway."""
    query = {**({"person": person} if person else {}), **({"token": token} if token else {})}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{lab_base}voila/render/{COUNSELLOR_PATH}{suffix}"


__all__ = ["COUNSELLOR_PATH", "counsellor_url", "write_counsellor_notebook"]
