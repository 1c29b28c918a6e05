"""Tuned recommendation versions: identity, the audit trail to the feedback rows, guards.

On both databases, with planted camps (employers weigh effectiveness, unions
feasibility). Accepting re-runs notebooks, so acceptance and rollback end to end are in
``tests/test_tuning_loop.py``; here an accept event is written directly where a test
needs an accepted version.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.db import recommendations as store
from workbench.exceptions import InvalidInput, RunNotFound
from workbench.service import Workbench

RATINGS = {
    "training": {"effectiveness": 5, "feasibility": 1},
    "wage_subsidy": {"effectiveness": 1, "feasibility": 5},
    "job_search": {"effectiveness": 3, "feasibility": 3},
}


def _camps(env: Any, employers: int = 4, unions: int = 3) -> dict[str, list[str]]:
    if env.workshops.get(env.wid).state == "draft":
        env.open()
    tokens = {}
    for group, count, points in (
        ("employers", employers, {"effectiveness": 80, "feasibility": 20}),
        ("unions", unions, {"effectiveness": 20, "feasibility": 80}),
    ):
        tokens[group] = env.participants(count, groups=[group])
        for token in tokens[group]:
            env.submit(token, "rating", {"ratings": RATINGS})
            env.submit(token, "points", points)
    return tokens


def _wb(env: Any) -> Workbench:
    return Workbench(Settings(home=env.settings.home, db_url=env.settings.database_url))


def _accept_directly(wb: Workbench, case_slug: str, version: str) -> None:
    """An accept event without the re-run (the re-run is tested in test_tuning_loop)."""
    with wb.db.session(write=True) as s:
        store.add_event(s, case_slug=case_slug, version=version, action="accept",
                        actor="Test", reason="planted")  # fmt: skip


def test_identical_feedback_gives_an_identical_version_and_it_names_its_rows(env: Any) -> None:
    tokens = _camps(env)
    wb = _wb(env)
    try:
        first = wb.recommendations.propose(env.wid, by="Ana", n_draws=100)
        again = wb.recommendations.propose(env.wid, by="Ben", n_draws=100)
        assert first.created and not again.created
        assert again.info.version == first.info.version
        assert again.info.created_by == "Ana"  # the stored version, unchanged
        assert len(wb.recommendations.list(workshop_id=env.wid)) == 1
        # the audit trail: exactly the round's points and ratings, with their revisions
        expected = env.rows(
            "SELECT id, revision FROM feedback WHERE workshop_id = :w AND round = 1 "
            "AND kind IN ('points', 'rating') ORDER BY id",
            w=env.wid,
        )
        rows = first.info.feedback_rows
        assert rows == tuple((r["id"], r["revision"]) for r in expected)
        assert len(rows) == 7 * (3 * 2 + 2)  # 7 people: 6 ratings and 2 points each
        # other parameters are another version
        topsis = wb.recommendations.propose(env.wid, by="Ana", n_draws=100, method="topsis")
        assert topsis.created and topsis.info.version != first.info.version

        # a participant changes their points: a new version with its two revised rows;
        # the old one is untouched
        stored = wb.recommendations.get(first.info.version).as_dict()
        env.submit(tokens["unions"][0], "points", {"effectiveness": 50, "feasibility": 50})
        changed = wb.recommendations.propose(env.wid, by="Ana", n_draws=100)
        assert changed.created and changed.info.version != first.info.version
        revised = set(changed.info.feedback_rows) - set(first.info.feedback_rows)
        assert len(revised) == 2 and {r for _, r in revised} == {2}
        assert wb.recommendations.get(first.info.version).as_dict() == stored
        diff = wb.recommendations.diff(first.info.short, changed.info.short)
        assert "feedback rows: 56 -> 56 (0 new, 2 revised, 0 gone)" in diff
        assert any(line.startswith("weights: ") and "feasibility" in line for line in diff)
    finally:
        wb.close()


def test_changes_are_against_the_evidence_or_the_accepted_parent(env: Any) -> None:
    _camps(env, employers=4, unions=3)
    wb = _wb(env)
    try:
        first = wb.recommendations.propose(env.wid, by="Ana", n_draws=100, group_rule="as-present")
        # no policy mix in this publication: compared with the workshop's list
        assert first.info.changes["against"] == "the options as the workshop listed them"
        assert first.info.parent is None
        _accept_directly(wb, env.CASE_SLUG, first.info.version)
        assert wb.recommendations.get(first.info.short).status == "accepted"
        second = wb.recommendations.propose(env.wid, by="Ana", n_draws=100, group_rule="equal")
        assert second.info.parent == first.info.version
        assert second.info.changes["against"].startswith(f"version {first.info.short}")
        # tuning the accepted inputs again returns the accepted version itself
        same = wb.recommendations.propose(env.wid, by="Ana", n_draws=100, group_rule="as-present")
        assert same.info.version == first.info.version and not same.created
        docs = wb.recommendations.accepted_docs([env.CASE_SLUG, "no-such-case"])
        assert list(docs) == [env.CASE_SLUG]
        assert docs[env.CASE_SLUG]["version"] == first.info.version
        assert docs[env.CASE_SLUG]["ranking"][0]["label"] in {
            "Training", "Wage Subsidy", "Job Search"
        }  # fmt: skip
        # guards: accepting the accepted one, rolling back to a newer one
        with pytest.raises(InvalidInput, match="already the accepted"):
            wb.recommendations.accept(first.info.short, by="Ana", reason="again")
        with pytest.raises(InvalidInput, match="newer than the accepted"):
            wb.recommendations.rollback(second.info.short, by="Ana", reason="back")
        with pytest.raises(InvalidInput, match="name the case study"):
            wb.recommendations.rollback("evidence", by="Ana", reason="back")
        with pytest.raises(InvalidInput, match="reason"):
            wb.recommendations.accept(second.info.short, by="Ana", reason="  ")
    finally:
        wb.close()


def test_a_refused_round_stores_nothing_and_bad_versions_are_named(env: Any) -> None:
    _camps(env, employers=2, unions=1)
    wb = _wb(env)
    try:
        with pytest.raises(InvalidInput) as exc:
            wb.recommendations.propose(env.wid, by="Ana", n_draws=50)
        assert "5" in str(exc.value.problems) and "3" in str(exc.value.problems)
        assert wb.recommendations.list() == [] and env.count("recommendation_event") == 0
        with pytest.raises(InvalidInput, match="by"):
            wb.recommendations.propose(env.wid, by="   ", n_draws=50)
        for bad in ("", "ab", "xyz123", "not a version"):
            with pytest.raises(InvalidInput, match="not a version"):
                wb.recommendations.get(bad)
        with pytest.raises(RunNotFound, match="matches no stored version"):
            wb.recommendations.get("abcdef12")
    finally:
        wb.close()


def test_concurrent_proposals_of_the_same_round_store_one_version(env: Any) -> None:
    _camps(env)
    found: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def propose() -> None:
        wb = _wb(env)
        try:
            barrier.wait(timeout=30)
            found.append(wb.recommendations.propose(env.wid, by="Ana", n_draws=50).info.version)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            wb.close()

    threads = [threading.Thread(target=propose) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(set(found)) == 1 and len(found) == 4
    assert env.count("recommendation_version") == 1
    assert env.count("recommendation_event") == 1  # one "propose"


def test_the_cli_proposes_lists_shows_and_diffs(env: Any) -> None:
    tokens = _camps(env)
    base = ["--home", str(env.settings.home), "--db-url", env.settings.database_url]

    def cli(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(workbench_cli, [*base, *args])
        assert result.exit_code == code, result.output + result.stderr
        return result.output + result.stderr

    preview = cli("tune", str(env.wid), "--preview", "--draws", "50")
    assert "stored" not in preview and env.count("recommendation_version") == 0
    out = cli("tune", str(env.wid), "--draws", "50", "--by", "Ana")
    short = out.split("stored as version ")[1].split()[0]
    assert len(short) == 12
    env.submit(tokens["employers"][0], "points", {"effectiveness": 10, "feasibility": 90})
    out = cli("tune", str(env.wid), "--draws", "50", "--by", "Ana")
    other = out.split("stored as version ")[1].split()[0]
    listed = cli("recommendation", "list", "--workshop", str(env.wid))
    assert short in listed and other in listed and "proposed" in listed
    shown = cli("recommendation", "show", short)
    assert f"version {short} (proposed)" in shown and "sensitivity:" in shown
    assert "56 feedback rows" in shown
    diff = cli("recommendation", "diff", short, other)
    assert diff.startswith(f"{short} -> {other}") and "2 revised" in diff
    history = cli("recommendation", "history", env.CASE_SLUG)
    assert history.count("propose") == 2 and "Ana" in history
    missing = cli("recommendation", "show", "0000ffff", code=2)
    assert "matches no stored version" in missing


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(text=st.text(max_size=80))
def test_any_version_text_is_found_or_refused_by_name(env: Any, text: str) -> None:
    wb = _wb(env)
    try:
        try:
            info = wb.recommendations.get(text)
        except (InvalidInput, RunNotFound) as exc:
            assert "version" in str(exc) or "version" in str(getattr(exc, "problems", ""))
        else:  # pragma: no cover - nothing is stored in this workshop
            raise AssertionError(f"found {info.version} for {text!r}")
    finally:
        wb.close()
