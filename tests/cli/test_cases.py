"""``workbench case`` and ``workbench templates``: skeletons, validation and refusals."""

import pytest


def test_case_new_writes_a_valid_skeleton(cli) -> None:
    result = cli("case", "new", "es51-c", "--region", "ES51", "--sector", "c")
    assert result.exit_code == 0, result.output
    assert cli("case", "validate", "es51-c").exit_code == 0
    listing = cli("case", "list")
    assert "es51-c" in listing.output and "ES51" in listing.output
    again = cli("case", "new", "es51-c", "--region", "ES51", "--sector", "C")
    assert again.exit_code == 2 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["Bad Slug", "--region", "ES51", "--sector", "C"], "not a valid slug"),
        (["ok", "--region", "XX51", "--sector", "C"], "not an EU/EEA country code"),
        (["ok", "--region", "PT1A", "--sector", "C"], "no data for region 'PT1A'"),
        (["ok", "--region", "PT1A", "--sector", "C"], "redrawn in NUTS 2024"),
        (["ok", "--region", "ES51", "--sector", "C", "--template", "nope"], "no template"),
        (["ok", "--region", "ES51", "--sector", "C", "--target-group", "cats"], "unknown group"),
    ],
)
def test_case_new_refuses_bad_input(cli, args: list[str], fragment: str) -> None:
    result = cli("case", "new", *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert not (cli.home / "case_studies" / "ok").exists()


def test_validate_all_and_templates_help(cli) -> None:
    result = cli("case", "validate")
    assert result.exit_code == 0, result.stderr
    assert "ok: 2 case studies, 4 run(s) planned" in result.output
    show = cli("templates", "show", "regional_diagnosis")
    assert "start_year: a whole number (>= 2014, <= 2024); default 2015" in show.output
    assert cli("templates", "show", "nope").exit_code == 2
