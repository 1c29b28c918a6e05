"""model registry (versions and their audit log) and the evidence change log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _string(64), nullable=False),
        sa.Column("version", _string(32), nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("parent", _string(32), nullable=True),
        sa.Column("created_by", _string(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("training_hash", _string(64), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("card", _string(1024), nullable=False),
        sa.Column("kind", _string(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("decided_by", _string(120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_version_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_model_version_status"), ["status"], unique=False)
    op.create_table(
        "model_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _string(64), nullable=False),
        sa.Column("version", _string(32), nullable=False),
        sa.Column("action", _string(16), nullable=False),
        sa.Column("actor", _string(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_version", _string(32), nullable=True),
        sa.Column("override", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("model_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_event_name"), ["name"], unique=False)
    op.create_table(
        "evidence_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", _string(64), nullable=False),
        sa.Column("version", _string(32), nullable=False),
        sa.Column("action", _string(16), nullable=False),
        sa.Column("origin", _string(300), nullable=False),
        sa.Column("row_id", _string(64), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("actor", _string(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_change_model"), ["model"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_change_row_id"), ["row_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_change_row_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_change_model"))
    op.drop_table("evidence_change")
    with op.batch_alter_table("model_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_event_name"))
    op.drop_table("model_event")
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_version_status"))
        batch_op.drop_index(batch_op.f("ix_model_version_name"))
    op.drop_table("model_version")
