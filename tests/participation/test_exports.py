"""Workshop exports: tidy tables, exact round trips in csv/xlsx/json, formula-injection guard,
pseudonymous ids only. Runs on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import _hostile as hostile
import pandas as pd
import pytest

from workbench.db import participation as store
from workbench.exceptions import InvalidInput, WorkshopNotFound
from workbench.participation.exports import (
    FORMATS,
    TABLES,
    guard,
    read_export,
    unguard,
    workshop_tables,
    write_export,
)


@pytest.fixture
def room(env):
    """The hostile workshop, with tab- and CR-started texts added."""
    h = hostile.build(env)
    hostile.add_raw_starts(env, h)
    return env, h


#: columns after the fixed ones: P(rank k) for each of the workshop's 3 options
EXTRA = {"recommendation_ranks": ["p_rank_1", "p_rank_2", "p_rank_3"]}


def _assert_same(back: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]) -> None:
    assert list(back) == list(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame, obj=name)


def _files_text(path: Path) -> str:
    """Every byte an export wrote, decoded (xlsx: every member of the zip)."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    parts = []
    for file in files:
        if file.suffix == ".xlsx":
            with zipfile.ZipFile(file) as z:
                parts += [z.read(n).decode("utf-8") for n in z.namelist()]
        elif file.is_file():
            parts.append(file.read_bytes().decode("utf-8-sig"))
    return "\n".join(parts)


# -- tables --------------------------------------------------------------------------


def test_tables_are_tidy_pseudonymous_and_complete(room) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    assert list(tables) == list(TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == TABLES[name].names + EXTRA.get(name, []), name

    [workshop] = tables["workshop"].to_dict("records")
    assert workshop["workshop_id"] == h.wid and workshop["rounds"] == 2
    assert workshop["title"] == '-Workshop, "quoted" Zürich <b>bold</b>'
    assert workshop["bundle_hash"] == env.BUNDLE_HASH and workshop["closed_at"] == ""
    assert workshop["template_versions"] == env.TEMPLATE_PIN
    with env.db.session() as s:
        reask = [r.reask for r in store.find_rounds(s, workshop_id=h.wid)]
    expected = ["all" if r is None else ";".join(r) for r in reask]
    assert tables["rounds"]["reask"].tolist() == expected and expected[0] == "all"
    assert expected[1] == "all" or h.round2_item in expected[1].split(";")

    participants = tables["participants"]
    assert sorted(participants["participant"]) == sorted(h.public_ids)
    part = env.workshops.participation(h.wid)
    assert len(participants) == part.invited == 4
    assert (participants["consent_at"] != "").sum() == part.registered == 3
    by_group = participants[participants["stakeholder_group"] != ""].groupby("stakeholder_group")
    assert by_group.size().to_dict() == {g["group"]: g["registered"] for g in part.groups}

    ratings = tables["ratings"]
    assert len(ratings) == 3 * 3 * 2 + 2  # round 1: everyone everything; round 2: two cells
    p0_r2 = ratings[(ratings["round"] == 2) & (ratings["participant"] == h.public_ids[0])]
    assert p0_r2[["value", "revision"]].values.tolist() == [[3, 2]]
    assert set(ratings["option_label"]) == {
        '=HYPERLINK("http://x","Training")',
        "+Wage subsidy, 50%",
        '@Job search "assist" — ünï',
    }

    approvals = tables["approvals"]
    assert len(approvals) == 3 * 3  # one row per option, ticked or not
    assert approvals.groupby("participant")["approved"].sum().sort_values().tolist() == [1, 2, 3]
    rankings = tables["rankings"]
    assert len(rankings) == 9 and sorted(set(rankings["rank"])) == [1, 2, 3]

    comments = tables["comments"]
    texts = set(comments["text"])
    assert h.hidden_comment not in texts  # hidden by moderation
    assert set(h.own_comments) <= texts  # hidden, then approved again
    assert {*hostile.HOSTILE[:3], *hostile.HOSTILE[4:], *hostile.RAW_STARTS[:1]} <= texts

    statements = tables["statements"].set_index("statement_id")
    assert statements.loc[h.proposal_id, "author"] == h.public_ids[0]
    assert statements.loc[h.proposal_id, "text"] == h.own_proposal
    assert set(statements.loc[h.seed_ids, "author"]) == {""}
    votes = tables["votes"]
    assert set(votes["vote"]) == {"agree", "disagree", "pass"}
    assert (votes["statement_id"] == h.proposal_id).sum() == 2
    moderation = tables["moderation"]
    assert moderation["action"].tolist() == ["approve", "hide", "hide", "approve"]


def test_sort_order_is_stable_and_hidden_statements_lose_their_votes(room) -> None:
    env, h = room
    first = workshop_tables(env.db, h.wid)
    _assert_same(workshop_tables(env.db, h.wid), first)
    key = ["round", "participant", "statement_id"]
    assert first["votes"][key].values.tolist() == sorted(first["votes"][key].values.tolist())

    from workbench.participation.moderation import ModerationService

    ModerationService(env.db, env.settings).moderate(
        h.wid, target_kind="statement", target_id=h.seed_ids[0], action="hide", reason="dup"
    )
    after = workshop_tables(env.db, h.wid)
    assert h.seed_ids[0] not in set(after["votes"]["statement_id"])
    assert len(after["votes"]) == len(first["votes"]) - 3
    assert after["statements"].set_index("statement_id").loc[h.seed_ids[0], "status"] == "hidden"


def test_unknown_workshop(env) -> None:
    with pytest.raises(WorkshopNotFound, match="no workshop with id 999"):
        workshop_tables(env.db, 999)


# -- formats -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_exactly(room, tmp_path: Path, fmt: str) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    texts = set(tables["comments"]["text"]) | set(tables["statements"]["text"])
    assert set(hostile.RAW_STARTS) <= texts
    path = write_export(tables, fmt, home=tmp_path)
    _assert_same(read_export(path), tables)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_workshop_round_trips(env, tmp_path: Path, fmt: str) -> None:
    tables = workshop_tables(env.db, env.wid)
    assert len(tables["workshop"]) == 1 and len(tables["ratings"]) == 0
    _assert_same(read_export(write_export(tables, fmt, home=tmp_path)), tables)


def test_xlsx_has_no_formulas_and_hostile_cells_start_with_a_quote(room, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), "xlsx", home=tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == ["about", *TABLES]
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                assert cell.data_type != "e", f"{sheet.title}!{cell.coordinate} is an error"
                if isinstance(cell.value, str):
                    values.append(cell.value)
    for text in [*hostile.HOSTILE, *hostile.RAW_STARTS]:
        if text.startswith(hostile.GUARDED):
            escaped = text.replace("\r", "_x000D_")
            assert "'" + escaped in values, text
            assert escaped not in values, text
    assert '=HYPERLINK("http://x","y")' not in values
    assert "_x005F_x000D_ is not a carriage return" in values  # literal escape kept literal
    sheet = book["comments"]
    assert sheet.freeze_panes == "A2" and all(c.font.b for c in sheet[1])
    assert [c.value for c in sheet[1]] == TABLES["comments"].names
    assert all(sheet.column_dimensions[c].width >= 8 for c in "ABCDE")
    about = [c.value for row in book["about"].iter_rows() for c in row if c.value]
    assert any("pseudonymous" in str(v) for v in about)


def test_csv_guards_hostile_cells_and_describes_itself(room, tmp_path: Path) -> None:
    env, h = room
    tables = workshop_tables(env.db, h.wid)
    folder = write_export(tables, "csv", home=tmp_path)
    assert folder.is_dir() and folder.parent == tmp_path / "exports"
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["profile"] == "tabular-data-package"
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    cells: list[str] = []
    for resource in package["resources"]:
        raw = (folder / resource["path"]).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
        with (folder / resource["path"]).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        fields = resource["schema"]["fields"]
        assert rows[0] == [f["name"] for f in fields]
        extra = ["number"] * len(EXTRA.get(resource["name"], []))
        assert [f["type"] for f in fields] == [
            c.type for c in TABLES[resource["name"]].columns
        ] + extra
        assert len(rows) - 1 == len(tables[resource["name"]])
        cells += [c for row in rows[1:] for c in row]
    for text in [*hostile.HOSTILE, *hostile.RAW_STARTS]:
        if text.startswith(hostile.GUARDED):
            assert "'" + text in cells, text
            assert text not in cells, text
    assert "<script>alert(1)</script>" in cells
    assert "Ünïcödé — 日本語 ✓ café" in cells
    assert {"true", "false"} <= set(cells)  # approvals: Frictionless booleans


def test_json_stays_raw(room, tmp_path: Path) -> None:
    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), "json", home=tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("almp-workbench-export", 1)
    comments = doc["tables"]["comments"]
    assert comments["columns"] == TABLES["comments"].names
    texts = {row[-1] for row in comments["rows"]}
    assert '=HYPERLINK("http://x","y")' in texts and hostile.RAW_STARTS[0] in texts
    assert {type(v) for row in doc["tables"]["approvals"]["rows"] for v in row} == {int, str, bool}


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_names_or_token_hashes_in_any_export(room, tmp_path: Path, fmt: str) -> None:
    env, h = room
    path = write_export(workshop_tables(env.db, h.wid), fmt, home=tmp_path)
    written = _files_text(path)
    assert all(pid in written for pid in h.public_ids[:3])
    for secret in [*h.names, *h.token_hashes, *h.tokens]:
        assert secret not in written
    for name in h.names:  # nor any distinctive part of a name
        assert name.split()[1] not in written


# -- paths ---------------------------------------------------------------------------


def test_default_paths_and_no_overwrite(env, tmp_path: Path) -> None:
    tables = workshop_tables(env.db, env.wid)
    first = write_export(tables, "json", home=tmp_path)
    second = write_export(tables, "json", home=tmp_path)
    assert first != second and first.parent == second.parent == tmp_path / "exports"
    assert first.name.startswith(f"workshop-{env.wid}-") and first.suffix == ".json"
    xlsx = write_export(tables, "xlsx", home=tmp_path)
    assert xlsx.suffix == ".xlsx" and xlsx.is_file()

    before = first.read_bytes()
    with pytest.raises(InvalidInput, match="already exists; refusing to overwrite"):
        write_export(tables, "json", first)
    assert first.read_bytes() == before
    folder = write_export(tables, "csv", tmp_path / "out")
    with pytest.raises(InvalidInput, match="already exists"):
        write_export(tables, "csv", folder)
    with pytest.raises(InvalidInput, match=r"must end in \.xlsx"):
        write_export(tables, "xlsx", tmp_path / "book.xls")
    with pytest.raises(InvalidInput, match="is a folder"):
        write_export(tables, "csv", tmp_path / "tables.csv")
    with pytest.raises(InvalidInput, match="'parquet' is not one of csv, xlsx, json"):
        write_export(tables, "parquet", tmp_path / "x.parquet")
    assert not list(tmp_path.glob(".*")), "no temporary files left behind"
    assert not list((tmp_path / "exports").glob(".*"))


def test_read_export_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such export"):
        read_export(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(InvalidInput, match="is not 'almp-workbench-export'"):
        read_export(tmp_path / "other.json")
    with pytest.raises(InvalidInput, match=r"no datapackage\.json"):
        read_export(tmp_path)


# -- the guard -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'quoted", "''quoted"),
        ("''", "'''"),
        ("plain = text", "plain = text"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_guard_adds_one_quote_and_unguard_removes_exactly_one(text: str, stored: str) -> None:
    assert guard(text) == stored
    assert unguard(guard(text)) == text


# -- points ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_points_are_a_tidy_table_in_every_format(env, tmp_path: Path, fmt: str) -> None:
    env.open()
    tokens = env.participants(3, groups=["employers", "unions"])
    allocations = [(70, 30), (20, 80), (50, 50)]
    for token, (eff, fea) in zip(tokens, allocations, strict=True):
        env.submit(token, "points", {"effectiveness": eff, "feasibility": fea})
    env.workshops.next_round(env.wid)
    env.submit(tokens[0], "points", {"effectiveness": 0, "feasibility": 100})
    ids = [env.workshops.admit(env.wid, t).public_id for t in tokens]

    points = workshop_tables(env.db, env.wid)["points"]
    assert list(points.columns) == [
        "round", "participant", "stakeholder_group", "criterion", "criterion_label", "points",
    ]  # fmt: skip
    expected = []
    for p, (eff, fea) in enumerate(allocations):
        group = ["employers", "unions"][p % 2]
        expected += [
            (1, ids[p], group, "effectiveness", "Effectiveness", eff),
            (1, ids[p], group, "feasibility", "Feasibility", fea),
        ]
    expected += [
        (2, ids[0], "employers", "effectiveness", "Effectiveness", 0),
        (2, ids[0], "employers", "feasibility", "Feasibility", 100),
    ]
    got = [tuple(row) for row in points.itertuples(index=False, name=None)]
    assert sorted(got) == sorted(expected)
    assert points.groupby(["round", "participant"])["points"].sum().eq(100).all()

    back = read_export(write_export({"points": points}, fmt, home=tmp_path))
    pd.testing.assert_frame_equal(back["points"], points, obj="points")
