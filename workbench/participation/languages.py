"""Which language a participant's page speaks, and remembering their choice.

See :func:`workbench.i18n.choose_language` for the order: picked on the page, picked
before, the browser's ``Accept-Language`` among the workshop's languages, the default.
The app server (for the page template) and the page's kernel (for the app) ask the same
question with the same inputs, so they agree.
"""

from __future__ import annotations

from workbench.db import participation as store
from workbench.exceptions import AccessDenied, InvalidInput, Problem
from workbench.i18n import LANGUAGES, choose_language, negotiate
from workbench.participation.tokens import hash_token, looks_like_token
from workbench.participation.workshops import INVALID_LINK, WorkshopService, _workshop_id


def page_language(
    service: WorkshopService,
    workshop_id: object,
    *,
    token: object = None,
    requested: object = None,
    accept_language: str | None = None,
) -> str:
    """The language a participant's page is shown in (:func:`choose_language`): the
    one picked on the page, the participant's earlier choice, the browser's, or the
    workshop's default. A link that opens nothing: the browser's among all languages."""
    wanted = requested if isinstance(requested, str) else None
    try:
        wid = _workshop_id(workshop_id)
    except AccessDenied:
        return negotiate(accept_language, LANGUAGES) or "en"
    with service.db.session() as s:
        workshop = store.find_workshop(s, workshop_id=wid)
        if workshop is None:
            return negotiate(accept_language, LANGUAGES) or "en"
        stored = None
        if looks_like_token(token):
            participant = store.find_participant_by_token(s, token_hash=hash_token(str(token)))
            if participant is not None and participant.workshop_id == wid:
                stored = participant.language
    spec = workshop.spec or {}
    default = str(spec.get("language") or "en")
    return choose_language(
        offered=list(spec.get("languages") or [default]),
        default=default,
        requested=wanted,
        stored=stored,
        accept_language=accept_language,
    )


def set_language(
    service: WorkshopService, workshop_id: object, token: object, language: str
) -> None:
    """Remember the language a participant picked on the page (one the workshop offers)."""
    wid = _workshop_id(workshop_id)
    if not looks_like_token(token):
        raise AccessDenied.say(INVALID_LINK)
    with service.db.session(write=True) as s:
        participant = service._participant(s, wid, str(token))
        workshop = service._workshop(s, wid)
        offered = (workshop.spec or {}).get("languages") or [
            (workshop.spec or {}).get("language", "en")
        ]
        if language not in offered:
            raise InvalidInput(
                [
                    Problem(
                        "input",
                        "language",
                        f"{language!r} is not offered; choose one of {', '.join(offered)}",
                    )
                ]
            )
        store.update_participant(s, participant, language=language)
