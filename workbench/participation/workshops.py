"""Workshop life cycle (draft → open → closed, numbered rounds), join links, registration.

Everything that admits a participant goes through :meth:`WorkshopService.admit`: a token
is checked for shape, looked up by its hash, matched to the workshop and to its expiry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from workbench.classifications import STAKEHOLDER_GROUPS
from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.db.models import Participant, Publication, Workshop, utcnow
from workbench.exceptions import (
    AccessDenied,
    InvalidInput,
    Problem,
    PublicationNotFound,
    WorkshopClosed,
    WorkshopNotFound,
    WorkshopStateError,
)
from workbench.i18n import N_
from workbench.participation.spec import WorkshopSpec
from workbench.participation.tokens import hash_token, looks_like_token, new_public_id, new_token

STATES = ("draft", "open", "closed")
MAX_LINKS = 500
#: control characters, invisible formatting and unpaired surrogates (not storable text)
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)

INVALID_LINK = N_(
    "This join link is not valid. Please use the personal link your facilitator gave you, "
    "or ask them for a new one."
)


@dataclass(frozen=True)
class WorkshopInfo:
    """A workshop as shown to facilitators (CLI, REST)."""

    id: int
    case_slug: str
    title: str
    state: str
    current_round: int
    expected_participants: int
    scale: int
    options: list[dict[str, str]]
    criteria: list[dict[str, str]]
    publication_id: int
    bundle_hash: str
    app_path: str
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    #: stakeholder group → expected number of participants (the "who is missing" baseline)
    expected_mix: dict[str, int] = field(default_factory=dict)
    retention_days: int = 365
    #: points each participant spreads over the criteria; None: not asked
    points: int | None = None
    #: the workshop's default language (its content's source language, the minutes')
    language: str = "en"
    #: the languages participants may choose among, the default first
    languages: list[str] = field(default_factory=lambda: ["en"])

    def round_or_current(self, number: int | None) -> int:
        """``number`` if the workshop has that round (None: the current round); else a
        clear :class:`InvalidInput`. A draft workshop counts as having round 1."""
        chosen = self.current_round if number is None else number
        if not 1 <= chosen <= max(self.current_round, 1):
            rounds = f"workshop {self.id} has rounds 1..{self.current_round}"
            raise InvalidInput([Problem("input", "round", rounds)])
        return chosen

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = dict(self.__dict__)
        for key in ("created_at", "opened_at", "closed_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass(frozen=True)
class JoinLink:
    """A personal join link; the token inside is shown once and never stored."""

    public_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Participation:
    """Live participation of a workshop."""

    workshop_id: int
    state: str
    round: int
    invited: int
    expected: int
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def registered(self) -> int:
        """Participants who registered (gave consent)."""
        return sum(g["registered"] for g in self.groups)

    @property
    def active(self) -> int:
        """Participants who submitted something this round."""
        return sum(g["active"] for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "registered": self.registered, "active": self.active}


@dataclass(frozen=True)
class Admission:
    """A participant admitted to a workshop (what an app session knows about them)."""

    workshop_id: int
    participant_id: int
    public_id: str
    registered: bool
    display_name: str | None
    stakeholder_group: str | None
    state: str
    current_round: int
    case_slug: str
    publication_id: int
    #: the language the participant chose on the page (None: not chosen)
    language: str | None = None


def clean_text(value: object, *, field_name: str, max_chars: int, min_chars: int = 1) -> str:
    """Strip and check free text: length, no control or bidi-override characters."""
    if not isinstance(value, str):
        raise InvalidInput([Problem("input", field_name, "must be text")])
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) < min_chars:
        need = "is required" if min_chars == 1 else f"needs at least {min_chars} characters"
        raise InvalidInput([Problem("input", field_name, need)])
    if len(text) > max_chars:
        raise InvalidInput(
            [Problem("input", field_name, f"is too long ({len(text)} > {max_chars} characters)")]
        )
    if _CONTROL.search(text.replace("\n", " ").replace("\t", " ")):
        raise InvalidInput([Problem("input", field_name, "contains control characters")])
    return text


def info_of(workshop: Workshop, pub: Publication) -> WorkshopInfo:
    """Facilitator view of a workshop row."""
    spec = workshop.spec
    assert workshop.id is not None and pub.id is not None
    return WorkshopInfo(
        id=workshop.id,
        case_slug=workshop.case_slug,
        title=workshop.title,
        state=workshop.state,
        current_round=workshop.current_round,
        expected_participants=workshop.expected_participants,
        scale=workshop.scale_max,
        options=spec.get("options", []),
        criteria=spec.get("criteria", []),
        publication_id=pub.id,
        bundle_hash=pub.bundle_hash,
        app_path=pub.app_path,
        created_at=workshop.created_at,
        opened_at=workshop.opened_at,
        closed_at=workshop.closed_at,
        expected_mix=dict(spec.get("expected_mix", {})),
        retention_days=workshop.retention_days,
        points=spec.get("points"),
        language=spec.get("language", "en"),
        languages=list(spec.get("languages") or [spec.get("language", "en")]),
    )


class WorkshopService:
    """Create and run workshops; admit and register participants."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    # -- facilitator ------------------------------------------------------------------
    def create(self, *, case_slug: str, spec: WorkshopSpec) -> WorkshopInfo:
        """A draft workshop on the case study's latest published app."""
        with self.db.session(write=True) as s:
            pub = store.latest_publication(s, case_slug=case_slug)
            if pub is None:
                raise PublicationNotFound(
                    f"case study {case_slug!r} has no published app: "
                    f"run `workbench publish {case_slug}` first"
                )
            workshop = store.add_workshop(
                s,
                case_slug=case_slug,
                publication_id=pub.id,
                title=spec.title,
                expected_participants=spec.expected_participants,
                scale_max=spec.scale,
                retention_days=spec.retention_days,
                spec=spec.model_dump(mode="json", exclude={"statements", "statement_translations"}),
            )
            for text, translations in zip(
                spec.statements, spec.statement_translations, strict=True
            ):
                store.add_statement(
                    s,
                    workshop_id=workshop.id,
                    text=text,
                    origin="seed",
                    language=spec.language,
                    translations=translations or None,
                )
            return info_of(workshop, pub)

    def get(self, workshop_id: int) -> WorkshopInfo:
        """One workshop."""
        with self.db.session() as s:
            workshop = self._workshop(s, workshop_id)
            return info_of(workshop, self._publication(s, workshop))

    def state(self, workshop_id: int) -> tuple[str, int]:
        """(state, current round): what an open page polls to notice a change."""
        with self.db.session() as s:
            found = store.workshop_state(s, workshop_id=workshop_id)
        if found is None:
            raise WorkshopNotFound(f"no workshop with id {workshop_id}")
        return found

    def list(self, state: str | None = None) -> list[WorkshopInfo]:
        """All workshops, newest first."""
        with self.db.session() as s:
            return [
                info_of(w, self._publication(s, w)) for w in store.find_workshops(s, state=state)
            ]

    def open(self, workshop_id: int) -> WorkshopInfo:
        """draft → open; starts round 1."""
        return self._transition(workshop_id, "draft", "only a draft workshop can open", "open")

    def close(self, workshop_id: int) -> WorkshopInfo:
        """open → closed; answers become read-only."""
        return self._transition(workshop_id, "open", "only an open workshop can close", "close")

    def next_round(self, workshop_id: int) -> WorkshopInfo:
        """Start the next round; earlier rounds' answers stay as they were."""
        return self._transition(workshop_id, "open", "rounds advance only while open", "round")

    #: Facilitator actions by the name the CLI and the REST API use.
    ACTIONS = ("open", "close", "next-round")

    def act(self, workshop_id: int, action: str) -> WorkshopInfo:
        """Apply one of :attr:`ACTIONS` (``open``, ``close``, ``next-round``)."""
        if action not in self.ACTIONS:
            raise InvalidInput(
                [Problem("input", "action", f"must be one of {', '.join(self.ACTIONS)}")]
            )
        return {"open": self.open, "close": self.close, "next-round": self.next_round}[action](
            workshop_id
        )

    def _transition(self, workshop_id: int, required: str, why: str, action: str) -> WorkshopInfo:
        with self.db.session(write=True) as s:
            workshop = self._workshop(s, workshop_id, lock=True)
            if workshop.state != required:
                raise WorkshopStateError(f"workshop {workshop_id} is {workshop.state}; {why}")
            now = utcnow()
            if action == "open":
                workshop.state, workshop.opened_at = "open", now
            elif action == "close":
                workshop.state, workshop.closed_at = "closed", now
                store.close_rounds(s, workshop_id=workshop_id, now=now)
            if action == "open":
                store.start_round(s, workshop=workshop, now=now)
            elif action == "round":
                from workbench.participation.delphi import delphi_setup

                reask, results = delphi_setup(s, workshop)
                store.start_round(
                    s, workshop=workshop, now=now, reask=reask, previous_results=results
                )
            s.add(workshop)
            return info_of(workshop, self._publication(s, workshop))

    def links(
        self, workshop_id: int, count: int, *, valid_hours: float | None = None
    ) -> list[JoinLink]:
        """``count`` new personal join links. Tokens are shown now and never again."""
        if not 1 <= count <= MAX_LINKS:
            raise InvalidInput([Problem("input", "count", f"must be between 1 and {MAX_LINKS}")])
        hours = valid_hours if valid_hours is not None else self.settings.token_valid_hours
        if not 0 < hours <= 24 * 365:
            raise InvalidInput([Problem("input", "valid_hours", "must be between 0 and 8760")])
        expires = utcnow() + timedelta(hours=hours)
        out = []
        with self.db.session(write=True) as s:
            workshop = self._workshop(s, workshop_id)
            if workshop.state == "closed":
                raise WorkshopClosed(f"workshop {workshop_id} is closed; no new links")
            pub = self._publication(s, workshop)
            for _ in range(count):
                token = new_token()
                participant = store.add_participant(
                    s,
                    workshop_id=workshop_id,
                    public_id=new_public_id(),
                    token_hash=hash_token(token),
                    expires_at=expires,
                )
                out.append(
                    JoinLink(participant.public_id, self.join_url(pub, workshop, token), expires)
                )
        return out

    def shared_link(self, workshop_id: int) -> str:
        """A new workshop code link anyone in the room can use (replaces the previous one)."""
        code = new_token()
        with self.db.session(write=True) as s:
            workshop = self._workshop(s, workshop_id, lock=True)
            if workshop.state == "closed":
                raise WorkshopClosed(f"workshop {workshop_id} is closed; no new links")
            workshop.code_hash = hash_token(code)
            s.add(workshop)
            pub = self._publication(s, workshop)
            return self.join_url(pub, workshop, code, param="code")

    def participation(self, workshop_id: int) -> Participation:
        """Invited, registered and active participants per stakeholder group."""
        with self.db.session() as s:
            workshop = self._workshop(s, workshop_id)
            invited, counts = store.participation(
                s, workshop_id=workshop_id, round_number=workshop.current_round
            )
            return Participation(
                workshop_id=workshop_id,
                state=workshop.state,
                round=workshop.current_round,
                invited=invited,
                expected=workshop.expected_participants,
                groups=[c.__dict__ for c in counts],
            )

    def activity(self, workshop_id: int) -> tuple[Any, ...]:
        """A fingerprint that changes whenever anything in the workshop changes."""
        with self.db.session() as s:
            return store.activity(s, workshop_id=workshop_id)

    def join_url(
        self, pub: Publication, workshop: Workshop, secret: str, param: str = "token"
    ) -> str:
        """The participant URL of a workshop on the app server."""
        query = urlencode({"workshop": workshop.id, param: secret})
        return f"{self.settings.app_url}voila/render/{pub.app_path}?{query}"

    # -- participants -----------------------------------------------------------------
    def admit(self, workshop_id: object, token: object) -> Admission:
        """Check a join token for a workshop; raise :class:`AccessDenied` with the reason."""
        wid = _workshop_id(workshop_id)
        if not looks_like_token(token):
            raise AccessDenied.say(INVALID_LINK)
        with self.db.session() as s:
            participant = self._participant(s, wid, str(token))
            workshop = self._workshop(s, wid)
            return _admission(participant, workshop)

    def app_for_link(
        self, workshop_id: object, *, token: object = None, code: object = None
    ) -> tuple[int, str]:
        """The workshop and published app notebook a join link opens (read-only).

        A link carries a personal ``token`` or else a workshop ``code``; a link that
        opens nothing raises :class:`AccessDenied` with the reason.
        """
        wid = _workshop_id(workshop_id)
        if not looks_like_token(code if token is None else token):
            raise AccessDenied.say(INVALID_LINK)
        with self.db.session() as s:
            if token is None:
                workshop = self._workshop_by_code(s, wid, str(code))
            else:
                self._participant(s, wid, str(token))
                workshop = self._workshop(s, wid)
            return wid, self._publication(s, workshop).app_path

    def join_with_code(self, workshop_id: object, code: object) -> tuple[str, Admission]:
        """Exchange a workshop code for a new personal token (returned once)."""
        wid = _workshop_id(workshop_id)
        if not looks_like_token(code):
            raise AccessDenied.say(INVALID_LINK)
        with self.db.session(write=True) as s:
            workshop = self._workshop_by_code(s, wid, str(code))
            if workshop.state != "open":
                raise WorkshopClosed.say(not_open_message(workshop))
            token = new_token()
            participant = store.add_participant(
                s,
                workshop_id=wid,
                public_id=new_public_id(),
                token_hash=hash_token(token),
                expires_at=utcnow() + timedelta(hours=self.settings.token_valid_hours),
            )
            return token, _admission(participant, workshop)

    def register(
        self,
        workshop_id: object,
        token: object,
        *,
        display_name: object,
        group: object,
        consent: object,
    ) -> Admission:
        """Record name (a pseudonym is fine), stakeholder group and consent."""
        wid = _workshop_id(workshop_id)
        if not looks_like_token(token):
            raise AccessDenied.say(INVALID_LINK)
        problems = []
        name = ""
        try:
            name = clean_text(display_name, field_name="display_name", max_chars=80)
        except InvalidInput as exc:
            problems += exc.problems
        if group not in STAKEHOLDER_GROUPS:
            problems.append(Problem("input", "stakeholder_group", "choose your stakeholder group"))
        if consent is not True:
            problems.append(
                Problem(
                    "input", "consent", "please agree to how your answers are used to take part"
                )
            )
        if problems:
            raise InvalidInput(problems)
        with self.db.session(write=True) as s:
            participant = self._participant(s, wid, str(token))
            workshop = self._workshop(s, wid)
            if workshop.state != "open":
                raise WorkshopClosed.say(not_open_message(workshop))
            store.update_participant(
                s,
                participant,
                display_name=name,
                stakeholder_group=str(group),
                consent_at=participant.consent_at or utcnow(),
                last_seen_at=utcnow(),
            )
            return _admission(participant, workshop)

    # -- helpers ----------------------------------------------------------------------
    def _workshop(
        self, s: Any, workshop_id: int, *, lock: bool | Literal["share"] = False
    ) -> Workshop:
        workshop = store.find_workshop(s, workshop_id=workshop_id, lock=lock)
        if workshop is None:
            raise WorkshopNotFound(f"no workshop with id {workshop_id}")
        return workshop

    def _workshop_by_code(self, s: Any, workshop_id: int, code: str) -> Workshop:
        workshop = store.find_workshop_by_code(s, code_hash=hash_token(code))
        if workshop is None or workshop.id != workshop_id:
            raise AccessDenied.say(INVALID_LINK)
        return workshop

    def _publication(self, s: Any, workshop: Workshop) -> Publication:
        pub = store.find_publication(s, publication_id=workshop.publication_id)
        assert pub is not None  # foreign key
        return pub

    def _participant(
        self, s: Any, workshop_id: int, token: str, *, lock: bool = False
    ) -> Participant:
        participant = store.find_participant_by_token(s, token_hash=hash_token(token), lock=lock)
        if participant is None:
            raise AccessDenied.say(INVALID_LINK)
        if participant.workshop_id != workshop_id:
            raise AccessDenied.say(
                N_(
                    "This join link belongs to a different workshop. Please use the link for "
                    "this workshop."
                )
            )
        if participant.expires_at <= utcnow():
            when = participant.expires_at.strftime("%Y-%m-%d %H:%M UTC")
            raise AccessDenied.say(
                N_("This join link expired on {when}. Please ask your facilitator for a new one."),
                when=when,
            )
        return participant


def _workshop_id(value: object) -> int:
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise AccessDenied.say(INVALID_LINK)
    try:
        wid = int(text)
    except ValueError:
        raise AccessDenied.say(INVALID_LINK) from None
    if wid < 1:
        raise AccessDenied.say(INVALID_LINK)
    return wid


def not_open_message(workshop: Workshop) -> str:
    """Why a participant cannot answer in a workshop that is not open."""
    if workshop.state == "draft":
        return N_("This workshop has not started yet. Please wait for the facilitator to open it.")
    return N_("This workshop is closed. Answers can be read but no longer changed.")


def _admission(participant: Participant, workshop: Workshop) -> Admission:
    assert participant.id is not None and workshop.id is not None
    return Admission(
        workshop_id=workshop.id,
        participant_id=participant.id,
        public_id=participant.public_id,
        registered=participant.consent_at is not None,
        display_name=participant.display_name,
        stakeholder_group=participant.stakeholder_group,
        state=workshop.state,
        current_round=workshop.current_round,
        case_slug=workshop.case_slug,
        publication_id=workshop.publication_id,
        language=participant.language,
    )
