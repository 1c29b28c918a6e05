"""Participatory fine-tuning: workshop feedback re-ranks the evidence-based options.

Pure computation (numpy, pandas, pymcdm; no database, no files). The entry point is
:func:`~workbench.tuning.tune.tune`, which takes one round's feedback as tidy frames and
returns a :class:`~workbench.tuning.tune.TuningResult`:

- :mod:`~workbench.tuning.inputs`: the input frames, their validation, the refusals and
  the integer encoding every other module works on;
- :mod:`~workbench.tuning.weights`: criteria weights from the 100-point allocations, per
  stakeholder group and combined by a group rule (equal, as-present, expected-mix);
- :mod:`~workbench.tuning.scores`: option scores per criterion (median and IQR of the
  ratings) and the evidence criterion;
- :mod:`~workbench.tuning.mcda`: the weighted sum and TOPSIS through pymcdm;
- :mod:`~workbench.tuning.uncertainty`: bootstrap and evidence draws, rank probabilities;
- :mod:`~workbench.tuning.sensitivity`: the ranking under other rules, the other method and
  without each stakeholder group.
"""

from workbench.tuning.inputs import (
    BUDGET,
    EVIDENCE,
    GROUP_RULES,
    METHODS,
    MIN_GROUPS,
    MIN_PARTICIPANTS,
    evidence_from_recommendation,
)
from workbench.tuning.tune import TuningResult, tune

__all__ = [
    "BUDGET",
    "EVIDENCE",
    "GROUP_RULES",
    "METHODS",
    "MIN_GROUPS",
    "MIN_PARTICIPANTS",
    "TuningResult",
    "evidence_from_recommendation",
    "tune",
]
