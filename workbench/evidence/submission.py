"""Local evidence flows back: a finished pilot evaluation becomes a candidate evidence row.

:func:`submit_evaluation` reads the ``evaluation.json`` artefact of a succeeded run of the
``evaluation`` template, turns the chosen method's result into one evidence row with
:func:`~workbench.evaluation.evidence_row.evaluation_to_evidence_row` (the run's content hash
is its provenance), and adds it through :class:`~workbench.evidence.changes.EvidenceService`:
the change is logged (who, when, why) and yields a candidate version that a named expert
approves or rejects like any other. An evaluation of the built-in SYNTHETIC pilot is refused:
synthetic rows never enter the evidence base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.db.models import RunStatus
from workbench.evaluation.att import AttResult
from workbench.evaluation.evidence_row import evaluation_to_evidence_row
from workbench.exceptions import InvalidInput, Problem

if TYPE_CHECKING:
    from workbench.evidence.changes import EvidenceEdit
    from workbench.service import Workbench

__all__ = ["EvaluationMeta", "submit_evaluation"]


@dataclass(frozen=True)
class EvaluationMeta:
    """What the evaluation table cannot say about the programme (evidence-schema values)."""

    programme: str
    programme_type: str
    target_group: str
    country: str
    period_start: int | None
    period_end: int | None
    horizon: str
    unit: str
    currency: str = ""
    outcome: str = ""  # default: the evaluated outcome column
    row_id: str | None = None


def submit_evaluation(
    wb: Workbench, run_id: int, meta: EvaluationMeta, *, method: str | None, by: str, reason: str
) -> EvidenceEdit:
    """Add run ``run_id``'s evaluation as a candidate evidence row (see the module doc).

    Raises:
        RunNotFound: no such run.
        InvalidInput: not a succeeded ``evaluation`` run, a synthetic pilot, an unknown
            method, or a row the evidence schema refuses (each problem names its field).
    """
    run = wb.get_run(run_id)
    source = f"run {run_id}"
    if run.template != "evaluation" or run.status not in (RunStatus.succeeded, RunStatus.cached):
        raise InvalidInput(
            [
                Problem(
                    source,
                    "template",
                    f"run {run_id} is a {run.status} {run.template} run; submit a succeeded "
                    "run of the evaluation template",
                )
            ]
        )
    path = wb.settings.home / run.output_dir / "artefacts" / "evaluation.json"
    if not path.is_file():
        raise InvalidInput([Problem(source, "artefacts", f"{path} is missing: re-run it")])
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("synthetic"):
        raise InvalidInput(
            [
                Problem(
                    source,
                    "pilot_file",
                    "this run evaluated the built-in SYNTHETIC pilot; synthetic results never "
                    "enter the evidence base (set pilot_file to your pilot's table)",
                )
            ]
        )
    chosen = method or str(doc.get("headline_method"))
    if chosen not in doc.get("methods", {}):
        raise InvalidInput(
            [
                Problem(
                    source,
                    "method",
                    f"no result for method {chosen!r}; the run has "
                    f"{', '.join(sorted(doc.get('methods', {})))}",
                )
            ]
        )
    result = AttResult.from_dict(doc["methods"][chosen])
    row = evaluation_to_evidence_row(
        result,
        run_hash=run.content_hash,
        case_slug=run.case_slug,
        programme=meta.programme,
        programme_type=meta.programme_type,
        target_group=meta.target_group,
        country=meta.country,
        period_start=meta.period_start,
        period_end=meta.period_end,
        horizon=meta.horizon,
        outcome=meta.outcome or result.outcome,
        unit=meta.unit,
        currency=meta.currency,
        row_id=meta.row_id,
        higher_is_better=bool(doc.get("parameters", {}).get("higher_is_better", True)),
    )
    return wb.evidence.add_row(row, by=by, reason=reason)
