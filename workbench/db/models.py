"""SQLModel tables. This is the only module that defines tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware 'now' in UTC (naive datetimes are rejected by SQLModel)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite keeps no zone, so values read back are re-labelled as UTC; naive values
    are refused on the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RunStatus(StrEnum):
    """Life cycle of a run row."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cached = "cached"


class RunStatusType(TypeDecorator[RunStatus]):
    """Stores a :class:`RunStatus` as a short string and reads it back as the enum."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: RunStatus | str | None, dialect: Any) -> str | None:
        return None if value is None else RunStatus(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> RunStatus | None:
        return None if value is None else RunStatus(value)


class Run(SQLModel, table=True):
    """One execution (or cache hit) of a template for a case study."""

    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    case_slug: str = Field(index=True, max_length=64)
    template: str = Field(index=True, max_length=128)
    template_version: str = Field(default="", max_length=32)
    content_hash: str = Field(index=True, max_length=64)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    inputs: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    model_versions: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    status: RunStatus = Field(
        default=RunStatus.running, sa_column=Column(RunStatusType(), index=True, nullable=False)
    )
    cached_from_id: int | None = Field(default=None, foreign_key="run.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    started_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    duration_s: float | None = None
    output_dir: str = Field(default="", max_length=1024)
    notebook_path: str = Field(default="", max_length=1024)
    report_path: str = Field(default="", max_length=1024)
    report_noinput_path: str = Field(default="", max_length=1024)
    artefacts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error_cell: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    traceback: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    synthetic_data: bool = False
    #: what the run's data are: "Real data", "Real data, with SYNTHETIC tables: …", …
    data_note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


# -- publishing and workshops --------------------------------------------------------


class Publication(SQLModel, table=True):
    """A case study's stakeholder app, built from a fixed set of successful runs."""

    __tablename__ = "publication"

    id: int | None = Field(default=None, primary_key=True)
    case_slug: str = Field(index=True, max_length=64)
    title: str = Field(default="", max_length=300)
    app_path: str = Field(max_length=1024)
    #: template name -> run content hash
    run_hashes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: template name -> template version
    template_versions: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    #: content hash over the runs and the app builder version: what participants saw
    bundle_hash: str = Field(index=True, max_length=64)
    app_version: str = Field(max_length=32)
    synthetic_data: bool = False
    #: the runs' data notes, joined (see ``Run.data_note``)
    data_note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    published_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Workshop(SQLModel, table=True):
    """A co-design workshop on one published case-study app."""

    __tablename__ = "workshop"

    id: int | None = Field(default=None, primary_key=True)
    case_slug: str = Field(index=True, max_length=64)
    publication_id: int = Field(foreign_key="publication.id")
    title: str = Field(max_length=200)
    state: str = Field(default="draft", max_length=16, index=True)
    current_round: int = 0
    expected_participants: int = 0
    scale_max: int = 5
    #: options, criteria and settings (see workbench.participation.spec)
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    #: days after closing before participants' data is erased (GDPR storage limitation)
    retention_days: int = 365


class WorkshopRound(SQLModel, table=True):
    """A numbered round of a workshop; earlier rounds are frozen when a new one starts."""

    __tablename__ = "workshop_round"

    workshop_id: int = Field(foreign_key="workshop.id", primary_key=True)
    number: int = Field(primary_key=True)
    opened_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    #: Delphi: the rating items re-asked in this round (None: all). Frozen when it opens.
    reask: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: Delphi: the anonymised rating results of the previous round shown to participants
    previous_results: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class Participant(SQLModel, table=True):
    """One invitation/participant. Only the SHA-256 of the join token is stored."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    #: pseudonymous id shown in exports instead of names
    public_id: str = Field(max_length=32, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    display_name: str | None = Field(default=None, max_length=80)
    stakeholder_group: str | None = Field(default=None, max_length=40, index=True)
    consent_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_seen_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    #: the language the participant chose on the page (None: the browser's, the default)
    language: str | None = Field(default=None, max_length=8)


class Statement(SQLModel, table=True):
    """A statement to vote on: seeded by the facilitator or proposed by a participant."""

    __tablename__ = "statement"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    #: "seed" or "participant"
    origin: str = Field(default="seed", max_length=16)
    author_id: int | None = Field(default=None, foreign_key="participant.id")
    #: "approved", "pending" (held for moderation) or "hidden"
    status: str = Field(default="approved", max_length=16, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: the language ``text`` is written in (None: written before languages were recorded)
    language: str | None = Field(default=None, max_length=8)
    #: a seeded statement's text in the workshop's other languages (language -> text)
    translations: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Submission(SQLModel, table=True):
    """One accepted submission; its idempotency key makes re-sending harmless."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("participant_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    round: int
    kind: str = Field(max_length=16)
    idempotency_key: str = Field(max_length=64)
    payload_sha256: str = Field(max_length=64)
    item_count: int = 0
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class Feedback(SQLModel, table=True):
    """The current answer of one participant to one item in one round.

    Pinned to what it answered: workshop, round, participant, case study, the bundle
    hash of the runs shown and the template versions.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("workshop_id", "round", "participant_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    round: int
    participant_id: int = Field(foreign_key="participant.id", index=True)
    kind: str = Field(max_length=16, index=True)
    item: str = Field(max_length=200)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    case_slug: str = Field(max_length=64)
    run_hash: str = Field(max_length=64)
    template_version: str = Field(max_length=200)
    submission_id: int = Field(foreign_key="submission.id")
    revision: int = 1
    #: "visible" or "hidden" (a comment hidden by moderation)
    status: str = Field(default="visible", max_length=16)
    #: the language of a text answer (a comment), as the participant's page showed it
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Moderation(SQLModel, table=True):
    """The moderation log: who approved or hid which statement or comment, and why."""

    __tablename__ = "moderation"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    #: "statement" (a Statement id) or "comment" (a Feedback id)
    target_kind: str = Field(max_length=16)
    target_id: int
    #: "approve" or "hide"
    action: str = Field(max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=80)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Erasure(SQLModel, table=True):
    """A record that a participant's data was erased. It names no participant."""

    __tablename__ = "erasure"

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    #: "request" (GDPR Art. 17) or "retention" (the workshop's retention period ended)
    reason: str = Field(max_length=16)
    #: rows removed per table
    rows: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    erased_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


# -- model registry and evidence changes ---------------------------------------------


class ModelVersion(SQLModel, table=True):
    """One version of a shared model: a candidate until an expert approves or rejects it.

    JSON-valued fields are stored as JSON text (``metrics``, ``cells``, ``diff``,
    ``files``); ``files`` and ``card`` are paths relative to ``shared_models/<name>/``.
    """

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=64)
    #: "1", "2", … (a seeded version keeps the version its model.yaml gave, e.g. "0.1.0")
    version: str = Field(max_length=32)
    #: "candidate", "approved", "rejected" or "superseded" (approved once, replaced since)
    status: str = Field(default="candidate", max_length=16, index=True)
    #: the version approved when this one was made (None: the first)
    parent: str | None = Field(default=None, max_length=32)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    training_hash: str = Field(default="", max_length=64)
    metrics: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    cells: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    diff: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    files: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    card: str = Field(default="", max_length=1024)
    kind: str = Field(default="", max_length=64)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: the latest decision on this version (approve, reject, rollback): who, when, why
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ModelEvent(SQLModel, table=True):
    """The registry's audit log: every seeding, candidate, approval, rejection, rollback."""

    __tablename__ = "model_event"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=64)
    version: str = Field(max_length=32)
    #: "seeded", "candidate", "approve", "reject" or "rollback"
    action: str = Field(max_length=16)
    actor: str = Field(max_length=120)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    #: the version that was approved before (approve, rollback)
    from_version: str | None = Field(default=None, max_length=32)
    #: why an approval gate was overridden (approve only)
    override: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class EvidenceChange(SQLModel, table=True):
    """One change of one evidence row, and the model version it produced.

    ``before``/``after`` are the row's cells as JSON text (None: the row did not exist /
    was retracted); ``origin`` says how it came (``edit`` or ``import <file name>``).
    """

    __tablename__ = "evidence_change"

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(index=True, max_length=64)
    version: str = Field(max_length=32)
    #: "add", "correct" or "retract"
    action: str = Field(max_length=16)
    origin: str = Field(default="edit", max_length=300)
    row_id: str = Field(index=True, max_length=64)
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    actor: str = Field(max_length=120)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


# -- tuned recommendations -----------------------------------------------------------


class RecommendationVersion(SQLModel, table=True):
    """One tuned recommendation: a workshop round's feedback re-ranking a case's options.

    Never changed once written. ``version`` is the content hash of what determines the
    tuning (feedback values and row ids, parameters, evidence and its model version);
    ``parent`` is the version accepted for the case when this one was first proposed.
    ``feedback_rows`` is JSON text ``[[feedback id, revision], …]``: the exact rows used.
    ``result`` is the :class:`workbench.tuning.TuningResult` as JSON text; ``changes`` the
    plain-language lines against the parent (or the evidence-only ranking).
    """

    __tablename__ = "recommendation_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, unique=True)
    case_slug: str = Field(index=True, max_length=64)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    round: int
    parent: str | None = Field(default=None, max_length=64)
    method: str = Field(max_length=32)
    group_rule: str = Field(max_length=32)
    n_draws: int
    seed: int
    evidence_model: str = Field(default="", max_length=120)
    input_hash: str = Field(max_length=64)
    feedback_rows: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    result: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    changes: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class RecommendationEvent(SQLModel, table=True):
    """The tuned recommendations' audit log: proposals, acceptances and rollbacks.

    The accepted version of a case is the one named by its latest ``accept`` or
    ``rollback`` event; ``run_hash`` and ``publication_id`` say which policy-mix run and
    which app that decision produced.
    """

    __tablename__ = "recommendation_event"

    id: int | None = Field(default=None, primary_key=True)
    case_slug: str = Field(index=True, max_length=64)
    version: str = Field(max_length=64, index=True)
    #: "propose", "accept" or "rollback"
    action: str = Field(max_length=16)
    actor: str = Field(max_length=120)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: the version accepted before (accept, rollback)
    from_version: str | None = Field(default=None, max_length=64)
    run_hash: str | None = Field(default=None, max_length=64)
    publication_id: int | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


# -- individual pathways and their human oversight -----------------------------------


class PathwayRecord(SQLModel, table=True):
    """A pathway proposed for one jobseeker, never changed once written.

    ``person`` is a keyed pseudonym (``p_`` + 32 hex), never a PES id; ``payload`` is the
    whole :class:`workbench.pathways.build.Pathway` as JSON; ``groups`` its protected
    attributes, kept for the override signals only.
    """

    __tablename__ = "pathway"

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(index=True, max_length=40)
    region: str = Field(default="", max_length=16)
    model_version: str = Field(default="", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    groups: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class PathwayReview(SQLModel, table=True):
    """One counsellor decision on one step (append-only): who, what, when, why.

    A new decision on the same step is a new row; the latest one counts. The optional
    ``idempotency_key`` makes a re-sent decision harmless (unique per counsellor).
    """

    __tablename__ = "pathway_review"
    __table_args__ = (UniqueConstraint("pathway_id", "counsellor", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True)
    person: str = Field(index=True, max_length=40)
    step_id: str = Field(max_length=120)
    #: "accept", "change" or "reject"
    action: str = Field(max_length=16)
    change_to: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    counsellor: str = Field(max_length=120)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=64)


class PathwayErasure(SQLModel, table=True):
    """A record that a jobseeker's pathways were erased. It names no one."""

    __tablename__ = "pathway_erasure"

    id: int | None = Field(default=None, primary_key=True)
    #: "request" (Art. 17), "objection" (Art. 21) or "retention"
    reason: str = Field(max_length=16)
    #: rows removed per table, and artefact rows and files
    rows: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    erased_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
