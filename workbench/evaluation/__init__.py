"""Counterfactual evaluation of a local ALMP pilot.

:func:`~workbench.evaluation.att.estimate_att` estimates the pilot's average effect on its
participants (ATT) by inverse probability weighting, propensity-score matching or a doubly
robust estimator, with a bootstrap interval, covariate balance and trimming;
:func:`~workbench.evaluation.evidence_row.evaluation_to_evidence_row` turns a result into a
row of the evidence base. Modules: :mod:`~workbench.evaluation.att` (API, validation,
bootstrap), :mod:`~workbench.evaluation.estimators` (propensity model and estimators),
:mod:`~workbench.evaluation.balance` (standardised mean differences),
:mod:`~workbench.evaluation.evidence_row`.
"""

from workbench.evaluation.att import (
    METHOD_LABELS,
    METHODS,
    AttResult,
    EvaluationError,
    Trimming,
    estimate_att,
)
from workbench.evaluation.evidence_row import evaluation_to_evidence_row

__all__ = [
    "METHODS",
    "METHOD_LABELS",
    "AttResult",
    "EvaluationError",
    "Trimming",
    "estimate_att",
    "evaluation_to_evidence_row",
]
