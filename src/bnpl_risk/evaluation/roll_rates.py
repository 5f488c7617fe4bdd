"""Roll rates: how accounts move between DPD buckets from one month end to the next.

An account is a customer. At a month end ``t`` its DPD is the largest
:func:`~bnpl_risk.histories.dpd.dpd_at` of its installments at ``t``, and it
counts only once it has an installment due at or before ``t``. Month ends
are closes: the first instant of the next month, so a payment made on the
last day of the month counts. Each pair of consecutive month ends on or
before the end of the data contributes one transition per account.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.evaluation._inputs import require_columns
from bnpl_risk.evaluation._months import last_closed_month, month_of, month_start
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import dpd_at

__all__ = ["BUCKETS", "roll_rates"]

BUCKETS = ("current", "1-29", "30-59", "60-89", "90+")
_LOWER = np.array([1, 30, 60, 90])  # smallest DPD of every bucket but "current"
_DPD_COLUMNS = ("due_date", "amount_due", "paid_ts", "amount_paid")  # what dpd_at reads
_COLUMNS = ("customer_id", *_DPD_COLUMNS)


def roll_rates(
    histories: Histories,
    *,
    month_ends=None,
    data_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Share of accounts in DPD bucket i at one month end found in bucket j at the next.

    Parameters
    ----------
    histories : Histories
        Valid tables (see ``validate_histories``); reads ``installments``.
    month_ends : array-like of datetime, optional
        Increasing observation times, all at or before the end of the data.
        By default the close of every month from the month of the first due
        date to the last month closed by the data.
    data_end : Timestamp, optional
        Where the data ends; defaults to ``histories.data_end``.

    Returns
    -------
    DataFrame
        Index ``from`` and columns ``to``, both :data:`BUCKETS` (current,
        1-29, 30-59, 60-89, 90+). Each row sums to 1, or is NaN when no
        account was in that bucket. ``attrs["accounts"]`` maps each
        ``from`` bucket to its number of account-months; ``attrs["pairs"]``
        is the number of month-end pairs used.

    Raises
    ------
    ConfigError
        If ``month_ends`` are not increasing datetimes, fewer than two, or
        after the end of the data.
    HistoryError
        If a column is missing or there are no installments.

    Examples
    --------
    c1 pays on time; c2 never pays an installment due 2024-01-10: at the close
    of January it is 22 DPD (1-29), at the close of February 51 DPD (30-59).

    >>> import pandas as pd
    >>> from bnpl_risk.histories import Histories
    >>> inst = pd.DataFrame({"loan_id": ["l1", "l2"], "customer_id": ["c1", "c2"],
    ...     "installment_no": 1, "due_date": pd.to_datetime(["2024-01-05", "2024-01-10"]),
    ...     "amount_due": 100.0, "paid_ts": pd.to_datetime(["2024-01-04", None]),
    ...     "amount_paid": [100.0, 0.0]})
    >>> h = Histories(pd.DataFrame({"customer_id": ["c1", "c2"]}), pd.DataFrame(), inst)
    >>> rr = roll_rates(h, data_end=pd.Timestamp("2024-03-15"))
    >>> rr.loc[["current", "1-29"], ["current", "1-29", "30-59"]]
    to       current  1-29  30-59
    from
    current      1.0   0.0    0.0
    1-29         0.0   0.0    1.0
    >>> rr.attrs["accounts"]["30-59"]
    0
    """
    who = "roll_rates"
    inst = histories.installments
    require_columns(who, inst, "installments", _COLUMNS)
    if len(inst) == 0:
        raise HistoryError(
            "roll_rates: installments is empty; expected at least one installment. "
            "Roll rates follow accounts with repayment histories."
        )
    end = histories.data_end if data_end is None else pd.Timestamp(data_end)
    due = pd.to_datetime(inst["due_date"]).to_numpy("datetime64[ns]")
    times = _month_ends(month_ends, due, end)

    # Installments sorted by customer, so that per-customer maxima are one
    # reduceat over contiguous runs.
    customer = pd.factorize(inst["customer_id"])[0]
    order = np.argsort(customer, kind="stable")
    frame = inst.loc[:, list(_DPD_COLUMNS)].iloc[order]
    starts = np.flatnonzero(np.r_[True, np.diff(customer[order]) != 0])
    first_due = np.minimum.reduceat(due[order], starts)

    n = len(BUCKETS)
    counts = np.zeros(n * n, dtype=np.int64)
    before = None
    for i, t in enumerate(times):
        worst = np.maximum.reduceat(dpd_at(frame, t), starts)
        bucket = np.searchsorted(_LOWER, worst, side="right")
        if i:
            # Accounts open at the earlier month end (an installment due by then).
            held = first_due <= times[i - 1]
            counts += np.bincount(before[held] * n + bucket[held], minlength=n * n)
        before = bucket

    matrix = counts.reshape(n, n).astype(float)
    accounts = matrix.sum(axis=1)
    with np.errstate(invalid="ignore"):
        shares = matrix / accounts[:, None]
    table = pd.DataFrame(
        shares, index=pd.Index(BUCKETS, name="from"), columns=pd.Index(BUCKETS, name="to")
    )
    table.attrs["accounts"] = dict(zip(BUCKETS, accounts.astype(int).tolist(), strict=True))
    table.attrs["pairs"] = len(times) - 1
    return table


def _month_ends(month_ends, due: np.ndarray, end: pd.Timestamp) -> np.ndarray:
    """The observation times, checked, as datetime64[ns]."""
    if month_ends is None:
        first = month_of([due.min()])[0] + 1
        last = last_closed_month(end) + 1 if pd.notna(end) else -1
        times = month_start(np.arange(first, last + 1))
    else:
        try:
            times = pd.to_datetime(
                np.atleast_1d(np.asarray(month_ends)), format="ISO8601"
            ).to_numpy("datetime64[ns]")
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"roll_rates: month_ends must be datetimes; {exc}.") from None
        if np.isnat(times).any() or (np.diff(times) <= np.timedelta64(0)).any():
            raise ConfigError(
                "roll_rates: month_ends must be strictly increasing and non-missing; "
                f"found {list(times.astype('datetime64[D]').astype(str))}."
            )
        if pd.notna(end) and (times > np.datetime64(end)).any():
            raise ConfigError(
                f"roll_rates: month_ends must be at or before the end of the data ({end}); "
                f"found {times.max()}. A later state is not yet observed; drop those times."
            )
    if len(times) < 2:
        raise ConfigError(
            f"roll_rates: needs at least two month ends; found {len(times)} "
            f"(data ends {end}). Pass month_ends or use a longer history."
        )
    return times
