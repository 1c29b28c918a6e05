"""Turn a local pilot evaluation into one row of the ALMP evidence base.

The row follows :data:`workbench.evidence.schema.COLUMNS` and is checked with
:func:`workbench.evidence.base.validate_evidence` before it is returned. Coding choices:

- ``kind = estimate``, ``secondary = false``, ``source_type = primary_report_summary``
  (the schema has no "local evaluation" source type; the row quotes the summary sentence of
  a primary analysis). With ``synthetic=True`` (an evaluation of made-up data) the row is
  ``kind = synthetic`` / ``source_type = synthetic`` with SYNTHETIC in its notes and no
  ``source_url``, as the schema asks.
- ``design = matching`` for all three methods: the schema's ``matching`` is the
  selection-on-observables design of propensity-score studies (as coded for the PSM studies
  in the curated base); weighting and doubly robust estimators rest on the same assumption.
- ``estimate`` = the ATT; ``ci_low``/``ci_high`` = the 95 % bootstrap percentile interval;
  ``se = (ci_high - ci_low) / (2 x 1.96)``. When the percentile interval does not contain
  the point estimate (possible with a skewed bootstrap), the interval is left out (the
  schema requires ``ci_low <= estimate <= ci_high``) and named in ``notes``; ``se`` stays.
- ``significance``/``direction`` are *beneficial*-oriented (schema rule): with
  ``higher_is_better`` (default; e.g. earnings, employment) a positive ATT is beneficial,
  otherwise (e.g. months unemployed) a negative one. Significant when the interval excludes
  0 (or, without an interval, ``|estimate / se| >= 1.96``).
- ``source_url`` = :data:`RUN_URL` filled with the run hash. ``validate_evidence`` accepts
  only http(s) addresses, so the ``run:<hash>`` form cannot be used; ``.invalid`` is a
  reserved top-level domain (RFC 2606), so the address names the run without pretending
  to be a web page. Pass ``source_url`` to point at a published report instead.
- ``unemployment_context``/``context_source`` = ``unknown`` (derive them with
  :func:`workbench.evidence.context.derive_context` when the region is known).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from workbench.evaluation.att import METHOD_LABELS, AttResult
from workbench.evaluation.inputs import error
from workbench.evidence.base import validate_evidence
from workbench.evidence.schema import COLUMN_NAMES

__all__ = ["DESIGN_OF_METHOD", "RUN_URL", "evaluation_to_evidence_row"]

#: Where a row points when no ``source_url`` is given (see the module docstring).
RUN_URL = "https://workbench.invalid/runs/{run_hash}"
#: Evidence-schema design of each estimation method.
DESIGN_OF_METHOD: dict[str, str] = {"ipw": "matching", "matching": "matching", "dr": "matching"}
_Z = 1.96
_HASH_RE = re.compile(r"[0-9a-f]{8,64}")


def _coding(
    att: float, low: float | None, high: float | None, se: float | None, higher_is_better: bool
) -> tuple[str, str]:
    """(significance, direction), beneficial-oriented."""
    good = att if higher_is_better else -att
    direction = "positive" if good > 0 else "negative" if good < 0 else "none"
    if low is not None and high is not None:
        significant = low > 0 or high < 0
    elif se is not None and se > 0:
        significant = abs(att / se) >= _Z
    else:
        return "unknown", direction
    if not significant:
        return "insignificant", direction
    return ("positive_significant" if good > 0 else "negative_significant"), direction


def evaluation_to_evidence_row(
    result: AttResult,
    *,
    run_hash: str,
    case_slug: str,
    programme: str,
    programme_type: str,
    target_group: str,
    country: str,
    period_start: int | None,
    period_end: int | None,
    horizon: str,
    outcome: str,
    unit: str,
    currency: str = "",
    row_id: str | None = None,
    higher_is_better: bool = True,
    synthetic: bool = False,
    source_url: str | None = None,
) -> dict[str, object]:
    """One evidence-base row (a dict in schema column order) for an evaluation result.

    ``run_hash`` is the content hash of the run that produced ``result`` (hex, 8-64
    characters); ``row_id`` defaults to ``L-<case_slug>-<method>-<first 12 of the hash>``.
    The other keywords are the schema's columns of the same name (allowed values in
    :mod:`workbench.evidence.schema`). See the module docstring for the coding rules.

    Raises:
        EvaluationError: ``run_hash`` is not a hex hash or ``result`` has no finite ATT.
        EvidenceError: the row breaks a rule of the evidence schema (each problem names
            the column).
    """
    if not isinstance(run_hash, str) or not _HASH_RE.fullmatch(run_hash):
        raise error("run_hash", f"expected a hex run hash (8-64 characters), got {run_hash!r}")
    if not math.isfinite(result.att):
        raise error("att", "the result has no finite estimate to record")
    att = float(result.att)
    low, high = (float(v) for v in result.ci)
    notes = []
    se: float | None = None
    if math.isfinite(low) and math.isfinite(high):
        se = (high - low) / (2 * _Z)
        if not low <= att <= high:
            notes.append(
                f"the 95% bootstrap percentile interval [{low:.6g}, {high:.6g}] does not "
                "contain the point estimate, so it is not given as ci_low/ci_high"
            )
            low_out, high_out = None, None
        else:
            low_out, high_out = low, high
    else:
        low_out = high_out = None
        notes.append("no bootstrap interval could be computed")
    significance, direction = _coding(att, low_out, high_out, se, higher_is_better)
    label = METHOD_LABELS[result.method]
    short = run_hash[:12]
    notes.insert(
        0,
        f"local evaluation by {label} ({result.method}); run {run_hash}; ATT on "
        f"{result.n_treated} treated and {result.n_control} controls; trimming "
        f"{result.trimming.rule}; {result.n_boot} bootstrap draws (seed {result.seed}); "
        f"se = 95% CI width / (2 x 1.96)",
    )
    if synthetic:
        notes.insert(0, "SYNTHETIC data: not evidence about any real programme")
    record: dict[str, object] = {
        "id": row_id or f"L-{case_slug}-{result.method}-{short}",
        "kind": "synthetic" if synthetic else "estimate",
        "study": f"Local pilot evaluation, case study {case_slug} (run {short})",
        "citation": f"ALMP workbench evaluation of {programme or case_slug}: {label}; "
        f"run {run_hash}",
        "programme": programme,
        "programme_type": programme_type,
        "target_group": target_group,
        "target_group_text": "",
        "country": country,
        "period_start": period_start,
        "period_end": period_end,
        "horizon": horizon,
        "outcome": outcome,
        "estimate": att,
        "unit": unit,
        "currency": currency,
        "se": se,
        "ci_low": low_out,
        "ci_high": high_out,
        "p_value": None,
        "significance": significance,
        "direction": direction,
        "design": DESIGN_OF_METHOD[result.method],
        "unemployment_context": "unknown",
        "context_source": "unknown",
        "source_url": "" if synthetic else (source_url or RUN_URL.format(run_hash=run_hash)),
        "quote": result.summary(),
        "secondary": False,
        "source_type": "synthetic" if synthetic else "primary_report_summary",
        "notes": "; ".join(notes),
    }
    frame = pd.DataFrame([record], columns=list(COLUMN_NAMES), dtype=object)
    validate_evidence(frame, source=f"evaluation row {record['id']}")
    return {name: record[name] for name in COLUMN_NAMES}
