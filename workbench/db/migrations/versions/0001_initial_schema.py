"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("template_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("model_versions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cached_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("output_dir", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("notebook_path", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("report_path", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column(
            "report_noinput_path", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False
        ),
        sa.Column("artefacts", sa.JSON(), nullable=False),
        sa.Column("error_cell", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("synthetic_data", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cached_from_id"],
            ["run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_case_slug"), ["case_slug"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_template"), ["template"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_template"))
        batch_op.drop_index(batch_op.f("ix_run_status"))
        batch_op.drop_index(batch_op.f("ix_run_content_hash"))
        batch_op.drop_index(batch_op.f("ix_run_case_slug"))

    op.drop_table("run")
