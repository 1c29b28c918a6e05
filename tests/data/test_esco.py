"""Tests for the ESCO reader: official CSV download (folder or zip), compact extract, errors."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.data.esco import Esco, EscoFormatError, packaged_esco, read_esco

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"

# Official ESCO v1.1.1 column layouts (plus an extra column the reader must ignore).
OCC_HEADER = [
    "conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "hiddenLabels",
    "status", "modifiedDate", "regulatedProfessionNote", "scopeNote", "definition",
    "inScheme", "description", "code", "extraColumn",
]  # fmt: skip
SKILL_HEADER = [
    "conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels",
    "hiddenLabels", "status", "modifiedDate", "scopeNote", "definition", "inScheme",
    "description", "extraColumn",
]  # fmt: skip
REL_HEADER = ["occupationUri", "relationType", "skillType", "skillUri"]
REL_EN_HEADER = ["occupationUri", "occupationLabel", "relationType", "skillType", "skillUri",
                 "skillLabel"]  # fmt: skip


def occ_row(uri: str, isco: str, label: str, code: str, alt: str = "") -> dict[str, str]:
    return {
        "conceptType": "Occupation", "conceptUri": OCC + uri, "iscoGroup": isco,
        "preferredLabel": label, "altLabels": alt, "status": "released",
        "modifiedDate": "2022-07-27T12:00:00Z", "description": f"A {label}, with, commas",
        "code": code, "extraColumn": "x",
    }  # fmt: skip


def skill_row(uri: str, label: str, kind: str, reuse: str) -> dict[str, str]:
    return {
        "conceptType": "KnowledgeSkillCompetence", "conceptUri": SKILL + uri,
        "skillType": kind, "reuseLevel": reuse, "preferredLabel": label,
        "description": 'He said "weld"\nand left', "extraColumn": "y",
    }  # fmt: skip


def rel_row(occ: str, kind: str, skill: str) -> dict[str, str]:
    return {"occupationUri": OCC + occ, "relationType": kind, "skillType": "skill/competence",
            "skillUri": SKILL + skill, "occupationLabel": "o", "skillLabel": "s"}  # fmt: skip


def tiny() -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """A tiny official-format download. Line numbers in the files (header = 1):
    occupations: o1 = 2-4 (altLabels spans 3 lines), o2 = 5, o3 = 6;
    skills: each row spans 2 lines (multi-line description): s1 = 2-3, s2 = 4-5, s3 = 6-7;
    relations: one line per row, 2..6."""
    return {
        "occupations_en.csv": (OCC_HEADER, [
            occ_row("o1", "7212", "welder", "7212.1", alt="fusion welder\narc welder\nwelder"),
            occ_row("o2", "7212", "pipe welder", "7212.2"),
            occ_row("o3", "2512", "software developer", "2512.4"),
        ]),
        "skills_en.csv": (SKILL_HEADER, [
            skill_row("s1", "weld metal", "skill/competence", "sector-specific"),
            skill_row("s2", "read blueprints", "skill/competence", "cross-sector"),
            skill_row("s3", "programming", "knowledge", ""),
        ]),
        "occupationSkillRelations.csv": (REL_HEADER, [
            rel_row("o1", "essential", "s1"),
            rel_row("o1", "optional", "s2"),
            rel_row("o2", "essential", "s1"),
            rel_row("o2", "essential", "s2"),
            rel_row("o3", "essential", "s3"),
        ]),
    }  # fmt: skip


def csv_text(header: list[str], rows: list[dict[str, str]], newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, restval="", extrasaction="ignore",
                            lineterminator=newline)  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_folder(folder: Path, files: dict | None = None, newline: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in (files or tiny()).items():
        (folder / name).write_text(csv_text(header, rows, newline), encoding="utf-8", newline="")
    return folder


def check_tiny(esco: Esco) -> None:
    """Expected content of tiny(), written out by hand."""
    assert list(esco.occupations.columns) == ["uri", "label", "isco", "code"]
    assert list(esco.skills.columns) == ["uri", "label", "skill_type", "reuse_level"]
    assert list(esco.relations.columns) == ["occupation_uri", "skill_uri", "relation"]
    assert esco.occupations.values.tolist() == [
        [OCC + "o1", "welder", "7212", "7212.1"],
        [OCC + "o2", "pipe welder", "7212", "7212.2"],
        [OCC + "o3", "software developer", "2512", "2512.4"],
    ]
    assert esco.skills.values.tolist() == [
        [SKILL + "s1", "weld metal", "skill/competence", "sector-specific"],
        [SKILL + "s2", "read blueprints", "skill/competence", "cross-sector"],
        [SKILL + "s3", "programming", "knowledge", ""],
    ]
    assert esco.relations["relation"].tolist() == ["essential", "optional", "essential",
                                                   "essential", "essential"]  # fmt: skip
    assert esco.relations["skill_uri"].tolist()[:2] == [SKILL + "s1", SKILL + "s2"]
    for frame in (esco.occupations, esco.skills, esco.relations):
        assert not frame.isna().any().any()


def test_reads_official_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "esco")
    esco = read_esco(folder)
    check_tiny(esco)
    assert esco.source == str(folder)


def test_reads_official_zip_with_subfolder_and_en_relations(tmp_path: Path) -> None:
    files = tiny()
    _, rel_rows = files.pop("occupationSkillRelations.csv")
    files["occupationSkillRelations_en.csv"] = (REL_EN_HEADER, rel_rows)
    archive = tmp_path / "ESCO dataset - v1.1.1 - classification - en - csv.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("v1.1.1/", "")
        z.writestr("__MACOSX/v1.1.1/._occupations_en.csv", b"\x00\x05junk")
        for name, (header, rows) in files.items():
            z.writestr(f"v1.1.1/{name}", csv_text(header, rows, "\r\n"))
    check_tiny(read_esco(str(archive)))


def test_reads_compact_extract_with_bom(tmp_path: Path) -> None:
    compact = {"occupations_en.csv": "occupations.csv.gz", "skills_en.csv": "skills.csv.gz",
               "occupationSkillRelations.csv": "occupation_skill_relations.csv.gz"}  # fmt: skip
    for name, (header, rows) in tiny().items():
        text = "\ufeff" + csv_text(header, rows)
        (tmp_path / compact[name]).write_bytes(gzip.compress(text.encode("utf-8")))
    check_tiny(read_esco(tmp_path))


def test_packaged_extract_has_the_readme_counts() -> None:
    esco = packaged_esco()
    assert packaged_esco() is esco
    assert len(esco.occupations) == 3007
    assert len(esco.skills) == 13896
    assert len(esco.relations) == 123788
    assert esco.relations["relation"].value_counts().to_dict() == {
        "essential": 64891, "optional": 58897,
    }  # fmt: skip
    assert esco.occupations["isco"].nunique() == 426
    assert esco.skills["skill_type"].value_counts().to_dict() == {
        "skill/competence": 10831, "knowledge": 3059, "": 6,
    }  # fmt: skip
    assert esco.relations["skill_uri"].nunique() == 13123
    assert esco.relations["occupation_uri"].nunique() == 3007


def error_for(folder: Path) -> EscoFormatError:
    with pytest.raises(EscoFormatError) as info:
        read_esco(folder)
    assert isinstance(info.value, ValueError)
    return info.value


def edit(name: str, change) -> dict:
    files = tiny()
    header, rows = files[name]
    files[name] = change(list(header), [dict(r) for r in rows])
    return files


def _set(index: int, column: str, value: str):
    def change(header, rows):
        rows[index][column] = value
        return header, rows

    return change


def _drop_column(column: str):
    def change(header, rows):
        header.remove(column)
        return header, rows

    return change


def _append(row: dict[str, str]):
    def change(header, rows):
        return header, [*rows, row]

    return change


@pytest.mark.parametrize(
    ("name", "change", "line", "column", "fragment"),
    [
        ("occupations_en.csv", _drop_column("iscoGroup"), 1, "iscoGroup", "missing required"),
        ("skills_en.csv", _drop_column("reuseLevel"), 1, "reuseLevel", "missing required"),
        ("occupationSkillRelations.csv", _drop_column("skillUri"), 1, "skillUri", "missing"),
        ("occupations_en.csv", _set(1, "iscoGroup", "72"), 5, "iscoGroup", "not 4 digits"),
        ("occupations_en.csv", _set(0, "iscoGroup", "72a1"), 2, "iscoGroup", "not 4 digits"),
        ("occupations_en.csv", _set(2, "conceptUri", " "), 6, "conceptUri", "empty URI"),
        ("skills_en.csv", _set(2, "conceptUri", ""), 6, "conceptUri", "empty URI"),
        ("skills_en.csv", _set(1, "conceptUri", SKILL + "s1"), 4, "conceptUri", "line 2)"),
        ("occupations_en.csv", _set(2, "conceptUri", OCC + "o1"), 6, "conceptUri", "duplicate"),
        ("occupationSkillRelations.csv", _set(3, "relationType", "mandatory"), 5,
         "relationType", "not essential or optional"),
        ("occupationSkillRelations.csv", _set(4, "occupationUri", OCC + "o9"), 6,
         "occupationUri", "o9' is not in"),
        ("occupationSkillRelations.csv", _set(0, "skillUri", SKILL + "s9"), 2, "skillUri",
         "s9' is not in"),
        ("occupationSkillRelations.csv", _set(0, "occupationUri", ""), 2, "occupationUri",
         "empty URI"),
        ("occupationSkillRelations.csv", _append(rel_row("o1", "optional", "s1")), 7,
         "skillUri", "duplicate occupation-skill pair"),
    ],
)  # fmt: skip
def test_bad_values_name_file_line_and_column(
    tmp_path: Path, name: str, change, line: int, column: str, fragment: str
) -> None:
    err = error_for(write_folder(tmp_path, edit(name, change)))
    hits = [p for p in err.problems if p.source.endswith(name)]
    assert hits, str(err)
    first = hits[0]
    assert (first.line, first.key) == (line, column), str(err)
    assert fragment in first.message
    assert f"{name}:{line}: {column}:" in str(err)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("occupationUri,relationType,skillType,skillUri\n"
         f"{OCC}o1,essential,x\n", 2, "skillUri", "expected 4 fields"),
        ("occupationUri,relationType,skillType,skillUri\n"
         f"{OCC}o1,essential,x,{SKILL}s1\n{OCC}o2,essential,x,{SKILL}s1,more\n", 3,
         "(column 5)", "found 5"),
        ("occupationUri,relationType,skillType,skillUri\n"
         f'{OCC}o1,essential,"x"y,{SKILL}s1\n', 2, "", "CSV parse error"),
        ("occupationUri,relationType,skillType,skillUri\n"
         f'{OCC}o1,essential,x,{SKILL}s1\n{OCC}o2,essential,"x,{SKILL}s1\n', 3, "",
         "CSV parse error"),
        ("", 1, "", "empty file"),
    ],
)  # fmt: skip
def test_ragged_and_unparsable_rows(
    tmp_path: Path, text: str, line: int, column: str, fragment: str
) -> None:
    write_folder(tmp_path)
    (tmp_path / "occupationSkillRelations.csv").write_text(text, encoding="utf-8")
    err = error_for(tmp_path)
    problem = err.problems[0]
    assert problem.source.endswith("occupationSkillRelations.csv")
    assert (problem.line, problem.key) == (line, column), str(err)
    assert fragment in problem.message


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    write_folder(tmp_path)
    path = tmp_path / "skills_en.csv"
    path.write_bytes(path.read_bytes().replace(b"programming", b"programm\xe9ing"))
    problem = error_for(tmp_path).problems[0]
    assert problem.source.endswith("skills_en.csv")
    assert problem.line == 6
    assert "not UTF-8" in problem.message


def test_many_problems_are_reported_together_up_to_twenty(tmp_path: Path) -> None:
    files = tiny()
    header, rows = files["occupations_en.csv"]
    rows = rows + [occ_row(f"x{i}", "12", f"occ {i}", "1.1") for i in range(30)]
    files["occupations_en.csv"] = (header, rows)
    files["occupationSkillRelations.csv"][1][0]["relationType"] = "sometimes"
    err = error_for(write_folder(tmp_path, files))
    assert err.total == 31
    assert len(err.problems) == 20
    # each file's problems in line order, occupations first
    assert [p.line for p in err.problems[:3]] == [7, 8, 9]
    assert str(err).startswith("31 problem(s) in the ESCO files:")
    assert str(err).rstrip().endswith("... and 11 more")


def test_missing_files_and_bad_sources(tmp_path: Path) -> None:
    write_folder(tmp_path / "esco")
    (tmp_path / "esco" / "skills_en.csv").unlink()
    err = error_for(tmp_path / "esco")
    assert "no skills file found" in str(err)
    assert "skills_en.csv" in str(err)
    assert "does not exist" in str(error_for(tmp_path / "nowhere"))
    not_zip = tmp_path / "esco.zip"
    not_zip.write_text("hello")
    assert "not a readable zip" in str(error_for(not_zip))
    other = tmp_path / "esco.csv"
    other.write_text("a,b\n")
    assert "not a folder or .zip" in str(error_for(other))


def test_broken_gzip_is_a_clean_error(tmp_path: Path) -> None:
    for name in ("occupations.csv.gz", "skills.csv.gz", "occupation_skill_relations.csv.gz"):
        (tmp_path / name).write_bytes(b"\x1f\x8b\x08\x00broken")
    err = error_for(tmp_path)
    assert len(err.problems) == 3
    assert all("not a readable gzip" in p.message for p in err.problems)


# --- fuzz ---------------------------------------------------------------------------------

_cell = st.sampled_from(
    ["", " ", "7212", "72", "essential", "optional", "x", '"', ",", "\n", "\r\n", "é",
     OCC + "o1", OCC + "o2", SKILL + "s1", SKILL + "s2", "conceptUri", "a\x00b"]
)  # fmt: skip
_row = st.lists(_cell, min_size=0, max_size=6).map(lambda cells: ",".join(cells))
_text = st.one_of(
    st.lists(_row, max_size=8).map("\n".join),
    st.text(max_size=200),
    st.lists(_row, max_size=6).map(
        lambda rows: "conceptUri,preferredLabel,iscoGroup,code\n" + "\n".join(rows)
    ),
)
_target = st.sampled_from(["occupations_en.csv", "skills_en.csv", "occupationSkillRelations.csv"])


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=_target,
    append=st.booleans(),
    content=st.one_of(_text.map(lambda t: t.encode("utf-8")), st.binary(max_size=200)),
)
def test_fuzz_reader_gives_esco_or_clean_error(
    tmp_path: Path, target: str, append: bool, content: bytes
) -> None:
    """Random bytes/rows replace one file or are appended to it (then often still valid)."""
    folder = write_folder(tmp_path / "fuzz")
    path = folder / target
    path.write_bytes(path.read_bytes() + content if append else content)
    try:
        esco = read_esco(folder)
    except EscoFormatError as err:
        assert err.problems
        assert all(p.source for p in err.problems)
    else:
        assert isinstance(esco, Esco)
        assert len(esco.occupations) >= 3 or target == "occupations_en.csv"
        assert esco.occupations["isco"].str.fullmatch(r"[0-9]{4}").all()
        assert set(esco.relations["relation"]) <= {"essential", "optional"}
        assert esco.relations["occupation_uri"].isin(esco.occupations["uri"]).all()
        assert not esco.relations.duplicated(["occupation_uri", "skill_uri"]).any()
