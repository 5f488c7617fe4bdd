"""Population stability (PSI) of the score and characteristic stability (CSI) of features.

``PSI = sum over bins of (a_i - e_i) * ln(a_i / e_i)``, with ``e_i`` the
share of the reference sample and ``a_i`` the share of the current sample
in bin i. The bins are fixed on the reference:

- numeric values: the reference deciles (``bins`` equal-frequency quantiles,
  each edge a reference value) are the inner edges, repeated edges merged,
  -inf and +inf outside; bins are right-closed ``(lower, upper]``;
- text, category or bool values: one bin per value seen in the reference,
  then ``other`` for values it never had;
- missing values always have their own ``missing`` bin, in both kinds, so
  a rise in missing values shows up.

A share of 0 (an empty bin) is floored at :data:`FLOOR` (1e-4) in both
samples before the log, so the sum stays finite; a bin empty in both
contributes 0. Identical samples give exactly 0. CSI is the PSI of one
feature. Reading: below 0.10 *stable*, 0.10 to 0.25 *watch*, above 0.25
*act* (:func:`stability_status`).

Examples
--------
>>> import numpy as np
>>> ref = np.arange(100.0)
>>> psi(ref, ref)
0.0
>>> round(psi(ref, ref + 30), 3), stability_status(psi(ref, ref + 30))
(2.486, 'act')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.evaluation._inputs import positive_int
from bnpl_risk.monitoring._bins import fit_binning

__all__ = ["FLOOR", "THRESHOLDS", "csi", "psi", "psi_table", "stability_status"]

FLOOR = 1e-4
THRESHOLDS = (0.10, 0.25)


def psi_table(reference, current, bins: int = 10, *, who: str = "psi_table") -> pd.DataFrame:
    """Per-bin counts, shares and PSI contributions, bins fixed on ``reference``.

    Parameters
    ----------
    reference, current : array-like, 1-D
        Values of one variable (a score or a feature) in the reference and
        the current sample; numeric, text, category or bool, missing allowed.
    bins : int, default 10
        Quantile bins of a numeric reference (deciles by default).

    Returns
    -------
    DataFrame
        One row per bin (numeric intervals or reference categories, then
        ``other`` for categories and ``missing``): columns bin,
        reference_n, current_n, reference_share, current_share and psi (the
        bin's contribution, after the :data:`FLOOR`). ``attrs["kind"]`` is
        ``"numeric"`` or ``"categorical"``.

    Raises
    ------
    ConfigError
        If either sample is empty or not one-dimensional, ``bins`` is not a
        positive whole number, values are datetimes, or the reference is
        numeric and the current sample is not.

    Examples
    --------
    >>> t = psi_table(["a", "a", "b", None], ["a", "b", "b", "c"])
    >>> t[["bin", "reference_n", "current_n"]]
           bin  reference_n  current_n
    0        a            2          1
    1        b            1          2
    2    other            0          1
    3  missing            1          0
    """
    ref, cur = _series(who, "reference", reference), _series(who, "current", current)
    binning = fit_binning(who, ref, positive_int(who, "bins", bins))
    labels = binning.labels()
    ref_n = np.bincount(binning.codes(who, ref), minlength=len(labels))
    cur_n = np.bincount(binning.codes(who, cur), minlength=len(labels))
    expected, actual = ref_n / len(ref), cur_n / len(cur)
    e, a = np.maximum(expected, FLOOR), np.maximum(actual, FLOOR)
    table = pd.DataFrame(
        {
            "bin": labels,
            "reference_n": ref_n,
            "current_n": cur_n,
            "reference_share": expected,
            "current_share": actual,
            "psi": (a - e) * np.log(a / e),
        }
    )
    table.attrs["kind"] = "numeric" if binning.numeric else "categorical"
    return table


def psi(reference, current, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``.

    Parameters, bins and errors as :func:`psi_table`.

    Returns
    -------
    float
        Sum of the per-bin contributions; 0 for identical samples.

    Examples
    --------
    Half the current sample falls in the reference's top decile, where a
    tenth belongs, and four deciles are empty (floored at 1e-4):
    ``0.4 ln 5 + 4 * 0.0999 * ln 1000`` = 3.404.

    >>> ref = list(range(10))
    >>> cur = [0, 1, 2, 3, 4, 9, 9, 9, 9, 9]
    >>> round(psi(ref, cur), 3)
    3.404
    """
    return float(psi_table(reference, current, bins, who="psi")["psi"].sum())


def stability_status(value: float, thresholds: tuple[float, float] = THRESHOLDS) -> str:
    """Read a PSI or CSI: ``"stable"``, ``"watch"`` or ``"act"``.

    Parameters
    ----------
    value : float
    thresholds : (float, float), default (0.10, 0.25)
        Below the first: stable; up to and including the second: watch;
        above it: act.

    Raises
    ------
    ConfigError
        If ``value`` is not a non-negative number or the thresholds are
        not two increasing non-negative numbers.

    Examples
    --------
    >>> [stability_status(v) for v in (0.0, 0.1, 0.25, 0.26)]
    ['stable', 'watch', 'watch', 'act']
    """
    watch, act = _thresholds(thresholds)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.number))
        or not (value >= 0)
    ):
        raise ConfigError(f"stability_status: value must be a PSI, a number >= 0; found {value!r}.")
    if value < watch:
        return "stable"
    return "watch" if value <= act else "act"


def csi(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    bins: int = 10,
    *,
    features=None,
    thresholds: tuple[float, float] = THRESHOLDS,
) -> pd.DataFrame:
    """Characteristic stability index (PSI) of every feature, with its status.

    Parameters
    ----------
    reference, current : DataFrame
        Feature matrices of the reference and the current sample.
    bins : int, default 10
        As :func:`psi_table`.
    features : list of str, optional
        Columns to compare; defaults to every column of ``reference``.
    thresholds : (float, float), default (0.10, 0.25)
        As :func:`stability_status`.

    Returns
    -------
    DataFrame
        One row per feature, in ``features`` order: feature, kind
        (``numeric`` or ``categorical``), psi and status.

    Raises
    ------
    ConfigError
        If a feature is missing from either frame, or as :func:`psi_table`
        (the message names the feature).

    Examples
    --------
    >>> ref = pd.DataFrame({"spend": [10.0, 20, 30, 40], "channel": ["mall"] * 4})
    >>> cur = pd.DataFrame({"spend": [10.0, 20, 30, 40], "channel": ["live_stream"] * 4})
    >>> csi(ref, cur)[["feature", "status"]]
       feature status
    0    spend stable
    1  channel    act
    """
    _thresholds(thresholds)
    names = list(reference.columns) if features is None else list(features)
    absent = {
        side: [f for f in names if f not in frame.columns]
        for side, frame in (("reference", reference), ("current", current))
    }
    for side, missing in absent.items():
        if missing:
            raise ConfigError(
                f"csi: the {side} frame lacks feature(s) {format_keys(missing)}; expected "
                f"every feature in both frames. Build both with the same feature list."
            )
    rows = []
    for name in names:
        table = psi_table(reference[name], current[name], bins, who=f"csi (feature {name!r})")
        value = float(table["psi"].sum())
        rows.append(
            {
                "feature": name,
                "kind": table.attrs["kind"],
                "psi": value,
                "status": stability_status(value, thresholds),
            }
        )
    return pd.DataFrame(rows, columns=["feature", "kind", "psi", "status"])


def _series(who: str, name: str, values) -> pd.Series:
    if np.ndim(values) != 1:
        raise ConfigError(
            f"{who}: {name} must be one-dimensional; found shape {np.shape(values)}. "
            "Compare one variable at a time, or a whole frame with csi."
        )
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if len(series) == 0:
        raise ConfigError(f"{who}: the {name} sample is empty; expected at least one value.")
    return series


def _thresholds(thresholds) -> tuple[float, float]:
    try:
        watch, act = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        watch = act = np.nan
    if not (0 <= watch < act):
        raise ConfigError(
            f"stability thresholds must be two increasing numbers >= 0 (watch, act); "
            f"found {thresholds!r}. The default is {THRESHOLDS}."
        )
    return watch, act
