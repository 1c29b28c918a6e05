"""Shortages, surpluses, transitions between them, and the policies they point to.

Works on a PES-style table (region x ISCO unit group: ``jobseekers``, ``vacancies``; see
:mod:`workbench.data.pes`) and an ESCO skill matrix of ISCO groups
(:func:`workbench.labour.bridging.group_matrix`). Pure functions on frames.

Policy links (they feed the recommender; people decide):

- a **skill gap** (a surplus occupation reaches a shortage occupation only with essential
  skills it lacks) points to **training** in those skills;
- a **matching friction** (a shortage occupation that also has many jobseekers of its own,
  or a transition with almost no gap) points to **job search assistance**;
- a **regional mismatch** (an occupation in surplus here and in shortage in another
  region of the country) points to **mobility support**.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.labour.bridging import SkillMatrix, skill_gaps, transitions
from workbench.labour.indicators import classify_occupations

__all__ = ["bridge", "occupation_status", "policy_links", "regional_mismatch"]


def occupation_status(
    table: pd.DataFrame,
    *,
    shortage_ratio: float = 2.0,
    surplus_ratio: float = 0.5,
    min_count: int = 20,
) -> pd.DataFrame:
    """Classify each ISCO group of one region and period (see
    :func:`~workbench.labour.indicators.classify_occupations`), sorted tightest first."""
    out = classify_occupations(
        table, shortage_ratio=shortage_ratio, surplus_ratio=surplus_ratio, min_count=min_count
    )
    overall = out.attrs["overall_tightness"]
    out = out.sort_values(["relative", "isco"], ascending=[False, True], ignore_index=True)
    out.attrs["overall_tightness"] = overall
    return out


def bridge(
    status: pd.DataFrame,
    groups: SkillMatrix,
    *,
    k: int = 3,
    max_sources: int = 10,
    min_similarity: float = 0.3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transitions from the largest surplus groups to shortage groups, and their skill gaps.

    Returns ``(moves, gaps)``: ``moves`` has one row per (source, target) with the
    similarity, the size of the gap, and ``jobseekers`` (of the source) and ``vacancies``
    (of the target); ``gaps`` lists the missing essential skills of each move.
    Groups without an ESCO profile are left out (reported in ``moves.attrs['no_profile']``).
    """
    known = set(groups.rows["id"].astype(str))
    surplus = status[status["status"] == "surplus"].sort_values(
        ["jobseekers", "isco"], ascending=[False, True]
    )
    shortage = status[status["status"] == "shortage"]
    no_profile = sorted(
        set(surplus["isco"].astype(str)) | set(shortage["isco"].astype(str)) - known
    )
    sources = [c for c in surplus["isco"].astype(str) if c in known][:max_sources]
    targets = [c for c in shortage["isco"].astype(str) if c in known]
    empty = pd.DataFrame(
        columns=[
            "source",
            "source_label",
            "target",
            "target_label",
            "similarity",
            "rank",
            "n_target_essential",
            "n_missing_essential",
            "missing_share",
            "jobseekers",
            "vacancies",
        ]
    )
    if not sources or not targets:
        empty.attrs["no_profile"] = no_profile
        return empty, pd.DataFrame(columns=["source", "target", "skill_uri", "skill_label"])
    moves = transitions(groups, sources, targets, k=k, min_similarity=min_similarity)
    counts = status.assign(isco=status["isco"].astype(str)).set_index("isco")
    moves["jobseekers"] = moves["source"].astype(str).map(counts["jobseekers"]).to_numpy()
    moves["vacancies"] = moves["target"].astype(str).map(counts["vacancies"]).to_numpy()
    gaps = skill_gaps(groups, moves[["source", "target"]])
    moves.attrs["no_profile"] = no_profile
    return moves, gaps


def regional_mismatch(
    country_table: pd.DataFrame, region: str, status: pd.DataFrame, **kwargs: float
) -> pd.DataFrame:
    """Occupations in surplus in ``region`` and in shortage in another region of the table.

    ``country_table`` holds every region of the country (``region``, ``isco``,
    ``jobseekers``, ``vacancies``). Returns ``isco, jobseekers, shortage_regions,
    vacancies_elsewhere``, largest surplus first.
    """
    surplus = status[status["status"] == "surplus"].set_index("isco")
    rows = []
    others = {}
    for other, part in country_table.groupby("region"):
        if other == region:
            continue
        try:
            others[other] = occupation_status(part, **kwargs).set_index("isco")  # type: ignore[arg-type]
        except ValueError:
            continue  # a region without jobseekers or vacancies
    for isco, row in surplus.iterrows():
        tight = [
            r for r, s in others.items() if isco in s.index and s.at[isco, "status"] == "shortage"
        ]
        if tight:
            vac = int(sum(others[r].at[isco, "vacancies"] for r in tight))
            rows.append((isco, int(row["jobseekers"]), sorted(tight), vac))
    out = pd.DataFrame(
        rows, columns=["isco", "jobseekers", "shortage_regions", "vacancies_elsewhere"]
    )
    return out.sort_values(["jobseekers", "isco"], ascending=[False, True], ignore_index=True)


def policy_links(
    status: pd.DataFrame,
    moves: pd.DataFrame,
    gaps: pd.DataFrame,
    mismatch: pd.DataFrame,
    *,
    friction_jobseekers_share: float = 1.0,
    small_gap: int = 2,
) -> pd.DataFrame:
    """The ALMP types the diagnosis points to, each with the evidence from the data.

    Returns ``programme_type, reason, n_people, detail``: one row per link (training,
    job_search_assistance, mobility_support), only where the data show the need.
    ``n_people`` counts the jobseekers concerned (an upper bound: people are counted once
    per link, not per transition).
    """
    examples = (
        status.set_index(status["isco"].astype(str))["examples"]
        if "examples" in status.columns
        else pd.Series(dtype=str)
    )

    def name(isco: object) -> str:
        first = str(examples.get(str(isco), "")).split(";")[0].strip()
        return f"{isco} ({first})" if first else str(isco)

    rows: list[dict[str, object]] = []
    wide = moves[moves["n_missing_essential"] > small_gap]
    if not wide.empty:
        top = (
            gaps.merge(wide[["source", "target"]], on=["source", "target"])
            .groupby("skill_label")
            .size()
            .sort_values(ascending=False)
        )
        people = int(wide.drop_duplicates("source")["jobseekers"].sum())
        rows.append(
            {
                "programme_type": "training",
                "reason": (
                    f"{wide['source'].nunique()} surplus occupation group(s) reach shortage "
                    f"groups only with missing essential skills (median "
                    f"{int(np.median(wide['n_missing_essential']))} per move)"
                ),
                "n_people": people,
                "detail": "most needed: " + "; ".join(top.index[:5]),
            }
        )
    close = moves[moves["n_missing_essential"] <= small_gap]
    shortage = status[status["status"] == "shortage"]
    crowded = shortage[shortage["jobseekers"] >= friction_jobseekers_share * shortage["vacancies"]]
    if not close.empty or not crowded.empty:
        parts = []
        if not close.empty:
            parts.append(f"{len(close)} move(s) need at most {small_gap} new essential skills")
        if not crowded.empty:
            parts.append(
                f"{len(crowded)} shortage group(s) also have many jobseekers of their own "
                f"(at least {friction_jobseekers_share:.0%} of their vacancies)"
            )
        people = int(close.drop_duplicates("source")["jobseekers"].sum()) + int(
            crowded["jobseekers"].sum()
        )
        rows.append(
            {
                "programme_type": "job_search_assistance",
                "reason": "matching friction: " + "; ".join(parts),
                "n_people": people,
                "detail": ", ".join(
                    name(c)
                    for c in [*close["target"].astype(str).unique()[:3], *crowded["isco"][:3]]
                ),
            }
        )
    if not mismatch.empty:
        rows.append(
            {
                "programme_type": "mobility_support",
                "reason": (
                    f"{len(mismatch)} occupation group(s) are in surplus here but in shortage "
                    "in other regions of the country"
                ),
                "n_people": int(mismatch["jobseekers"].sum()),
                "detail": "; ".join(
                    f"{name(r.isco)}: short in {', '.join(r.shortage_regions[:3])}"
                    for r in mismatch.head(3).itertuples()
                ),
            }
        )
    return pd.DataFrame(rows, columns=["programme_type", "reason", "n_people", "detail"])
