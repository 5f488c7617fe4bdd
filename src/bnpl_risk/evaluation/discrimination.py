"""Discrimination: AUC, Gini and KS.

All three look only at mature rows: labels 1 (bad) and 0 (good); immature
rows (missing label) are dropped (:func:`summary` reports how many), never
counted as good. Each needs at least one bad and one good mature row.

Examples
--------
>>> y = [0, 0, 1, 1, None]
>>> pd_ = [0.1, 0.4, 0.35, 0.8, 0.99]
>>> auc(y, pd_), gini(y, pd_)
(0.75, 0.5)
>>> ks(y, pd_)
KS(value=0.5, at=0.1)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.metrics import roc_auc_score

from bnpl_risk.evaluation._inputs import mature

__all__ = ["KS", "auc", "gini", "ks"]


class KS(NamedTuple):
    """Kolmogorov-Smirnov statistic and the threshold where it occurs.

    Attributes
    ----------
    value : float
        max over thresholds x of ``|F_bad(x) - F_good(x)|``, with ``F`` the
        empirical share of a class with a value at or below x.
    at : float
        The x of the maximum (the lowest such x on a tie), on the scale
        passed: a PD or a score.
    """

    value: float
    at: float


def auc(y, pd_) -> float:
    """Area under the ROC curve of PD against the labels.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing (``<NA>``, NaN, None) immature.
    pd_ : array-like of float in [0, 1]
        Probability of default, higher is riskier.

    Returns
    -------
    float
        ``sklearn.metrics.roc_auc_score`` on the mature rows.

    Raises
    ------
    ConfigError
        On a length mismatch, a label other than 1/0/missing, a PD outside
        [0, 1] or missing on a mature row, or no bad or no good mature row.

    Examples
    --------
    >>> auc([1, 0, 0, None], [0.9, 0.2, 0.95, 0.5])
    0.5
    """
    y_, cols, _ = mature("auc", y, both_classes=True, pd_=pd_)
    return float(roc_auc_score(y_, cols["pd_"]))


def gini(y, pd_) -> float:
    """Gini coefficient (accuracy ratio), ``2 * AUC - 1``.

    Parameters and errors as :func:`auc`.

    Examples
    --------
    >>> gini([1, 0, 0], [0.9, 0.2, 0.1])
    1.0
    """
    return 2.0 * auc(y, pd_) - 1.0


def ks(y, score) -> KS:
    """Kolmogorov-Smirnov separation of bads and goods, and where it occurs.

    The value equals ``scipy.stats.ks_2samp(score[bad], score[good])``'s
    statistic. It is the same for a PD (higher is riskier) and for a score
    (higher is safer), or any strictly monotone transform of either; only
    ``at`` is on the scale passed.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped).
    score : array-like of float
        PD or score, finite on every mature row.

    Returns
    -------
    KS
        ``(value, at)``: the split "at or below ``at``" versus "above"
        separates the classes best.

    Raises
    ------
    ConfigError
        As :func:`auc` (a score need only be finite).

    Examples
    --------
    Goods score 600 and 700, bads 500 and 650: at 500 half the bads and no
    good lie at or below, at 600 half of each, at 650 all bads and half the
    goods.

    >>> ks([0, 0, 1, 1], [600, 700, 500, 650])
    KS(value=0.5, at=500.0)
    """
    y_, cols, _ = mature("ks", y, both_classes=True, score=score)
    values, inverse = np.unique(cols["score"], return_inverse=True)
    bads = np.bincount(inverse, weights=y_, minlength=len(values))
    goods = np.bincount(inverse, weights=1 - y_, minlength=len(values))
    gap = np.abs(np.cumsum(bads) / bads.sum() - np.cumsum(goods) / goods.sum())
    best = int(np.argmax(gap))
    return KS(float(gap[best]), float(values[best]))
