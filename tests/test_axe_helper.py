"""The axe-core helper itself: it fails on a critical violation and passes a clean page."""

from __future__ import annotations

import json
from typing import Any

import _axe as axe
import pytest

CLEAN = (
    "<!doctype html><html lang='en'><head><title>Clean</title></head>"
    "<body><main><h1>Clean</h1><img src='data:,' alt='A blank test image'></main></body></html>"
)


def test_vendored_axe_keeps_its_licence_header() -> None:
    head = axe.AXE_JS.read_text(encoding="utf-8")[:600]
    assert head.startswith("/*! axe v4.14.1")
    assert "Mozilla Public\n * License, v. 2.0" in head


def test_clean_page_passes_and_writes_the_result(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(CLEAN)
    assert axe.check_axe(page, "helper-clean") == []
    result = json.loads((axe.ARTIFACTS / "axe-helper-clean.json").read_text())
    assert result["testEngine"]["version"] == "4.14.1"
    assert set(result["toolOptions"]["runOnly"]["values"]) == set(axe.WCAG_TAGS)
    assert "image-alt" in {r["id"] for r in result["passes"]}
    page.close()


def test_missing_alt_text_fails_with_a_readable_report(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(CLEAN.replace(" alt='A blank test image'", " id='chart'"))
    with pytest.raises(pytest.fail.Exception) as failed:
        axe.check_axe(page, "helper-missing-alt")
    message = str(failed.value)
    assert "axe-core found 1 serious/critical WCAG violation(s) on helper-missing-alt" in message
    assert "- image-alt (critical): Images must have alternative text [1 element(s)]" in message
    assert 'at #chart: <img src="data:," id="chart">' in message
    page.close()


def test_moderate_violations_are_returned_not_failed(browser: Any) -> None:
    # a viewport that forbids zooming is a WCAG 2 AA violation of impact 'moderate'
    page = browser.new_page()
    page.set_content(
        CLEAN.replace("<head>", "<head><meta name='viewport' content='user-scalable=no'>")
    )
    violations = axe.check_axe(page, "helper-moderate")
    assert [(v["id"], v["impact"], len(v["nodes"])) for v in violations] == [
        ("meta-viewport", "moderate", 1)
    ]
    page.close()
