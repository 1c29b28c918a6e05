"""tuned recommendations (versions) and their audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "recommendation_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", _string(64), nullable=False),
        sa.Column("case_slug", _string(64), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("parent", _string(64), nullable=True),
        sa.Column("method", _string(32), nullable=False),
        sa.Column("group_rule", _string(32), nullable=False),
        sa.Column("n_draws", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("evidence_model", _string(120), nullable=False),
        sa.Column("input_hash", _string(64), nullable=False),
        sa.Column("feedback_rows", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("created_by", _string(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    with op.batch_alter_table("recommendation_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_version_case_slug"), ["case_slug"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendation_version_workshop_id"), ["workshop_id"], unique=False
        )
    op.create_table(
        "recommendation_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_slug", _string(64), nullable=False),
        sa.Column("version", _string(64), nullable=False),
        sa.Column("action", _string(16), nullable=False),
        sa.Column("actor", _string(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_version", _string(64), nullable=True),
        sa.Column("run_hash", _string(64), nullable=True),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recommendation_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_event_case_slug"), ["case_slug"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendation_event_version"), ["version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendation_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_event_version"))
        batch_op.drop_index(batch_op.f("ix_recommendation_event_case_slug"))
    op.drop_table("recommendation_event")
    with op.batch_alter_table("recommendation_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_version_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_recommendation_version_case_slug"))
    op.drop_table("recommendation_version")
