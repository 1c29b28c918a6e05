"""ALMP co-design workbench: case studies, templated notebook runs, stakeholder feedback."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("almp-workbench")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"
