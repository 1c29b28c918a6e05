"""data note of runs and publications (real, real with synthetic tables, synthetic demo)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("run", "publication"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "data_note",
                    sqlmodel.sql.sqltypes.AutoString(length=500),
                    nullable=False,
                    server_default="",
                )
            )


def downgrade() -> None:
    for table in ("publication", "run"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("data_note")
