"""The sidebar's REST API (``workbench.server.case_handlers``) on a real JupyterLab.

A lab of its own per module (``_labserver``) on a copy of ``demo_runs``: these tests run
and publish, which the shared ``served`` workspace must not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _lab
import _labserver
import pytest

CASES = "/workbench/api/cases"
ES61, DE21 = "es61-manufacturing-youth", "de21-ict-older-workers"


@pytest.fixture(scope="module")
def lab(demo_runs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    dest = tmp_path_factory.mktemp("case-api") / "ws"
    with _labserver.lab_on_copy(demo_runs, dest) as server:
        yield server


@pytest.fixture(scope="module")
def api(lab: Any) -> _lab.Lab:
    return _lab.Lab(lab, lab.token)


def _case(api: _lab.Lab, slug: str) -> dict[str, Any]:
    resp = api("GET", CASES)
    assert resp.status == 200, resp.body
    return next(c for c in resp.json()["cases"] if c["slug"] == slug)


def test_cases_lists_validity_latest_runs_apps_and_workshops(lab: Any, api: _lab.Lab) -> None:
    resp = api("GET", CASES)
    assert resp.status == 200, resp.body
    data = resp.json()
    assert [c["slug"] for c in data["cases"]] == [DE21, ES61]
    wb = lab.service()
    try:
        for case in data["cases"]:
            assert case["valid"] is True and case["problem"] is None
            assert case["title"] == wb.case(case["slug"]).title
            templates = list(wb.case(case["slug"]).templates)
            assert sorted(r["template"] for r in case["runs"]) == sorted(templates)
            newest = {r.template: r for r in reversed(wb.runs(case_slug=case["slug"]))}
            for run in case["runs"]:
                assert run["id"] == newest[run["template"]].id
                assert run["status"] in ("succeeded", "cached") and run["finished_at"]
            assert case["app"] is None and case["workshops"] == [] and case["job"] is None
    finally:
        wb.close()
    assert data["gallery"].startswith("http://")


def test_a_broken_case_study_is_listed_with_its_first_problem(lab: Any, api: _lab.Lab) -> None:
    case_file = lab.home / "case_studies" / DE21 / "case.yaml"
    text = case_file.read_text()
    try:
        case_file.write_text(text.replace("region: DE21", "region: XX99"))
        case = _case(api, DE21)
        assert case["valid"] is False and case["problems"] >= 1
        assert "XX99" in case["problem"] and "region" in case["problem"]
        refused = api("POST", f"{CASES}/{DE21}/run", {})
        assert refused.status == 422 or refused.status == 400, refused.body
        assert "XX99" in refused.json()["error"] + str(refused.json().get("problems"))
        assert _case(api, DE21)["job"] is None  # nothing was queued
    finally:
        case_file.write_text(text)
    assert _case(api, DE21)["valid"] is True


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("POST", f"{CASES}/no-such-case/run", {}, 404, "no-such-case"),
        ("POST", f"{CASES}/no-such-case/publish", {}, 404, "no-such-case"),
        ("POST", f"{CASES}/{ES61}/run", {"force": "yes"}, 400, "force must be true or false"),
        ("POST", f"{CASES}/{ES61}/run", [1], 400, "object"),
        ("POST", "/workbench/api/notebooks/publish", {}, 400, "path must be"),
        ("POST", "/workbench/api/notebooks/publish", {"path": 3}, 400, "path must be"),
        ("POST", "/workbench/api/notebooks/publish", {"path": "../x.ipynb"}, 400, "inside"),
        ("POST", "/workbench/api/notebooks/publish", {"path": "nope.ipynb"}, 400, "no notebook"),
        (
            "POST",
            "/workbench/api/notebooks/publish",
            {"path": "dashboards/facilitator.ipynb"},
            400,
            "neither a template",
        ),
        (
            "POST",
            "/workbench/api/notebooks/publish",
            {"path": "templates/regional_diagnosis.ipynb"},
            400,
            "used by 2 case studies",
        ),
        (
            "POST",
            "/workbench/api/notebooks/publish",
            {"path": "templates/regional_diagnosis.ipynb", "case": "other"},
            400,
            "does not use template",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message(
    api: _lab.Lab, method: str, path: str, body: Any, status: int, words: str
) -> None:
    resp = api(method, path, body)
    assert resp.status == status, resp.body
    assert words in resp.json().get("error", "") + resp.json().get("message", "")


def test_the_api_needs_jupyter_auth(lab: Any) -> None:
    for method, path in [
        ("GET", CASES),
        ("POST", f"{CASES}/{ES61}/run"),
        ("POST", f"{CASES}/{ES61}/publish"),
        ("POST", "/workbench/api/notebooks/publish"),
    ]:
        resp = _lab.Lab(lab, "wrong")(method, path, {"path": "templates/x.ipynb"})
        assert resp.status == 403, (method, path, resp.status)
        assert ES61 not in resp.body


def test_run_in_the_background_then_publish(lab: Any, api: _lab.Lab) -> None:
    before = {r["template"]: r["id"] for r in _case(api, ES61)["runs"]}
    started = api("POST", f"{CASES}/{ES61}/run", {})
    assert started.status == 202, started.body
    assert started.json()["state"] in ("queued", "running", "done")
    job = _labserver.wait_for(
        lambda: (j := _case(api, ES61)["job"]) and j["state"] in ("done", "failed") and j,
        120,
        "the run to finish",
    )
    assert job["state"] == "done", job
    runs = _case(api, ES61)["runs"]
    assert {r["template"] for r in runs} == set(before)
    for run in runs:  # new rows, cache hits of the demo runs
        assert run["id"] > before[run["template"]] and run["status"] == "cached"
    assert job["counts"] == {"cached": len(before)}

    published = api("POST", f"{CASES}/{ES61}/publish")
    assert published.status == 201, published.body
    app = published.json()
    assert app["case_slug"] == ES61 and app["url"].endswith(f"voila/render/{ES61}.ipynb")
    listed = _case(api, ES61)["app"]
    assert listed["id"] == app["id"] and listed["url"] == app["url"]


def test_publish_a_run_output_notebook(lab: Any, api: _lab.Lab) -> None:
    wb = lab.service()
    try:
        run = next(r for r in wb.runs(case_slug=DE21) if r.notebook_path)
    finally:
        wb.close()
    resp = api("POST", "/workbench/api/notebooks/publish", {"path": run.notebook_path})
    assert resp.status == 201, resp.body
    assert resp.json()["case"] == DE21 and resp.json()["case_slug"] == DE21
    assert _case(api, DE21)["app"]["id"] == resp.json()["id"]

    chosen = api(
        "POST",
        "/workbench/api/notebooks/publish",
        {"path": "templates/regional_diagnosis.ipynb", "case": DE21},
    )
    assert chosen.status == 201 and chosen.json()["case"] == DE21


def test_a_copied_output_notebook_is_not_a_run(lab: Any, api: _lab.Lab) -> None:
    wb = lab.service()
    try:
        run = next(r for r in wb.runs(case_slug=DE21) if r.notebook_path)
    finally:
        wb.close()
    source = lab.home / run.notebook_path
    fake = Path(run.notebook_path).parent.parent / "0000000000" / source.name
    (lab.home / fake).parent.mkdir(parents=True)
    (lab.home / fake).write_bytes(source.read_bytes())
    resp = api("POST", "/workbench/api/notebooks/publish", {"path": str(fake)})
    assert resp.status == 400 and "not the output of a recorded run" in resp.json()["error"]


@pytest.mark.databases("sqlite")  # executes notebooks; the job logic is database-blind
def test_a_second_run_while_one_runs_is_refused(lab: Any, api: _lab.Lab) -> None:
    started = api("POST", f"{CASES}/{DE21}/run", {"force": True})  # executes the notebooks
    assert started.status == 202, started.body
    again = api("POST", f"{CASES}/{DE21}/run", {})
    assert again.status == 409, again.body
    assert f"case study {DE21!r} is already" in again.json()["error"]
    assert _case(api, DE21)["job"]["state"] in ("queued", "running")
    job = _labserver.wait_for(
        lambda: (j := _case(api, DE21)["job"]) and j["state"] in ("done", "failed") and j,
        180,
        "the forced run to finish",
    )
    assert job["state"] == "done" and job["counts"].get("succeeded", 0) >= 1, job
    statuses = {r["status"] for r in _case(api, DE21)["runs"]}
    assert "succeeded" in statuses and "running" not in statuses
