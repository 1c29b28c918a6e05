"""The shipped gettext catalogs: complete, placeholder-true, honest about review.

The messages are extracted afresh from the code and templates (the same ``pybabel
extract`` as ``make i18n``), so a string added without its translations fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from workbench.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, placeholders, translator

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every marked message of the code and the templates, extracted now."""
    out = tmp_path_factory.mktemp("i18n") / "fresh.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_", "-k", "N_",
         "-k", "ngettext:1,2", "-k", "pgettext:1c,2", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with out.open("rb") as fh:
        return read_po(fh)


def _po(code: str) -> Catalog:
    with (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fh:
        return read_po(fh, locale=code)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id if m.context is None else (m.context, m.id) for m in catalog if m.id}


def test_the_template_is_up_to_date(extracted: Catalog) -> None:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as fh:
        shipped = read_po(fh)
    missing = _ids(extracted) - _ids(shipped)
    assert not missing, f"run `make i18n`: the .pot lacks {sorted(map(str, missing))[:10]}"
    assert len(_ids(extracted)) > 300  # the app, the pages, the dashboard, the minutes


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated(code: str, extracted: Catalog) -> None:
    catalog = _po(code)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {message.id!r}")
            continue
        forms = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if not all(forms):
            problems.append(f"untranslated: {message.id!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy (needs review): {message.id!r}")
    assert not problems, f"{code}: {len(problems)} problem(s), e.g. {problems[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_match_the_english(code: str) -> None:
    problems = []
    for message in _po(code):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        wanted = set().union(*(placeholders(i) for i in ids))
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for form in forms:
            if form and placeholders(form) != wanted:
                problems.append((message.id, form))
    assert not problems, f"{code}: placeholders differ from the English: {problems[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalog_says_who_reviewed_it_and_compiles(code: str) -> None:
    catalog = _po(code)
    header = catalog.header_comment
    status = [line for line in header.splitlines() if "Review status:" in line]
    assert status, f"{code}: the header comment must state its review status"
    if "not reviewed" not in status[0]:
        assert "reviewed by" in status[0], f"{code}: a reviewed catalog names its reviewer"
    plural_forms = catalog.num_plurals
    assert plural_forms >= 2
    # compiled by Babel as the app does; a plural message picks the language's forms
    t = translator(code)
    one, many = (t.ngettext("{n} item without consensus", "{n} items without consensus", n)
                 for n in (1, 5))  # fmt: skip
    assert "{n}" in one and "{n}" in many and one != "{n} item without consensus"
