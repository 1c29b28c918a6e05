"""Batch scoring: a jobseeker table in, one CSV row per proposed pathway step out.

:func:`score_file` is what ``workbench pathways score`` runs:

1. **validate everything first**: the jobseeker table (every bad row reported with its
   row number and field; :func:`workbench.profiling.jobseekers.read_jobseeker_table`),
   the output folder, the approved profiling model (and the version asked for), the
   pseudonym key and the optional outcome table. Nothing is scored until all are good;
2. **pseudonymise** the person ids with the keyed hash of
   :mod:`workbench.profiling.pseudonym` (the raw ids are dropped before scoring);
3. **score** with the approved profiling model (vectorised) and **build** the pathways
   (:class:`~workbench.pathways.build.PathwayBuilder`), with a progress bar on stderr;
4. **write atomically**: a temporary file next to the output, renamed over it with
   :func:`os.replace` only when complete. On any failure the output is untouched and the
   temporary file removed, so nothing partial is ever written.

Output columns: :data:`OUTPUT_COLUMNS` (one row per step; the person's risk, band, notes
and the model versions repeat on each of their rows).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from workbench.exceptions import InvalidInput, Problem
from workbench.pathways.build import Pathway, PathwayBuilder, PathwayStep
from workbench.pathways.occupations import LabourView
from workbench.pathways.outcomes import MIN_N, return_to_work

__all__ = [
    "OUTPUT_COLUMNS",
    "ScoreReport",
    "pathways_frame",
    "score_file",
    "write_atomic",
    "write_pathways_csv",
]

#: Columns of the output CSV, in order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "person",
    "region",
    "risk",
    "risk_low",
    "risk_high",
    "risk_band",
    "threshold",
    "step_order",
    "step_id",
    "kind",
    "label",
    "when",
    "target_isco",
    "target_occupation",
    "skill_gap",
    "expected_effect",
    "effect_low",
    "effect_high",
    "evidence_count",
    "studies",
    "evidence_ids",
    "reason",
    "sources",
    "return_to_work",
    "return_to_work_n",
    "return_to_work_basis",
    "notes",
    "model_version",
    "evidence_version",
    "synthetic",
)
_HEAD = 7  # person ... threshold
_TAIL = 4  # notes ... synthetic
_STEP_COLUMNS = OUTPUT_COLUMNS[_HEAD:-_TAIL]


@dataclass(frozen=True)
class ScoreReport:
    """What a batch did."""

    output: Path
    people: int
    steps: int
    model_version: str
    evidence_version: str
    pseudonymised: bool
    bands: dict[str, int]
    notes: tuple[str, ...]
    seconds: float
    threshold: float = 0.5
    saved: int = 0  # pathways stored for the counsellors' review


def _step_values(step: PathwayStep) -> tuple[Any, ...]:
    joined = {
        "step_order": step.order,
        "skill_gap": "; ".join(step.skill_gap),
        "evidence_ids": " ".join(step.evidence_ids),
        "sources": " | ".join(step.sources),
    }
    return tuple(joined[c] if c in joined else getattr(step, c) for c in _STEP_COLUMNS)


def _head(p: Pathway) -> tuple[Any, ...]:
    return (
        p.person,
        p.region,
        float(p.risk),
        float(p.risk_low),
        float(p.risk_high),
        p.risk_band,
        float(p.threshold),
    )


def _tail(p: Pathway) -> tuple[Any, ...]:
    return (" | ".join(p.notes), p.model_version, p.evidence_version, bool(p.synthetic))


def _rows(
    pathways: Iterable[Pathway],
    encode: Callable[[tuple[Any, ...]], Any],
    encode_head: Callable[[tuple[Any, ...]], Any] | None = None,
) -> Iterator[Any]:
    """``(head, step part, tail)`` of every output row, each encoded; the step and tail
    parts are encoded once per distinct step / tail (they are shared)."""
    encode_head = encode_head or encode
    steps: dict[int, tuple[PathwayStep, Any]] = {}
    tails: dict[tuple[Any, ...], Any] = {}
    blank = encode((None,) * len(_STEP_COLUMNS))
    for p in pathways:
        head = encode_head(_head(p))
        key = _tail(p)
        tail = tails.get(key)
        if tail is None:
            tail = tails[key] = encode(key)
        for step in p.steps or (None,):
            if step is None:
                yield head, blank, tail
                continue
            hit = steps.get(id(step))
            if hit is None:
                hit = steps[id(step)] = (step, encode(_step_values(step)))
            yield head, hit[1], tail


def pathways_frame(pathways: Sequence[Pathway]) -> pd.DataFrame:
    """One row per step (:data:`OUTPUT_COLUMNS`); a pathway without steps keeps one row
    with empty step fields."""
    rows = [h + s + t for h, s, t in _rows(pathways, lambda values: values)]
    return pd.DataFrame.from_records(rows, columns=list(OUTPUT_COLUMNS))


def _csv(values: tuple[Any, ...]) -> str:
    """One CSV segment (no line end), quoted as :mod:`csv` does; None is empty."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def _fast_head(values: tuple[Any, ...]) -> str:
    person, region, *numbers = values
    if any(c in person + region for c in ',"\r\n'):
        return _csv(values)
    risk, low, high, band, threshold = numbers
    return f"{person},{region},{risk!r},{low!r},{high!r},{band},{threshold!r}"


def write_pathways_csv(pathways: Sequence[Pathway], out: TextIO) -> int:
    """Write the rows of :func:`pathways_frame` as CSV to ``out`` (header first) without
    building the frame: shared steps are encoded once. Returns the number of rows."""
    out.write(",".join(OUTPUT_COLUMNS) + "\n")
    n, chunk = 0, []
    for head, step, tail in _rows(pathways, _csv, _fast_head):
        chunk.append(f"{head},{step},{tail}\n")
        n += 1
        if len(chunk) >= 20_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
    return n


def write_atomic(write: Callable[[TextIO], object], path: str | Path) -> None:
    """Write a file all at once: ``write(stream)`` fills a temporary file in the same
    folder, which is flushed to disk and renamed over ``path``; it is removed again if
    anything fails. A name ending in ``.gz`` is gzip-compressed (level 1, no timestamp:
    the same content gives the same bytes)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            gz = target.name.endswith(".gz")
            stream = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if gz else raw
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            write(text)
            text.flush()
            text.detach()
            if gz:
                stream.close()  # writes the gzip trailer; ``raw`` stays open
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _check_output(input_path: Path, output: Path) -> list[Problem]:
    problems = []
    if not output.parent.is_dir():
        problems.append(Problem(str(output), "--output", "its folder does not exist"))
    elif output.is_dir():
        problems.append(Problem(str(output), "--output", "is a folder; give a file name"))
    elif output.resolve() == input_path.resolve():
        problems.append(Problem(str(output), "--output", "is the input file; choose another"))
    return problems


def score_file(
    input_path: str | Path,
    output: str | Path,
    *,
    models_dir: str | Path,
    model_version: str | None = None,
    threshold: float | None = None,
    outcomes_path: str | Path | None = None,
    min_n: int = MIN_N,
    key_file: str | Path | None = None,
    home: Path | None = None,
    labour: LabourView | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
    save: Callable[[list[Pathway]], int] | None = None,
) -> ScoreReport:
    """Validate, pseudonymise, score, build and write (see the module doc).

    ``model_version`` pins the batch: it fails unless the approved profiling model has
    that version (a candidate is never used). ``threshold`` defaults to the one the
    model's fairness audit judged (``model.threshold``). ``outcomes_path`` is a jobseeker
    table of *past* participants (with ``programme`` and ``employed_1m_6m``) for
    return-to-work rates. ``progress``: a bar on stderr (None: only on a terminal).
    ``save(pathways)`` stores them for the counsellors' review (one transaction); it runs
    after the file is written to its temporary name and before that is renamed into
    place, so a failed save leaves no file and a failed write stores nothing.

    Raises:
        InvalidInput: any problem found before scoring (the output is not touched).
    """
    from workbench.profiling.jobseekers import read_jobseeker_table
    from workbench.profiling.model import load_approved_profiling
    from workbench.profiling.pseudonym import load_key, pseudonymise_frame

    start = time.perf_counter()
    say = echo or (lambda _text: None)
    input_path, output = Path(input_path), Path(output)
    problems = _check_output(input_path, output)
    if threshold is not None and not 0 < threshold < 1:
        problems.append(Problem("pathways", "--threshold", "must be between 0 and 1"))
    if problems:
        raise InvalidInput(problems)
    say(f"validating {input_path} ...")
    frame = read_jobseeker_table(input_path)
    model = load_approved_profiling(models_dir)
    if model_version is not None and str(model.version) != str(model_version):
        raise InvalidInput(
            [
                Problem(
                    "shared_models/profiling/model.yaml",
                    "--model-version",
                    f"the approved profiling model is version {model.version}, not "
                    f"{model_version}; pathways are only scored with the approved version",
                )
            ]
        )
    if threshold is None:
        threshold = model.threshold
    key = load_key(key_file, home=home)
    outcomes = None
    if outcomes_path is not None:
        past = read_jobseeker_table(outcomes_path, require=("programme", "employed_1m_6m"))
        outcomes = return_to_work(past, min_n=min_n)
    frame = pseudonymise_frame(frame, key)
    del key
    say(f"scoring {len(frame):,} jobseekers with profiling model version {model.version} ...")
    risks = model.predict_risk(frame)
    builder = PathwayBuilder.from_models_dir(models_dir, labour, outcomes, threshold=threshold)
    from tqdm import tqdm

    with tqdm(
        total=len(frame),
        desc="pathways",
        unit="person",
        disable=None if progress is None else not progress,
        leave=False,
    ) as bar:
        pathways = builder.build(
            frame,
            risks,
            str(model.version),
            progress=bar.update,
            model_synthetic=model.trained_on_synthetic,
        )
    written: list[int] = []
    saved: list[int] = []

    def write(out: TextIO) -> None:
        written.append(write_pathways_csv(pathways, out))
        if save is not None:
            saved.append(save(pathways))

    write_atomic(write, output)
    counts = Counter(p.risk_band for p in pathways)
    bands = {b: counts.get(b, 0) for b in ("high", "medium", "low")}
    notes = sorted({n for p in pathways for n in p.notes if not n.startswith("The risk interval")})
    return ScoreReport(
        output=output,
        people=len(pathways),
        steps=written[0],
        model_version=str(model.version),
        evidence_version=builder.evidence.version,
        pseudonymised=True,
        bands=bands,
        notes=tuple(notes[:20]),
        seconds=time.perf_counter() - start,
        threshold=float(threshold),
        saved=saved[0] if saved else 0,
    )
