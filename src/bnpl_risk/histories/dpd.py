"""Days past due (DPD) of installments, the primitive shared by labels and features.

DPD of an installment at time ``t`` (DESIGN.md): 0 if it was paid in full
before ``t`` or is not yet due; otherwise whole days from ``due_date`` to
``t``. An installment counts as paid only when ``amount_paid`` covers
``amount_due`` (to the cent); a part payment leaves it unpaid.

Examples
--------
>>> import pandas as pd
>>> inst = pd.DataFrame({
...     "due_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
...     "amount_due": [100.0, 100.0, 100.0],
...     "paid_ts": pd.to_datetime(["2024-01-10", None, None]),
...     "amount_paid": [100.0, 0.0, 0.0],
... })
>>> dpd_at(inst, pd.Timestamp("2024-02-01")).tolist()
[0, 31, 0]
>>> dpd_at(inst, pd.Timestamp("2024-01-05")).tolist()
[4, 4, 0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DAY", "dpd_at", "paid_in_full", "settled_ts"]

DAY = np.timedelta64(1, "D")
_CENT = 0.005


def settled_ts(installments: pd.DataFrame) -> np.ndarray:
    """When each installment was paid in full (``NaT`` while it is not).

    Parameters
    ----------
    installments : DataFrame
        With ``paid_ts``, ``amount_paid`` and ``amount_due``.

    Returns
    -------
    ndarray of datetime64[ns]
    """
    paid = pd.to_datetime(installments["paid_ts"]).to_numpy("datetime64[ns]")
    full = paid_in_full(
        installments["amount_paid"].to_numpy(float), installments["amount_due"].to_numpy(float)
    )
    return np.where(full, paid, np.datetime64("NaT", "ns"))


def paid_in_full(amount_paid: np.ndarray, amount_due: np.ndarray) -> np.ndarray:
    """Whether each payment covers what was due, to the cent (a missing payment does not).

    Examples
    --------
    >>> paid_in_full(np.array([100.0, 99.996, 99.98, np.nan]), np.full(4, 100.0)).tolist()
    [True, True, False, False]
    """
    return amount_paid >= amount_due - _CENT


def dpd_at(installments: pd.DataFrame, t) -> np.ndarray:
    """Whole days past due of each installment at time ``t``.

    Parameters
    ----------
    installments : DataFrame
        With ``due_date``, ``paid_ts``, ``amount_paid``, ``amount_due``.
    t : Timestamp or array of datetime64
        One time for all rows, or one per row.

    Returns
    -------
    ndarray of int64
    """
    t = np.asarray(t, dtype="datetime64[ns]")
    due = pd.to_datetime(installments["due_date"]).to_numpy("datetime64[ns]")
    settled = settled_ts(installments)
    paid_before = ~np.isnat(settled) & (settled < t)
    days = (t - due) // DAY
    return np.where(paid_before | (days < 0), 0, days).astype(np.int64)
