"""Text alternatives of the dashboard and minutes figures (WCAG 1.1.1).

Each function takes the same plain data as its figure in :mod:`workbench.facilitation.plots`
and states the figure's main numbers in words, so a screen-reader user hears what a
sighted user reads off the chart. Long lists stop after :data:`LIMIT` characters and say
how many entries were left out (the tables next to each figure have them all).
Labels come from the workshop spec; participant text never appears in a figure.
Every text is in the language of ``t`` (English by default), numbers in its format.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.i18n import ENGLISH, Translator

#: soft limit of one text alternative, in characters
LIMIT = 600


def num(x: float, digits: int = 1, t: Translator = ENGLISH) -> str:
    """A number without trailing zeros in ``t``'s format: 4 → "4", 3.5 → "3.5" ("3,5" in
    Spanish), 0.125 → "0.1" (digits=1)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(x, format=pattern, locale=t.code)


def group_name(index: int, t: Translator = ENGLISH) -> str:
    """An opinion group's name: group A, group B, …"""
    return t._("group {letter}").format(letter=chr(65 + index))


def join(head: str, items: Sequence[str], limit: int = LIMIT, t: Translator = ENGLISH) -> str:
    """``head`` then ``items`` separated by "; ", and a full stop.

    Stops before the text would pass ``limit`` characters and then ends with how many
    items were left out; the first item is always shown.
    """
    for shown in range(len(items), 0, -1):
        rest = len(items) - shown
        end = t._("; and {n} more (see the table).").format(n=rest) if rest else "."
        text = head + "; ".join(items[:shown]) + end
        if len(text) <= limit or shown == 1:
            return text
    return head.rstrip(": ") + "."


def participation(
    groups: Sequence[str],
    registered: Sequence[int],
    active: Sequence[int],
    expected: Sequence[int],
    t: Translator = ENGLISH,
) -> str:
    """Registered (of expected) and active participants per stakeholder group."""
    if not groups:
        return t._("Who is taking part: nobody has joined yet.")
    items = [
        t._("{group} {registered} of {expected} expected, {active} active").format(
            group=g, registered=r, expected=e, active=a
        )
        if e
        else t._("{group} {registered} (none expected), {active} active").format(
            group=g, registered=r, active=a
        )
        for g, r, a, e in zip(groups, registered, active, expected, strict=True)
    ]
    if sum(expected):
        head = t._(
            "Who is taking part, per stakeholder group ({registered} registered of "
            "{expected} expected): "
        ).format(registered=sum(registered), expected=sum(expected))
    else:
        head = t._("Who is taking part, per stakeholder group ({registered} registered): ").format(
            registered=sum(registered)
        )
    return join(head, items, t=t)


def ratings(
    options: Sequence[str],
    criteria: Sequence[str],
    median: np.ndarray,
    iqr: np.ndarray,
    n: np.ndarray,
    consensus: np.ndarray,
    scale_max: int,
    t: Translator = ENGLISH,
) -> str:
    """Median, IQR, number of ratings and consensus of every option × criterion."""
    if not np.isfinite(median).any():
        return t._("Ratings heatmap: no ratings yet.")
    items = []
    for i, option in enumerate(options):
        cells = []
        for j, criterion in enumerate(criteria):
            if not np.isfinite(median[i, j]):
                cells.append(t._("{criterion} no ratings").format(criterion=criterion))
                continue
            fields = {
                "criterion": criterion,
                "median": num(median[i, j], t=t),
                "scale_max": scale_max,
                "iqr": num(iqr[i, j], t=t),
                "n": int(n[i, j]),
            }
            if consensus[i, j]:
                cell = t._(
                    "{criterion} median {median} of {scale_max} (IQR {iqr}, {n} ratings, consensus)"
                )
            else:
                cell = t._("{criterion} median {median} of {scale_max} (IQR {iqr}, {n} ratings)")
            cells.append(cell.format(**fields))
        items.append(f"{option} – " + ", ".join(cells))
    settled = int(np.sum(consensus))
    head = t._("Ratings heatmap, {settled} of {total} items with consensus: ")
    return join(head.format(settled=settled, total=int(median.size)), items, t=t)


def rankings(
    options: Sequence[str],
    approval_share: Sequence[float],
    borda: Sequence[float],
    t: Translator = ENGLISH,
) -> str:
    """Approval share and Borda points per option, most Borda points first."""
    if not any(approval_share) and not any(borda):
        return t._("Approval and ranking: no approvals or rankings yet.")
    order = sorted(range(len(options)), key=lambda i: (-float(borda[i]), i))
    items = [
        t._("{option} {share} approval, {points} Borda points").format(
            option=options[i],
            share=t.percent(float(approval_share[i])),
            points=num(float(borda[i]), t=t),
        )
        for i in order
    ]
    return join(t._("Approval and ranking, most Borda points first: "), items, t=t)


def opinion_map(sizes: Sequence[int], t: Translator = ENGLISH) -> str:
    """How many participants form how many opinion groups, and each group's size."""
    if not sizes:
        return t._("Opinion map: not enough votes for opinion groups yet.")
    groups = [f"{group_name(g, t)} {size}" for g, size in enumerate(sizes)]
    head = t._(
        "Opinion map (PCA of statement votes): {n} participants in {k} opinion groups: "
    ).format(n=sum(sizes), k=len(sizes))
    return join(head, groups, t=t)


def statement_consensus(
    codes: Sequence[str],
    consensus: Sequence[float],
    group_agree: np.ndarray,
    t: Translator = ENGLISH,
) -> str:
    """Group-informed consensus per statement and each opinion group's agreement share."""
    if not codes:
        return t._("Where the groups agree: no statements with votes yet.")
    n_groups = group_agree.shape[1] if group_agree.ndim == 2 else 0
    items = []
    for i, code in enumerate(codes):
        value = "–" if not np.isfinite(consensus[i]) else num(float(consensus[i]), 2, t)
        shares = ", ".join(
            f"{group_name(g, t)} {t.percent(float(group_agree[i, g]))}" for g in range(n_groups)
        )
        items.append(
            t._("{code} {value} ({shares} agree)").format(code=code, value=value, shares=shares)
            if shares
            else f"{code} {value}"
        )
    return join(t._("Group-informed consensus per statement (0 to 1): "), items, t=t)


def sensitivity(
    options: Sequence[str], methods: Sequence[str], ranks: np.ndarray, t: Translator = ENGLISH
) -> str:
    """Rank of each option under each aggregation method."""
    if ranks.size == 0 or not np.isfinite(ranks).any():
        return t._("Method sensitivity: not enough answers to compare methods.")
    items = []
    for i, method in enumerate(methods):
        placed = sorted(
            (float(ranks[i, j]), j) for j in range(len(options)) if np.isfinite(ranks[i, j])
        )
        listed = ", ".join(f"{options[j]} {num(r, t=t)}" for r, j in placed)
        items.append(
            f"{method}: {listed}" if listed else t._("{method}: no ranks").format(method=method)
        )
    return join(t._("Rank of each option under each method (1 = top): "), items, t=t)


def stability(
    items: Sequence[str], delta_cv: Sequence[float], threshold: float, t: Translator = ENGLISH
) -> str:
    """How many items are stable, then each item's change in the coefficient of variation."""
    if not items:
        return t._("Stability between rounds: needs two rounds of ratings.")
    stable = sum(1 for d in delta_cv if abs(d) < threshold)
    changes = [
        t._("{item} {change} (stable)").format(item=item, change=num(abs(float(d)), 2, t))
        if abs(d) < threshold
        else f"{item} {num(abs(float(d)), 2, t)}"
        for item, d in zip(items, delta_cv, strict=True)
    ]
    head = t._(
        "Stability between rounds: {stable} of {n} items stable (change in coefficient of "
        "variation below {threshold}): "
    ).format(stable=stable, n=len(items), threshold=num(threshold, 3, t))
    return join(head, changes, t=t)


def weights(
    criteria: Sequence[str],
    overall: Sequence[float],
    n: int,
    groups: Sequence[str],
    by_group: np.ndarray,
    group_n: Sequence[int],
    t: Translator = ENGLISH,
) -> str:
    """Each criterion's weight (mean points / budget) overall, then per stakeholder group."""
    if n == 0:
        return t._("What matters most: nobody has spread their points yet.")

    def row(values: Sequence[float]) -> str:
        return ", ".join(
            f"{c} {t.percent(float(v))}" for c, v in zip(criteria, values, strict=True)
        )

    items = [t._("overall ({n}) {weights}").format(n=n, weights=row(overall))]
    for g, k, values in zip(groups, group_n, by_group, strict=True):
        items.append(f"{g} ({int(k)}) {row(values)}")
    return join(t._("What matters most, criteria weights (mean share of the points): "), items, t=t)


def tuned_ranking(
    options: Sequence[str],
    probabilities: Sequence[Sequence[float]],
    n_draws: int,
    t: Translator = ENGLISH,
) -> str:
    """The tuned ranking, best first, with each option's share of draws at each rank."""
    if not options:
        return t._("Tuned ranking: no options.")
    items = []
    for k, (option, probs) in enumerate(zip(options, probabilities, strict=True), start=1):
        shares = ", ".join(
            t._("rank {rank} {share}").format(rank=r, share=t.percent(float(p)))
            for r, p in enumerate(probs, start=1)
            if p > 0
        )
        items.append(f"{k}. {option} ({shares})")
    head = t._("Tuned ranking, best first, with the share of {n} draws at each rank: ")
    return join(head.format(n=n_draws), items, t=t)


__all__ = [
    "LIMIT",
    "group_name",
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
