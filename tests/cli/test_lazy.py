"""The CLI's start-up: command modules load when named, heavy libraries when needed.

``workbench runs list`` must not pay for the notebook, data-frame and plotting libraries
that publishing, workshops and runs use. Each check runs in a fresh interpreter and
looks at ``sys.modules``, so it does not depend on the machine's speed
(``benchmarks/bench_cli.py`` times it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import click
import pytest
from click.testing import CliRunner

from workbench.cli import COMMANDS, cli
from workbench.cli.lazy import LazyGroup

#: Never needed to list runs: notebooks, schemas, kernels, frames, plots.
HEAVY = ("nbformat", "jsonschema", "papermill", "nbconvert", "jupyter_client", "pandas",
         "numpy", "matplotlib", "dask")  # fmt: skip
#: Needed to run any command, but not to import the CLI or find a command.
SERVICE = ("workbench.service", "workbench.publish", "sqlalchemy", "sqlmodel", "pydantic")
#: The service's own modules that listing runs does not need: planning and executing
#: runs, workshops and their specs, rights, case studies, templates, data packs.
NOT_FOR_LISTING = ("workbench.planning", "workbench.runs", "workbench.executors",
                   "workbench.access", "workbench.participation.workshops",
                   "workbench.participation.spec", "workbench.casestudies",
                   "workbench.templates", "workbench.data.catalog")  # fmt: skip
WATCHED = HEAVY + SERVICE + NOT_FOR_LISTING


def _loaded(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; what it printed last (JSON) plus the modules."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {WATCHED!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    *output, modules = done.stdout.splitlines()
    return {"output": "\n".join(output), "modules": json.loads(modules)}


def test_importing_the_cli_and_finding_runs_list_loads_no_library_of_the_service() -> None:
    found = _loaded(
        "import click\n"
        "from workbench.cli import cli\n"
        "ctx = click.Context(cli)\n"
        "command = cli.get_command(ctx, 'runs').get_command(ctx, 'list')\n"
        "print(command.name)"
    )
    assert found["output"] == "list"
    assert found["modules"] == []  # none of these, not even the service and its database


def test_runs_list_loads_the_database_but_no_notebook_or_frame_library(cli) -> None:
    args = ["--home", str(cli.home), *(["--db-url", cli.db_url] if cli.db_url else [])]
    found = _loaded(
        "from workbench.cli import cli\n"
        f"cli.main({[*args, 'runs', 'list']!r}, prog_name='workbench', standalone_mode=False)"
    )
    assert found["output"].splitlines()[0].split() == [
        "id", "case", "template", "status", "hash", "created", "(UTC)", "time"
    ]  # fmt: skip
    assert "workbench.service" in found["modules"] and "sqlalchemy" in found["modules"]
    assert not set(found["modules"]) & set(HEAVY), found["modules"]
    assert not set(found["modules"]) & set(NOT_FOR_LISTING), found["modules"]
    assert "workbench.publish" not in found["modules"]


def test_python_m_workbench_cli_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "runs", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: workbench runs [OPTIONS] COMMAND")


def test_every_command_resolves_to_the_click_command_of_its_name() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        assert command.name == name
    assert cli.get_command(ctx, "no-such-command") is None
    listing = CliRunner().invoke(cli, ["--help"]).output
    for name in COMMANDS:
        assert f"\n  {name} " in listing, name


def test_unknown_command_is_refused_as_before() -> None:
    result = CliRunner().invoke(cli, ["runz", "list"])
    assert result.exit_code == 2
    assert "No such command 'runz'" in result.output


def test_a_lazy_entry_that_is_not_a_command_is_a_clear_error() -> None:
    group = LazyGroup("g", lazy_commands={"bad": "workbench.cli.format:table"})
    with pytest.raises(TypeError, match=r"workbench.cli.format:table \(command 'bad'\)"):
        group.get_command(click.Context(group), "bad")
