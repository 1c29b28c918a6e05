"""Evidence engine: a curated, validated base of published ALMP effect estimates.

Modules: :mod:`~workbench.evidence.schema` (columns, allowed values, the row model),
:mod:`~workbench.evidence.base` (reading and validating CSV/XLSX, the packaged base and its
hash), :mod:`~workbench.evidence.context` (high/low unemployment context from Eurostat
rates) and :mod:`~workbench.evidence.synthetic` (fixed-seed synthetic rows for scale tests).
"""
