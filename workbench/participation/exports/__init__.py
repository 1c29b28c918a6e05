"""Workshop exports for analysts: tidy tables as CSV, XLSX or JSON.

:func:`workshop_tables` reads one workshop into tidy tables (one row per answer);
:func:`write_export` writes them as a folder of CSV files with a Frictionless
``datapackage.json``, one XLSX workbook or one JSON document, and :func:`read_export`
reads any of them back into the same tables. The ``content`` table holds every text of
the workshop in every language (a ``text_<code>`` column each), and
:func:`spec_from_export` rebuilds the workshop's spec from an export, to seed a new one.

Participants appear only by their pseudonymous id (``p-…``): display names and token
hashes are never exported. Hidden content is left out: comments hidden by moderation and
votes on hidden statements (hidden by moderation, or redacted when their author's data
was erased).

CSV and XLSX guard against formula injection (OWASP "CSV injection"): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or ``'`` gets one extra
leading ``'``. :func:`read_export` removes exactly that one, so a round trip is exact.
JSON stays raw.

The modules: ``tables`` (the tables' layout, typed frames, the guard), ``columns`` (what
tables with variable columns share), ``workshop`` (reading a workshop), ``content`` (the
texts in every language, and the spec rebuilt from them), ``tuning`` (the tuned
recommendation versions, their rank probabilities and the case's log of proposals and
decisions), ``files`` (paths and the choice of format) and one module per format:
``csv_format``, ``xlsx_format``, ``json_format``.
"""

from workbench.participation.exports.content import CONTENT, spec_from_export
from workbench.participation.exports.csv_format import DATAPACKAGE
from workbench.participation.exports.files import (
    FORMATS,
    default_export_path,
    read_export,
    write_export,
)
from workbench.participation.exports.tables import (
    ABOUT,
    ABOUT_SHEET,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    GUARDED_STARTS,
    TABLES,
    Column,
    Table,
    guard,
    make_frame,
    unguard,
)
from workbench.participation.exports.workshop import workshop_tables

__all__ = [
    "ABOUT",
    "ABOUT_SHEET",
    "CONTENT",
    "DATAPACKAGE",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "FORMATS",
    "GUARDED_STARTS",
    "TABLES",
    "Column",
    "Table",
    "default_export_path",
    "guard",
    "make_frame",
    "read_export",
    "spec_from_export",
    "unguard",
    "workshop_tables",
    "write_export",
]
