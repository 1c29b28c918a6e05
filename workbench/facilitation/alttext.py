"""Text alternatives of the dashboard and minutes figures (WCAG 1.1.1).

Each function takes the same plain data as its figure in :mod:`workbench.facilitation.plots`
and states the figure's main numbers in words, so a screen-reader user hears what a
sighted user reads off the chart. Long lists stop after :data:`LIMIT` characters and say
how many entries were left out (the tables next to each figure have them all).
Labels come from the workshop spec; participant text never appears in a figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: soft limit of one text alternative, in characters
LIMIT = 600


def num(x: float, digits: int = 1) -> str:
    """A number without trailing zeros: 4 → "4", 3.5 → "3.5", 0.125 → "0.1" (digits=1)."""
    text = f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def join(head: str, items: Sequence[str], limit: int = LIMIT) -> str:
    """``head`` then ``items`` separated by "; ", and a full stop.

    Stops before the text would pass ``limit`` characters and then ends with how many
    items were left out; the first item is always shown.
    """
    for shown in range(len(items), 0, -1):
        rest = len(items) - shown
        end = f"; and {rest} more (see the table)." if rest else "."
        text = head + "; ".join(items[:shown]) + end
        if len(text) <= limit or shown == 1:
            return text
    return head.rstrip(": ") + "."


def participation(
    groups: Sequence[str], registered: Sequence[int], active: Sequence[int], expected: Sequence[int]
) -> str:
    """Registered (of expected) and active participants per stakeholder group."""
    if not groups:
        return "Who is taking part: nobody has joined yet."
    items = [
        f"{g} {r} of {e} expected, {a} active" if e else f"{g} {r} (none expected), {a} active"
        for g, r, a, e in zip(groups, registered, active, expected, strict=True)
    ]
    total = f"{sum(registered)} registered" + (
        f" of {sum(expected)} expected" if sum(expected) else ""
    )
    return join(f"Who is taking part, per stakeholder group ({total}): ", items)


def ratings(
    options: Sequence[str],
    criteria: Sequence[str],
    median: np.ndarray,
    iqr: np.ndarray,
    n: np.ndarray,
    consensus: np.ndarray,
    scale_max: int,
) -> str:
    """Median, IQR, number of ratings and consensus of every option × criterion."""
    if not np.isfinite(median).any():
        return "Ratings heatmap: no ratings yet."
    items = []
    for i, option in enumerate(options):
        cells = []
        for j, criterion in enumerate(criteria):
            if not np.isfinite(median[i, j]):
                cells.append(f"{criterion} no ratings")
                continue
            agreed = ", consensus" if consensus[i, j] else ""
            cells.append(
                f"{criterion} median {num(median[i, j])} of {scale_max} "
                f"(IQR {num(iqr[i, j])}, {int(n[i, j])} ratings{agreed})"
            )
        items.append(f"{option} – " + ", ".join(cells))
    settled = int(np.sum(consensus))
    return join(f"Ratings heatmap, {settled} of {int(median.size)} items with consensus: ", items)


def rankings(
    options: Sequence[str], approval_share: Sequence[float], borda: Sequence[float]
) -> str:
    """Approval share and Borda points per option, most Borda points first."""
    if not any(approval_share) and not any(borda):
        return "Approval and ranking: no approvals or rankings yet."
    order = sorted(range(len(options)), key=lambda i: (-float(borda[i]), i))
    items = [
        f"{options[i]} {num(float(approval_share[i]) * 100, 0)}% approval, "
        f"{num(float(borda[i]))} Borda points"
        for i in order
    ]
    return join("Approval and ranking, most Borda points first: ", items)


def opinion_map(sizes: Sequence[int]) -> str:
    """How many participants form how many opinion groups, and each group's size."""
    if not sizes:
        return "Opinion map: not enough votes for opinion groups yet."
    groups = [f"group {chr(65 + g)} {size}" for g, size in enumerate(sizes)]
    return join(
        f"Opinion map (PCA of statement votes): {sum(sizes)} participants in "
        f"{len(sizes)} opinion groups: ",
        groups,
    )


def statement_consensus(
    codes: Sequence[str], consensus: Sequence[float], group_agree: np.ndarray
) -> str:
    """Group-informed consensus per statement and each opinion group's agreement share."""
    if not codes:
        return "Where the groups agree: no statements with votes yet."
    n_groups = group_agree.shape[1] if group_agree.ndim == 2 else 0
    items = []
    for i, code in enumerate(codes):
        value = "–" if not np.isfinite(consensus[i]) else num(float(consensus[i]), 2)
        shares = ", ".join(
            f"group {chr(65 + g)} {num(float(group_agree[i, g]) * 100, 0)}%"
            for g in range(n_groups)
        )
        items.append(f"{code} {value} ({shares} agree)" if shares else f"{code} {value}")
    return join("Group-informed consensus per statement (0 to 1): ", items)


def sensitivity(options: Sequence[str], methods: Sequence[str], ranks: np.ndarray) -> str:
    """Rank of each option under each aggregation method."""
    if ranks.size == 0 or not np.isfinite(ranks).any():
        return "Method sensitivity: not enough answers to compare methods."
    items = []
    for i, method in enumerate(methods):
        placed = sorted(
            (float(ranks[i, j]), j) for j in range(len(options)) if np.isfinite(ranks[i, j])
        )
        listed = ", ".join(f"{options[j]} {num(r)}" for r, j in placed)
        items.append(f"{method}: {listed}" if listed else f"{method}: no ranks")
    return join("Rank of each option under each method (1 = top): ", items)


def stability(items: Sequence[str], delta_cv: Sequence[float], threshold: float) -> str:
    """How many items are stable, then each item's change in the coefficient of variation."""
    if not items:
        return "Stability between rounds: needs two rounds of ratings."
    stable = sum(1 for d in delta_cv if abs(d) < threshold)
    changes = [
        f"{item} {num(abs(float(d)), 2)}{' (stable)' if abs(d) < threshold else ''}"
        for item, d in zip(items, delta_cv, strict=True)
    ]
    return join(
        f"Stability between rounds: {stable} of {len(items)} items stable (change in "
        f"coefficient of variation below {threshold:g}): ",
        changes,
    )


def weights(
    criteria: Sequence[str],
    overall: Sequence[float],
    n: int,
    groups: Sequence[str],
    by_group: np.ndarray,
    group_n: Sequence[int],
) -> str:
    """Each criterion's weight (mean points / budget) overall, then per stakeholder group."""
    if n == 0:
        return "What matters most: nobody has spread their points yet."

    def row(values: Sequence[float]) -> str:
        return ", ".join(
            f"{c} {num(float(v) * 100, 0)}%" for c, v in zip(criteria, values, strict=True)
        )

    items = [f"overall ({n}) {row(overall)}"]
    for g, k, values in zip(groups, group_n, by_group, strict=True):
        items.append(f"{g} ({int(k)}) {row(values)}")
    return join("What matters most, criteria weights (mean share of the points): ", items)


def tuned_ranking(
    options: Sequence[str], probabilities: Sequence[Sequence[float]], n_draws: int
) -> str:
    """The tuned ranking, best first, with each option's share of draws at each rank."""
    if not options:
        return "Tuned ranking: no options."
    items = []
    for k, (option, probs) in enumerate(zip(options, probabilities, strict=True), start=1):
        shares = ", ".join(
            f"rank {r} {num(float(p) * 100, 0)}%" for r, p in enumerate(probs, start=1) if p > 0
        )
        items.append(f"{k}. {option} ({shares})")
    return join(
        f"Tuned ranking, best first, with the share of {n_draws} draws at each rank: ", items
    )


__all__ = [
    "LIMIT",
    "join",
    "num",
    "opinion_map",
    "participation",
    "rankings",
    "ratings",
    "sensitivity",
    "stability",
    "statement_consensus",
    "tuned_ranking",
    "weights",
]
