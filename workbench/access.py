"""Rights at the service layer: who calls (:class:`Identity`) and the workshop and
moderation services that check them (:class:`GuardedWorkshops`, :class:`GuardedModeration`).
The rights themselves come from JupyterHub (:mod:`workbench.hub.rights`); outside hub
mode nothing is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from workbench.config import Settings
from workbench.db import Database
from workbench.participation.moderation import LogEntry, ModerationItem, ModerationService
from workbench.participation.workshops import WorkshopInfo, WorkshopService


class Identity(Protocol):
    """Who calls the service, when rights apply (see :mod:`workbench.hub.rights`)."""

    name: str

    def require(self, right: str, case_slug: str, region: str) -> None:
        """Raise AccessDenied unless the caller may use ``right`` on the case study."""


class GuardedWorkshops(WorkshopService):
    """The workshop service, checking the caller's rights on each workshop's case study:
    ``facilitate`` to open, close, advance and make links; ``dashboard`` to read one
    workshop's details, participation and activity (listing stays open)."""

    def __init__(
        self, db: Database, settings: Settings, require: Callable[[str, int], None]
    ) -> None:
        super().__init__(db, settings)
        self._require = require

    def get(self, workshop_id: int) -> WorkshopInfo:
        """One workshop (needs ``dashboard``)."""
        self._require("dashboard", workshop_id)
        return super().get(workshop_id)

    def act(self, workshop_id: int, action: str) -> WorkshopInfo:
        """Open, close or advance a workshop (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().act(workshop_id, action)

    def links(self, workshop_id: int, count: int, *, valid_hours: float | None = None) -> Any:
        """New personal join links (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().links(workshop_id, count, valid_hours=valid_hours)

    def shared_link(self, workshop_id: int) -> str:
        """A new workshop code link (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().shared_link(workshop_id)

    def participation(self, workshop_id: int) -> Any:
        """Participation per stakeholder group (needs ``dashboard``)."""
        self._require("dashboard", workshop_id)
        return super().participation(workshop_id)

    def activity(self, workshop_id: int) -> tuple[Any, ...]:
        """The dashboard's change fingerprint (needs ``dashboard``)."""
        self._require("dashboard", workshop_id)
        return super().activity(workshop_id)


class GuardedModeration(ModerationService):
    """The moderation service, checking ``facilitate`` on each workshop's case study (the
    queue, its actions and their log are the facilitator's)."""

    def __init__(
        self, db: Database, settings: Settings, require: Callable[[str, int], None]
    ) -> None:
        super().__init__(db, settings)
        self._require = require

    def queue(self, workshop_id: int) -> list[ModerationItem]:
        """The moderation queue (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().queue(workshop_id)

    def moderate(self, workshop_id: int, **kwargs: Any) -> ModerationItem:
        """Approve or hide a statement or comment (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().moderate(workshop_id, **kwargs)

    def log(self, workshop_id: int) -> list[LogEntry]:
        """The moderation log (needs ``facilitate``)."""
        self._require("facilitate", workshop_id)
        return super().log(workshop_id)
