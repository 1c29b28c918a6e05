"""The export tests' workshop: the hostile one of ``_hostile``, with tab- and CR-started
texts added. Runs on SQLite and PostgreSQL (``env`` uses ``db_url``)."""

from __future__ import annotations

import _hostile as hostile
import pytest


@pytest.fixture
def room(env):
    """The hostile workshop, with tab- and CR-started texts added."""
    h = hostile.build(env)
    hostile.add_raw_starts(env, h)
    return env, h
