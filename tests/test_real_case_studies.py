"""The five real-data case studies, end to end: run, report, publish, workshop, app in Chromium.

They run once (SQLite; the database-dependent paths are covered on both databases by the
demo-pack tests) through the real CLI on real kernels, on the real Eurostat + ESCO pack.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import _axe
import _serve
import pytest
from click.testing import CliRunner

from workbench.cli import cli as workbench_cli
from workbench.config import REAL_DATA_DIR, Settings
from workbench.context import RegionContext
from workbench.data.labourdata import LabourData
from workbench.evidence.recommend import Recommendation, load_approved_model, recommend
from workbench.labour.regional import region_context
from workbench.service import Workbench
from workbench.workspace import init_workspace

pytestmark = pytest.mark.databases("sqlite")

#: slug -> (region, the unemployment class its 2025 rate implies; see tests/labour/test_regional.py)
CASES = {
    "es61-andalucia-jobs": ("ES61", "high"),
    "fr10-ile-de-france-services": ("FR10", "high"),
    "pl22-slaskie-transition": ("PL22", "low"),
    "el42-notio-aigaio-tourism": ("EL42", "high"),
    "de21-oberbayern-ict": ("DE21", "low"),
}


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("real") / "ws"
    init_workspace(home, cases=list(CASES))
    result = CliRunner().invoke(
        workbench_cli,
        ["--home", str(home), "run", "--all", "--workers", "2", "--no-progress"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output + result.stderr
    # diagnosis + policy_mix per case; the evidence review is the same for every case, so
    # it runs once and the other four point at that run
    assert "15 run(s): 11 completed, 4 cached, 0 failed" in result.output
    yield home


def _run_dir(home: Path, slug: str, template: str = "diagnosis") -> Path:
    (folder,) = (home / "runs" / slug / template).iterdir()
    return folder


@pytest.mark.parametrize("slug", sorted(CASES))
def test_each_case_study_has_its_policy_mix(real_runs: Path, slug: str) -> None:
    _region, unemployment = CASES[slug]
    doc = json.loads(
        (_run_dir(real_runs, slug, "policy_mix") / "artefacts" / "policy_mix.json").read_text()
    )
    # the policy mix uses the same context as the diagnosis, and the approved model
    diag = _run_dir(real_runs, slug) / "artefacts" / "context.json"
    context = RegionContext.from_dict(json.loads(diag.read_text()))
    assert RegionContext.from_dict(doc["context"]) == context
    assert doc["recommendation"]["context"]["unemployment"] == unemployment
    model, version = load_approved_model(real_runs / "shared_models")
    case = Workbench(Settings(home=real_runs)).case(slug)
    expected = recommend(
        context, list(case.target_groups), "long", model=model, model_version=version
    )
    assert Recommendation.from_dict(doc["recommendation"]) == expected
    assert doc["model"]["version"] == version
    options = doc["recommendation"]["by_group"][case.target_groups[0]]
    assert [o["rank"] for o in options] == [1, 2, 3, 4, 5]
    assert all(o["reason"] for o in options)


@pytest.mark.parametrize("slug", sorted(CASES))
def test_each_case_study_has_its_diagnosis(real_runs: Path, slug: str) -> None:
    region, unemployment = CASES[slug]
    folder = _run_dir(real_runs, slug)
    art = folder / "artefacts"
    d = json.loads((art / "diagnosis.json").read_text(encoding="utf-8"))
    assert d["region"]["code"] == region
    assert d["context"]["unemployment"] == unemployment
    # The context artefact is the one the pack implies, and round-trips.
    context = RegionContext.from_dict(json.loads((art / "context.json").read_text()))
    assert context == region_context(LabourData(REAL_DATA_DIR), region)
    # Attribution as the licences ask, and the synthetic table named.
    assert any(a.startswith("Source: Eurostat") for a in d["attribution"])
    assert any("This service uses the ESCO classification" in a for a in d["attribution"])
    assert any("[SYNTHETIC]" in p for p in d["synthetic_parts"])
    assert d["occupations"]["synthetic"] is True
    for png in ("unemployment", "tightness"):
        assert (art / f"{png}.png").stat().st_size > 10_000
    # The report opens offline: no script from a CDN; plotly.js is next to it.
    html = (folder / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert srcs and set(srcs) == {"plotly.min.js"}
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000
    assert "Real data, with SYNTHETIC tables" in html
    assert "This service uses the ESCO classification of the European Commission" in html
    assert "Eurostat is not responsible for this use" in html


def test_transitions_go_from_surplus_to_shortage(real_runs: Path) -> None:
    art = _run_dir(real_runs, "es61-andalucia-jobs") / "artefacts"
    d = json.loads((art / "diagnosis.json").read_text(encoding="utf-8"))
    shortage = {row["isco"] for row in d["occupations"]["shortage"]}
    assert d["transitions"], "Andalucía's table has surplus and shortage groups"
    for move in d["transitions"]:
        assert move["similarity"] >= 0.3
        assert len(move["skills_to_learn"]) == min(8, move["n_missing_essential"])
    assert {m["target"] for m in d["transitions"]} & shortage or len(shortage) == 10


def test_workshop_on_a_diagnosis_and_its_app_in_chromium(real_runs: Path, browser) -> None:  # type: ignore[no-untyped-def]
    db_url = Settings(home=real_runs).database_url
    serve = _serve.launch(real_runs, db_url, expected=1, slug="es61-andalucia-jobs")
    try:
        wb = Workbench(Settings(home=real_runs, db_url=db_url))
        try:
            info = wb.workshops.get(serve.workshop_id)
        finally:
            wb.close()
        # the workshop's default options are the policy mix's ranking for the first group
        doc = json.loads(
            (
                _run_dir(real_runs, "es61-andalucia-jobs", "policy_mix")
                / "artefacts"
                / "policy_mix.json"
            ).read_text()
        )
        ranked = doc["recommendation"]["by_group"]["youth"]
        assert [o["key"] for o in info.options] == [o["programme_type"] for o in ranked]
        for option, entry in zip(info.options, ranked, strict=True):
            if entry["p_positive"] is None:
                assert option["description"].startswith("Insufficient published evidence")
            else:
                assert option["description"].startswith(f"Evidence rank {entry['rank']}:")
        # The gallery says what the data are: real, with a synthetic table.
        with urllib.request.urlopen(serve.app_url) as resp:
            gallery = resp.read().decode("utf-8")
        assert "REAL DATA · SOME SYNTHETIC TABLES" in gallery
        assert "SYNTHETIC DEMO DATA" not in gallery

        (link,) = serve.links(1)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(link, timeout=120_000)
            page.get_by_text("What the data point to").wait_for(timeout=120_000)
            text = page.inner_text("body")
            assert "1. The region: Andalucía (ES61)" in text
            assert "Real data, with SYNTHETIC tables" in text
            assert "This service uses the ESCO classification of the European Commission" in text
            assert "From surplus to shortage occupations" in text
            assert "2. What works here: the evidence-based policy mix" in text
            assert "3. The published evidence behind it" in text
            assert ranked[0]["label"] in text
            for y in range(0, page.evaluate("document.body.scrollHeight"), 700):
                page.evaluate(f"window.scrollTo(0, {y})")  # lazy images load when seen
            page.wait_for_function(
                "[...document.querySelectorAll(\"img[src*='/workbench/artefacts/']\")]"
                ".every(e => e.complete && e.naturalWidth > 0)",
                timeout=30_000,
            )
            images = page.eval_on_selector_all(
                "img[src*='/workbench/artefacts/']",
                "els => els.map(e => [e.getAttribute('alt'), e.complete && e.naturalWidth])",
            )
            alts = " ".join(str(alt) for alt, _w in images)
            assert "ranked by the chance of a significantly positive effect" in alts
            assert "Forest plot" in alts
            assert len(images) >= 6 and all(width for _alt, width in images), images
            _axe.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(_axe.ARTIFACTS / "app-real-diagnosis.png"), full_page=True)
            _axe.check_axe(page, "app-real-diagnosis")
        finally:
            page.close()
    finally:
        serve.stop()


def test_the_loop_evidence_change_approval_rerun_new_ranking_rollback(
    real_runs: Path, tmp_path: Path
) -> None:
    """Experts retract the start-up support estimates: a candidate, which feeds nothing;
    approved, it makes exactly the evidence-dependent runs stale; re-run and republished,
    the workshop's options follow the new ranking; a rollback restores every run hash."""
    home = tmp_path / "ws"
    shutil.copytree(real_runs, home)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(workbench_cli, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output + result.stderr
        return result.output

    wb = Workbench(Settings(home=home))
    try:
        frame = wb.evidence.working_frame()
        startup = frame[frame["programme_type"] == "start_up_support"]
        assert len(startup) >= 6
        kept = frame[frame["programme_type"] != "start_up_support"]
        kept.to_csv(tmp_path / "without_startup.csv", index=False)
        edit = wb.evidence.import_file(
            tmp_path / "without_startup.csv", by="Dr. Ruiz", reason="re-check the start-up rows"
        )
        assert sorted(edit.retracted) == sorted(startup["id"])
    finally:
        wb.close()
    # a candidate feeds no run
    assert "15 run(s): 0 completed, 15 cached, 0 failed" in cli("run", "--all", "--no-progress")
    approved = cli("model", "approve", "almp_effectiveness", edit.version,
                   "--by", "Prof. Kim", "--reason", "agreed")  # fmt: skip
    for slug in CASES:
        assert f"{slug}" in approved
    # exactly the runs that read the model: 5 policy mixes + the evidence review (once)
    rerun = cli("run", "--all", "--no-progress")
    assert "15 run(s): 6 completed, 9 cached, 0 failed" in rerun
    cli("publish", "es61-andalucia-jobs")
    cli("workshop", "create", "es61-andalucia-jobs")
    wb = Workbench(Settings(home=home))
    try:
        # the newest workshop of the case (the Chromium test above made one on the old app)
        workshop = next(w for w in wb.workshops.list() if w.case_slug == "es61-andalucia-jobs")
        keys = [o["key"] for o in workshop.options]
        model, version = load_approved_model(home / "shared_models")
        assert version == edit.version
        assert model.cell("start_up_support", "long", "youth", "high")["status"] != "ok"
        assert keys[0] != "start_up_support" and "start_up_support" in keys
        description = {o["key"]: o["description"] for o in workshop.options}
        assert description["start_up_support"].startswith("Insufficient published evidence")
    finally:
        wb.close()
    cli("model", "rollback", "almp_effectiveness", "--by", "Prof. Kim", "--reason", "undo")
    assert "15 run(s): 0 completed, 15 cached, 0 failed" in cli("run", "--all", "--no-progress")
