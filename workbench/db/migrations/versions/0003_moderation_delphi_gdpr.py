"""moderation log, comment status, Delphi re-ask sets, retention and erasure log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="365")
        )
    with op.batch_alter_table("workshop_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reask", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("previous_results", sa.JSON(), nullable=True))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="visible",
            )
        )
    op.create_table(
        "moderation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_workshop_id"), ["workshop_id"], unique=False
        )
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_workshop_id"), ["workshop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_workshop_id"))
    op.drop_table("erasure")
    with op.batch_alter_table("moderation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_workshop_id"))
    op.drop_table("moderation")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("status")
    with op.batch_alter_table("workshop_round", schema=None) as batch_op:
        batch_op.drop_column("previous_results")
        batch_op.drop_column("reask")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
