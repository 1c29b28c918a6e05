"""The conda environment, pyproject and workspace skeleton agree."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    # packages that are on PyPI only go in the pip list (besides the package itself)
    pip = [d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    from_pip = {_name(r) for block in pip for r in block["pip"] if not r.startswith("-e")}
    assert conda | from_pip == wanted
    assert not conda & from_pip


def test_design_card_top_level_exists() -> None:
    for part in ("workbench", "case_studies", "templates", "shared_models", "extensions",
                 "tests", "environment.yml", "README.md", "pyproject.toml", "benchmarks",
                 "docs/architecture.md", ".ci/run", "Makefile"):  # fmt: skip
        assert (ROOT / part).exists(), part


def test_nothing_outside_db_imports_sqlalchemy() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "workbench").rglob("*.py")
        if "db" not in path.relative_to(ROOT / "workbench").parts[:1]
        and re.search(r"^\s*(from|import) sqlalchemy", path.read_text(), re.M)
    ]
    assert offenders == []


def test_every_third_party_import_of_the_package_is_declared() -> None:
    """A module the package imports directly must be a declared dependency, not a
    transitive one that a future release of another package may drop."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {
        _name(r) for r in project["dependencies"] + extras["pdf"] + extras["dask"] + extras["hub"]
    }
    dists = packages_distributions()
    missing: dict[str, set[str]] = {}
    for path in (ROOT / "workbench").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "workbench":
                    continue
                owners = {_name(d) for d in dists.get(top, [top])}
                if not owners & declared:
                    missing.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    assert missing == {}
