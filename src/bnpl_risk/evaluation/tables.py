"""Tables a credit committee reads: gains by PD decile and the grade table.

Immature rows (missing label) are dropped and counted in
``attrs["immature"]``, never counted as good.

Examples
--------
>>> y = [1, 0, 1, 0, 0, 0, None]
>>> pd_ = [0.30, 0.20, 0.12, 0.05, 0.02, 0.01, 0.5]
>>> grade = ["E", "E", "D", "C", "B", "A", "E"]
>>> gains_table(y, pd_, bins=3)[["n", "bads", "cum_bads_share", "lift"]]
        n  bads  cum_bads_share  lift
decile
1       2     1             0.5   1.5
2       2     1             1.0   1.5
3       2     0             1.0   0.0
>>> t = grade_table(y, pd_, grade)
>>> t[["count", "bad_rate"]]
       count  bad_rate
grade
A          1       0.0
B          1       0.0
C          1       0.0
D          1       1.0
E          2       0.5
Total      6  0.333333
>>> t.attrs["monotone"], t.attrs["immature"]
(False, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.evaluation._bins import bin_stats, equal_frequency
from bnpl_risk.evaluation._inputs import mature, positive_int
from bnpl_risk.grading import GradeScale

__all__ = ["gains_table", "grade_table"]


def gains_table(y, pd_, bins: int = 10) -> pd.DataFrame:
    """Gains and lift by PD decile, riskiest first.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped and counted).
    pd_ : array-like of float in [0, 1]
    bins : int, default 10
        Number of equal-frequency bins (deciles by default); rows with the
        same PD share a bin.

    Returns
    -------
    DataFrame
        Indexed by ``decile`` (1 = highest PDs), columns n, bads, pd_min,
        pd_max, bad_rate, cum_n_share (share of rows in this and riskier
        deciles), cum_bads_share (share of all bads captured so far), lift
        (bad_rate over the overall bad rate) and cum_lift.
        ``attrs["immature"]`` holds the number of immature rows left out.

    Raises
    ------
    ConfigError
        On a length mismatch, a label other than 1/0/missing, a PD outside
        [0, 1] on a mature row, no bad or no good mature row, or ``bins``
        not a positive whole number.

    Examples
    --------
    >>> t = gains_table([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1], bins=2)
    >>> t["cum_bads_share"].tolist(), t["lift"].tolist()
    ([1.0, 1.0], [2.0, 0.0])
    """
    bins = positive_int("gains_table", "bins", bins)
    y_, cols, immature = mature("gains_table", y, both_classes=True, pd_=pd_)
    p = cols["pd_"]
    table = bin_stats(equal_frequency(-p, bins), y_, p).rename_axis("decile")
    table = table[["n", "bads", "pd_min", "pd_max", "bad_rate"]]
    overall = y_.mean()
    table["cum_n_share"] = table["n"].cumsum() / len(y_)
    table["cum_bads_share"] = table["bads"].cumsum() / y_.sum()
    table["lift"] = table["bad_rate"] / overall
    table["cum_lift"] = table["bads"].cumsum() / table["n"].cumsum() / overall
    table.attrs["immature"] = immature
    return table


def grade_table(y, pd_, grade, grades=None) -> pd.DataFrame:
    """Count, share, mean PD and observed bad rate per grade, best grade first.

    Parameters
    ----------
    y : array-like of {1, 0, missing}
        1 bad, 0 good, missing immature (dropped and counted).
    pd_ : array-like of float in [0, 1]
    grade : array-like of str
        Grade of each row.
    grades : sequence of str, optional
        All grade names, best first; defaults to ``GradeScale().grades``.

    Returns
    -------
    DataFrame
        One row per grade in ``grades`` order (empty grades included, with
        NaN rates) and a ``Total`` row; columns count, share, bads, mean_pd,
        bad_rate and reversal (the grade's bad rate is below that of the
        previous non-empty grade). ``attrs["monotone"]`` is True when no
        grade has a reversal, i.e. bad rates never fall from the best grade
        to the worst; ``attrs["immature"]`` holds the immature rows left out.

    Raises
    ------
    ConfigError
        As :func:`gains_table` (one class is enough), if ``grades`` is not a
        list of distinct names, or if a mature row's grade is not one of
        them.

    Examples
    --------
    >>> t = grade_table([0, 0, 1, 1], [0.01, 0.02, 0.1, 0.3], ["A", "A", "C", "E"])
    >>> t["count"].tolist(), t.attrs["monotone"]
    ([2, 0, 1, 0, 1, 4], True)
    """
    names = GradeScale().grades if grades is None else grades
    if (
        isinstance(names, str)
        or len(names) == 0
        or len(set(names)) != len(names)
        or not all(isinstance(g, str) for g in names)
    ):
        raise ConfigError(
            f"grade_table: grades must be distinct grade names, best first; found {grades!r}. "
            "Pass e.g. GradeScale().grades."
        )
    y_, cols, immature = mature("grade_table", y, pd_=pd_, grade=grade)
    codes = pd.Series(cols["grade"]).map({g: i for i, g in enumerate(names)})
    unknown = codes.isna().to_numpy()
    if unknown.any():
        raise ConfigError(
            f"grade_table: {int(unknown.sum())} mature rows have a grade not in grades "
            f"(found {format_keys(cols['grade'][unknown])}); expected one of {list(names)}. "
            "Grade every row with the same GradeScale, or pass its grades."
        )
    k = len(names)
    code = codes.to_numpy(dtype=np.int64)
    count = np.bincount(code, minlength=k)
    bads = np.bincount(code, weights=y_, minlength=k).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pd = np.bincount(code, weights=cols["pd_"], minlength=k) / count
        bad_rate = bads / count
    seen = np.flatnonzero(count > 0)
    reversal = np.zeros(k, dtype=bool)
    reversal[seen[1:]] = bad_rate[seen[1:]] < bad_rate[seen[:-1]]

    table = pd.DataFrame(
        {
            "count": np.append(count, count.sum()),
            "share": np.append(count, count.sum()) / count.sum(),
            "bads": np.append(bads, bads.sum()),
            "mean_pd": np.append(mean_pd, cols["pd_"].mean()),
            "bad_rate": np.append(bad_rate, y_.mean()),
            "reversal": pd.array([*reversal, None], dtype="boolean"),
        },
        index=pd.Index([*names, "Total"], name="grade"),
    )
    table.attrs["monotone"] = not reversal.any()
    table.attrs["immature"] = immature
    return table
