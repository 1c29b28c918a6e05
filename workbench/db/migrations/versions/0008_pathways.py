"""individual pathways, the counsellors' review log and the pathway erasure log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "pathway",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", _string(40), nullable=False),
        sa.Column("region", _string(16), nullable=False),
        sa.Column("model_version", _string(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("created_by", _string(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_person"), ["person"], unique=False)
        batch_op.create_index(batch_op.f("ix_pathway_created_at"), ["created_at"], unique=False)
    op.create_table(
        "pathway_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.Integer(), nullable=False),
        sa.Column("person", _string(40), nullable=False),
        sa.Column("step_id", _string(120), nullable=False),
        sa.Column("action", _string(16), nullable=False),
        sa.Column("change_to", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("counsellor", _string(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", _string(64), nullable=True),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathway.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pathway_id", "counsellor", "idempotency_key"),
    )
    with op.batch_alter_table("pathway_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_review_pathway_id"), ["pathway_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pathway_review_person"), ["person"], unique=False)
    op.create_table(
        "pathway_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", _string(16), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("pathway_erasure")
    with op.batch_alter_table("pathway_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_review_person"))
        batch_op.drop_index(batch_op.f("ix_pathway_review_pathway_id"))
    op.drop_table("pathway_review")
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_created_at"))
        batch_op.drop_index(batch_op.f("ix_pathway_person"))
    op.drop_table("pathway")
