"""Figures and the one-page summary of pathway monitoring (see :mod:`.monitoring`).

The figures are matplotlib :class:`~matplotlib.figure.Figure` objects (no pyplot state),
stamped SYNTHETIC DATA when asked. :func:`one_page_summary` turns the measures of
:mod:`workbench.pathways.monitoring` into one self-contained HTML page a PES director can
read: headline figures, plain sentences, two or three small plots and the caveats. Its
numbers are :func:`headline` (JSON-ready), so a notebook can store exactly what it shows.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.pathways.monitoring import (
    ACTIONS,
    MIN_N,
    OUTCOME_LABELS,
    PathwayEffect,
    _binary,
    _probability,
    period_values,
)

__all__ = [
    "drift_figure",
    "headline",
    "is_synthetic",
    "one_page_summary",
    "outcomes_figure",
    "overrides_figure",
    "reliability_figure",
]


def _figure(width: float = 5.0, height: float = 3.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _mark_synthetic(fig: Figure, synthetic: bool) -> Figure:
    if synthetic:
        style = {"x": 0.99, "ha": "right", "color": "#b00020", "fontweight": "bold"}
        fig.suptitle("SYNTHETIC DATA", fontsize=8, **style)
    return fig


def reliability_figure(
    people: pd.DataFrame,
    period_col: str,
    *,
    outcome: str = "ltu",
    risk_col: str = "risk",
    bins: int = 10,
    min_bin: int = 10,
    synthetic: bool = False,
) -> Figure:
    """Reliability plot: observed rate against mean predicted risk in ``bins`` equal-width
    bins, one line per period (bins of fewer than ``min_bin`` people are not drawn)."""
    period = period_values(people, period_col)
    p, y = _probability(people, risk_col, "people"), _binary(people, outcome, "people")
    fig, ax = _figure(5.0, 4.0)
    ax.plot([0, 1], [0, 1], color="#888888", lw=1, ls="--", label="perfect calibration")
    edges = np.linspace(0, 1, bins + 1)
    for name in sorted(set(period[(period != "") & ~np.isnan(y)])):
        m = (period == name).to_numpy() & ~np.isnan(y)
        frame = pd.DataFrame({"b": np.digitize(p[m], edges[1:-1]), "p": p[m], "y": y[m]})
        stats = frame.groupby("b").agg(n=("y", "size"), p=("p", "mean"), y=("y", "mean"))
        stats = stats[stats["n"] >= min_bin]
        ax.plot(stats["p"], stats["y"], marker="o", ms=3, lw=1, label=name)
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel=f"predicted risk ({risk_col})",
        ylabel=f"observed share {outcome}",
        title="Reliability by period",
    )
    ax.legend(fontsize=7, frameon=False, ncols=2)
    return _mark_synthetic(fig, synthetic)


def drift_figure(drift: pd.DataFrame, *, synthetic: bool = False) -> Figure:
    """Predicted band and observed rate (Wilson interval) per period; flags in red."""
    fig, ax = _figure()
    x = np.arange(len(drift))
    ax.fill_between(
        x, drift["band_low"], drift["band_high"], color="#9ecae1", alpha=0.6, label="predicted band"
    )
    ax.plot(x, drift["predicted"], color="#1f77b4", lw=1, label="mean predicted")
    if len(drift):
        err = [drift["observed"] - drift["obs_low"], drift["obs_high"] - drift["observed"]]
        colours = np.where(drift["flag"], "#d62728", "#222222")
        ax.errorbar(x, drift["observed"], yerr=err, fmt="none", ecolor="#555555", capsize=3)
        ax.scatter(x, drift["observed"], c=colours, zorder=3, s=18, label="observed")
    ax.set_xticks(x, drift["period"], rotation=45, fontsize=7)
    ax.set(ylabel="share long-term unemployed", title="Predicted vs observed, by period")
    ax.legend(fontsize=7, frameon=False)
    return _mark_synthetic(fig, synthetic)


def outcomes_figure(
    outcomes: pd.DataFrame, outcome: str = "employed_1m_6m", *, synthetic: bool = False
) -> Figure:
    """One outcome's rate by group with Wilson intervals (suppressed cells not drawn)."""
    part = outcomes[(outcomes["outcome"] == outcome) & ~outcomes["suppressed"]]
    fig, ax = _figure(5.0, 0.22 * len(part) + 1.0)
    y = np.arange(len(part))[::-1]
    ax.errorbar(
        part["rate"],
        y,
        xerr=[part["rate"] - part["low"], part["high"] - part["rate"]],
        fmt="o",
        ms=3,
        capsize=2,
        color="#1f77b4",
    )
    ax.set_yticks(
        y,
        [
            f"{a.replace('_', ' ')}: {g}" if a != "all" else "everyone"
            for a, g in zip(part["attribute"], part["group"], strict=True)
        ],
        fontsize=7,
    )
    ax.set(xlim=(0, 1), xlabel=OUTCOME_LABELS.get(outcome, outcome), title="Outcomes by group")
    return _mark_synthetic(fig, synthetic)


def overrides_figure(uptake: pd.DataFrame, *, synthetic: bool = False) -> Figure:
    """Share of reviewed steps accepted, changed and rejected, per step kind."""
    part = uptake[uptake["reviewed"] > 0]
    fig, ax = _figure(5.0, max(2.2, 0.35 * len(part) + 1.2))
    left = np.zeros(len(part))
    for action, colour in zip(ACTIONS, ("#2ca02c", "#ff7f0e", "#d62728"), strict=True):
        values = part[f"{action}_rate"].to_numpy()
        ax.barh(part["kind"].str.replace("_", " "), values, left=left, color=colour, label=action)
        left += values
    ax.set(xlim=(0, 1), xlabel="share of reviewed steps", title="Counsellors' decisions")
    fig.legend(fontsize=7, frameon=False, ncols=3, loc="outside lower center")
    return _mark_synthetic(fig, synthetic)


def is_synthetic(people: pd.DataFrame) -> bool:
    """True when any row of ``people`` is marked ``synthetic``."""
    return "synthetic" in people and bool(np.nansum(_binary(people, "synthetic", "people")))


def _num(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _all_row(frame: pd.DataFrame | None, column: str, value: str) -> dict[str, Any] | None:
    if frame is None or not len(frame):
        return None
    rows = frame[frame[column] == value]
    return rows.iloc[0].to_dict() if len(rows) else None


def _widest_gap(outcomes: pd.DataFrame, outcome: str) -> dict[str, Any] | None:
    """The attribute whose shown groups differ most on ``outcome`` (lowest and highest)."""
    part = outcomes[
        (outcomes["outcome"] == outcome)
        & (outcomes["attribute"] != "all")
        & ~outcomes["suppressed"]
    ]
    best = None
    for attribute, rows in part.groupby("attribute", sort=True):
        if len(rows) < 2:
            continue
        lo, hi = rows.loc[rows["rate"].idxmin()], rows.loc[rows["rate"].idxmax()]
        gap = float(hi["rate"] - lo["rate"])
        if best is None or gap > best["gap"]:
            best = {
                "attribute": str(attribute),
                "gap": gap,
                "separate": bool(hi["low"] > lo["high"]),
                "low_group": str(lo["group"]),
                "low_rate": float(lo["rate"]),
                "high_group": str(hi["group"]),
                "high_rate": float(hi["rate"]),
            }
    return best


def headline(
    people: pd.DataFrame,
    *,
    drift: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    uptake: pd.DataFrame | None = None,
    effect: PathwayEffect | None = None,
    threshold: float = 0.5,
    risk_col: str = "risk",
) -> dict[str, Any]:
    """The headline numbers of the summary, JSON-ready (None where not measured)."""
    risk = _probability(people, risk_col, "people") if risk_col in people else None
    flagged = int((risk >= threshold).sum()) if risk is not None else None
    out: dict[str, Any] = {
        "synthetic": is_synthetic(people),
        "people": len(people),
        "threshold": threshold,
        "flagged": flagged,
        "flagged_share": _num(flagged / len(people))
        if flagged is not None and len(people)
        else None,
    }
    if drift is not None and len(drift):
        n = int(drift["n"].sum())
        out["ltu"] = {
            "n": n,
            "observed": _num(drift["events"].sum() / n),
            "predicted": _num((drift["predicted"] * drift["n"]).sum() / n),
            "periods": drift["period"].tolist(),
            "flagged_periods": drift.loc[drift["flag"], "period"].tolist(),
        }
    if outcomes is not None:
        for outcome, key in (("employed_1m_6m", "return_to_work"), ("ltu", "ltu_by_group")):
            row = _all_row(outcomes[outcomes["outcome"] == outcome], "attribute", "all")
            if row is not None:
                out[key] = {
                    "n": int(row["n"]),
                    "rate": _num(row["rate"]),
                    "low": _num(row["low"]),
                    "high": _num(row["high"]),
                    "widest_gap": _widest_gap(outcomes, outcome),
                }
    row = _all_row(uptake, "kind", "all")
    if row is not None and uptake is not None:
        kinds = uptake[(uptake["kind"] != "all") & (uptake["reviewed"] >= MIN_N)]
        top = kinds.loc[kinds["override_rate"].idxmax()] if len(kinds) else None
        out["overrides"] = {
            "offered": int(row["offered"]),
            "reviewed": int(row["reviewed"]),
            "override_rate": _num(row["override_rate"]),
            **{f"{a}_rate": _num(row[f"{a}_rate"]) for a in ACTIONS},
            "uptake_rate": _num(row.get("uptake_rate", math.nan)),
            "most_overridden": None
            if top is None
            else {
                "kind": str(top["kind"]),
                "rate": _num(top["override_rate"]),
                "n": int(top["reviewed"]),
            },
        }
    if effect is not None:
        out["effect"] = effect.to_dict()
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _sentences(h: dict[str, Any], region: str) -> list[str]:
    where = f" in {region}" if region else ""
    ltu = h.get("ltu")
    span = f", registered {ltu['periods'][0]} to {ltu['periods'][-1]}" if ltu else ""
    out = [f"This page covers {h['people']:,} jobseekers{where}{span}."]
    if h["flagged"] is not None:
        out.append(
            f"The profiling model rated {_pct(h['flagged_share'])} of them ({h['flagged']:,}) at "
            f"high risk of long-term unemployment (risk of {h['threshold']:.0%} or more)."
        )
    if ltu:
        out.append(
            f"{_pct(ltu['observed'])} were still unemployed 12 months after registering; the "
            f"model predicted {_pct(ltu['predicted'])}."
        )
        bad = ltu["flagged_periods"]
        out.append(
            f"In {len(bad)} of {len(ltu['periods'])} periods ({', '.join(bad)}) the observed "
            "rate left the band the model predicts: its calibration has drifted and it should "
            "be reviewed before it is relied on."
            if bad
            else "In every period the observed rate stayed within the band the model predicts."
        )
    rtw = h.get("return_to_work")
    if rtw:
        out.append(
            f"Of {rtw['n']:,} programme participants, {_pct(rtw['rate'])} were in salaried work "
            "for at least a month within 6 months (the return-to-work rate as La Bonne "
            "Formation counts it)."
        )
    for key, what in (("return_to_work", "return-to-work rate"), ("ltu_by_group", "LTU rate")):
        gap = (h.get(key) or {}).get("widest_gap")
        if gap:
            verdict = "a real difference" if gap["separate"] else "within the margin of error"
            by = gap["attribute"].replace("_", " ")
            out.append(
                f"By {by}, the {what} ranged from {_pct(gap['low_rate'])} "
                f"({gap['low_group']}) to {_pct(gap['high_rate'])} ({gap['high_group']}): "
                f"{verdict}."
            )
    ov = h.get("overrides")
    if ov and ov["reviewed"]:
        top = ov["most_overridden"]
        most = (
            f" The {top['kind'].replace('_', ' ')} step was overridden most often "
            f"({_pct(top['rate'])} of {top['n']})."
            if top
            else ""
        )
        out.append(
            f"Counsellors reviewed {ov['reviewed']:,} of {ov['offered']:,} proposed steps and "
            f"changed or rejected {_pct(ov['override_rate'])} of them.{most}"
        )
    elif ov:
        out.append("No counsellor reviews were available, so override rates are not shown.")
    if ov and ov["uptake_rate"] is not None:
        out.append(f"{_pct(ov['uptake_rate'])} of the people offered a step took part in it.")
    if "effect" in h:
        out.append(h["effect"]["sentence"])
    return out


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;color:#222}
h1{font-size:1.35rem;margin:.2rem 0}.syn{color:#b00020}.figs{display:flex;gap:.5rem}
.figs div{flex:1 1 0}.figs img{width:100%;height:auto}.kpi{display:flex;gap:.6rem;margin:.6rem 0}
.kpi div{border:1px solid #ccc;border-radius:4px;padding:.3rem .6rem;flex:1}
.kpi b{display:block;font-size:1.3rem}p,li{font-size:.92rem;line-height:1.35;margin:.25rem 0}
small{color:#555}@media print{body{margin:0}}"""


def one_page_summary(
    people: pd.DataFrame,
    *,
    drift: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    uptake: pd.DataFrame | None = None,
    effect: PathwayEffect | None = None,
    threshold: float = 0.5,
    region: str = "",
    notes: Sequence[str] = (),
    risk_col: str = "risk",
) -> str:
    """One self-contained HTML page: title (SYNTHETIC when any row is), headline figures,
    plain sentences, up to three small plots and the caveats."""
    h = headline(
        people,
        drift=drift,
        outcomes=outcomes,
        uptake=uptake,
        effect=effect,
        threshold=threshold,
        risk_col=risk_col,
    )
    syn = h["synthetic"]
    title = "Pathway monitoring" + (f": {region}" if region else "")
    ltu, rtw, ov = h.get("ltu") or {}, h.get("return_to_work") or {}, h.get("overrides") or {}
    kpis = [
        ("jobseekers", f"{h['people']:,}"),
        ("rated high risk", _pct(h["flagged_share"])),
        (
            "still unemployed at 12 months",
            f"{_pct(ltu.get('observed'))} <small>(predicted {_pct(ltu.get('predicted'))})</small>",
        ),
        ("back in work within 6 months", _pct(rtw.get("rate"))),
        ("steps overridden", _pct(ov.get("override_rate")) if ov.get("reviewed") else "no reviews"),
    ]
    figs = []
    if drift is not None and len(drift):
        figs.append(_png(drift_figure(drift, synthetic=syn)))
    if outcomes is not None and (outcomes["outcome"] == "employed_1m_6m").any():
        figs.append(_png(outcomes_figure(outcomes, synthetic=syn)))
    if uptake is not None and (uptake["reviewed"] > 0).any():
        figs.append(_png(overrides_figure(uptake, synthetic=syn)))
    caveats = [
        "Rates describe what happened; a difference between groups is not its cause.",
        f"Groups of fewer than {MIN_N} people are not shown, so no one can be singled out.",
        "The effect estimate compares people who look alike on recorded characteristics "
        "only; unrecorded differences (motivation, a counsellor's judgement) can bias it.",
        "The model advises counsellors; every step is decided by a person.",
        *notes,
    ]
    if syn:
        caveats.insert(
            0,
            "SYNTHETIC DATA: every figure comes from made-up jobseekers of a "
            "documented fixed-seed generator; none describes real people, and the "
            "effect shown is made up.",
        )
    head = f'<span class="syn">SYNTHETIC</span> — {title}' if syn else html.escape(title)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{'SYNTHETIC — ' if syn else ''}{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{head}</h1>"
        + '<div class="kpi">'
        + "".join(f"<div><b>{v}</b>{html.escape(k)}</div>" for k, v in kpis)
        + "</div>"
        + "".join(f"<p>{html.escape(s)}</p>" for s in _sentences(h, region))
        + '<div class="figs">'
        + "".join(f"<div>{f}</div>" for f in figs)
        + "</div>"
        + '<h2 style="font-size:1rem">Caveats</h2><ul>'
        + "".join(f"<li>{html.escape(c)}</li>" for c in caveats)
        + "</ul></body></html>"
    )
