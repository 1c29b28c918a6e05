"""Benchmark: the facilitator dashboard's figures for 1,000,000 feedback rows, two ways.

A real SQLite database is created with the workbench's own schema (``Database`` runs the
migrations) and filled with synthetic feedback for one workshop round, inserted in bulk
with SQLAlchemy Core ``executemany``. The data (fixed seed, :data:`SEED`):

- a 9-point scale, :data:`N_OPTIONS` options × :data:`N_CRITERIA` criteria and
  :data:`N_STATEMENTS` statements, of which :data:`N_UNAPPROVED` are pending or hidden;
- participants in :data:`N_CAMPS` planted opinion camps. Each participant rates every
  option on every criterion (the camp's mean for the item plus normal noise, SD 1.2,
  rounded and clipped to 1–9), approves the options they rate 6 or more on average,
  ranks the options by their mean rating, votes on each statement with probability
  :data:`SEEN` (the camp's side with probability 0.8, else a random agree/disagree/pass)
  and, one in ten, writes a comment;
- participants are added until the round holds exactly ``--rows`` feedback rows
  (1,000,000 by default: about 10,500 participants at ~95 rows each).

Then, in the same run:

- ours: :func:`workbench.db.analytics.load_frame` (Core column selects, integer codes made
  in SQL) and :func:`workbench.participation.analysis.analyse` (every figure: Delphi rating
  statistics, approvals, Borda, Kendall's W, opinion groups, representative statements,
  group-informed consensus, method sensitivity), timed separately; the median of
  ``--repeat`` runs;
- naive: ``session.exec(select(Feedback).where(<workshop and round>)).all()`` (ORM
  objects) → a pandas DataFrame of dicts → groupby median/quantiles/mean/band shares per
  rating item, approval counts, a pivot of the votes into the participants × statements
  matrix and the same PCA and k-means (same parameters, single-threaded like ours) —
  fewer figures than ours.

The two are cross-checked (quartiles, approval counts, the number and sizes of opinion
groups) before the times are printed. Target: our aggregates < 1 s on a 2-core machine.

Usage: python benchmarks/bench_dashboard.py [--quick] [--rows N] [--repeat 3] [--keep DIR]

``--quick`` uses 100,000 rows.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, update
from sqlmodel import select

from workbench.config import Settings
from workbench.db import Database
from workbench.db import participation as store
from workbench.db.analytics import load_frame
from workbench.db.models import Feedback, Participant, Statement, Submission
from workbench.participation.analysis import analyse
from workbench.participation.spec import WorkshopSpec
from workbench.participation.workshops import WorkshopService

SEED = 20240611
N_OPTIONS = 8
N_CRITERIA = 4
SCALE = 9
N_STATEMENTS = 64
N_UNAPPROVED = 4
N_CAMPS = 3
SEEN = 0.85
CASE_SLUG = "bench-dashboard"
TARGET_AGGREGATE_S = 1.0
GROUPS = ("employers", "unions", "employment_service", "training_providers", "ngos")


def make_spec() -> WorkshopSpec:
    """The benchmark workshop: 8 options, 4 criteria, 9-point scale, 64 statements."""
    return WorkshopSpec.model_validate(
        {
            "title": "Dashboard benchmark",
            "scale": SCALE,
            "expected_participants": 500,
            "options": [{"key": f"option_{i}", "label": f"Option {i}"} for i in range(N_OPTIONS)],
            "criteria": [
                {"key": f"criterion_{i}", "label": f"Criterion {i}"} for i in range(N_CRITERIA)
            ],
            "statements": [f"Benchmark statement number {i}." for i in range(N_STATEMENTS)],
        }
    )


def populate(db: Database, home: Path, n_rows: int, seed: int = SEED) -> tuple[int, int, int]:
    """Fill ``db`` with one open workshop and ``n_rows`` feedback rows in round 1.

    Returns (workshop id, round, participants).
    """
    rng = np.random.default_rng(seed)
    with db.session(write=True) as s:
        store.add_publication(
            s,
            case_slug=CASE_SLUG,
            title="Benchmark",
            app_path="bench.ipynb",
            run_hashes={"evidence_review": "ab" * 32},
            template_versions={"evidence_review": "1.0.0"},
            bundle_hash="0123456789abcdef",
            app_version="1",
            synthetic_data=True,
        )
    service = WorkshopService(db, Settings(home=home, db_url=db.url))
    info = service.create(case_slug=CASE_SLUG, spec=make_spec())
    wid = info.id
    service.open(wid)
    round_number = service.get(wid).current_round
    with db.session(write=True) as s:
        sids = [st.id for st in store.find_statements(s, workshop_id=wid)]
    hidden = sids[-N_UNAPPROVED:]
    with db.engine.begin() as conn:
        for i, sid in enumerate(hidden):
            status = "pending" if i % 2 else "hidden"
            conn.execute(update(Statement).where(Statement.id == sid).values(status=status))

    options = [f"option_{i}" for i in range(N_OPTIONS)]
    criteria = [f"criterion_{i}" for i in range(N_CRITERIA)]
    rating_items = [f"rating:{o}:{c}" for o in options for c in criteria]
    camp_mean = rng.uniform(2.0, 8.5, size=(N_CAMPS, N_OPTIONS, N_CRITERIA))
    camp_side = rng.choice([-1, 1], size=(N_CAMPS, N_STATEMENTS))
    now = datetime.now(UTC)
    expires = now + timedelta(days=30)
    pins = {
        "workshop_id": wid,
        "round": round_number,
        "case_slug": CASE_SLUG,
        "run_hash": "0123456789abcdef",
        "template_version": "app@1;evidence_review@1.0.0",
        "revision": 1,
        "status": "visible",
        "created_at": now,
        "updated_at": now,
    }
    written = participants = 0
    chunk = 500
    with db.engine.begin() as conn:
        first_pid = 1 + int(
            conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM participant").scalar_one()
        )
        first_sub = 1 + int(
            conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM submission").scalar_one()
        )
    while written < n_rows:
        pids = np.arange(participants, participants + chunk)
        camp = rng.integers(0, N_CAMPS, size=chunk)
        ratings = np.clip(
            np.rint(camp_mean[camp] + rng.normal(0.0, 1.2, size=(chunk, N_OPTIONS, N_CRITERIA))),
            1,
            SCALE,
        ).astype(int)
        mean = ratings.mean(axis=2) + rng.uniform(0, 1e-3, size=(chunk, N_OPTIONS))
        order = np.argsort(-mean, axis=1)
        seen = rng.random((chunk, N_STATEMENTS)) < SEEN
        side = np.where(
            rng.random((chunk, N_STATEMENTS)) < 0.8,
            camp_side[camp],
            rng.integers(-1, 2, size=(chunk, N_STATEMENTS)),
        )
        comment = rng.random(chunk) < 0.1
        people, subs, rows = [], [], []
        for j, p in enumerate(pids):
            pid, sub = first_pid + int(p), first_sub + int(p)
            people.append(
                {
                    "id": pid,
                    "workshop_id": wid,
                    "public_id": f"bench{pid:010d}",
                    "token_hash": f"{pid:064x}",
                    "expires_at": expires,
                    "display_name": None,
                    "stakeholder_group": GROUPS[pid % len(GROUPS)],
                    "consent_at": now,
                    "created_at": now,
                }
            )
            subs.append(
                {
                    "id": sub,
                    "workshop_id": wid,
                    "participant_id": pid,
                    "round": round_number,
                    "kind": "bench",
                    "idempotency_key": f"bench-{pid:010d}",
                    "payload_sha256": "0" * 64,
                    "item_count": 0,
                    "received_at": now,
                }
            )
            base = {**pins, "participant_id": pid, "submission_id": sub}
            flat = ratings[j].ravel()
            for i, item in enumerate(rating_items):
                rows.append({**base, "kind": "rating", "item": item, "value": int(flat[i])})
            for o, key in enumerate(options):
                approved = bool(mean[j, o] >= 6.0)
                rows.append(
                    {**base, "kind": "approval", "item": f"approval:{key}", "value": approved}
                )
            rows.append(
                {
                    **base,
                    "kind": "ranking",
                    "item": "ranking",
                    "value": [options[o] for o in order[j]],
                }
            )
            for si in np.flatnonzero(seen[j]):
                rows.append(
                    {**base, "kind": "vote", "item": f"vote:{sids[si]}", "value": int(side[j, si])}
                )
            if comment[j]:
                rows.append(
                    {**base, "kind": "comment", "item": "comment:general", "value": "A comment."}
                )
        rows = rows[: n_rows - written]
        used = {r["participant_id"] for r in rows}
        people = [p for p in people if p["id"] in used]
        subs = [s for s in subs if s["participant_id"] in used]
        with db.engine.begin() as conn:
            conn.execute(insert(Participant), people)
            conn.execute(insert(Submission), subs)
            conn.execute(insert(Feedback), rows)
        written += len(rows)
        participants += len(people)
    return wid, round_number, participants


# -- the naive path ---------------------------------------------------------------------
def naive(db: Database, wid: int, round_number: int) -> tuple[float, float, dict[str, Any]]:
    """ORM objects -> pandas; returns (load seconds, aggregate seconds, results)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with db.session() as s:
        objs = s.exec(
            select(Feedback).where(Feedback.workshop_id == wid, Feedback.round == round_number)
        ).all()
        approved = {
            f"vote:{st.id}" for st in store.find_statements(s, workshop_id=wid, status="approved")
        }
        workshop = store.find_workshop(s, workshop_id=wid)
        assert workshop is not None
        scale = workshop.scale_max
    loaded = time.perf_counter()
    df = pd.DataFrame(
        [
            {"participant_id": f.participant_id, "kind": f.kind, "item": f.item, "value": f.value}
            for f in objs
        ]
    )
    ratings = df[df.kind == "rating"].assign(value=lambda d: d.value.astype(int))
    g = ratings.groupby("item")["value"]
    bottom, top = (3, 7) if scale == 9 else (2, 4)
    stats = pd.DataFrame(
        {
            "n": g.size(),
            "median": g.median(),
            "q1": g.quantile(0.25),
            "q3": g.quantile(0.75),
            "mean": g.mean(),
            "top": g.apply(lambda v: (v >= top).mean()),
            "bottom": g.apply(lambda v: (v <= bottom).mean()),
        }
    )
    approvals = df[df.kind == "approval"].assign(value=lambda d: d.value.astype(bool))
    approval_counts = approvals.groupby("item")["value"].sum()
    votes = df[(df.kind == "vote") & df.item.isin(approved)]
    matrix = votes.pivot(index="participant_id", columns="item", values="value").astype(float)
    matrix = matrix.reindex(columns=sorted(approved, key=lambda k: int(k[5:])))
    cast = matrix.notna().sum(axis=1)
    kept = matrix[cast >= min(7, matrix.shape[1])]
    centred = kept.fillna(kept.mean()).fillna(0.0)
    centred = centred - centred.mean()
    proj = PCA(n_components=2, svd_solver="full").fit_transform(centred.to_numpy())
    coords = proj * np.sqrt(matrix.shape[1] / cast[kept.index].to_numpy())[:, None]
    sample = 2000 if len(coords) > 2000 else None
    best: tuple[float, int, Any] = (-2.0, 0, None)
    with threadpool_limits(limits=1):
        for k in (2, 3, 4, 5):
            labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(coords)
            score = silhouette_score(coords, labels, sample_size=sample, random_state=0)
            if score > best[0]:
                best = (score, k, labels)
    done = time.perf_counter()
    sizes = sorted(np.bincount(best[2]).tolist(), reverse=True)
    return (
        loaded - start,
        done - loaded,
        {
            "stats": stats,
            "approvals": approval_counts,
            "k": best[1],
            "sizes": sizes,
        },
    )


def cross_check(analysis: Any, result: dict[str, Any]) -> None:
    """Ours and the naive path must give the same figures."""
    stats = result["stats"]
    for i, key in enumerate(analysis.item_keys()):
        row = stats.loc[f"rating:{key}"]
        for name in ("median", "q1", "q3", "mean", "n"):
            ours = float(getattr(analysis.ratings, name)[i])
            assert abs(ours - float(row[name])) < 1e-9, (key, name, ours, row[name])
        assert abs(analysis.ratings.top_share[i] - row["top"]) < 1e-12
    for o, key in enumerate(analysis.options):
        assert int(analysis.approvals.approvals[o]) == int(result["approvals"][f"approval:{key}"])
    assert analysis.opinions.k == result["k"], (analysis.opinions.k, result["k"])
    assert sorted(analysis.opinions.group_sizes, reverse=True) == result["sizes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="feedback rows")
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (median)")
    parser.add_argument("--keep", type=Path, help="keep the database here")
    args = parser.parse_args()
    n_rows = 100_000 if args.quick else args.rows

    root = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-dash-"))
    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'bench.sqlite'}"
    db = Database(url)
    try:
        start = time.perf_counter()
        wid, rnd, people = populate(db, root, n_rows)
        t_insert = time.perf_counter() - start

        # warm-up (imports of scipy/sklearn, SQLite page cache), untimed
        with db.session() as s:
            analyse(load_frame(s, workshop_id=wid, round_number=rnd))

        loads, aggs = [], []
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            with db.session() as s:
                frame = load_frame(s, workshop_id=wid, round_number=rnd)
            t1 = time.perf_counter()
            analysis = analyse(frame)
            t2 = time.perf_counter()
            loads.append(t1 - t0)
            aggs.append(t2 - t1)
        t_load, t_agg = statistics.median(loads), statistics.median(aggs)
        ours = t_load + t_agg

        n_load, n_agg, result = naive(db, wid, rnd)
        cross_check(analysis, result)
        slow = n_load + n_agg

        print(
            f"rows: {frame.n_rows:,} in one round ({people:,} participants; "
            f"{N_OPTIONS} options x {N_CRITERIA} criteria on a {SCALE}-point scale; "
            f"{N_STATEMENTS} statements, {N_STATEMENTS - N_UNAPPROVED} approved; seed {SEED})"
        )
        print(f"bulk insert (Core executemany)      : {t_insert:8.2f} s")
        print(
            f"opinion groups: k={analysis.opinions.k} sizes={list(analysis.opinions.group_sizes)}"
            f" (planted camps: {N_CAMPS}); figures cross-checked: OK"
        )
        print(f"{'':36}{'load':>9}{'aggregate':>11}{'total':>9}")
        print(f"{'ours  (load_frame + analyse)':36}{t_load:8.2f}s{t_agg:10.2f}s{ours:8.2f}s")
        print(f"{'naive (ORM + pandas)':36}{n_load:8.2f}s{n_agg:10.2f}s{slow:8.2f}s")
        print(
            f"{'ratio naive / ours':36}{n_load / t_load:8.1f}x{n_agg / t_agg:10.1f}x"
            f"{slow / ours:8.1f}x"
        )
        verdict = "PASS" if t_agg < TARGET_AGGREGATE_S else "MISS"
        print(
            f"our aggregates < {TARGET_AGGREGATE_S:g} s target: {verdict} ({t_agg:.2f} s; "
            f"median of {len(aggs)}; load {t_load:.2f} s)"
        )
    finally:
        db.dispose()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
