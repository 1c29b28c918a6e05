"""Which of Card, Kluve & Weber's patterns the fitted evidence reproduces.

Each check compares two model figures (P(significantly positive) of two cells, in the
general population and the model's reference context) on the **same** parameter draws, so
the difference has a proper 95% interval. Verdicts:

- ``holds``: the difference has CKW's sign and its interval excludes zero;
- ``same direction, not significant``: CKW's sign, but the interval includes zero;
- ``opposite direction, not significant`` / ``reversed``: likewise, with the other sign;
- ``cannot show``: a cell is ``insufficient evidence`` or the factor has no term of its own
  (too few votes), and the check says how many votes there are.

The checks are fixed here, written from CKW's findings before fitting; nothing in the data
is adjusted to make one appear. Sources: CKW 2010 (Economic Journal 120: F452-F477) and
CKW 2018 (JEEA 16(3): 894-931); see the model card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from workbench.evidence.model import EffectivenessModel

__all__ = ["PATTERNS", "Pattern", "check_patterns"]


@dataclass(frozen=True)
class Pattern:
    """One CKW pattern: cell ``a`` should have a higher P(positive) than cell ``b``."""

    id: str
    claim: str
    source: str
    a: tuple[str, str, str]  # (programme type, horizon, target group)
    b: tuple[str, str, str]
    context: str | None = None  # cell a's context when the pattern is about context
    context_b: str | None = None


_CKW10 = "Card, Kluve & Weber 2010"
_CKW18 = "Card, Kluve & Weber 2018"
PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "training_long_run",
        "Training is more often significantly positive in the long run than in the short run",
        _CKW10,
        ("training", "long", "general"),
        ("training", "short", "general"),
    ),
    Pattern(
        "training_medium_run",
        "Training looks better in the medium run than in the short run",
        _CKW10,
        ("training", "medium", "general"),
        ("training", "short", "general"),
    ),
    Pattern(
        "jsa_short_run",
        "Job search assistance is more often positive in the short run than training",
        _CKW10,
        ("job_search_assistance", "short", "general"),
        ("training", "short", "general"),
    ),
    Pattern(
        "public_employment_least",
        "Public-sector employment is less often positive than training (medium run)",
        _CKW10,
        ("training", "medium", "general"),
        ("public_employment", "medium", "general"),
    ),
    Pattern(
        "women_larger",
        "Effects are larger for women",
        _CKW18,
        ("training", "medium", "women"),
        ("training", "medium", "general"),
    ),
    Pattern(
        "ltu_larger",
        "Effects are larger for participants entering from long-term unemployment",
        _CKW18,
        ("training", "medium", "long_term_unemployed"),
        ("training", "medium", "general"),
    ),
    Pattern(
        "high_unemployment_larger",
        "Effects are larger in periods of high unemployment",
        _CKW18,
        ("training", "medium", "general"),
        ("training", "medium", "general"),
        context="high",
        context_b="low",
    ),
)


def _verdict(diff: np.ndarray) -> tuple[str, float, float, float]:
    point = float(np.median(diff))
    low, high = (float(v) for v in np.percentile(diff, [2.5, 97.5]))
    if low > 0:
        return "holds", point, low, high
    if high < 0:
        return "reversed", point, low, high
    if point >= 0:
        return "same direction, not significant", point, low, high
    return "opposite direction, not significant", point, low, high


def _has_term(model: EffectivenessModel, factor: str, level: str) -> bool:
    vote = model.vote
    if vote.reference.get(factor) == level:
        return True
    return any((factor, level) in t.levels for t in vote.terms)


def _vote_count(votes: pd.DataFrame, factor: str, level: str) -> int:
    return int((votes[factor] == level).sum())


def check_patterns(model: EffectivenessModel, votes: pd.DataFrame) -> list[dict[str, Any]]:
    """Check every pattern of :data:`PATTERNS`; one JSON-ready dict each."""
    out = []
    reference_context = model.vote.reference["unemployment_context"]
    for p in PATTERNS:
        ca = p.context or reference_context
        cb = p.context_b or reference_context
        record: dict[str, Any] = {"id": p.id, "claim": p.claim, "source": p.source}
        problems = []
        for (ptype, horizon, group), context in ((p.a, ca), (p.b, cb)):
            cell = model.cell(ptype, horizon, group, context)
            if cell["status"] != "ok":
                problems.append(f"{ptype} at the {horizon} horizon: {'; '.join(cell['notes'])}")
            for factor, level in (("target_group", group), ("unemployment_context", context)):
                if not _has_term(model, factor, level):
                    n = _vote_count(votes, factor, level)
                    problems.append(f"{factor.replace('_', ' ')} {level}: {n} vote(s), no term")
        if problems:
            record.update(verdict="cannot show", detail="; ".join(dict.fromkeys(problems)))
            out.append(record)
            continue
        cells = pd.DataFrame(
            [
                dict(zip(("programme_type", "horizon", "target_group"), p.a, strict=True))
                | {"unemployment_context": ca},
                dict(zip(("programme_type", "horizon", "target_group"), p.b, strict=True))
                | {"unemployment_context": cb},
            ]
        )
        draws = model.vote.draws(cells)[:, :, 2]
        verdict, point, low, high = _verdict(draws[:, 0] - draws[:, 1])
        pa = model.cell(p.a[0], p.a[1], p.a[2], ca)["p_positive"]
        pb = model.cell(p.b[0], p.b[1], p.b[2], cb)["p_positive"]
        record.update(
            verdict=verdict,
            difference=point,
            difference_low=low,
            difference_high=high,
            detail=f"P(positive) {pa:.2f} vs {pb:.2f}; difference {point:+.2f} "
            f"[{low:+.2f}, {high:+.2f}]",
        )
        out.append(record)
    out.append(_long_run_shares(votes))
    return out


def _long_run_shares(votes: pd.DataFrame) -> dict[str, Any]:
    long_run = votes[votes["horizon"] == "long"]
    n = len(long_run)
    shares = {
        s: float((long_run["significance"] == s).mean()) if n else 0.0
        for s in ("positive_significant", "insignificant", "negative_significant")
    }
    return {
        "id": "long_run_shares",
        "claim": "Long-run estimates: 54% significantly positive, 40% insignificant, 6% "
        "significantly negative (N=50)",
        "source": _CKW10,
        "verdict": "compare" if n else "cannot show",
        "detail": (
            f"here, {n} long-run votes: {shares['positive_significant']:.0%} positive, "
            f"{shares['insignificant']:.0%} insignificant, "
            f"{shares['negative_significant']:.0%} negative"
            if n
            else "no long-run votes"
        ),
        "shares": shares,
        "n": n,
    }
