"""Rights at the service layer: ``Workbench(identity=…)`` and the guarded workshop and
moderation services."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.access import GuardedModeration, GuardedWorkshops
from workbench.config import Settings
from workbench.db import Database
from workbench.exceptions import AccessDenied
from workbench.hub.rights import RIGHT_SCOPES, HubIdentity
from workbench.service import Workbench

DE_CASE = "de21-ict-older-workers"
ES_CASE = "es61-manufacturing-youth"
ANA = HubIdentity(
    "ana",
    groups=frozenset({"region-es"}),
    scopes=frozenset(RIGHT_SCOPES[r] for r in ("run", "publish", "facilitate")),
)


def test_service_refuses_another_regions_case_before_doing_anything(workspace: Path) -> None:
    wb = Workbench(Settings(home=workspace), identity=ANA)
    try:
        with pytest.raises(AccessDenied, match=f"'ana' may not publish .*'{DE_CASE}'"):
            wb.publish(DE_CASE)
        with pytest.raises(AccessDenied, match="'facilitate'"):
            wb.create_workshop(DE_CASE)
        with pytest.raises(AccessDenied, match=f"'ana' may not run case study '{DE_CASE}'"):
            wb.run([DE_CASE], progress=False)
        assert wb.runs() == []  # refused before any run started
        assert wb.apps() == []
    finally:
        wb.close()


def test_without_identity_nothing_is_restricted(workspace: Path) -> None:
    wb = Workbench(Settings(home=workspace))
    try:
        assert wb.identity is None
        wb._require("dashboard", DE_CASE)  # no error
        assert wb.as_user(None) is wb
        other = wb.as_user(ANA)
        assert other.identity is ANA and other.db is wb.db  # one engine for all requests
        other._require("run", ES_CASE)
        with pytest.raises(AccessDenied):
            other._require("run", DE_CASE)
    finally:
        wb.close()


def test_hub_mode_fails_closed_when_the_hub_cannot_say_who_calls(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_HUB", "1")
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    wb = Workbench(Settings(home=workspace))
    try:
        with pytest.raises(AccessDenied, match="cannot check the rights of Hub user 'ana'"):
            wb.publish(ES_CASE)
    finally:
        wb.close()


def test_guarded_workshops_check_each_action_first(tmp_path: Path) -> None:
    asked: list[tuple[str, int]] = []

    def refuse(right: str, workshop_id: int) -> None:
        asked.append((right, workshop_id))
        raise AccessDenied(f"no {right}")

    settings = Settings(home=tmp_path)
    db = Database(settings.database_url)
    guarded = GuardedWorkshops(db, settings, refuse)
    moderation = GuardedModeration(db, settings, refuse)
    calls = [
        (lambda: moderation.queue(7), "facilitate"),
        (
            lambda: moderation.moderate(
                7, target_kind="statement", target_id=1, action="hide", reason="spam"
            ),
            "facilitate",
        ),
        (lambda: moderation.log(7), "facilitate"),
        (lambda: guarded.get(7), "dashboard"),
        (lambda: guarded.participation(7), "dashboard"),
        (lambda: guarded.activity(7), "dashboard"),
        (lambda: guarded.act(7, "open"), "facilitate"),
        (lambda: guarded.links(7, 1), "facilitate"),
        (lambda: guarded.shared_link(7), "facilitate"),
    ]
    for call, right in calls:
        with pytest.raises(AccessDenied, match=f"no {right}"):
            call()
    assert asked == [(right, 7) for _, right in calls]
    assert guarded.list() == []  # listing is not restricted
    db.dispose()
