from pathlib import Path
from typing import Any

import pytest

from workbench.exceptions import InvalidInput
from workbench.participation.spec import MAX_STATEMENT_CHARS, WorkshopSpec, load_spec, parse_spec


def _raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "title": "Youth employment",
        "scale": 5,
        "expected_mix": {"employers": 4, "unions": 2},
        "options": [
            {"key": "training", "label": "Training"},
            {"key": "wage_subsidy", "label": "Wage subsidy"},
            {"key": "job_search", "label": "Job search assistance"},
        ],
        "criteria": [
            {"key": "effectiveness", "label": "Effectiveness"},
            {"key": "feasibility", "label": "Feasibility"},
        ],
        "statements": ["One.", "Two.", "Three.", "Four."],
    }
    raw.update(overrides)
    return raw


def _problems(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_spec(raw, "spec.yaml")
    assert caught.value.problems, "InvalidInput without problems"
    return [(p.key, p.message) for p in caught.value.problems]


def test_valid_spec() -> None:
    spec = parse_spec(_raw(statements=["  padded  ", "x" * MAX_STATEMENT_CHARS]), "spec.yaml")
    assert isinstance(spec, WorkshopSpec)
    assert spec.option_keys() == ["training", "wage_subsidy", "job_search"]
    assert spec.criterion_keys() == ["effectiveness", "feasibility"]
    assert spec.scale == 5
    assert spec.statements[0] == "padded"
    assert spec.expected_mix == {"employers": 4, "unions": 2}
    assert parse_spec(_raw(scale=9), "spec.yaml").scale == 9


def test_duplicate_option_keys() -> None:
    options = [{"key": "training", "label": "A"}, {"key": "training", "label": "B"}]
    problems = _problems(_raw(options=options))
    assert len(problems) == 1
    key, message = problems[0]
    assert "options" in f"{key} {message}"
    assert "duplicate" in message and "training" in message


def test_duplicate_criterion_keys() -> None:
    criteria = [{"key": "fairness", "label": "A"}, {"key": "fairness", "label": "B"}]
    (key, message), *_ = _problems(_raw(criteria=criteria))
    assert "criteria" in f"{key} {message}" and "fairness" in message


@pytest.mark.parametrize("bad", ["Training", "1st", "with space", "a-b", "x" * 41, ""])
def test_bad_option_key_pattern(bad: str) -> None:
    options = [{"key": "training", "label": "A"}, {"key": bad, "label": "B"}]
    problems = _problems(_raw(options=options))
    assert [k for k, _ in problems] == ["options.1.key"]
    assert "lower-case" in problems[0][1]


def test_scale_must_be_5_or_9() -> None:
    problems = _problems(_raw(scale=7))
    assert [k for k, _ in problems] == ["scale"]


def test_unknown_stakeholder_group_in_expected_mix() -> None:
    problems = _problems(_raw(expected_mix={"employers": 2, "aliens": 3}))
    assert [k for k, _ in problems] == ["expected_mix"]
    assert "aliens" in problems[0][1] and "employers" in problems[0][1]


def test_negative_expected_count() -> None:
    problems = _problems(_raw(expected_mix={"unions": -1}))
    assert [k for k, _ in problems] == ["expected_mix"]


def test_over_long_statement() -> None:
    problems = _problems(_raw(statements=["ok", "x" * (MAX_STATEMENT_CHARS + 1)]))
    assert [k for k, _ in problems] == ["statements"]
    assert str(MAX_STATEMENT_CHARS) in problems[0][1]


def test_empty_statement_and_extra_field_are_all_reported() -> None:
    problems = _problems(_raw(statements=["   "], colour="red", options=[]))
    keys = {k for k, _ in problems}
    assert {"statements", "colour", "options"} <= keys


def test_not_a_mapping() -> None:
    problems = _problems(["title", "x"])
    assert problems == [("", "must be a mapping of workshop settings")]


SPEC_YAML = """\
title: Youth employment
scale: 5
options:
  - key: training
    label: Training
  - key: wage_subsidy
    label: Wage subsidy
criteria:
  - key: effectiveness
    label: Effectiveness
statements:
  - Employers should co-design the training content.
"""


def test_load_spec_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_YAML)
    spec = load_spec(path)
    assert spec.option_keys() == ["training", "wage_subsidy"]


def test_load_spec_broken_yaml_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    # Line 6 opens a flow sequence that is never closed properly.
    lines = SPEC_YAML.splitlines()
    lines[5] = "    label: [Wage subsidy"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert problem.source == str(path)
    assert problem.line is not None and problem.line >= 6
    assert str(problem).startswith(f"{path}:{problem.line}:")
    assert "YAML syntax error" in str(problem)


def test_load_spec_tab_indentation_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("title: x\nscale: 5\n\toptions: []\n")
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert str(problem).startswith(f"{path}:3:")


@pytest.mark.parametrize(
    ("line_no", "replacement", "key"),
    [
        (2, "scale: 7", "scale"),
        (6, "  - key: Wage-Subsidy", "options.1.key"),
        (10, "    labl: Effectiveness", "criteria.0.labl"),
    ],
)
def test_load_spec_wrong_field_reports_file_line_and_key(
    tmp_path: Path, line_no: int, replacement: str, key: str
) -> None:
    lines = SPEC_YAML.splitlines()
    lines[line_no - 1] = replacement
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    located = [p for p in caught.value.problems if p.key == key]
    assert located, [str(p) for p in caught.value.problems]
    assert located[0].line == line_no
    assert str(located[0]).startswith(f"{path}:{line_no}: {key}:")


def test_load_spec_duplicate_yaml_key_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_YAML + "scale: 9\n")
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert problem.key == "scale" and problem.line == len(SPEC_YAML.splitlines()) + 1


def test_load_spec_duplicate_option_keys_reports_key_path_and_line(tmp_path: Path) -> None:
    lines = SPEC_YAML.splitlines()
    lines[5] = "  - key: training"  # second option now repeats the first option's key
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert "duplicate" in problem.message
    assert problem.key.startswith("options")
    assert problem.line is not None


# -- points (what matters most) ------------------------------------------------------


def test_points_default_on_with_two_criteria_and_off_with_one() -> None:
    assert parse_spec(_raw(), "spec.yaml").points == 100
    one = _raw(criteria=[{"key": "effectiveness", "label": "Effectiveness"}])
    assert parse_spec(one, "spec.yaml").points is None
    assert parse_spec(_raw(points=True), "spec.yaml").points == 100
    assert parse_spec(_raw(points=False), "spec.yaml").points is None
    assert parse_spec(_raw(points=None), "spec.yaml").points is None
    assert parse_spec(_raw(points=10), "spec.yaml").points == 10
    dumped = parse_spec(_raw(), "spec.yaml").model_dump(mode="json")
    assert dumped["points"] == 100  # stored with the workshop, so it never changes


@pytest.mark.parametrize("value", [0, 9, 1001, -100, 2.5, 100.0, "100", "lots", [100], {}])
def test_points_must_be_a_budget_true_or_false(value: Any) -> None:
    assert _problems(_raw(points=value)) == [
        ("points", "must be a whole number of points from 10 to 1000 (e.g. 100), true or false")
    ]


def test_points_need_two_criteria() -> None:
    one = _raw(criteria=[{"key": "effectiveness", "label": "Effectiveness"}], points=100)
    assert _problems(one) == [("points", "spreading points needs at least two criteria")]


# -- languages ---------------------------------------------------------------------------

BILINGUAL = """\
title: Taller de empleo juvenil
language: es
languages: [es, en]
options:
  - key: training
    label: {es: Formación, en: Training}
    description: {es: Cursos cortos, en: Short courses}
  - key: job_search
    label: {es: Búsqueda de empleo}
criteria:
  - key: effectiveness
    label: {es: Eficacia, en: Effectiveness}
  - key: fairness
    label: Equidad
statements:
  - {es: Las empresas deben codiseñar la formación., en: Employers should co-design training.}
  - Hay que publicar los resultados cada año.
"""


def test_a_bilingual_spec_keeps_the_default_text_and_the_translations(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(BILINGUAL, encoding="utf-8")
    spec = load_spec(path)
    assert (spec.language, spec.languages) == ("es", ["es", "en"])
    training, search = spec.options
    assert (training.label, training.description) == ("Formación", "Cursos cortos")
    assert training.translations["en"].label == "Training"
    assert training.translations["en"].description == "Short courses"
    assert search.translations == {}  # no English: shown in Spanish, marked, on English pages
    assert spec.statements[0] == "Las empresas deben codiseñar la formación."
    assert spec.statement_translations == [{"en": "Employers should co-design training."}, {}]


def test_a_text_without_the_default_language_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(BILINGUAL.replace("{es: Búsqueda de empleo}", "{en: Job search}"))
    with pytest.raises(InvalidInput) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert problem.key == "options.1.label"
    assert "no text in the workshop's language 'es' (given: en)" in problem.message
    assert problem.line == 9


def test_languages_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="'xx' is not a language the workbench speaks"):
        parse_spec(_raw(language="xx"), "spec.yaml")
    fr = _raw(language="en", languages=["en"], statements=[{"en": "A", "fr": "B"}])
    with pytest.raises(InvalidInput, match=r"statements\.0: text in 'fr'"):
        parse_spec(fr, "spec.yaml")
    # without `languages`, the languages the content is written in are offered
    inferred = parse_spec(_raw(statements=[{"en": "A", "el": "Β"}]), "spec.yaml")
    assert inferred.languages == ["en", "el"]
