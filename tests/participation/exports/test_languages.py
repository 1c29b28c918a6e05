"""Exports keep every language's text in its own column, and a workshop spec with Spanish
and English content round-trips through an export (issue 16). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _exports as ex
import pandas as pd
import pytest
import yaml

from workbench.exceptions import InvalidInput
from workbench.participation.exports import (
    CONTENT,
    FORMATS,
    TABLES,
    read_export,
    spec_from_export,
    workshop_tables,
    write_export,
)
from workbench.participation.spec import load_spec, parse_spec

#: Spanish by default, English offered; statement 3's English and training's English
#: description are missing on purpose; one English text starts with a formula character
SPEC_YAML = """\
title: Empleo juvenil en ES61
language: es
languages: [es, en]
scale: 9
expected_participants: 30
retention_days: 180
points: 50
expected_mix: {employers: 2, unions: 1}
options:
  - key: training
    label: {es: Formación, en: Training}
    description: {es: Cursos de seis meses}
  - key: wage_subsidy
    label: {es: Subsidio salarial, en: Wage subsidy}
    description: {es: "El 50 % del salario", en: "-50% of the wage, paid by the state"}
  - key: job_search
    label: {es: Búsqueda de empleo, en: Job search}
criteria:
  - key: effectiveness
    label: {es: Eficacia, en: Effectiveness}
    description: {es: "¿Funciona?", en: "Does it work?"}
  - key: feasibility
    label: {es: Viabilidad, en: Feasibility}
statements:
  - {es: Hay que publicar los resultados., en: Results should be published.}
  - {es: "Los empleadores deben participar, sí.", en: "Employers should take part, yes."}
  - {es: Los subsidios desplazan el empleo normal.}
"""
EN_COMMENT = "Training works best with mentors."
ES_PROPOSAL = "Hace falta un tutor por joven."
EN_PROPOSAL = "Every young person needs a mentor."


@dataclass
class Multilingual:
    """The Spanish/English workshop, answered in both languages."""

    env: Any
    wid: int
    tables: dict[str, pd.DataFrame]
    seed_ids: list[int]
    proposals: dict[str, int]


@pytest.fixture
def multilingual(env, tmp_path: Path) -> Multilingual:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_YAML, encoding="utf-8")
    info = env.workshops.create(case_slug=env.CASE_SLUG, spec=load_spec(path))
    wid = info.id
    env.open(wid)
    tokens = env.tokens(2, workshop_id=wid)
    for i, token in enumerate(tokens):
        env.register(token, name=f"P{i}", workshop_id=wid)

    def submit(token: str, kind: str, payload: Any, language: str | None) -> None:
        env.feedback.submit(
            workshop_id=wid, token=token, round_number=1, kind=kind, payload=payload,
            idempotency_key=env.key(), language=language,
        )  # fmt: skip

    submit(tokens[0], "comment", {"text": EN_COMMENT}, "en")
    submit(tokens[1], "comment", {"target": "training", "text": "Sin idioma."}, None)
    submit(tokens[0], "proposal", {"text": EN_PROPOSAL}, "en")
    submit(tokens[1], "proposal", {"text": ES_PROPOSAL}, "es")
    submit(tokens[0], "points", {"effectiveness": 30, "feasibility": 20}, "en")
    ids = env.rows(
        "SELECT id, origin, text FROM statement WHERE workshop_id = :w ORDER BY id", w=wid
    )
    seeds = [r["id"] for r in ids if r["origin"] == "seed"]
    proposals = {r["text"]: r["id"] for r in ids if r["origin"] == "participant"}
    return Multilingual(env, wid, workshop_tables(env.db, wid), seeds, proposals)


def _cells(content: pd.DataFrame) -> dict[tuple[str, str, str], tuple[str, str]]:
    return {
        (r["kind"], r["key"], r["field"]): (r["text_es"], r["text_en"])
        for r in content.to_dict("records")
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_language_has_its_column_and_the_spec_round_trips(
    multilingual: Multilingual, tmp_path: Path, fmt: str
) -> None:
    m = multilingual
    back = read_export(write_export(m.tables, fmt, home=tmp_path))
    ex.assert_same(back, m.tables)

    [workshop] = back["workshop"].to_dict("records")
    assert (workshop["language"], workshop["languages"]) == ("es", "es;en")
    content = back[CONTENT]
    assert list(content.columns) == [*TABLES[CONTENT].names, "text_es", "text_en"]
    cells = _cells(content)
    s1, s2, s3 = (str(i) for i in m.seed_ids)
    assert cells == {
        ("option", "training", "label"): ("Formación", "Training"),
        ("option", "training", "description"): ("Cursos de seis meses", ""),
        ("option", "wage_subsidy", "label"): ("Subsidio salarial", "Wage subsidy"),
        ("option", "wage_subsidy", "description"): (
            "El 50 % del salario",
            "-50% of the wage, paid by the state",
        ),
        ("option", "job_search", "label"): ("Búsqueda de empleo", "Job search"),
        ("option", "job_search", "description"): ("", ""),
        ("criterion", "effectiveness", "label"): ("Eficacia", "Effectiveness"),
        ("criterion", "effectiveness", "description"): ("¿Funciona?", "Does it work?"),
        ("criterion", "feasibility", "label"): ("Viabilidad", "Feasibility"),
        ("criterion", "feasibility", "description"): ("", ""),
        ("statement", s1, "text"): (
            "Hay que publicar los resultados.",
            "Results should be published.",
        ),
        ("statement", s2, "text"): (
            "Los empleadores deben participar, sí.",
            "Employers should take part, yes.",
        ),
        ("statement", s3, "text"): ("Los subsidios desplazan el empleo normal.", ""),
        ("statement", str(m.proposals[EN_PROPOSAL]), "text"): ("", EN_PROPOSAL),
        ("statement", str(m.proposals[ES_PROPOSAL]), "text"): (ES_PROPOSAL, ""),
    }  # fmt: skip

    # YAML-ready: through a YAML file and parse_spec it is the spec the workshop came from
    rebuilt = yaml.safe_load(yaml.safe_dump(spec_from_export(back), allow_unicode=True))
    original = parse_spec(yaml.safe_load(SPEC_YAML), "original")
    again = parse_spec(rebuilt, "rebuilt")
    assert again.model_dump() == original.model_dump()
    assert again.points == 50 and again.statement_translations[2] == {}


def test_comments_and_statements_keep_the_language_they_were_written_in(
    multilingual: Multilingual,
) -> None:
    m = multilingual
    comments = m.tables["comments"].set_index("text")["language"].to_dict()
    assert comments == {EN_COMMENT: "en", "Sin idioma.": ""}
    statements = m.tables["statements"].set_index("statement_id")
    assert set(statements.loc[m.seed_ids, "language"]) == {"es"}
    assert statements.loc[m.proposals[EN_PROPOSAL], "language"] == "en"
    assert statements.loc[m.proposals[ES_PROPOSAL], "language"] == "es"


def test_the_language_columns_are_described(multilingual: Multilingual, tmp_path: Path) -> None:
    folder = write_export(multilingual.tables, "csv", home=tmp_path)
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in package["resources"] if r["name"] == CONTENT]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert list(fields) == ["kind", "key", "field", "text_es", "text_en"]
    assert {f["type"] for f in fields.values()} == {"string"}
    assert "'en'" in fields["text_en"]["description"]
    assert resource["description"] == TABLES[CONTENT].description


def _json_doc(m: Multilingual, tmp_path: Path) -> dict[str, Any]:
    path = write_export(m.tables, "json", home=tmp_path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_reader_refuses_text_columns_of_unknown_languages(
    multilingual: Multilingual, tmp_path: Path
) -> None:
    doc = _json_doc(multilingual, tmp_path)
    doc["tables"][CONTENT]["columns"][-1] = "text_xx"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"content table.*text_xx.*text_<code> columns"):
        read_export(bad)


def test_a_version_1_export_still_reads(multilingual: Multilingual, tmp_path: Path) -> None:
    doc = _json_doc(multilingual, tmp_path)
    doc["version"] = 1
    del doc["tables"][CONTENT]
    for name, dropped in (("workshop", 2), ("comments", 1), ("statements", 1)):
        table = doc["tables"][name]
        table["columns"] = table["columns"][:-dropped]
        table["rows"] = [row[:-dropped] for row in table["rows"]]
    old = tmp_path / "v1.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    back = read_export(old)
    assert CONTENT not in back and "language" not in back["comments"].columns
    assert back["workshop"]["scale"].dtype == "int64"  # typed by the version-1 layout
    assert back["comments"]["round"].tolist() == multilingual.tables["comments"]["round"].tolist()
    with pytest.raises(InvalidInput, match=r"no content table.*version 1"):
        spec_from_export(back)
    doc["version"] = 3
    old.unlink()
    old.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InvalidInput, match="3 is not an export version this workbench reads"):
        read_export(old)
