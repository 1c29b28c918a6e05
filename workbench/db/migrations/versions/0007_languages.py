"""languages: the participant's choice, the language of statements and comments, and
seeded statements' translations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _language() -> sa.Column:
    return sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)


def upgrade() -> None:
    for table in ("participant", "feedback"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_language())
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(_language())
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("language")
    for table in ("feedback", "participant"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("language")
