"""Calibration: Brier score, calibration table and expected calibration error.

Immature rows (missing label) are dropped and counted, never counted as
good. Bins are equal-frequency on the rank of the PD (lowest PDs in bin 1);
rows with the same PD always share a bin, so with ties a bin can hold more
rows than ``n / bins`` and fewer bins can appear.

Examples
--------
>>> y = [0, 0, 1, 0, 1, 1, None]
>>> pd_ = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.5]
>>> calibration_table(y, pd_, bins=2)[["n", "mean_pd", "bad_rate", "abs_gap"]]
     n  mean_pd  bad_rate   abs_gap
bin
1    3      0.2  0.333333  0.133333
2    3      0.7  0.666667  0.033333
>>> round(ece(y, pd_, bins=2), 6)
0.083333
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.evaluation._bins import bin_stats, equal_frequency
from bnpl_risk.evaluation._inputs import mature, positive_int

__all__ = ["brier", "calibration_table", "ece"]


def brier(y, pd_) -> float:
    """Brier score: mean squared difference between PD and outcome.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped).
    pd_ : array-like of float in [0, 1]

    Returns
    -------
    float
        Equal to ``sklearn.metrics.brier_score_loss`` on the mature rows.

    Raises
    ------
    ConfigError
        On a length mismatch, a label other than 1/0/missing, a PD outside
        [0, 1] on a mature row, or no mature row.

    Examples
    --------
    >>> round(brier([1, 0, None], [0.8, 0.4, 0.3]), 6)  # (0.2**2 + 0.4**2) / 2
    0.1
    """
    y_, cols, _ = mature("brier", y, pd_=pd_)
    return float(np.mean((cols["pd_"] - y_) ** 2))


def calibration_table(y, pd_, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed bad rate in equal-frequency PD bins.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped and counted).
    pd_ : array-like of float in [0, 1]
    bins : int, default 10

    Returns
    -------
    DataFrame
        Indexed by ``bin`` (1 = lowest PDs), columns n, bads, pd_min,
        pd_max, mean_pd, bad_rate, abs_gap (``|mean_pd - bad_rate|``).
        ``attrs["immature"]`` holds the number of immature rows left out.

    Raises
    ------
    ConfigError
        As :func:`brier`, or if ``bins`` is not a positive whole number.

    Examples
    --------
    >>> t = calibration_table([1, 0, 0, 1, None], [0.9, 0.1, 0.2, 0.3, 0.5], bins=2)
    >>> t["n"].tolist(), t["bad_rate"].tolist(), t.attrs["immature"]
    ([2, 2], [0.0, 1.0], 1)
    """
    bins = positive_int("calibration_table", "bins", bins)
    y_, cols, immature = mature("calibration_table", y, pd_=pd_)
    p = cols["pd_"]
    table = bin_stats(equal_frequency(p, bins), y_, p)
    table["abs_gap"] = (table["mean_pd"] - table["bad_rate"]).abs()
    table.attrs["immature"] = immature
    return table


def ece(y, pd_, bins: int = 10) -> float:
    """Expected calibration error over equal-frequency PD bins.

    ``ECE = sum over bins of n_b / N * |mean PD_b - bad rate_b|``, with the
    bins of :func:`calibration_table`.

    Parameters and errors as :func:`calibration_table`.

    Examples
    --------
    One bin: every PD is 0.2 and half the rows are bad.

    >>> round(ece([1, 0, 1, 0], [0.2, 0.2, 0.2, 0.2]), 6)
    0.3
    """
    table = calibration_table(y, pd_, bins)
    return float((table["n"] * table["abs_gap"]).sum() / table["n"].sum())
