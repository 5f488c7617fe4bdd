"""One dictionary of headline metrics, for the training log and the manifest."""

from __future__ import annotations

from bnpl_risk.evaluation._inputs import mature
from bnpl_risk.evaluation.calibration import brier, ece
from bnpl_risk.evaluation.discrimination import auc, ks

__all__ = ["summary"]


def summary(y, pd_, score=None) -> dict:
    """Headline discrimination and calibration metrics of a PD.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped and counted).
    pd_ : array-like of float in [0, 1]
    score : array-like of float, optional
        Score of each row; when given, ``ks_at`` is on the score scale,
        otherwise on the PD scale (KS itself is the same).

    Returns
    -------
    dict
        Plain Python numbers (JSON-ready): n (mature rows), n_bad,
        immature, bad_rate, mean_pd, auc, gini, ks, ks_at, brier and ece
        (10 equal-frequency bins).

    Raises
    ------
    ConfigError
        As :func:`auc` and :func:`ks`.

    Examples
    --------
    >>> s = summary([0, 0, 1, 1, None], [0.1, 0.4, 0.35, 0.8, 0.9])
    >>> s["n"], s["n_bad"], s["immature"], s["auc"], s["gini"], s["ks"], s["ks_at"]
    (4, 2, 1, 0.75, 0.5, 0.5, 0.1)
    """
    y_, cols, immature = mature("summary", y, both_classes=True, pd_=pd_)
    area = auc(y, pd_)  # once: Gini follows from it
    split = ks(y, pd_ if score is None else score)
    return {
        "n": len(y_),
        "n_bad": int(y_.sum()),
        "immature": immature,
        "bad_rate": float(y_.mean()),
        "mean_pd": float(cols["pd_"].mean()),
        "auc": area,
        "gini": 2.0 * area - 1.0,
        "ks": split.value,
        "ks_at": split.at,
        "brier": brier(y, pd_),
        "ece": ece(y, pd_),
    }
