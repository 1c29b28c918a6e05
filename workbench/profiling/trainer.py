"""The registry's trainer of the ``profiling`` model, and its fairness approval gate.

:func:`train_profiling` validates a jobseeker table (the outcome ``ltu`` required), holds
out a quarter of the rows (fixed seed, stratified on the outcome), fits
:class:`~workbench.profiling.model.ProfilingModel` on the rest and audits the held-out
predictions by every protected attribute with :func:`workbench.profiling.fairness.audit`
at the thresholds 0.3, 0.5, 0.7 (and the decision threshold). It returns a
:class:`~workbench.registry.types.TrainedVersion`: files ``model.skops``, ``features.json``,
``audit.json`` (the audit with the limits and decision threshold it is judged by) and
``tradeoff.png``; the card; metrics; and headline cells (AUC, Brier score, selection rates
and equalized odds by group) for the registry's diffs.

:func:`fairness_gate` is the registry's approval gate (``GATES["profiling"]``): it reads a
version's ``audit.json`` and returns every breach of its limits at its threshold; a version
without a readable audit fails closed. :func:`train_candidate` and :func:`version_audit`
serve ``workbench profiling train|audit``; :func:`write_seed` writes the shipped seed:
``python -m workbench.profiling.trainer --seed-version shared_models/profiling``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.card import DEFAULT_LAWFUL_BASIS, CardFacts, model_card
from workbench.profiling.fairness import FairnessAudit, FairnessLimits, audit
from workbench.profiling.features import FeaturePolicy, FeatureSet, Justification, RegionLtu
from workbench.profiling.model import AUDIT_FILE, MODEL_NAME, ProfilingModel
from workbench.profiling.schema import PROTECTED
from workbench.registry.types import Cell, TrainedVersion

if TYPE_CHECKING:
    from workbench.registry import ModelRegistry, VersionInfo

__all__ = [
    "AUDIT_FILE",
    "AUDIT_THRESHOLDS",
    "KIND",
    "SEED_APPROVER",
    "AuditRecord",
    "Candidate",
    "fairness_gate",
    "read_audit",
    "train_candidate",
    "train_profiling",
    "version_audit",
    "write_seed",
]

KIND = "profiling-model"
DESCRIPTION = (
    "Calibrated logistic regression of the risk of long-term unemployment (12+ months) of "
    "a jobseeker, with a fairness audit by sex, origin, disability and age band; supports "
    "counsellors and decides nothing."
)
FIGURE_FILE = "tradeoff.png"
AUDIT_THRESHOLDS: tuple[float, ...] = (0.3, 0.5, 0.7)
SPLIT_SEED = 20261201
TEST_SHARE = 0.25
MIN_ROWS = 200
SEED_ROWS = 20_000
#: Regions of the seed's synthetic jobseekers: a spread of real 2025 long-term shares.
SEED_REGIONS = ("BE10", "DE21", "ES61", "IE05", "ITC4", "PL91", "SE11", "SK04")
SEED_APPROVER = (
    "workbench maintainers (seed version trained on SYNTHETIC data; not for use with real "
    "jobseekers)"
)


def _hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def _sensitive(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(PROTECTED)].astype(str)
    out["disability"] = frame["disability"].map({True: "yes", False: "no"})
    return out.reset_index(drop=True)


def train_profiling(
    frame: pd.DataFrame,
    *,
    policy: FeaturePolicy | None = None,
    limits: FairnessLimits | None = None,
    threshold: float = 0.5,
    lawful_basis: str = DEFAULT_LAWFUL_BASIS,
    minimisation: str = "",
    override_signals: Sequence[str] = (),
    method: str = "isotonic",
    source: str = "<frame>",
    data_source: str = "",
    version: str = "",
    region_ltu: RegionLtu | None = None,
) -> TrainedVersion:
    """Validate ``frame``, fit, audit and package a version of the profiling model.

    ``policy`` lists the justified protected attributes (none by default: audit only);
    ``limits`` and ``threshold`` are stored with the audit and judged by the gate.

    Raises:
        InvalidInput: bad rows (row and field), a bad threshold, or too few rows or
            outcomes to fit and audit.
    """
    from workbench.profiling.jobseekers import validate_jobseeker_frame

    limits = limits or FairnessLimits()
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not (0 < threshold < 1)
    ):
        msg = f"{threshold!r} is not a number between 0 and 1"
        raise InvalidInput([Problem("profiling", "threshold", msg)])
    typed = validate_jobseeker_frame(frame, source=source, require=("ltu",))
    y = typed["ltu"].astype(int).to_numpy()
    if len(typed) < MIN_ROWS or min(y.sum(), len(y) - y.sum()) < 20:
        msg = (
            f"{len(typed)} rows, {int(y.sum())} long-term unemployed: at least {MIN_ROWS} rows "
            "and 20 of each outcome are needed to fit and audit the model"
        )
        raise InvalidInput([Problem(source, "ltu", msg)])
    synthetic = "synthetic" in typed and bool(typed["synthetic"].fillna(False).any())
    held = [c for c in typed.columns if not typed[c].isna().all()]
    ltu = region_ltu or RegionLtu.from_pack()
    fs = FeatureSet.build(policy, held, ltu, notes=ltu.notes(typed["region"]))

    train_idx, test_idx = train_test_split(
        np.arange(len(typed)), test_size=TEST_SHARE, stratify=y, random_state=SPLIT_SEED
    )
    train, test = typed.iloc[train_idx], typed.iloc[test_idx]
    model = ProfilingModel.fit(train, y[train_idx], fs, method=method)
    risk = model.predict_risk(test)
    y_test = y[test_idx]
    thresholds = tuple(sorted({*AUDIT_THRESHOLDS, float(threshold)}))
    result = audit(y_test, risk["risk"].to_numpy(), _sensitive(test), thresholds=thresholds)
    breaches = result.breaches(limits, threshold)

    metrics = {
        "test_auc": float(roc_auc_score(y_test, risk["risk"])),
        "test_brier": float(brier_score_loss(y_test, risk["risk"])),
        "test_log_loss": float(log_loss(y_test, risk["risk"].clip(1e-6, 1 - 1e-6))),
        "base_rate": float(y.mean()),
        "mean_interval_width": float((risk["risk_high"] - risk["risk_low"]).mean()),
        "n_train": float(len(train_idx)),
        "n_test": float(len(test_idx)),
        "threshold": float(threshold),
        "fairness_breaches": float(len(breaches)),
    }
    audit_doc = {
        "schema": 1,
        "threshold": float(threshold),
        "limits": asdict(limits),
        "breaches": breaches,
        "audit": result.as_dict(),
        "trained_on_synthetic": bool(synthetic),
    }
    files = model.to_files()
    files[AUDIT_FILE] = (json.dumps(audit_doc, indent=1, sort_keys=True) + "\n").encode()
    buf = io.BytesIO()
    result.tradeoff_figure(limits).savefig(buf, format="png", dpi=100)
    files[FIGURE_FILE] = buf.getvalue()
    facts = CardFacts(
        version=version,
        synthetic=synthetic,
        data_source=data_source or source,
        training_hash=_hash(typed),
        n_train=len(train_idx),
        n_test=len(test_idx),
        metrics=metrics,
        audit=result,
        limits=limits,
        threshold=float(threshold),
        feature_set=fs,
        columns_held=tuple(held),
        method=method,
        lawful_basis=lawful_basis.strip() or DEFAULT_LAWFUL_BASIS,
        minimisation=minimisation.strip(),
        override_signals=tuple(override_signals),
        figure=FIGURE_FILE,
    )
    return TrainedVersion(
        files=files,
        card=model_card(facts),
        metrics=metrics,
        cells=_cells(metrics, result, float(threshold)),
        training_hash=facts.training_hash,
        kind=KIND,
        description=DESCRIPTION,
    )


def _cells(metrics: Mapping[str, float], result: FairnessAudit, t: float) -> dict[str, Cell]:
    n = int(metrics["n_test"])
    cells = {
        "metric|auc": Cell(metrics["test_auc"], n=n, label="AUC on the held-out rows"),
        "metric|brier": Cell(metrics["test_brier"], n=n, label="Brier score, held-out rows"),
    }
    t = result.threshold(t)
    for g in result.groups:
        if g.threshold == t:
            value = None if math.isnan(g.selection_rate) else g.selection_rate
            label = f"selection rate at {t:g} · {g.attribute} = {g.group}"
            cells[f"selection_rate|{g.attribute}|{g.group}"] = Cell(value, n=g.count, label=label)
    for d in result.disparities:
        if d.threshold == t:
            value = None if math.isnan(d.eo_difference) else d.eo_difference
            label = f"equalized odds difference at {t:g} · {d.attribute}"
            cells[f"eo_difference|{d.attribute}"] = Cell(value, n=n, label=label)
    return cells


# ------------------------------------------------------------------ the approval gate


@dataclass(frozen=True)
class AuditRecord:
    """A version's stored audit with the limits and threshold it is judged by."""

    audit: FairnessAudit
    limits: FairnessLimits
    threshold: float
    source: str

    @property
    def breaches(self) -> list[str]:
        """Every breach of the limits at the decision threshold (recomputed)."""
        return self.audit.breaches(self.limits, self.threshold)


def read_audit(info: VersionInfo) -> AuditRecord:
    """The ``audit.json`` of a registry version.

    Raises:
        InvalidInput: the version has no audit, or it is unreadable.
    """
    source = f"shared_models/{info.name}/versions/{info.version}/{AUDIT_FILE}"
    rel = next((f for f in info.files if Path(f).name == AUDIT_FILE), None)
    path = info.directory / rel if rel else None
    if path is None or not path.is_file():
        msg = "no fairness audit: a profiling version cannot be approved without one"
        raise InvalidInput([Problem(source, "", msg)])
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        record = AuditRecord(
            audit=FairnessAudit.from_dict(doc["audit"]),
            limits=FairnessLimits(**doc["limits"]),
            threshold=float(doc["threshold"]),
            source=source,
        )
        record.audit.threshold(record.threshold)
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInput([Problem(source, "", f"unreadable fairness audit: {e!r}")]) from e
    return record


def fairness_gate(info: VersionInfo) -> list[Problem]:
    """The registry gate: each breach of the version's fairness limits, as a problem.

    Fails closed: a missing or unreadable audit is a problem too.
    """
    try:
        record = read_audit(info)
    except InvalidInput as e:
        return list(e.problems)
    return [Problem(record.source, "fairness", b) for b in record.breaches]


# ------------------------------------------------------------------ CLI services


@dataclass(frozen=True)
class Candidate:
    """A profiling candidate created in the registry."""

    version: str
    trained: TrainedVersion
    breaches: tuple[str, ...]


def train_candidate(
    registry: ModelRegistry,
    source: str | Path | IO[Any] | pd.DataFrame,
    *,
    by: str,
    reason: str,
    justify: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    **options: Any,
) -> Candidate:
    """Read ``source`` (file or frame), train and record a candidate of ``profiling``.

    ``justify`` maps protected attributes to the expert's reason (recorded with ``by`` and
    the time); ``options`` go to :func:`train_profiling`. The candidate feeds nothing until
    approved (``workbench model approve profiling V``), which the fairness gate may block.
    """
    pairs = justify.items() if isinstance(justify, Mapping) else justify
    policy = FeaturePolicy(tuple(Justification(a, by, r) for a, r in pairs))
    if isinstance(source, pd.DataFrame):
        frame, name = source, "<frame>"
    else:
        from workbench.profiling.jobseekers import read_jobseeker_table

        frame = read_jobseeker_table(source, require=("ltu",))
        name = str(getattr(source, "name", source))
    trained = train_profiling(frame, policy=policy, source=name, **options)
    if policy.justifications:  # the registry's log names them too, not only the card
        used = "; ".join(f"{j.attribute}: {j.reason}" for j in policy.justifications)
        reason = f"{reason} [protected attributes used as features, justified by {by}: {used}]"
    version = registry.create_candidate(MODEL_NAME, trained, by=by, reason=reason)
    breaches = json.loads(trained.files[AUDIT_FILE])["breaches"]
    return Candidate(version, trained, tuple(breaches))


def version_audit(
    registry: ModelRegistry, version: str | None = None
) -> tuple[VersionInfo, AuditRecord]:
    """A version of ``profiling`` (default: the approved one, else the newest) and its audit."""
    info = registry.show(MODEL_NAME, version)
    return info, read_audit(info)


# ------------------------------------------------------------------ the shipped seed


def write_seed(model_dir: Path, *, rows: int = SEED_ROWS, version: str = "1") -> Path:
    """Train the seed on the SYNTHETIC generator (fixed seed) and write ``versions/<v>/``
    and the pointer ``model.yaml`` into ``model_dir``; returns the version folder."""
    import yaml

    from workbench.profiling.synthetic import DEFAULT_SEED, generate_jobseekers
    from workbench.registry import layout
    from workbench.registry.diff import cells_to_text

    frame = generate_jobseekers(rows, seed=DEFAULT_SEED, regions=list(SEED_REGIONS))
    data = (
        f"generate_jobseekers({rows}, seed={DEFAULT_SEED}, regions={list(SEED_REGIONS)}) "
        "of workbench.profiling.synthetic"
    )
    trained = train_profiling(frame, source="synthetic jobseekers", data_source=data,
                              version=version)  # fmt: skip
    folder = model_dir / "versions" / version
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in trained.files.items():
        (folder / name).write_bytes(content)
    (folder / "card.md").write_text(trained.card, encoding="utf-8")
    (folder / "cells.json").write_text(cells_to_text(trained.cells), encoding="utf-8")
    meta = {
        "version": version,
        "parent": None,
        "training_hash": trained.training_hash,
        "created_by": SEED_APPROVER,
        "metrics": trained.metrics,
        "files": sorted(trained.files),
    }
    (folder / "version.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    breaches = int(trained.metrics["fairness_breaches"])
    pointer = {
        "name": MODEL_NAME,
        "version": version,
        "status": "approved",
        "approved_by": SEED_APPROVER,
        "reason": "seed version shipped with the workbench, trained on SYNTHETIC "
        f"jobseekers; its fairness audit shows {breaches} breach(es) at the decision "
        "threshold (see the card); retrain on the PES's own table before any use",
        "override": "workbench maintainers: the seed is approved so that pathways, the "
        "counsellor view and monitoring can be tried out; it is trained on SYNTHETIC "
        "jobseekers and its audit breaches the limits: "
        + "; ".join(json.loads(trained.files[AUDIT_FILE])["breaches"])
        + ". Retrain on the PES's own table and approve that version (the gate judges it).",
        "kind": KIND,
        "description": DESCRIPTION,
        "files": [f"versions/{version}/{name}" for name in sorted(trained.files)],
        "card": f"versions/{version}/card.md",
    }
    text = layout.POINTER_HEADER + yaml.safe_dump(pointer, sort_keys=False, allow_unicode=True)
    (model_dir / "model.yaml").write_text(text, encoding="utf-8")
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m workbench.profiling.trainer --seed-version shared_models/profiling``."""
    parser = argparse.ArgumentParser(description="Write the shipped profiling seed version.")
    parser.add_argument("--seed-version", type=Path, required=True, metavar="MODEL_DIR")
    parser.add_argument("--rows", type=int, default=SEED_ROWS)
    args = parser.parse_args(argv)
    print(write_seed(args.seed_version, rows=args.rows))


if __name__ == "__main__":  # pragma: no cover - maintainer command
    main()
