"""Cross-validation of the vote-count model: log-loss, Brier score and calibration.

Folds leave whole **studies** out (scikit-learn :class:`~sklearn.model_selection.GroupKFold`,
up to :data:`N_FOLDS` folds), because estimates of one study are alike: scoring a study's
estimate with a model fitted on its sibling estimates would flatter the model. Each fold
refits the whole model (support rule included) on the training studies and scores the
held-out votes. A held-out vote whose programme type has no figure in that fold's model is
not scored (counted in ``cv_unscored``). The baseline predicts every held-out vote with the
training fold's overall outcome shares; a model that does not beat it has learnt nothing
beyond the base rates, and the card says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.evidence.votecount import OUTCOMES, fit_vote_model, vote_rows

__all__ = ["N_FOLDS", "cross_validate"]

N_FOLDS = 5
_BINS = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def _score(y: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import log_loss

    prob = np.clip(prob, 1e-6, 1.0)
    prob = prob / prob.sum(axis=1, keepdims=True)
    ll = float(log_loss(y, prob, labels=[0, 1, 2]))
    brier = float(np.mean(np.sum((prob - np.eye(3)[y]) ** 2, axis=1)))
    return ll, brier


def cross_validate(frame: pd.DataFrame) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Study-grouped CV metrics and a calibration table for P(significantly positive).

    Returns ``(metrics, calibration)``; ``metrics`` is empty apart from ``cv_folds = 0``
    when there are fewer than two studies to split.
    """
    from sklearn.model_selection import GroupKFold

    votes, _ = vote_rows(frame)
    votes = votes.reset_index(drop=True)
    studies = votes["study"].nunique()
    if studies < 2:
        return {"cv_folds": 0.0}, []
    folds = GroupKFold(n_splits=min(N_FOLDS, studies))
    y_all = votes["significance"].map({o: i for i, o in enumerate(OUTCOMES)}).to_numpy()
    ys, model_p, base_p = [], [], []
    unscored = 0
    failed = 0
    for train_idx, test_idx in folds.split(votes, groups=votes["study"]):
        train, test = votes.iloc[train_idx], votes.iloc[test_idx]
        try:
            model = fit_vote_model(train)
        except ValueError:
            failed += 1
            unscored += len(test)
            continue
        scored = test[test["programme_type"].isin(model.types)]
        unscored += len(test) - len(scored)
        if scored.empty:
            continue
        shares = np.bincount(y_all[train_idx], minlength=3) / len(train_idx)
        ys.append(y_all[scored.index.to_numpy()])
        model_p.append(model.predict(scored))
        base_p.append(np.tile(shares, (len(scored), 1)))
    metrics: dict[str, float] = {
        "cv_folds": float(folds.get_n_splits()),
        "cv_failed_folds": float(failed),
        "cv_unscored": float(unscored),
    }
    if not ys:
        metrics["cv_scored"] = 0.0
        return metrics, []
    y = np.concatenate(ys)
    prob = np.vstack(model_p)
    base = np.vstack(base_p)
    ll, brier = _score(y, prob)
    base_ll, base_brier = _score(y, base)
    positive = (y == 2).astype(float)
    metrics.update(
        {
            "cv_scored": float(len(y)),
            "cv_log_loss": ll,
            "cv_log_loss_baseline": base_ll,
            "cv_brier": brier,
            "cv_brier_baseline": base_brier,
            "cv_mean_p_positive": float(prob[:, 2].mean()),
            "cv_observed_positive": float(positive.mean()),
        }
    )
    bins = np.clip(np.digitize(prob[:, 2], _BINS[1:-1]), 0, len(_BINS) - 2)
    calibration = [
        {
            "bin_low": float(_BINS[b]),
            "bin_high": float(_BINS[b + 1]),
            "n": float((bins == b).sum()),
            "mean_predicted": float(prob[bins == b, 2].mean()),
            "observed": float(positive[bins == b].mean()),
        }
        for b in range(len(_BINS) - 1)
        if (bins == b).any()
    ]
    return metrics, calibration
