"""Charts of a :class:`~workbench.labour.diagnosis.Diagnosis`.

Two kinds, drawn from the same frames: interactive plotly figures for the notebook and
its report (hover for the figure, its flags and its source), and static matplotlib PNGs
that the stakeholder app shows. Every chart built from synthetic numbers says so in its
title and in a red stamp; every chart names its source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from workbench.labour.diagnosis import Diagnosis

__all__ = [
    "SYNTHETIC_STAMP",
    "beveridge_figure",
    "heatmap_figure",
    "png_beveridge",
    "png_heatmap",
    "png_transitions",
    "png_unemployment",
    "sankey_figure",
    "scenario_figure",
    "sector_figure",
    "unemployment_figure",
]

SYNTHETIC_STAMP = "SYNTHETIC data: illustrative, not official statistics"
_SERIES_STYLE = {"region": ("#12355b", 3.0), "country": ("#e07a1f", 2.0), "EU": ("#6b7785", 2.0)}
ISCO_MAJOR = {
    "0": "Armed forces", "1": "Managers", "2": "Professionals", "3": "Technicians",
    "4": "Clerical support", "5": "Service and sales", "6": "Skilled agricultural",
    "7": "Craft and trades", "8": "Plant and machine operators", "9": "Elementary occupations",
}  # fmt: skip


def _series_label(d: Diagnosis, series: str, geo: str, years: pd.Series | None = None) -> str:
    if series == "EU":
        return "EU-27"
    if series == "country":
        return f"{geo} (country)"
    span = ""
    if years is not None and len(years):
        lo, hi = int(years.min()), int(years.max())
        span = f", {lo}" if lo == hi else f", {lo}-{hi}"
    if geo == d.region:
        return f"{geo} {d.name}{span}"
    return f"{geo} (older NUTS unit containing {d.region}){span}"


def _unemployment_parts(d: Diagnosis) -> Any:
    """One line per series, geo and file (so two vintages are never joined by a line)."""
    return d.unemployment.groupby(["series", "geo", "dataset"], sort=False)


def unemployment_figure(d: Diagnosis) -> Any:
    """Interactive trend chart: the region (both vintages), its country and the EU."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for (series, geo, _file), part in _unemployment_parts(d):
        color, width = _series_style(series)
        fig.add_trace(
            go.Scatter(
                x=part["year"],
                y=part["value"],
                mode="lines+markers",
                name=_series_label(d, str(series), str(geo), part["year"]),
                line={"color": color, "width": width, "dash": _dash(d, series, geo)},
                customdata=part[["flags", "dataset"]].to_numpy(),
                hovertemplate="%{x}: %{y:.1f}%<br>flags: %{customdata[0]}<br>%{customdata[1]}"
                "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        title=f"Unemployment rate (%), {d.region} {d.name}, its country and the EU (Eurostat)",
        xaxis_title="year",
        yaxis_title="% of the labour force",
        hovermode="x unified",
        height=420,
        margin={"t": 60, "b": 40},
    )
    return fig


def _dash(d: Diagnosis, series: object, geo: object) -> str:
    return "dot" if series == "region" and geo != d.region else "solid"


def _series_style(series: object) -> tuple[str, float]:
    return _SERIES_STYLE.get(str(series), ("#444444", 1.5))


def beveridge_figure(d: Diagnosis) -> Any:
    """Interactive Beveridge curve of the country (vacancy rate against unemployment)."""
    import plotly.graph_objects as go

    curve = d.beveridge
    fig = go.Figure(
        go.Scatter(
            x=curve["unemployment_rate"],
            y=curve["vacancy_rate"],
            mode="lines+markers+text",
            text=curve["period"],
            textposition="top center",
            customdata=curve[["movement"]].to_numpy(),
            hovertemplate="%{text}: unemployment %{x:.1f}%, vacancies %{y:.1f}%<br>"
            "%{customdata[0]}<extra></extra>",
            line={"color": "#12355b"},
        )
    )
    fig.update_layout(
        title=f"Beveridge curve, {d.region[:2]} (national; Eurostat jvs_a_nace2, une_rt_a)",
        xaxis_title="unemployment rate (%)",
        yaxis_title="job vacancy rate (%)",
        height=420,
    )
    return fig


def sector_figure(d: Diagnosis) -> Any:
    """Interactive bar chart: vacancies per unemployed person by sector."""
    import plotly.graph_objects as go

    t = d.sector_tightness
    synthetic = t.attrs.get("kind") == "synthetic"
    colors = ["#e07a1f" if g == d.sector_group else "#12355b" for g in t["nace_group"]]
    fig = go.Figure(
        go.Bar(
            x=t["nace_group"],
            y=t["tightness"],
            marker_color=colors,
            customdata=t[["vacancies", "employment_ths", "vacancy_rate"]].to_numpy(),
            hovertemplate="%{x}: %{y:.3f} vacancies per unemployed person<br>"
            "vacancies %{customdata[0]:,.0f}; employment %{customdata[1]:,.1f} thousand; "
            "vacancy rate %{customdata[2]:.2f}%<extra></extra>",
        )
    )
    label = "SYNTHETIC vacancies" if synthetic else "real vacancies (Eurostat jvs_a_nace2)"
    fig.update_layout(
        title=f"Tightness by sector, {t.attrs.get('code', d.region)} {t.attrs.get('year', '')}"
        f" ({label}; employment and unemployment: Eurostat)",
        xaxis_title="NACE group (focus sector in orange)",
        yaxis_title="vacancies per unemployed person",
        height=400,
        annotations=[_stamp_annotation()] if synthetic else [],
    )
    return fig


def heatmap_figure(d: Diagnosis) -> Any:
    """Interactive tightness heatmap: ISCO major group x region of the country (SYNTHETIC)."""
    import plotly.graph_objects as go

    heat = d.heatmap.sort_index()
    fig = go.Figure(
        go.Heatmap(
            z=heat.to_numpy(),
            x=list(heat.columns),
            y=[f"{g} {ISCO_MAJOR.get(str(g), '')}" for g in heat.index],
            colorscale="RdYlBu_r",
            colorbar={"title": "vacancies per jobseeker"},
            hovertemplate="%{y} in %{x}: %{z:.3f} vacancies per jobseeker<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Tightness by occupation and region, {d.region[:2]} [SYNTHETIC PES table]",
        height=500,
        yaxis={"autorange": "reversed"},
        margin={"b": 130},
        annotations=[_stamp_annotation(-0.32)],
    )
    return fig


def _stamp_annotation(y: float = -0.12) -> dict[str, Any]:
    return {
        "text": SYNTHETIC_STAMP,
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": y,
        "showarrow": False,
        "font": {"color": "#b00020", "size": 12},
        "xanchor": "right",
    }


def _group_label(d: Diagnosis, isco: str) -> str:
    examples = d.occupations.set_index("isco")["examples"]
    text = str(examples.get(isco, "")).split(";")[0].strip()
    return f"{isco} {text}" if text else str(isco)


def sankey_figure(d: Diagnosis) -> Any:
    """Interactive Sankey: surplus groups -> reachable shortage groups (width: jobseekers x
    similarity). Counts are SYNTHETIC; skills are real ESCO."""
    import plotly.graph_objects as go

    moves = d.moves
    nodes = list(dict.fromkeys([*moves["source"].astype(str), *moves["target"].astype(str)]))
    index = {n: i for i, n in enumerate(nodes)}
    fig = go.Figure(
        go.Sankey(
            node={
                "label": [_group_label(d, n) for n in nodes],
                "color": ["#e07a1f" if n in set(moves["source"]) else "#12355b" for n in nodes],
                "pad": 12,
            },
            link={
                "source": [index[str(s)] for s in moves["source"]],
                "target": [index[str(t)] for t in moves["target"]],
                "value": (moves["jobseekers"] * moves["similarity"]).round(1).tolist(),
                "customdata": moves[["similarity", "n_missing_essential"]].to_numpy(),
                "hovertemplate": "similarity %{customdata[0]:.2f}, "
                "%{customdata[1]} essential skills missing<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title="From surplus to shortage occupations (ESCO skills; jobseeker counts SYNTHETIC)",
        height=max(360, 28 * len(nodes)),
        annotations=[_stamp_annotation()],
    )
    return fig


def scenario_figure(d: Diagnosis) -> Any:
    """Interactive what-if: shortage and surplus occupations as unemployment moves."""
    import plotly.graph_objects as go

    s = d.scenarios
    labels = [
        f"{c:+g} pp ({r:.1f}%)" for c, r in zip(s["change_pp"], s["unemployment_rate"], strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=s["shortage"], name="shortage occupations"))
    fig.add_trace(go.Bar(x=labels, y=s["surplus"], name="surplus occupations"))
    fig.update_layout(
        barmode="group",
        title="What if unemployment moves? (Beveridge elasticity from real data; "
        "occupation counts SYNTHETIC)",
        xaxis_title="change of the unemployment rate (percentage points; the rate it gives)",
        yaxis_title="ISCO unit groups",
        height=400,
        annotations=[_stamp_annotation()],
    )
    return fig


# -- static PNGs for the stakeholder app ----------------------------------------------


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    return fig, fig.add_subplot()


def _stamp(fig: Figure, source: str, synthetic: bool) -> None:
    fig.text(0.01, 0.005, source, fontsize=7, color="#555555", ha="left", va="bottom")
    if synthetic:
        fig.text(0.99, 0.005, SYNTHETIC_STAMP, fontsize=8, color="#b00020", ha="right",
                 va="bottom", fontweight="bold")  # fmt: skip


def png_unemployment(d: Diagnosis) -> Figure:
    """Unemployment trend (PNG)."""
    fig, ax = _figure(7.5, 3.6)
    for (series, geo, _file), part in _unemployment_parts(d):
        color, width = _series_style(series)
        style = ":" if series == "region" and geo != d.region else "-"
        ax.plot(part["year"], part["value"], style, marker="o", ms=4 if len(part) > 1 else 7,
                color=color, lw=width,
                label=_series_label(d, str(series), str(geo), part["year"]))  # fmt: skip
    ax.set_ylabel("unemployment rate (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"Unemployment, {d.name}", fontsize=10, fontweight="bold")
    _stamp(fig, "Source: Eurostat (lfst_r_lfu3rt, une_rt_a)", False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def png_beveridge(d: Diagnosis) -> Figure | None:
    """Beveridge curve (PNG), or None when the country has no vacancy statistics."""
    curve = d.beveridge
    if curve.empty:
        return None
    fig, ax = _figure(5.5, 3.8)
    ax.plot(curve["unemployment_rate"], curve["vacancy_rate"], "-o", color="#12355b")
    for row in curve.itertuples():
        ax.annotate(row.period, (row.unemployment_rate, row.vacancy_rate), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("unemployment rate (%)")
    ax.set_ylabel("job vacancy rate (%)")
    ax.grid(alpha=0.3)
    ax.set_title(f"Beveridge curve, {d.region[:2]} (national)", fontsize=10, fontweight="bold")
    _stamp(fig, "Source: Eurostat (jvs_a_nace2, une_rt_a)", False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def png_transitions(d: Diagnosis, limit: int = 8) -> Figure | None:
    """Best transitions as a bar chart of skill similarity (PNG), or None without any."""
    if d.moves.empty:
        return None
    top = d.moves[d.moves["rank"] == 1].head(limit)
    labels = [
        f"{_group_label(d, str(r.source))[:34]} → {_group_label(d, str(r.target))[:34]}"
        for r in top.itertuples()
    ]
    fig, ax = _figure(8.5, 0.45 * len(top) + 1.4)
    bars = ax.barh(range(len(top)), top["similarity"], color="#12355b")
    ax.set_yticks(range(len(top)), labels, fontsize=7)
    ax.invert_yaxis()
    for bar, missing in zip(bars, top["n_missing_essential"], strict=True):
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2,
                f"{missing} skill{'s' if missing != 1 else ''} to learn", va="center",
                fontsize=7)  # fmt: skip
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("skill similarity (ESCO, cosine)")
    ax.set_title("From surplus to shortage occupations", fontsize=10, fontweight="bold")
    _stamp(fig, "ESCO v1.1.1 skills; surplus/shortage from the SYNTHETIC PES table", True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def png_heatmap(d: Diagnosis) -> Figure:
    """Tightness heatmap (PNG), SYNTHETIC."""
    heat = d.heatmap.sort_index()
    fig, ax = _figure(min(1.0 + 0.55 * len(heat.columns), 10), 4.2)
    image = ax.imshow(heat.to_numpy(dtype=float), cmap="RdYlBu_r", aspect="auto")
    ax.set_xticks(range(len(heat.columns)), list(heat.columns), rotation=90, fontsize=7)
    labels = [f"{g} {ISCO_MAJOR.get(str(g), '')}" for g in heat.index]
    ax.set_yticks(range(len(heat.index)), labels, fontsize=7)
    code = d.occupations_code
    if code in heat.columns:
        col = list(heat.columns).index(code)
        ax.axvline(col - 0.5, color="black", lw=1.5)
        ax.axvline(col + 0.5, color="black", lw=1.5)
    fig.colorbar(image, ax=ax, label="vacancies per jobseeker")
    ax.set_title("Tightness by occupation and region [SYNTHETIC]", fontsize=10,
                 fontweight="bold")  # fmt: skip
    _stamp(fig, "SYNTHETIC PES table calibrated to Eurostat", True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def frame_for_json(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dicts (NaN -> None)."""
    part = frame if limit is None else frame.head(limit)
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in part.to_dict("records")
    ]
