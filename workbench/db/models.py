"""SQLModel tables. This is the only module that defines tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Text
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
