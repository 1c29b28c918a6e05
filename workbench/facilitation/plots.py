"""Figures of the dashboard and the minutes (matplotlib, no pyplot state, PNG bytes).

Every function takes plain data and returns a :class:`~matplotlib.figure.Figure`; the
dashboard and the minutes draw the same figures from the same numbers, with titles, labels
and numbers in the language of ``t`` (English by default). Participant text
never goes into a figure (statements are labelled S1, S2, …): matplotlib would interpret
``$…$`` in it as maths, and the text is shown, escaped, next to the figure instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from workbench.facilitation.alttext import group_name, num
from workbench.i18n import ENGLISH, Translator

#: Okabe–Ito palette: distinguishable with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
MISSING = "#B0B7C0"
DPI = 110


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _empty(fig: Figure, message: str) -> Figure:
    """A one-line placeholder: no axes, and no tall blank area where a chart will come."""
    fig.set_size_inches(fig.get_figwidth(), 0.8)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#4a4a4a")
    return fig


def participation(
    groups: Sequence[str],
    registered: Sequence[int],
    active: Sequence[int],
    expected: Sequence[int],
    t: Translator = ENGLISH,
) -> Figure:
    """Registered and active participants per stakeholder group against the expected mix."""
    fig = Figure(figsize=(7.5, 0.55 * max(len(groups), 3) + 1.2))
    if not groups:
        return _empty(fig, t._("Nobody has joined yet"))
    ax = fig.add_subplot()
    y = np.arange(len(groups))
    ax.barh(y, expected, color="none", edgecolor="#4a4a4a", linestyle="--", label=t._("expected"))
    ax.barh(y, registered, color=PALETTE[4], label=t._("registered"))
    ax.barh(y, active, height=0.4, color=PALETTE[0], label=t._("active this round"))
    for i, (r, e) in enumerate(zip(registered, expected, strict=True)):
        note = t._("{registered} of {expected}").format(registered=r, expected=e) if e else f"{r}"
        colour = PALETTE[5] if e and r < e else "#1a1a1a"
        ax.text(max(r, e) + 0.2, i, note, va="center", fontsize=9, color=colour)
    ax.set_yticks(y, groups)
    ax.invert_yaxis()
    ax.set_xlabel(t._("participants"))
    ax.set_xlim(0, max([*registered, *expected, 1]) * 1.25 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(t._("Who is taking part (dashed: expected)"), loc="left", fontsize=11)
    return fig


def ratings_heatmap(
    options: Sequence[str],
    criteria: Sequence[str],
    median: np.ndarray,
    iqr: np.ndarray,
    consensus: np.ndarray,
    scale_max: int,
    t: Translator = ENGLISH,
) -> Figure:
    """Median rating per option × criterion; ✓ marks Delphi consensus; IQR in brackets."""
    fig = Figure(figsize=(1.6 * max(len(criteria), 2) + 2.5, 0.6 * len(options) + 1.4))
    if not np.isfinite(median).any():
        return _empty(fig, t._("No ratings yet"))
    ax = fig.add_subplot()
    im = ax.imshow(median, cmap="RdYlBu", vmin=1, vmax=scale_max, aspect="auto")
    for i in range(len(options)):
        for j in range(len(criteria)):
            if not np.isfinite(median[i, j]):
                ax.text(j, i, "–", ha="center", va="center", fontsize=9)
                continue
            mark = " ✓" if consensus[i, j] else ""
            ax.text(
                j,
                i,
                f"{num(median[i, j], 3, t)}{mark}\n"
                + t._("(IQR {iqr})").format(iqr=num(iqr[i, j], 3, t)),
                ha="center",
                va="center",
                fontsize=8.5,
            )
    ax.set_xticks(range(len(criteria)), criteria, rotation=15, ha="right")
    ax.set_yticks(range(len(options)), options)
    fig.colorbar(
        im,
        ax=ax,
        label=t._("median rating (1–{scale_max})").format(scale_max=scale_max),
        shrink=0.8,
    )
    ax.set_title(t._("Ratings: median (IQR); ✓ = consensus"), loc="left", fontsize=11)
    return fig


def rankings(
    options: Sequence[str],
    approval_share: Sequence[float],
    borda: Sequence[float],
    t: Translator = ENGLISH,
) -> Figure:
    """Approval share and Borda points per option, side by side."""
    fig = Figure(figsize=(9, 0.5 * len(options) + 1.5))
    if not any(approval_share) and not any(borda):
        return _empty(fig, t._("No approvals or rankings yet"))
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(options))
    left.barh(y, np.asarray(approval_share) * 100, color=PALETTE[2])
    left.set_xlim(0, 100)
    left.set_xlabel(t._("% of voters approving"))
    left.set_title(t._("Approval"), loc="left", fontsize=11)
    right.barh(y, borda, color=PALETTE[1])
    right.set_xlabel(t._("Borda points"))
    right.set_title(t._("Ranking (Borda)"), loc="left", fontsize=11)
    left.set_yticks(y, options)
    left.invert_yaxis()
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def opinion_map(
    coords: np.ndarray, labels: np.ndarray, sizes: Sequence[int], t: Translator = ENGLISH
) -> Figure:
    """Participants on the first two principal components of their votes, by opinion group."""
    fig = Figure(figsize=(5.5, 4.2))
    if len(coords) == 0:
        return _empty(fig, t._("Not enough votes for opinion groups yet"))
    ax = fig.add_subplot()
    for g in sorted(set(labels.tolist())):
        pts = coords[labels == g]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=36,
            color=PALETTE[g % len(PALETTE)],
            edgecolor="white",
            label=f"{group_name(g, t)} ({sizes[g]})",
        )
    for lim, values in ((ax.set_xlim, coords[:, 0]), (ax.set_ylim, coords[:, 1])):
        half = max(float(np.abs(values).max()), 1e-6) * 1.2
        if np.ptp(values) < 1e-9 * max(half, 1.0):  # all on one line: a readable range
            half = max(half, 1.0)
        lim(-half, half)
    ax.axhline(0, color="#ddd", lw=0.8, zorder=0)
    ax.axvline(0, color="#ddd", lw=0.8, zorder=0)
    ax.set_xlabel(t._("component {n}").format(n=1))
    ax.set_ylabel(t._("component {n}").format(n=2))
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(t._("Opinion groups (PCA of votes)"), loc="left", fontsize=11)
    return fig


def statement_consensus(
    codes: Sequence[str],
    consensus: Sequence[float],
    group_agree: np.ndarray,
    t: Translator = ENGLISH,
) -> Figure:
    """Group-informed consensus per statement, with each group's agreement share."""
    fig = Figure(figsize=(9, 0.45 * max(len(codes), 3) + 1.4))
    if not codes:
        return _empty(fig, t._("No statements with votes yet"))
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.4]})
    y = np.arange(len(codes))
    left.barh(y, consensus, color=PALETTE[2])
    left.set_xlim(0, 1)
    left.set_xlabel(t._("group-informed consensus"))
    left.set_yticks(y, codes)
    left.invert_yaxis()
    n_groups = group_agree.shape[1] if group_agree.ndim == 2 else 0
    height = 0.8 / max(n_groups, 1)
    for g in range(n_groups):
        right.barh(
            y - 0.4 + height * (g + 0.5),
            group_agree[:, g] * 100,
            height=height,
            color=PALETTE[g % len(PALETTE)],
            label=group_name(g, t),
        )
    right.set_xlim(0, 100)
    right.set_xlabel(t._("% agreeing, per opinion group"))
    if n_groups:
        right.legend(fontsize=8, frameon=False, loc="lower right")
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
    left.set_title(t._("Where the groups agree"), loc="left", fontsize=11)
    return fig


def sensitivity(
    options: Sequence[str], methods: Sequence[str], ranks: np.ndarray, t: Translator = ENGLISH
) -> Figure:
    """Rank of each option (columns) under each aggregation method (rows); 1 = top."""
    fig = Figure(figsize=(1.3 * max(len(options), 3) + 2, 0.55 * len(methods) + 1.6))
    if ranks.size == 0 or not np.isfinite(ranks).any():
        return _empty(fig, t._("Not enough answers to compare methods"))
    ax = fig.add_subplot()
    ax.imshow(ranks, cmap="Greens_r", vmin=1, vmax=max(len(options), 2), aspect="auto")
    for i in range(len(methods)):
        for j in range(len(options)):
            text = "–" if not np.isfinite(ranks[i, j]) else num(ranks[i, j], 3, t)
            dark = np.isfinite(ranks[i, j]) and ranks[i, j] <= (len(options) + 1) / 2
            colour = "white" if dark else "#1a1a1a"
            ax.text(j, i, text, ha="center", va="center", fontsize=11, color=colour)
    ax.set_xticks(range(len(options)), options, rotation=20, ha="right")
    ax.set_yticks(range(len(methods)), methods)
    ax.set_title(t._("Rank of each option under each method (1 = top)"), loc="left", fontsize=11)
    return fig


def stability(
    items: Sequence[str], delta_cv: Sequence[float], threshold: float, t: Translator = ENGLISH
) -> Figure:
    """Change in the coefficient of variation per item between the last two rounds."""
    fig = Figure(figsize=(7.5, 0.35 * max(len(items), 3) + 1.3))
    if not items:
        return _empty(fig, t._("Stability needs two rounds of ratings"))
    ax = fig.add_subplot()
    y = np.arange(len(items))
    colours = [PALETTE[2] if abs(d) < threshold else PALETTE[5] for d in delta_cv]
    ax.barh(y, np.abs(delta_cv), color=colours)
    ax.axvline(threshold, color="#4a4a4a", linestyle="--", lw=1)
    ax.set_yticks(y, items, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(
        t._("|change in coefficient of variation| (stable below {threshold})").format(
            threshold=num(threshold, 3, t)
        )
    )
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(t._("Stability between rounds"), loc="left", fontsize=11)
    return fig


def weights(
    criteria: Sequence[str],
    overall: np.ndarray,
    groups: Sequence[str],
    by_group: np.ndarray,
    overall_label: str | None = None,
    t: Translator = ENGLISH,
) -> Figure:
    """Criteria weights (mean share of the points, %) overall and per stakeholder group."""
    n_series = 1 + len(groups)
    fig = Figure(figsize=(8, 0.32 * n_series * max(len(criteria), 2) + 1.6))
    if not np.isfinite(overall).any():
        return _empty(fig, t._("Nobody has spread their points yet"))
    ax = fig.add_subplot()
    y = np.arange(len(criteria))
    height = 0.8 / n_series
    series = [(overall_label or t._("overall"), overall, "#1a1a1a")] + [
        (g, by_group[i], PALETTE[i % len(PALETTE)]) for i, g in enumerate(groups)
    ]
    for k, (label, values, colour) in enumerate(series):
        shown = np.nan_to_num(np.asarray(values, dtype=float)) * 100
        pos = y - 0.4 + height * (k + 0.5)
        ax.barh(pos, shown, height=height, color=colour, label=label)
        for p, v in zip(pos, shown, strict=True):
            ax.text(v + 0.8, p, t.points(v, 0), va="center", fontsize=7.5, color="#1a1a1a")
    top = max(float(np.nanmax(np.concatenate([overall, by_group.ravel()]))) * 100, 10.0)
    ax.set_xlim(0, min(top * 1.2 + 5, 100))
    ax.set_yticks(y, criteria)
    ax.invert_yaxis()
    ax.set_xlabel(t._("weight: mean share of the points (%)"))
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(t._("What matters most: criteria weights"), loc="left", fontsize=11)
    return fig
