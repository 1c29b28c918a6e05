"""axe-core accessibility check for the browser tests (WCAG 2.0/2.1 A and AA rules).

Import it by name from a test module (tests/conftest.py puts ``tests/`` on ``sys.path``)::

    import _axe
    ...
    _axe.check_axe(page, "participant-join")

axe-core is the vendored, unmodified ``tests/_vendor/axe-core/axe.min.js`` (MPL-2.0,
version in the README next to it); the product never loads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parent / "_vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = frozenset({"serious", "critical"})

_RUN = """async (tags) => {
  return await axe.run(document, {runOnly: {type: 'tag', values: tags}});
}"""


def _describe(violation: dict[str, Any], max_nodes: int = 3) -> str:
    nodes = violation.get("nodes", [])
    lines = [
        f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')} "
        f"[{len(nodes)} element(s)]"
    ]
    for node in nodes[:max_nodes]:
        target = ", ".join(str(t) for t in node.get("target", []))
        html = " ".join(str(node.get("html", "")).split())
        if len(html) > 160:
            html = html[:157] + "..."
        lines.append(f"    at {target}: {html}")
    return "\n".join(lines)


def check_axe(page: Any, name: str) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2 A/AA) on ``page`` and fail on serious or critical violations.

    The full axe result is written to ``test-artifacts/axe-<name>.json``. Returns the
    list of violations (all impacts) when none is serious or critical.
    """
    if not AXE_JS.is_file():
        pytest.fail(f"vendored axe-core is missing: {AXE_JS}")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate(_RUN, WCAG_TAGS)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    violations: list[dict[str, Any]] = result.get("violations", [])
    bad = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    if bad:
        report = "\n".join(_describe(v) for v in bad)
        pytest.fail(
            f"axe-core found {len(bad)} serious/critical WCAG violation(s) on {name} "
            f"({page.url}):\n{report}",
            pytrace=False,
        )
    return violations
