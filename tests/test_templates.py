from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.exceptions import InvalidInput, Problem, TemplateNotFound
from workbench.templates import TemplateLibrary, load_template

SCHEMA: dict[str, dict[str, Any]] = {
    "region": {"type": "nuts_region", "help": "NUTS code"},
    "sector": {"type": "nace_section", "default": "C"},
    "start_year": {"type": "integer", "default": 2015, "minimum": 2014, "maximum": 2024},
    "ratio": {"type": "number", "default": 1.2, "minimum": 0.5, "maximum": 3},
    "horizon": {"type": "string", "enum": ["short", "medium", "long"], "default": "medium"},
    "groups": {
        "type": "array",
        "items": {"type": "string", "enum": ["youth", "women"]},
        "default": ["youth"],
        "minItems": 1,
    },
    "note": {"type": "string", "default": "", "maxLength": 50},
    "flag": {"type": "boolean", "default": False},
}


def locate(key: str, message: str) -> Problem:
    return Problem("case.yaml", key, message)


@pytest.fixture
def template(tmp_path: Path, make_template: Callable[..., Path]) -> Any:
    return load_template(make_template(tmp_path / "t.ipynb", SCHEMA, ["pass"]), tmp_path)


def test_valid_parameters_get_defaults(template: Any) -> None:
    out = template.validate({"region": "ES61", "ratio": 2}, locate=locate)
    assert out == {
        "region": "ES61", "sector": "C", "start_year": 2015, "ratio": 2, "horizon": "medium",
        "groups": ["youth"], "note": "", "flag": False,
    }  # fmt: skip


def test_all_problems_reported_together(template: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        template.validate(
            {"start_year": "2015", "ratio": 99, "horizon": "soon", "colour": "red",
             "groups": ["youth", "aliens"], "data_dir": "/etc"},
            locate=locate,
        )  # fmt: skip
    text = str(info.value)
    by_key = {p.key: p.message for p in info.value.problems}
    assert by_key["region"].startswith("missing required parameter")
    assert by_key["start_year"] == "wrong type: expected a whole number, got str '2015'"
    assert by_key["ratio"] == "99 is above the maximum 3"
    assert "choose one of" in by_key["horizon"]
    assert by_key["colour"].startswith("unknown parameter")
    assert "groups.1" in by_key
    assert "set by the workbench itself" in by_key["data_dir"]
    assert len(info.value.problems) == 7, text


@pytest.mark.parametrize(
    ("params", "key", "fragment"),
    [
        ({"region": "ES61", "start_year": 2013}, "start_year", "below the minimum 2014"),
        ({"region": "ES61", "start_year": True}, "start_year", "wrong type"),
        ({"region": "ES61", "start_year": 2015.0}, "start_year", "wrong type"),
        ({"region": "ES61", "ratio": float("nan")}, "ratio", "not a finite number"),
        ({"region": "es61"}, "region", "not a well-formed NUTS code"),
        ({"region": "XX11"}, "region", "not an EU/EEA country code"),
        ({"region": "ES61", "sector": "Z"}, "sector", "not a NACE Rev. 2 section"),
        ({"region": "ES61", "groups": []}, "groups", "wrong length"),
        ({"region": "ES61", "note": "x" * 51}, "note", "50"),
        ({"region": "ES61", "flag": "yes"}, "flag", "expected true or false"),
    ],
)
def test_each_kind_of_bad_value(template: Any, params: dict, key: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        template.validate(params, locate=locate)
    assert [p.key for p in info.value.problems] == [key]
    assert fragment in info.value.problems[0].message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from([*SCHEMA, "data_dir", "other"]) | st.text(max_size=10),
        json_values,
        max_size=8,
    )
)
def test_random_parameters_validate_or_fail_cleanly(template: Any, params: dict) -> None:
    try:
        out = template.validate(params, locate=locate)
    except InvalidInput as exc:
        assert exc.problems, "an InvalidInput always carries its problems"
        assert all(isinstance(p, Problem) and p.message for p in exc.problems)
    else:
        assert set(out) == set(SCHEMA)
        assert template.validate(out, locate=locate) == out


def test_schema_must_match_parameters_cell(tmp_path: Path, make_template: Callable) -> None:
    path = make_template(tmp_path / "t.ipynb", SCHEMA, ["pass"])
    text = path.read_text().replace("start_year = 2015", "start = 2015")
    path.write_text(text)
    with pytest.raises(InvalidInput, match=r"assigns no default for \['start_year'\]"):
        load_template(path, tmp_path)


def test_bad_schema_type_is_reported(tmp_path: Path, make_template: Callable) -> None:
    path = make_template(tmp_path / "t.ipynb", {"x": {"type": "complex", "default": 1}}, [])
    with pytest.raises(InvalidInput, match="type must be one of"):
        load_template(path, tmp_path)


def test_library_lists_and_refuses_unknown(tmp_path: Path, make_template: Callable) -> None:
    make_template(tmp_path / "b.ipynb", SCHEMA, [])
    make_template(tmp_path / "a.ipynb", SCHEMA, [])
    library = TemplateLibrary(tmp_path)
    assert library.names() == ["a", "b"]
    assert "region" in library.get("a").help_text()
    with pytest.raises(TemplateNotFound, match=r"available: \['a', 'b'\]"):
        library.get("../etc/passwd")
