"""The export tables' shared parts: the formula-injection guard."""

from __future__ import annotations

import pytest

from workbench.participation.exports import guard, unguard


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'quoted", "''quoted"),
        ("''", "'''"),
        ("plain = text", "plain = text"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_guard_adds_one_quote_and_unguard_removes_exactly_one(text: str, stored: str) -> None:
    assert guard(text) == stored
    assert unguard(guard(text)) == text
