"""The SQL store: tables, engine and session factory, crud functions and migrations.

This package is the only place in the workbench that imports SQLAlchemy. Everything
else calls :mod:`workbench.db.crud` with a session from :meth:`Database.session`.
"""

from workbench.db.engine import (
    Database,
    current_revision,
    display_url,
    head_revision,
    upgrade,
)

__all__ = ["Database", "current_revision", "display_url", "head_revision", "upgrade"]
