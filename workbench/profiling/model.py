"""The at-risk profiling model: calibrated probability of long-term unemployment (12+ months).

A scikit-learn ``Pipeline`` (``ColumnTransformer``: one-hot encoding of the categorical
features with ``handle_unknown="ignore"``, standard scaling of the numbers, then
``LogisticRegression``) wrapped in ``CalibratedClassifierCV(cv=5, ensemble=True)``: five
cross-fitted copies, each fitted on four fifths of the training rows and calibrated
(isotonic by default, or sigmoid) on the fifth it did not see.

:meth:`ProfilingModel.predict_risk` gives, per jobseeker, ``risk`` = the mean of the five
calibrated fold models (what ``CalibratedClassifierCV.predict_proba`` returns) and
``risk_low``..``risk_high`` = the smallest and largest of the five. **That interval is the
spread across the cross-fitted models** (how much the estimate moves with the training
rows): it is not a full predictive interval and does not cover the uncertainty of the
person's outcome, nor the model being wrong in the same way in every fold.

Files (a version folder): ``model.skops`` (skops, never pickle; loaded only when every
type it holds is in :data:`TRUSTED_TYPES` or trusted by skops by default) and
``features.json`` (:class:`~workbench.profiling.features.FeatureSet`); a loaded model's
``threshold`` is the decision threshold its version's ``audit.json`` was judged at (0.5
without one). Scoring is deterministic for a fixed version: the same rows give the same
numbers.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workbench.exceptions import InvalidInput, Problem
from workbench.profiling.features import FeatureSet

__all__ = [
    "AUDIT_FILE",
    "DEFAULT_THRESHOLD",
    "FEATURES_FILE",
    "INTERVAL_NOTE",
    "MODEL_FILE",
    "MODEL_NAME",
    "TRUSTED_TYPES",
    "ProfilingModel",
    "load_approved_profiling",
    "make_pipeline",
]

MODEL_NAME = "profiling"
MODEL_FILE = "model.skops"
FEATURES_FILE = "features.json"
AUDIT_FILE = "audit.json"
#: The decision threshold of a model whose version has no audit (flagged at risk at >= 0.5).
DEFAULT_THRESHOLD = 0.5
METHODS = ("isotonic", "sigmoid")
#: Types a ``model.skops`` may hold beyond those skops trusts by default (the calibrated
#: fold models of scikit-learn's CalibratedClassifierCV). Anything else is refused.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {"sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration"}
)
INTERVAL_NOTE = (
    "risk_low..risk_high is the spread (min..max) of the risk across the 5 cross-fitted "
    "calibrated models, i.e. how much the estimate depends on the training rows; it is not "
    "a full predictive interval."
)


def make_pipeline(features: FeatureSet) -> Pipeline:
    """The uncalibrated pipeline: encode and scale ``features``, then a logistic regression."""
    prep = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), features.categorical),
            ("numeric", StandardScaler(), features.numeric),
        ],
        verbose_feature_names_out=True,
    )
    return Pipeline([("prep", prep), ("logit", LogisticRegression(max_iter=2000))])


class ProfilingModel:
    """A fitted profiling model and the features it reads (one registry version)."""

    def __init__(
        self,
        estimator: CalibratedClassifierCV,
        feature_set: FeatureSet,
        version: str = "",
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.estimator = estimator
        self.feature_set = feature_set
        #: the registry version ("" until the registry numbers it)
        self.version = str(version)
        #: the decision threshold the version's fairness audit judged (from ``audit.json``)
        self.threshold = float(threshold)
        #: trained on SYNTHETIC rows (from ``audit.json``): its risks describe no real people
        self.trained_on_synthetic = False

    @property
    def features(self) -> list[str]:
        """The model's features (computed columns; protected ones only when justified)."""
        return list(self.feature_set.features)

    @property
    def method(self) -> str:
        """The calibration method (isotonic or sigmoid)."""
        return str(self.estimator.method)

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        y: Any,
        feature_set: FeatureSet,
        *,
        method: str = "isotonic",
        cv: int = 5,
    ) -> Self:
        """Fit on a validated jobseeker ``frame`` and outcomes ``y`` (1 = long-term)."""
        if method not in METHODS:
            msg = f"{method!r} is not a calibration method ({', '.join(METHODS)})"
            raise InvalidInput([Problem("profiling model", "method", msg)])
        inputs = feature_set.transform(frame)
        estimator = CalibratedClassifierCV(
            make_pipeline(feature_set), method=method, cv=cv, ensemble=True
        )
        estimator.fit(inputs, np.asarray(y, dtype=int))
        return cls(estimator, feature_set)

    def fold_risks(self, frame: pd.DataFrame, source: str = "jobseekers") -> np.ndarray:
        """P(long-term) of each calibrated fold model: shape (rows, folds)."""
        inputs = self.feature_set.transform(frame, source)
        if inputs.empty:
            return np.empty((0, len(self.estimator.calibrated_classifiers_)))
        positive = list(self.estimator.classes_).index(1)
        return np.column_stack(
            [m.predict_proba(inputs)[:, positive] for m in self.estimator.calibrated_classifiers_]
        )

    def predict_risk(self, frame: pd.DataFrame, source: str = "jobseekers") -> pd.DataFrame:
        """``risk``, ``risk_low``, ``risk_high`` per row of ``frame`` (same index).

        ``risk`` is the mean of the calibrated fold models, the interval their min..max
        (see :data:`INTERVAL_NOTE`). Raises InvalidInput naming a missing column or the
        rows with an empty needed cell.
        """
        folds = self.fold_risks(frame, source)
        return pd.DataFrame(
            {
                "risk": folds.mean(axis=1) if folds.size else np.empty(0),
                "risk_low": folds.min(axis=1) if folds.size else np.empty(0),
                "risk_high": folds.max(axis=1) if folds.size else np.empty(0),
            },
            index=frame.index,
        )

    def input_columns(self) -> list[str]:
        """The columns every fitted ColumnTransformer takes (``feature_names_in_``)."""
        names = {
            tuple(m.estimator.named_steps["prep"].feature_names_in_)
            for m in self.estimator.calibrated_classifiers_
        }
        if len(names) != 1:  # pragma: no cover - folds are fitted on the same columns
            raise RuntimeError(f"the fold models read different columns: {sorted(names)}")
        return list(next(iter(names)))

    def encoded_columns(self) -> list[str]:
        """The encoded inputs of the logistic regression (``get_feature_names_out``)."""
        prep = self.estimator.calibrated_classifiers_[0].estimator.named_steps["prep"]
        return [str(n) for n in prep.get_feature_names_out()]

    # -- files ---------------------------------------------------------------------
    def to_files(self) -> dict[str, bytes]:
        """``model.skops`` and ``features.json``, for a registry version folder."""
        blob = sio.dumps(self.estimator, compression=zipfile.ZIP_DEFLATED)
        return {MODEL_FILE: blob, FEATURES_FILE: self.feature_set.to_json()}

    @classmethod
    def from_files(
        cls,
        model: bytes,
        features: bytes,
        version: str = "",
        source: str = "",
        threshold: float = DEFAULT_THRESHOLD,
    ) -> Self:
        """A model from the bytes of its two files; refuses untrusted types."""
        where = source or MODEL_FILE
        try:
            found = sio.get_untrusted_types(data=model)
        except Exception as e:  # any unreadable file is refused the same way
            raise InvalidInput([Problem(where, "", f"not a skops model file: {e}")]) from e
        unknown = sorted(set(found) - TRUSTED_TYPES)
        if unknown:
            msg = (
                f"refused: the file holds types that are not on the profiling model's "
                f"allow-list: {', '.join(unknown)} (it may not be a workbench model; never "
                "load a model file you do not trust)"
            )
            raise InvalidInput([Problem(where, "types", msg)])
        estimator = sio.loads(model, trusted=list(found))
        if not isinstance(estimator, CalibratedClassifierCV):
            msg = f"holds a {type(estimator).__name__}, not a calibrated profiling model"
            raise InvalidInput([Problem(where, "", msg)])
        feature_set = FeatureSet.from_json(
            features, source=str(Path(where).with_name(FEATURES_FILE))
        )
        return cls(estimator, feature_set, version, threshold)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Load a version folder (or its ``model.skops``), or the approved version of a
        model folder (``shared_models/profiling``) or of a models folder (``shared_models``).

        Raises:
            InvalidInput: nothing loadable there, no approved version, or untrusted types.
        """
        path = Path(path)
        if path.is_file():
            path = path.parent
        if (path / MODEL_FILE).is_file():
            model = cls.from_files(
                (path / MODEL_FILE).read_bytes(),
                _read(path / FEATURES_FILE),
                _version_of(path),
                str(path / MODEL_FILE),
                _threshold_of(path / AUDIT_FILE),
            )
            model.trained_on_synthetic = _synthetic_of(path / AUDIT_FILE)
            return model
        if (path / "model.yaml").is_file():
            return cls._approved(path.parent, path.name)
        if (path / MODEL_NAME / "model.yaml").is_file():
            return cls._approved(path, MODEL_NAME)
        msg = f"no {MODEL_FILE}, model.yaml or {MODEL_NAME}/model.yaml there"
        raise InvalidInput([Problem(str(path), "", msg)])

    @classmethod
    def _approved(cls, models_dir: Path, name: str) -> Self:
        from workbench.shared_models import approved_model

        shared = approved_model(models_dir, name)
        model_path = shared.file_named(MODEL_FILE)
        audit = model_path.with_name(AUDIT_FILE)
        if any(Path(f).name == AUDIT_FILE for f in shared.files):
            audit = shared.file_named(AUDIT_FILE)
        model = cls.from_files(
            model_path.read_bytes(),
            _read(shared.file_named(FEATURES_FILE)),
            shared.version,
            str(model_path),
            _threshold_of(audit),
        )
        model.trained_on_synthetic = _synthetic_of(audit)
        return model


def load_approved_profiling(models_dir: str | Path) -> ProfilingModel:
    """The approved profiling model of ``models_dir`` (``shared_models``), read through the
    registry's pointer ``profiling/model.yaml``.

    Raises:
        InvalidInput: no profiling model, none approved, or its files are unusable.
    """
    return ProfilingModel._approved(Path(models_dir), MODEL_NAME)


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInput([Problem(str(path), "", "missing: the model's feature list")])
    return path.read_bytes()


def _threshold_of(audit: Path) -> float:
    """The decision threshold stored in a version's ``audit.json`` (default when absent)."""
    if not audit.is_file():
        return DEFAULT_THRESHOLD
    try:
        value = float(json.loads(audit.read_text(encoding="utf-8"))["threshold"])
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInput([Problem(str(audit), "threshold", f"unreadable: {e!r}")]) from e
    if not 0 < value < 1:
        raise InvalidInput([Problem(str(audit), "threshold", f"{value!r} is not in (0, 1)")])
    return value


def _synthetic_of(audit: Path) -> bool:
    """Whether a version was trained on SYNTHETIC rows (its ``audit.json`` says so)."""
    if not audit.is_file():
        return False
    try:
        return bool(json.loads(audit.read_text(encoding="utf-8")).get("trained_on_synthetic"))
    except (AttributeError, ValueError) as e:
        raise InvalidInput([Problem(str(audit), "", f"unreadable: {e!r}")]) from e


def _version_of(folder: Path) -> str:
    """The version of a version folder: its ``version.yaml``, else the folder's name."""
    meta = folder / "version.yaml"
    if meta.is_file():
        import yaml

        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("version") is not None:
            return str(data["version"])
    return folder.name if folder.parent.name == "versions" else ""
