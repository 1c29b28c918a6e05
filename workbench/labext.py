"""The Workbench sidebar: a prebuilt JupyterLab extension shipped inside the package.

Its TypeScript source is ``labextension/`` at the top of the repository; ``make
labextension`` (Node 20 and npm, at build time only) rebuilds the assets into
``workbench/labextensions/almp-workbench-lab/``, which are committed. A wheel installs
them to ``share/jupyter/labextensions/almp-workbench-lab`` (hatch ``shared-data``), as an
editable install does; :func:`lab_arguments` points a JupyterLab that workbench starts at
the package's own copy too, so the lab always loads the sidebar of the running code.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LABEXTENSIONS_DIR", "LABEXTENSION_NAME", "lab_arguments", "labextension_dir"]

#: the npm name of the extension (its folder under a ``labextensions`` path)
LABEXTENSION_NAME = "almp-workbench-lab"
#: the folder holding the built extension, as JupyterLab's ``labextensions`` paths do
LABEXTENSIONS_DIR = Path(__file__).resolve().parent / "labextensions"


def labextension_dir() -> Path | None:
    """The built extension (its ``package.json`` and ``static/``), or None if not built."""
    path = LABEXTENSIONS_DIR / LABEXTENSION_NAME
    return path if (path / "package.json").is_file() else None


def lab_arguments() -> list[str]:
    """Command-line options of a JupyterLab that should load the sidebar from this package."""
    if labextension_dir() is None:
        return []
    return [f"--LabApp.extra_labextensions_path={LABEXTENSIONS_DIR}"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """For ``jupyter labextension develop``/``list``: where the built extension lives."""
    return [{"src": str(LABEXTENSIONS_DIR / LABEXTENSION_NAME), "dest": LABEXTENSION_NAME}]
