"""A stored round re-ranks the options (``workbench tune``): planted camps, both databases."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from workbench.cli import cli as workbench_cli
from workbench.config import Settings
from workbench.exceptions import InvalidInput
from workbench.participation.tuning import tune_round
from workbench.service import Workbench

#: training is strong on effectiveness, wage_subsidy on feasibility, job_search in between
RATINGS = {
    "training": {"effectiveness": 5, "feasibility": 1},
    "wage_subsidy": {"effectiveness": 1, "feasibility": 5},
    "job_search": {"effectiveness": 3, "feasibility": 3},
}


def _camps(env: Any, employers: int, unions: int) -> None:
    """Employers give effectiveness 80 points, unions give feasibility 80; all rate alike."""
    if env.workshops.get(env.wid).state == "draft":
        env.open()
    for group, count, points in (
        ("employers", employers, {"effectiveness": 80, "feasibility": 20}),
        ("unions", unions, {"effectiveness": 20, "feasibility": 80}),
    ):
        for token in env.participants(count, groups=[group]):
            env.submit(token, "rating", {"ratings": RATINGS})
            env.submit(token, "points", points)


def _workbench(env: Any) -> Workbench:
    return Workbench(Settings(home=env.settings.home, db_url=env.settings.database_url))


def test_equal_groups_neutralise_a_flooded_group_and_as_present_does_not(env: Any) -> None:
    _camps(env, employers=12, unions=3)
    wb = _workbench(env)
    try:
        equal = tune_round(wb, env.wid, method="weighted-sum", group_rule="equal", n_draws=200)
        present = tune_round(wb, env.wid, group_rule="as-present", n_draws=200)
    finally:
        wb.close()
    assert equal.weights["effectiveness"] == pytest.approx(0.5)
    assert present.weights["effectiveness"] == pytest.approx((12 * 0.8 + 3 * 0.2) / 15)
    # weighted sum on min-max scores: equal weights tie training and wage_subsidy, and the
    # flooded group's criterion puts training first when people count as present
    assert present.order[0] == "training"
    assert equal.ranking[0].preference == pytest.approx(equal.ranking[1].preference)
    assert {r.option for r in present.ranking} == set(RATINGS)
    # the same round, the same parameters: the same hash and figures
    wb = _workbench(env)
    try:
        again = tune_round(wb, env.wid, group_rule="as-present", n_draws=200)
    finally:
        wb.close()
    assert again.input_hash == present.input_hash and again.to_dict() == present.to_dict()


def test_a_round_without_enough_people_is_refused_with_the_threshold(env: Any) -> None:
    wb = _workbench(env)
    try:
        env.open()
        with pytest.raises(InvalidInput, match="no feedback"):
            tune_round(wb, env.wid)
        _camps(env, employers=2, unions=1)
        with pytest.raises(InvalidInput) as exc:
            tune_round(wb, env.wid)
        assert "3" in str(exc.value.problems) and "5" in str(exc.value.problems)
    finally:
        wb.close()


def test_the_tune_command_prints_the_ranking_and_exits_2_on_refusal(env: Any) -> None:
    base = ["--home", str(env.settings.home), "--db-url", env.settings.database_url]
    env.open()
    refused = CliRunner().invoke(workbench_cli, [*base, "tune", str(env.wid)])
    assert refused.exit_code == 2
    assert "no feedback" in refused.output + refused.stderr
    _camps(env, employers=4, unions=3)
    result = CliRunner().invoke(
        workbench_cli, [*base, "tune", str(env.wid), "--groups", "expected-mix", "--draws", "100"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "groups expected-mix" in result.output
    assert "first in" in result.output and "sensitivity" in result.output
    for option in RATINGS:
        assert option in result.output
