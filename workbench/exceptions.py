"""Named errors of the workbench.

The CLI maps them to an exit code and one clear message; the server extension maps
them to HTTP status codes. Each carries enough context to say *what* is wrong and
*where* (file, key, line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input, located as precisely as we can."""

    source: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class WorkbenchError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with; ``http_status`` for REST.

    An error a participant may see carries its English message as a msgid with
    ``str.format`` fields (:meth:`say`), so the app can show it in the page's language
    (:func:`workbench.i18n.error_text`).
    """

    exit_code = 1
    http_status = 500
    #: the untranslated message (``N_``-marked) and its fields, when it may be translated
    msgid: str | None = None
    msg_fields: dict[str, object] | None = None

    @classmethod
    def say(cls, msgid: str, /, **fields: object) -> Self:
        """An error whose message is ``msgid`` filled with ``fields`` (translatable)."""
        error = cls(msgid.format(**fields))
        error.msgid, error.msg_fields = msgid, fields
        return error


class InputError(WorkbenchError):
    """The user gave input we cannot use; nothing was started."""

    exit_code = 2
    http_status = 400


class InvalidInput(InputError):
    """One or more problems found while validating input; all are reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CaseStudyNotFound(InputError):
    """No case study with that slug."""

    http_status = 404


class TemplateNotFound(InputError):
    """No template with that name."""

    http_status = 404


class RunNotFound(InputError):
    """No run with that id."""

    http_status = 404


class CaseStudyExists(InputError):
    """A case study with that slug already exists."""

    http_status = 409


class RunsFailed(WorkbenchError):
    """Some runs failed; the others finished. Details are in the run rows."""

    exit_code = 1


class PublicationNotFound(InputError):
    """The case study has no published app (run ``workbench publish SLUG``)."""

    http_status = 404


class WorkshopNotFound(InputError):
    """No workshop with that id."""

    http_status = 404


class WorkshopStateError(InputError):
    """The action does not fit the workshop's state (e.g. opening a closed workshop)."""

    http_status = 409


class WorkshopClosed(WorkshopStateError):
    """The workshop is not open: answers can be read but not changed."""


class AccessDenied(WorkbenchError):
    """A join token or code is unknown, expired or belongs to another workshop."""

    exit_code = 2
    http_status = 403


class RateLimited(WorkbenchError):
    """Too many submissions in a short time; retry after ``retry_after`` seconds."""

    exit_code = 2
    http_status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StaleRound(WorkshopStateError):
    """The answer was given for a round that is no longer current."""

    def __init__(self, message: str, *, current_round: int) -> None:
        super().__init__(message)
        self.current_round = current_round


class StoreUnavailable(WorkbenchError):
    """The database could not be reached or was busy; retrying the same request is safe."""

    http_status = 503


class ParticipantNotFound(InputError):
    """No participant with that pseudonymous id (or it was erased)."""

    http_status = 404


class VersionConflict(WorkbenchError):
    """A model version was created from data that another writer has changed meanwhile."""

    exit_code = 2
    http_status = 409
