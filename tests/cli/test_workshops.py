"""``workbench workshop``: creating a workshop with an expected stakeholder mix."""

from pathlib import Path


def test_workshop_create_takes_the_expected_stakeholder_mix(demo_runs, tmp_path: Path) -> None:
    import contextlib

    from click.testing import CliRunner

    from workbench.cli import cli as workbench_cli

    home = tmp_path / "ws"
    stack = contextlib.ExitStack()
    db_url = demo_runs.copy(home, stack)
    base = ["--home", str(home), *(["--db-url", db_url] if db_url else [])]

    def run(*args: str):
        return CliRunner().invoke(workbench_cli, [*base, *args])

    with stack:
        _check_mix(run)
        _check_languages(run)


def _check_mix(run) -> None:
    import json

    assert run("publish", "es61-manufacturing-youth").exit_code == 0
    mix = ["--mix", "employers=2", "--mix", "unions=1", "--mix", "ngos=1"]
    made = run("workshop", "create", "es61-manufacturing-youth", "--expected", "4", *mix, "--json")
    assert made.exit_code == 0, made.output
    shown = run("workshop", "show", str(json.loads(made.output)["id"]), "--json")
    assert json.loads(shown.output)["expected_mix"] == {"employers": 2, "unions": 1, "ngos": 1}

    for bad, message in [
        (["--mix", "employers"], "--mix: employers: must look like GROUP=N, e.g. employers=3"),
        (["--mix", "employers=two"], "must look like GROUP=N"),
        (["--mix", "unions=1", "--mix", "unions=2"], "unions is given twice"),
        (["--mix", "pirates=1"], "unknown stakeholder group 'pirates'"),
    ]:
        result = run("workshop", "create", "es61-manufacturing-youth", *bad)
        assert result.exit_code == 2, (bad, result.output)
        assert message in result.output, (bad, result.output)
    assert len(json.loads(run("workshop", "list", "--json").output)) == 1  # nothing made


def _check_languages(run) -> None:
    """``--language es --languages es,en``: the default content is written in both."""
    import json

    from workbench.i18n import translator

    made = run(
        "workshop", "create", "es61-manufacturing-youth", "--language", "es",
        "--languages", "es,en", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    info = json.loads(made.output)
    assert (info["language"], info["languages"]) == ("es", ["es", "en"])
    es = translator("es")
    criterion = info["criteria"][0]
    assert criterion["label"] == es._("Effectiveness") != "Effectiveness"
    assert criterion["translations"]["en"]["label"] == "Effectiveness"
    assert info["title"] == es._("Co-design workshop: {title}").format(
        title=info["title"].split(": ", 1)[1]
    )
    shown = run("workshop", "show", str(info["id"]))
    assert "language: es (offered: es, en)" in shown.output
    for bad, message in [
        (["--language", "pt"], "--language: 'pt' is not a language the workbench speaks"),
        (["--languages", "es,xx"], "--languages: 'xx' is not a language"),
    ]:
        result = run("workshop", "create", "es61-manufacturing-youth", *bad)
        assert result.exit_code == 2, (bad, result.output)
        assert message in result.output, (bad, result.output)
