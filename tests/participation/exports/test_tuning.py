"""Tuned recommendation versions in workshop exports (issue 14): the versions, their rank
probabilities and the case's log, exact in every format, on SQLite and PostgreSQL.

Versions are proposed through the real service (``wb.recommendations.propose``). Accepting
re-runs notebooks (tested end to end in ``tests/test_tuning_loop.py``), so where a test
needs an accepted version it writes the accept event directly, as
``tests/participation/test_recommendations.py`` does.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from workbench.config import Settings
from workbench.db import recommendations as store
from workbench.participation.exports import (
    FORMATS,
    TABLES,
    make_frame,
    read_export,
    workshop_tables,
    write_export,
)
from workbench.participation.exports.tuning import RANKS, extra_columns
from workbench.participation.recommendations import RecommendationInfo
from workbench.service import Workbench

RATINGS = {
    "training": {"effectiveness": 5, "feasibility": 1},
    "wage_subsidy": {"effectiveness": 1, "feasibility": 5},
    "job_search": {"effectiveness": 3, "feasibility": 3},
}
TUNING = ("recommendations", RANKS, "recommendation_events")
#: a facilitator's reason a spreadsheet would run as a formula if it were not guarded
HOSTILE_REASON = '=HYPERLINK("http://x","y") employers asked for it'


def _camps(env: Any, workshop_id: int, employers: int = 4, unions: int = 3) -> list[str]:
    """Employers give effectiveness 80 points, unions feasibility 80; all rate alike."""
    if env.workshops.get(workshop_id).state == "draft":
        env.open(workshop_id)
    tokens = []
    for group, count, points in (
        ("employers", employers, {"effectiveness": 80, "feasibility": 20}),
        ("unions", unions, {"effectiveness": 20, "feasibility": 80}),
    ):
        for i, token in enumerate(env.tokens(count, workshop_id=workshop_id)):
            env.register(token, group=group, name=f"Zelda {group} {i}", workshop_id=workshop_id)
            env.submit(token, "rating", {"ratings": RATINGS}, workshop_id=workshop_id)
            env.submit(token, "points", points, workshop_id=workshop_id)
            tokens.append(token)
    return tokens


def _accept_directly(wb: Workbench, case_slug: str, version: str, **fields: Any) -> None:
    """An accept event without the re-run (test only; the re-run is in test_tuning_loop)."""
    with wb.db.session(write=True) as s:
        store.add_event(s, case_slug=case_slug, version=version, action="accept", **fields)


@dataclass
class Tuned:
    """Two versions of the fixture workshop: the first accepted, the second proposed."""

    env: Any
    wb: Workbench
    first: RecommendationInfo
    second: RecommendationInfo
    tokens: list[str]


@pytest.fixture
def tuned(env: Any) -> Iterator[Tuned]:
    tokens = _camps(env, env.wid)
    wb = Workbench(Settings(home=env.settings.home, db_url=env.settings.database_url))
    try:
        first = wb.recommendations.propose(env.wid, by="Ana", n_draws=100).info
        _accept_directly(
            wb, env.CASE_SLUG, first.version, actor="Ana", reason=HOSTILE_REASON,
            run_hash="cd" * 32, publication_id=env.info.publication_id,
        )  # fmt: skip
        second = wb.recommendations.propose(
            env.wid, by="Ben", n_draws=100, method="topsis", group_rule="as-present"
        ).info
        yield Tuned(env, wb, wb.recommendations.get(first.version), second, tokens)
    finally:
        wb.close()


def test_versions_ranks_and_events_are_exported_with_their_exact_values(tuned: Tuned) -> None:
    env, first, second = tuned.env, tuned.first, tuned.second
    tables = workshop_tables(env.db, env.wid)
    assert list(tables)[-3:] == list(TUNING)

    versions = tables["recommendations"]
    assert list(versions.columns) == TABLES["recommendations"].names
    assert versions["version"].tolist() == [first.version, second.version]  # oldest first
    assert versions["status"].tolist() == ["accepted", "proposed"]
    for row, info in zip(versions.to_dict("records"), (first, second), strict=True):
        assert row["short"] == info.short and len(row["short"]) == 12
        assert (row["round"], row["method"], row["group_rule"]) == (
            info.round, info.method, info.group_rule,
        )  # fmt: skip
        assert (row["n_draws"], row["seed"], row["input_hash"]) == (100, 0, info.input_hash)
        assert row["evidence_model"] == info.evidence_model
        assert row["feedback_rows"] == len(info.feedback_rows) == 7 * (3 * 2 + 2)
        assert json.loads(row["weights"]) == info.result.weights
        assert json.loads(row["group_weights"]) == info.result.group_weights
        assert json.loads(row["ranking"]) == [
            {"rank": r.rank, "option": r.option, "p_first": r.p_first} for r in info.result.ranking
        ]
        assert row["changes_against"] == info.changes["against"]
        assert row["changes"].split("\n") == info.changes["lines"]
        assert row["sensitivity"].split("\n") == info.result.sensitivity_lines()
        assert row["created_by"] == info.created_by
        assert row["created_at"] == info.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert versions["parent"].tolist() == ["", first.version]
    assert versions["created_by"].tolist() == ["Ana", "Ben"]
    assert second.changes["against"].startswith(f"version {first.short}")

    ranks = tables[RANKS]
    assert list(ranks.columns) == [*TABLES[RANKS].names, "p_rank_1", "p_rank_2", "p_rank_3"]
    assert len(ranks) == 2 * 3
    labels = {o["key"]: o["label"] for o in env.info.options}
    for info in (first, second):
        mine = ranks[ranks["version"] == info.version].to_dict("records")
        assert [r["option"] for r in mine] == list(info.result.order)
        for row, r in zip(mine, info.result.ranking, strict=True):
            assert row["option_label"] == labels[r.option]
            assert (row["rank"], row["preference"], row["p_first"]) == (
                r.rank, r.preference, r.p_first,
            )  # fmt: skip
            assert (row["p_rank_1"], row["p_rank_2"], row["p_rank_3"]) == r.rank_probabilities
            assert row["insufficient_evidence"] == r.insufficient_evidence
    # each option's places add up to one, and each place is taken in every draw
    places = ranks[["p_rank_1", "p_rank_2", "p_rank_3"]]
    assert places.sum(axis=1).round(9).eq(1).all()
    assert places.groupby(ranks["version"]).sum().round(9).eq(1).all().all()

    events = tables["recommendation_events"]
    assert events["action"].tolist() == ["propose", "accept", "propose"]
    assert events["version"].tolist() == [first.version, first.version, second.version]
    assert events["from_version"].tolist() == ["", "", first.version]
    assert events["actor"].tolist() == ["Ana", "Ana", "Ben"]
    assert events["reason"].tolist() == [
        f"tuned workshop {env.wid} round 1", HOSTILE_REASON, f"tuned workshop {env.wid} round 1",
    ]  # fmt: skip
    assert events["run_hash"].tolist() == ["", "cd" * 32, ""]
    assert events["publication_id"].tolist() == ["", str(env.info.publication_id), ""]
    assert events["of_this_workshop"].tolist() == [True, True, True]
    history = tuned.wb.recommendations.history(env.CASE_SLUG)
    assert events["created_at"].tolist() == [
        e.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") for e in history
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_tuning_tables_round_trip_exactly_in_every_format(
    tuned: Tuned, tmp_path: Path, fmt: str
) -> None:
    tables = workshop_tables(tuned.env.db, tuned.env.wid)
    back = read_export(write_export(tables, fmt, home=tmp_path))
    assert list(back) == list(tables)
    for name in TUNING:  # floats exactly, not to a tolerance
        pd.testing.assert_frame_equal(back[name], tables[name], check_exact=True, obj=name)
    for name in TABLES:
        pd.testing.assert_frame_equal(back[name], tables[name], obj=name)
    assert back[RANKS]["p_first"].tolist() == [
        r.p_first for info in (tuned.first, tuned.second) for r in info.result.ranking
    ]
    assert back["recommendation_events"]["reason"].tolist()[1] == HOSTILE_REASON


def test_csv_describes_the_rank_columns_and_guards_the_reason(tuned: Tuned, tmp_path: Path) -> None:
    folder = write_export(workshop_tables(tuned.env.db, tuned.env.wid), "csv", home=tmp_path)
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    [ranks] = [r for r in package["resources"] if r["name"] == RANKS]
    fields = ranks["schema"]["fields"]
    assert [f["name"] for f in fields][-3:] == ["p_rank_1", "p_rank_2", "p_rank_3"]
    assert [f["type"] for f in fields][-5:] == ["number", "boolean", "number", "number", "number"]
    assert fields[-1]["description"] == "Share of draws in which the option was ranked 3."
    with (folder / "recommendation_events.csv").open(encoding="utf-8-sig", newline="") as fh:
        reasons = [row["reason"] for row in csv.DictReader(fh)]
    assert reasons[1] == "'" + HOSTILE_REASON  # one apostrophe: never run as a formula


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_tuning_tables_hold_no_participant_data(tuned: Tuned, tmp_path: Path, fmt: str) -> None:
    env = tuned.env
    tables = workshop_tables(env.db, env.wid)
    ids = tables["participants"]["participant"].tolist()
    assert len(ids) == 7
    path = write_export({name: tables[name] for name in TUNING}, fmt, home=tmp_path)
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    if fmt == "xlsx":
        with zipfile.ZipFile(path) as z:
            written = "".join(z.read(n).decode("utf-8") for n in z.namelist())
    else:
        written = "".join(f.read_text(encoding="utf-8-sig") for f in files if f.is_file())
    assert tuned.first.version in written and "Ben" in written
    for secret in [*ids, *tuned.tokens, "Zelda"]:
        assert secret not in written


def test_versions_of_other_workshops_are_in_the_log_only(tuned: Tuned) -> None:
    env, wb = tuned.env, tuned.wb
    other = env.create_workshop(title="The same case, another workshop")
    _camps(env, other.id, employers=3, unions=3)
    elsewhere = wb.recommendations.propose(other.id, by="Cem", n_draws=100).info
    _accept_directly(wb, env.CASE_SLUG, elsewhere.version, actor="Cem", reason="newer round",
                     from_version=tuned.first.version)  # fmt: skip

    mine = workshop_tables(env.db, env.wid)
    assert mine["recommendations"]["version"].tolist() == [
        tuned.first.version, tuned.second.version,
    ]  # fmt: skip
    # the case's accepted version is now the other workshop's
    assert mine["recommendations"]["status"].tolist() == ["was accepted", "proposed"]
    events = mine["recommendation_events"]
    assert events["version"].tolist()[-2:] == [elsewhere.version] * 2
    assert events["of_this_workshop"].tolist() == [True, True, True, False, False]
    assert events["actor"].tolist()[-1] == "Cem" and events["reason"].tolist()[-1] == "newer round"
    assert events["from_version"].tolist()[-1] == tuned.first.version

    theirs = workshop_tables(env.db, other.id)
    assert theirs["recommendations"]["version"].tolist() == [elsewhere.version]
    assert theirs["recommendations"]["status"].tolist() == ["accepted"]
    assert set(theirs[RANKS]["version"]) == {elsewhere.version}
    assert theirs["recommendation_events"]["of_this_workshop"].tolist() == [
        False, False, False, True, True,
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_workshop_without_versions_has_empty_tables_with_every_column(
    env: Any, tmp_path: Path, fmt: str
) -> None:
    tables = workshop_tables(env.db, env.wid)
    for name in TUNING:
        assert tables[name].empty, name
    assert list(tables[RANKS].columns)[-3:] == ["p_rank_1", "p_rank_2", "p_rank_3"]
    assert tables[RANKS]["p_first"].dtype == "float64"
    back = read_export(write_export(tables, fmt, home=tmp_path))
    for name in TUNING:
        pd.testing.assert_frame_equal(back[name], tables[name], obj=name)


def test_rank_columns_must_be_numbered_from_one() -> None:
    fixed = TABLES[RANKS].names
    assert extra_columns(RANKS, ["p_rank_1", "p_rank_2"]) is not None
    assert extra_columns(RANKS, ["p_rank_2"]) is None
    assert extra_columns(RANKS, ["p_rank_1", "p_rank_1"]) is None
    assert extra_columns("recommendations", ["p_rank_1"]) is None
    row = ["v", "training", "Training", 1, 0.5, 0.75, False]
    frame = make_frame(RANKS, [[*row, 0.75, 0.25]], [*fixed, "p_rank_1", "p_rank_2"])
    assert frame["p_rank_2"].tolist() == [0.25]
    with pytest.raises(ValueError, match="do not fit export table"):
        make_frame(RANKS, [[*row, 0.25]], [*fixed, "p_rank_2"])
