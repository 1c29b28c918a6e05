import pytest

from workbench.classifications import country_of, nuts_level, nuts_problem


@pytest.mark.parametrize("code", ["ES", "ES5", "ES51", "ES511", "EL30", "NO08", "DEA1"])
def test_well_formed_eu_eea_codes_pass(code: str) -> None:
    assert nuts_problem(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("es51", "not a well-formed NUTS code"),
        ("ES5111", "not a well-formed NUTS code"),
        ("E", "not a well-formed NUTS code"),
        ("ES-51", "not a well-formed NUTS code"),
        ("US12", "US is not an EU/EEA country code"),
        ("GR30", "use EL (Greece)"),
        ("UKI3", "left the EU"),
        (51, "expected a NUTS code as text"),
        (None, "expected a NUTS code as text"),
    ],
)
def test_malformed_codes_say_why(code: object, fragment: str) -> None:
    problem = nuts_problem(code)
    assert problem is not None and fragment in problem


def test_levels_and_country() -> None:
    assert [nuts_level(c) for c in ("DE", "DE2", "DE21", "DE212")] == [0, 1, 2, 3]
    assert country_of("DE212") == "DE"
