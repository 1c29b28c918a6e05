"""Batch scoring (workbench.pathways.batch): validate all, pseudonymise, score, write atomically.

Uses the approved profiling model and effectiveness model shipped in ``shared_models`` and
SYNTHETIC jobseekers (:func:`workbench.profiling.synthetic.generate_jobseekers`).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from workbench.exceptions import InvalidInput
from workbench.pathways import batch
from workbench.pathways.batch import OUTPUT_COLUMNS, score_file
from workbench.pathways.build import PathwayBuilder
from workbench.pathways.evidence import EvidenceView
from workbench.pathways.occupations import LabourView
from workbench.profiling.jobseekers import validate_jobseeker_frame
from workbench.profiling.model import load_approved_profiling
from workbench.profiling.pseudonym import create_key, is_pseudonym
from workbench.profiling.synthetic import generate_jobseekers

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared_models"


@pytest.fixture(scope="module")
def labour() -> LabourView:
    return LabourView.shipped()


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "pseudonym.key"
    monkeypatch.setenv("WORKBENCH_PSEUDONYM_KEY_FILE", str(path))
    return create_key(path)


@pytest.fixture
def jobseekers(tmp_path: Path) -> Path:
    frame = generate_jobseekers(120, seed=5, regions=["ES61", "DE21"])
    path = tmp_path / "jobseekers.csv"
    frame.to_csv(path, index=False)
    return path


def run(src: Path, out: Path, labour: LabourView, **kw: object) -> batch.ScoreReport:
    return score_file(src, out, models_dir=SHARED_MODELS, labour=labour, progress=False, **kw)


def test_scores_every_person_with_pseudonyms(jobseekers, tmp_path, labour, key_file) -> None:
    out = tmp_path / "pathways.csv"
    report = run(jobseekers, out, labour, outcomes_path=jobseekers)
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == list(OUTPUT_COLUMNS)
    assert report.people == 120 and report.steps == len(table)
    assert sum(report.bands.values()) == 120
    # pseudonyms only: no raw id is left anywhere in the file
    assert table["person"].map(is_pseudonym).all()
    assert table["person"].nunique() == 120
    assert "syn-" not in out.read_text(encoding="utf-8")
    # one row per step, steps in order, each with a reason and an evidence count
    first = table.groupby("person", sort=False)["step_order"].first()
    assert (first == "1").all()
    assert (table["reason"].str.len() > 50).all()
    assert (table["evidence_count"].astype(int) > 0).all()
    assert set(table["model_version"]) == {report.model_version}
    assert (table["synthetic"] == "True").all()
    # outcome data from the synthetic table: return-to-work rates where cells are big enough
    assert (table["return_to_work"] != "").any()
    assert not list(tmp_path.glob(".pathways.csv.*"))


def test_a_bad_row_stops_everything_and_names_row_and_field(
    jobseekers, tmp_path, labour, key_file
) -> None:
    text = jobseekers.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = text[3].split(",")
    cells[header.index("education")] = "doctorate"
    text[3] = ",".join(cells)
    jobseekers.write_text("\n".join(text) + "\n", encoding="utf-8")
    out = tmp_path / "pathways.csv"
    out.write_text("the previous output\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        run(jobseekers, out, labour)
    problem = err.value.problems[0]
    assert problem.line == 4 and problem.key == "education"
    assert out.read_text(encoding="utf-8") == "the previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobseekers.csv", "keys", "pathways.csv"]


def test_a_failure_while_writing_leaves_nothing_partial(
    jobseekers, tmp_path, labour, key_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pathways.csv"

    def broken(pathways: list, out) -> int:  # type: ignore[no-untyped-def]
        out.write("person,region\np_1,ES61\n")  # half a file, then the disk fails
        raise OSError("disk full")

    monkeypatch.setattr(batch, "write_pathways_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        run(jobseekers, out, labour)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobseekers.csv", "keys"]


def test_checks_before_scoring(jobseekers, tmp_path, labour, key_file) -> None:
    out = tmp_path / "pathways.csv"
    with pytest.raises(InvalidInput, match="not 99"):
        run(jobseekers, out, labour, model_version="99")
    with pytest.raises(InvalidInput, match="folder does not exist"):
        run(jobseekers, tmp_path / "nowhere" / "x.csv", labour)
    with pytest.raises(InvalidInput, match="is the input"):
        run(jobseekers, jobseekers, labour)
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        run(jobseekers, out, labour, threshold=0)
    key_file.unlink()
    with pytest.raises(InvalidInput, match="not found"):
        run(jobseekers, out, labour)
    assert not out.exists()


def test_the_approved_version_is_accepted(jobseekers, tmp_path, labour, key_file) -> None:
    version = load_approved_profiling(SHARED_MODELS).version
    out = tmp_path / "pathways.csv"
    first = run(jobseekers, out, labour, model_version=version, threshold=0.3)
    before = out.read_bytes()
    run(jobseekers, out, labour, model_version=version, threshold=0.3)
    assert out.read_bytes() == before  # same key, model and input: the same file
    assert first.model_version == version
    packed = tmp_path / "pathways.csv.gz"
    run(jobseekers, packed, labour, model_version=version, threshold=0.3)
    assert gzip.decompress(packed.read_bytes()) == before


def test_the_fast_writer_matches_the_frame(jobseekers, tmp_path, labour, key_file) -> None:
    frame = pd.read_csv(jobseekers, dtype=str, keep_default_na=False).head(40)
    frame = validate_jobseeker_frame(frame)
    frame.loc[0, "person_id"] = 'odd, "quoted" id'  # needs CSV quoting
    model = load_approved_profiling(SHARED_MODELS)
    builder = PathwayBuilder(EvidenceView.load(SHARED_MODELS), labour)
    pathways = builder.build(frame, model.predict_risk(frame), model.version)
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    batch.write_atomic(lambda out: batch.write_pathways_csv(pathways, out), fast)
    batch.write_atomic(
        lambda out: batch.pathways_frame(pathways).to_csv(out, index=False, lineterminator="\n"),
        slow,
    )
    pd.testing.assert_frame_equal(pd.read_csv(fast), pd.read_csv(slow))
    assert pd.read_csv(fast)["person"].iloc[0] == 'odd, "quoted" id'


def test_the_file_and_the_stored_pathways_land_together(
    jobseekers, tmp_path, labour, key_file
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pathways.csv"
    stored: list[list[object]] = []

    def save(pathways: list[object]) -> int:
        assert not out.exists()  # the file is renamed into place only after the save
        stored.append(pathways)
        return len(pathways)

    report = run(jobseekers, out, labour, save=save)
    assert report.saved == 120 and out.exists()
    assert {p.person for p in stored[0]} == set(pd.read_csv(out)["person"])

    def failing(_pathways: list[object]) -> int:
        raise RuntimeError("database gone")

    fresh = tmp_path / "again.csv"
    with pytest.raises(RuntimeError, match="database gone"):
        run(jobseekers, fresh, labour, save=failing)
    assert not fresh.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
