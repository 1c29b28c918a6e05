"""Reference classifications: NUTS region codes, NACE Rev. 2 sections, target groups.

NUTS codes follow Eurostat's scheme: a two-letter country code (Eurostat uses ``EL``
for Greece) followed by one character per level, e.g. ``ES`` (country), ``ES5``
(NUTS 1), ``ES51`` (NUTS 2), ``ES511`` (NUTS 3).
"""

from __future__ import annotations

import re

from workbench.i18n import N_

#: EU member states (Eurostat codes) and the EEA EFTA states.
EU_COUNTRIES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "EL": "Greece",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
}
EEA_EFTA_COUNTRIES: dict[str, str] = {"IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway"}
COUNTRIES: dict[str, str] = {**EU_COUNTRIES, **EEA_EFTA_COUNTRIES}

#: Codes people often type that Eurostat spells differently.
_COUNTRY_HINTS = {"GR": "EL (Greece)", "UK": "no code: the UK left the EU and the EEA"}

_NUTS_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")

#: NACE Rev. 2 sections.
NACE_SECTIONS: dict[str, str] = {
    "A": "Agriculture, forestry and fishing",
    "B": "Mining and quarrying",
    "C": "Manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply; sewerage, waste management and remediation",
    "F": "Construction",
    "G": "Wholesale and retail trade; repair of motor vehicles",
    "H": "Transportation and storage",
    "I": "Accommodation and food service activities",
    "J": "Information and communication",
    "K": "Financial and insurance activities",
    "L": "Real estate activities",
    "M": "Professional, scientific and technical activities",
    "N": "Administrative and support service activities",
    "O": "Public administration and defence; compulsory social security",
    "P": "Education",
    "Q": "Human health and social work activities",
    "R": "Arts, entertainment and recreation",
    "S": "Other service activities",
    "T": "Activities of households as employers",
    "U": "Activities of extraterritorial organisations and bodies",
}

#: Target groups of ALMPs a case study can focus on.
TARGET_GROUPS: dict[str, str] = {
    "youth": "Young people (15-29), incl. NEETs",
    "long_term_unemployed": "Long-term unemployed (12+ months)",
    "women": "Women",
    "older_workers": "Older workers (55+)",
    "low_skilled": "Low-skilled (ISCED 0-2)",
    "migrants": "Migrants and people of foreign origin",
    "persons_with_disabilities": "Persons with disabilities",
}

#: Stakeholder groups of a regional co-design workshop.
STAKEHOLDER_GROUPS: dict[str, str] = {
    "employment_service": N_("Public employment service"),
    "employers": N_("Employers and business associations"),
    "unions": N_("Trade unions"),
    "training_providers": N_("Education and training providers"),
    "ngos": N_("NGOs and civil society"),
    "municipalities": N_("Municipalities and regional government"),
    "researchers": N_("Researchers"),
    "other": N_("Other"),
}


def nuts_problem(code: object) -> str | None:
    """Return why ``code`` is not a well-formed EU/EEA NUTS code, or None if it is."""
    if not isinstance(code, str):
        return f"expected a NUTS code as text, got {type(code).__name__} {code!r}"
    if not _NUTS_RE.match(code):
        return (
            f"{code!r} is not a well-formed NUTS code: expected two capital letters "
            "and up to three more letters or digits, e.g. 'ES51'"
        )
    country = code[:2]
    if country in _COUNTRY_HINTS:
        hint = _COUNTRY_HINTS[country]
        return f"{code!r}: country code {country} is not used by Eurostat; use {hint}"
    if country not in COUNTRIES:
        return f"{code!r}: {country} is not an EU/EEA country code"
    return None


def nuts_level(code: str) -> int:
    """NUTS level of a well-formed code: 0 (country) to 3."""
    return len(code) - 2


def country_of(code: str) -> str:
    """Country code of a NUTS code."""
    return code[:2]
