"""The CLI for exports and participants' data: workshop export/retention, participant
export/erase/purge-expired. Thin commands over the service; errors exit 2 with a message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from workbench.db import participation as store
from workbench.db.models import Workshop, utcnow
from workbench.participation.exports import read_export
from workbench.participation.spec import WorkshopSpec
from workbench.service import Workbench


@dataclass
class Room:
    """An open workshop in the CLI's workspace with two registered participants."""

    wid: int
    public_ids: list[str]
    tokens: list[str]
    names: list[str]


@pytest.fixture
def room(cli) -> Room:
    wb = Workbench(cli.settings())
    try:
        with wb.db.session(write=True) as s:
            store.add_publication(
                s, case_slug="es61-cli", title="ES61", app_path="es61-cli.ipynb",
                run_hashes={}, template_versions={"evidence_review": "1.0.0"},
                bundle_hash="f" * 16, app_version="1",
            )  # fmt: skip
        spec = WorkshopSpec.model_validate(
            {
                "title": "=CLI workshop",
                "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
                "criteria": [{"key": "x", "label": "X"}],
                "statements": ["-A statement."],
            }
        )
        info = wb.workshops.create(case_slug="es61-cli", spec=spec)
        wb.workshops.open(info.id)
        links = wb.workshops.links(info.id, 2)
        tokens = [parse_qs(urlsplit(link.url).query)["token"][0] for link in links]
        names = ["Dana Clinameone", "Eli Clinametwo"]
        for i, (token, name) in enumerate(zip(tokens, names, strict=True)):
            wb.workshops.register(info.id, token, display_name=name, group="unions",
                                  consent=True)  # fmt: skip
            wb.feedback.submit(
                workshop_id=info.id, token=token, round_number=1, kind="comment",
                payload={"text": f"+comment {i}"}, idempotency_key=f"cli-key-{i:04d}",
            )  # fmt: skip
        return Room(info.id, [link.public_id for link in links], tokens, names)
    finally:
        wb.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_workshop_export_writes_under_exports_and_never_overwrites(cli, room, fmt) -> None:
    result = cli("workshop", "export", str(room.wid), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    path = Path(result.output.strip())
    assert path.parent == cli.home / "exports" and path.exists()
    tables = read_export(path)
    assert sorted(tables["participants"]["participant"]) == sorted(room.public_ids)
    assert set(tables["comments"]["text"]) == {"+comment 0", "+comment 1"}
    again = cli("workshop", "export", str(room.wid), "--format", fmt, "--output", str(path))
    assert again.exit_code == 2
    assert "already exists; refusing to overwrite it" in again.stderr


def test_workshop_export_errors(cli, room) -> None:
    missing = cli("workshop", "export", "999", "--format", "json")
    assert missing.exit_code == 2 and "no workshop with id 999" in missing.stderr
    bad = cli("workshop", "export", str(room.wid), "--format", "xlsx", "--output", "out.csv")
    assert bad.exit_code == 2 and "must end in .xlsx" in bad.stderr
    fmt = cli("workshop", "export", str(room.wid), "--format", "parquet")
    assert fmt.exit_code == 2 and "parquet" in fmt.stderr


def test_workshop_retention(cli, room) -> None:
    result = cli("workshop", "retention", str(room.wid), "--days", "30")
    assert result.exit_code == 0, result.stderr
    assert "erased 30 day(s) after it closes" in result.output
    shown = json.loads(cli("workshop", "show", str(room.wid), "--json").output)
    assert shown["retention_days"] == 30
    bad = cli("workshop", "retention", str(room.wid), "--days", "0")
    assert bad.exit_code == 2 and "days: must be a whole number from 1 to 3650" in bad.stderr
    missing = cli("workshop", "retention", "999", "--days", "30")
    assert missing.exit_code == 2 and "no workshop with id 999" in missing.stderr


def test_participant_export_to_stdout_and_file(cli, room, tmp_path: Path) -> None:
    result = cli("participant", "export", room.public_ids[0])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.output)
    assert data["participant"]["display_name"] == room.names[0]
    assert [f["value"] for f in data["feedback"]] == ["+comment 0"]
    out = tmp_path / "p.json"
    written = cli("participant", "export", room.public_ids[0], "--output", str(out))
    assert written.exit_code == 0 and written.output.strip() == str(out)
    assert json.loads(out.read_text()) | {"exported_at": None} == data | {"exported_at": None}
    again = cli("participant", "export", room.public_ids[0], "--output", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr
    unknown = cli("participant", "export", "p-0000000000")
    assert unknown.exit_code == 2 and "no participant p-0000000000" in unknown.stderr
    bad = cli("participant", "export", "nobody")
    assert bad.exit_code == 2 and "is not a participant id" in bad.stderr


def test_participant_erase_asks_first(cli, room) -> None:
    declined = cli("participant", "erase", room.public_ids[0], answer="n\n")
    assert declined.exit_code == 1 and "nothing erased" in declined.stderr
    assert "feedback 1" in declined.output and "Erase this participant's data?" in declined.output
    assert cli("participant", "export", room.public_ids[0]).exit_code == 0  # still there

    confirmed = cli("participant", "erase", room.public_ids[0], answer="y\n")
    assert confirmed.exit_code == 0, confirmed.stderr
    assert f"erased participant {room.public_ids[0]} of workshop {room.wid}" in confirmed.output
    assert "participant 1, feedback 1, submission 1, moderation 0" in confirmed.output
    export = cli("participant", "export", room.public_ids[0])
    assert export.exit_code == 2 and "already erased" in export.stderr

    forced = cli("participant", "erase", room.public_ids[1], "--yes")
    assert forced.exit_code == 0 and "Erase this" not in forced.output
    again = cli("participant", "erase", room.public_ids[1], "--yes")
    assert again.exit_code == 2 and "already erased" in again.stderr


def test_participant_purge_expired(cli, room) -> None:
    nothing = cli("participant", "purge-expired")
    assert nothing.exit_code == 0 and "nothing erased" in nothing.output
    assert cli("workshop", "close", str(room.wid)).exit_code == 0
    assert cli("workshop", "retention", str(room.wid), "--days", "1").exit_code == 0
    wb = Workbench(cli.settings())
    try:
        with wb.db.session(write=True) as s:
            workshop = s.get(Workshop, room.wid)
            assert workshop is not None
            workshop.closed_at = utcnow() - timedelta(days=2)
            s.add(workshop)
    finally:
        wb.close()
    dry = cli("participant", "purge-expired", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert f"workshop {room.wid}: would erase 2 participant(s)" in dry.output
    assert cli("participant", "export", room.public_ids[0]).exit_code == 0
    real = cli("participant", "purge-expired")
    assert f"workshop {room.wid}: erased 2 participant(s)" in real.output
    assert "feedback 2, submission 2" in real.output
    assert cli("participant", "export", room.public_ids[0]).exit_code == 2
    assert "nothing erased" in cli("participant", "purge-expired").output


def test_erasure_finds_and_deletes_earlier_exports_naming_the_participant(cli, room) -> None:
    erased, kept = room.public_ids
    written = {
        fmt: Path(cli("workshop", "export", str(room.wid), "--format", fmt).output.strip())
        for fmt in ("csv", "xlsx", "json")
    }
    stranger = cli.home / "exports" / "notes.txt"
    stranger.write_text("nobody's id here", encoding="utf-8")

    listed = cli("participant", "erase", erased, "--yes")
    assert listed.exit_code == 0, listed.stderr
    assert "3 export/minutes file(s) written earlier still name" in listed.stderr
    for path in written.values():
        assert str(path) in listed.stderr and path.exists()  # listed, not deleted

    result = cli("participant", "erase", kept, "--yes", "--delete-files")
    assert result.exit_code == 0, result.stderr
    assert f"deleted 3 earlier export/minutes file(s) naming {kept}" in result.output
    assert not any(path.exists() for path in written.values())
    assert stranger.exists()
