"""The monitoring template: its schema loads, and it runs on a real kernel, on SYNTHETIC
jobseekers and on a jobseeker table with pathways and reviews stored in a database; the
numbers it saves are those of :mod:`workbench.pathways.monitoring` on the same data."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from workbench.exceptions import InvalidInput, Problem
from workbench.pathways import monitoring as mon
from workbench.profiling.model import load_approved_profiling
from workbench.profiling.synthetic import generate_jobseekers
from workbench.templates import TemplateLibrary

ROOT = Path(__file__).resolve().parents[2]
REAL_PACK = ROOT / "workbench" / "data" / "packs" / "real"


def _locate(key: str, message: str) -> Problem:
    return Problem("case.yaml", key, message)


def _home(tmp_path: Path) -> Path:
    """A workspace-like folder: its own shared models and no database."""
    home = tmp_path / "ws"
    for name in ("profiling", "almp_effectiveness"):
        shutil.copytree(ROOT / "shared_models" / name, home / "shared_models" / name)
    return home


def _execute(home: Path, data_dir: Path, **parameters: Any) -> tuple[dict[str, Any], Path]:
    import papermill as pm

    out = home / "runs" / "monitoring"
    out.mkdir(parents=True)
    pm.execute_notebook(
        str(ROOT / "templates" / "monitoring.ipynb"),
        str(out / "monitoring.ipynb"),
        parameters={
            "n_boot": 50,
            **parameters,
            "data_dir": str(data_dir),
            "models_dir": str(home / "shared_models"),
            "output_dir": str(out),
        },
        kernel_name="python3",
        cwd=str(out),
        progress_bar=False,
    )
    for png in ("monitoring_drift.png", "monitoring_rtw.png", "monitoring_reliability.png"):
        assert (out / "artefacts" / png).stat().st_size > 1000
    saved = json.loads((out / "artefacts" / "monitoring.json").read_text(encoding="utf-8"))
    return saved, out


def _last_html(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return "".join(o.get("data", {}).get("text/html", "") for o in outputs[-1:])


def _scored(people: pd.DataFrame, home: Path) -> pd.DataFrame:
    model = load_approved_profiling(home / "shared_models")
    people = people.join(model.predict_risk(people))
    people["period"] = mon.period_values(people, "quarter")
    return people


def _same(saved: list[dict[str, Any]], frame: pd.DataFrame, columns: list[str]) -> None:
    got = pd.DataFrame(saved)[columns]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), frame[columns].reset_index(drop=True), check_dtype=False
    )


def test_schema_loads_and_validates_parameters() -> None:
    template = TemplateLibrary(ROOT / "templates", ROOT).get("monitoring")
    assert template.models == ("profiling", "almp_effectiveness")
    defaults = template.validate({}, locate=_locate)
    assert defaults["region"] == "ES61" and defaults["people_file"] == ""
    assert defaults["period_col"] == "quarter" and defaults["threshold"] == 0.5
    with pytest.raises(InvalidInput) as info:
        template.validate({"n": 10, "period_col": "week", "threshold": 1.5}, locate=_locate)
    assert {p.key for p in info.value.problems} == {"n", "period_col", "threshold"}


@pytest.mark.slow
def test_synthetic_run_matches_the_module(tmp_path: Path) -> None:
    home = _home(tmp_path)
    pack = tmp_path / "pack"
    pack.mkdir()
    reviews = pd.DataFrame(
        {"person": [f"syn-{i:06d}" for i in range(1, 41)], "step_id": "1-job_search_assistance",
         "action": ["accept", "reject"] * 20, "reason": "test", "counsellor": "c"}
    )  # fmt: skip
    reviews.to_csv(pack / "reviews.csv", index=False)
    saved, out = _execute(home, pack, n=400, seed=7, reviews_file="reviews.csv")
    assert saved["synthetic"] is True and saved["data"]["rows"] == 400
    assert "built now" in saved["data"]["steps"] and "reviews.csv" in saved["data"]["steps"]
    assert any("No database is configured" in note for note in saved["notes"])

    people = _scored(generate_jobseekers(400, seed=7, regions=["ES61"]), home)
    drift = mon.calibration_drift(people, "period")
    outcomes = mon.outcomes_by_group(people)
    _same(saved["drift"], drift, ["period", "n", "events", "predicted", "band_low", "flag"])
    _same(saved["outcomes"], outcomes, ["outcome", "attribute", "group", "n", "rate", "low"])
    headline = saved["headline"]
    assert headline["flagged"] == int((people["risk"] >= 0.5).sum())
    assert headline["ltu"]["observed"] == pytest.approx(people["ltu"].mean())
    assert headline["overrides"]["reviewed"] == 40  # from the reviews file
    assert headline["overrides"]["override_rate"] == pytest.approx(0.5)
    effect = headline["effect"]["sentence"]
    assert effect.startswith(("MADE-UP (synthetic data", "The effect of the pathways"))

    page = (out / "artefacts" / "summary.html").read_text(encoding="utf-8")
    assert "<title>SYNTHETIC — Pathway monitoring: ES61</title>" in page
    assert f"This page covers {len(people):,} jobseekers in ES61" in page
    assert "SYNTHETIC — Pathway monitoring: ES61" in _last_html(out / "monitoring.ipynb")


@pytest.mark.slow
def test_table_with_pathways_and_reviews_in_the_database(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.db import Database
    from workbench.pathways.build import build_pathways
    from workbench.pathways.oversight import OversightService

    home = _home(tmp_path)
    people = generate_jobseekers(300, seed=3, regions=["ES61"])
    people["person_id"] = [
        "p_" + hashlib.sha256(p.encode()).hexdigest()[:32] for p in people["person_id"]
    ]
    pack = tmp_path / "pack"
    pack.mkdir()
    people.to_csv(pack / "jobseekers.csv", index=False)

    service = OversightService(Database(db_url))
    model = load_approved_profiling(home / "shared_models")
    pathways = build_pathways(people.iloc[:120], model, home / "shared_models")
    ids = service.save_pathways(pathways, by="test")
    for n, (pid, pathway) in enumerate(zip(ids, pathways, strict=True)):
        action = ("accept", "change", "reject")[n % 3]
        reason = None if action == "accept" else f"test reason {n}"
        change_to = "training" if action == "change" else None
        step_id = pathway.steps[0].step_id
        service.record_review(pid, step_id, action, reason, by="counsellor", change_to=change_to)
    monkeypatch.setenv("WORKBENCH_DB_URL", db_url)  # the kernel inherits it

    saved, out = _execute(home, pack, people_file="jobseekers.csv", region="ES61")
    assert saved["data"]["steps"] == "120 pathways stored in the database"
    expected = mon.uptake_and_overrides(
        mon.steps_frame(list(zip(ids, pathways, strict=True))),
        mon.reviews_frame(service.reviews()),
        people,
    )
    _same(saved["uptake"], expected, ["kind", "offered", "reviewed", "reject", "override_rate"])
    overrides = saved["headline"]["overrides"]
    assert overrides["reviewed"] == 120 and overrides["override_rate"] == pytest.approx(80 / 120)
    page = (out / "artefacts" / "summary.html").read_text(encoding="utf-8")
    assert "Counsellors reviewed 120 of" in page and "changed or rejected 67%" in page
    assert page.count("<img ") == 3
