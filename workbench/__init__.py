"""ALMP co-design workbench: case studies, templated notebook runs, stakeholder feedback."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, looked up in the installed metadata on first use (importing
    :mod:`importlib.metadata` costs every command tens of milliseconds)."""
    if name != "__version__":
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("almp-workbench")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        value = "0.0.0"
    globals()["__version__"] = value
    return value
