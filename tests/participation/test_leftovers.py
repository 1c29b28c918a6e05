"""Files written before an erasure that still name the participant (exports, minutes)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from workbench.participation.leftovers import delete_entries, files_naming

A, B = "p-0123456789", "p-abcdefabcd"


def _workspace(home: Path) -> dict[str, Path]:
    exports, reports = home / "exports", home / "reports"
    (exports / "workshop-1-csv").mkdir(parents=True)
    reports.mkdir()
    (exports / "workshop-1-csv" / "participants.csv").write_text(f"public_id\n{A}\n")
    (exports / "workshop-1-csv" / "datapackage.json").write_text("{}")
    with zipfile.ZipFile(exports / "workshop-1.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", f"<sst><si><t>{B}</t></si></sst>" + "x" * 5000)
    (exports / "workshop-1.json").write_text(f'{{"participants": ["{A}", "{B}"]}}')
    (reports / "minutes.html").write_text(f"<p>comment by {B}</p>")
    (reports / "minutes.pdf").write_bytes(b"%PDF-1.7 glyphs only")
    (reports / "orphan.pdf").write_bytes(b"%PDF-1.7 no html beside it")
    (home / "elsewhere.json").write_text(A)  # outside exports/ and reports/
    return {"exports": exports, "reports": reports}


def test_finds_each_id_in_folders_zips_and_minutes(tmp_path: Path) -> None:
    dirs = _workspace(tmp_path)
    found = files_naming(tmp_path, [A, B, "p-ffffffffff"])
    assert found[A] == [dirs["exports"] / "workshop-1-csv", dirs["exports"] / "workshop-1.json"]
    assert found[B] == [
        dirs["exports"] / "workshop-1.json",
        dirs["exports"] / "workshop-1.xlsx",  # inside the compressed member
        dirs["reports"] / "minutes.html",
        dirs["reports"] / "minutes.pdf",  # printed from minutes.html
    ]
    assert found["p-ffffffffff"] == []


def test_missing_folders_and_no_ids(tmp_path: Path) -> None:
    assert files_naming(tmp_path, [A]) == {A: []}
    assert files_naming(tmp_path, []) == {}


def test_delete_entries_removes_folders_and_files_once(tmp_path: Path) -> None:
    dirs = _workspace(tmp_path)
    targets = files_naming(tmp_path, [A])[A]
    assert delete_entries(targets) == targets
    assert not any(p.exists() for p in targets)
    assert delete_entries(targets) == []  # already gone
    assert (dirs["exports"] / "workshop-1.xlsx").exists()
    assert files_naming(tmp_path, [A]) == {A: []}
