"""Vintage curves: cumulative 30+ DPD rate by months on book, per origination month.

A loan is a BNPL order with installments (``installments.loan_id``); it
originates at the ``order_ts`` of that order (``orders.order_id``). Months
on book follow the calendar: for loans originated in month m, months on
book k is the close of month m + k (the first instant of month m + k + 1).
A loan has *reached* ``dpd_threshold`` DPD by then if any of its
installments was ``dpd_threshold`` or more days past due at some time
at or before that close (:func:`bnpl_risk.histories.dpd.dpd_at`; one cured later
still counts). A cell whose close is after the end of the data is NaN,
never 0: those loans are immature at that age.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.evaluation._inputs import positive_int, require_columns
from bnpl_risk.evaluation._months import last_closed_month, month_of, month_start
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import DAY, dpd_at

__all__ = ["vintage_curves"]

_INSTALLMENT_COLUMNS = ("loan_id", "due_date", "amount_due", "paid_ts", "amount_paid")


def vintage_curves(
    histories: Histories,
    *,
    dpd_threshold: int = 30,
    max_months: int | None = None,
    data_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Share of each month's loans that reached ``dpd_threshold`` DPD by k months on book.

    Parameters
    ----------
    histories : Histories
        Valid tables (see ``validate_histories``); reads ``orders``
        (order_id, order_ts) and ``installments``.
    dpd_threshold : int, default 30
    max_months : int, optional
        Columns 1 .. ``max_months`` (NaN where the data does not reach);
        by default as many as the oldest origination month allows.
    data_end : Timestamp, optional
        Where the data ends; defaults to ``histories.data_end``.

    Returns
    -------
    DataFrame
        Index ``origination_month`` (monthly Period), columns
        ``months_on_book`` 1 .. K, values in [0, 1], non-decreasing along a
        row, NaN beyond the data. ``attrs["loans"]`` maps each origination
        month (as text, e.g. ``"2024-01"``) to its number of loans.

    Raises
    ------
    ConfigError
        If ``dpd_threshold`` or ``max_months`` is not a positive whole number.
    HistoryError
        If a column is missing, order ids repeat, or a loan has no order
        (or no ``order_ts``) to date it.

    Examples
    --------
    Two January loans: l1 is never late, l2's single installment, due
    2024-02-10 and never paid, is 30 DPD on 2024-03-11, i.e. by the close of
    March (months on book 2). The data ends on 2024-05-15, so April (3) is the
    last closed month.

    >>> import pandas as pd
    >>> from bnpl_risk.histories import Histories
    >>> orders = pd.DataFrame({"order_id": ["l1", "l2"],
    ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-01-20"])})
    >>> inst = pd.DataFrame({"loan_id": ["l1", "l2"], "customer_id": ["c1", "c2"],
    ...     "installment_no": 1, "due_date": pd.to_datetime(["2024-02-05", "2024-02-10"]),
    ...     "amount_due": 100.0, "paid_ts": pd.to_datetime(["2024-02-01", None]),
    ...     "amount_paid": [100.0, 0.0]})
    >>> h = Histories(pd.DataFrame({"customer_id": ["c1", "c2"]}), orders, inst)
    >>> vintage_curves(h, data_end=pd.Timestamp("2024-05-15"))
    months_on_book        1    2    3
    origination_month
    2024-01             0.0  0.5  0.5
    >>> vintage_curves(h, max_months=4, data_end=pd.Timestamp("2024-05-15"))[4].tolist()
    [nan]
    """
    who = "vintage_curves"
    threshold = positive_int(who, "dpd_threshold", dpd_threshold)
    if max_months is not None:
        max_months = positive_int(who, "max_months", max_months)
    inst, orders = histories.installments, histories.orders
    require_columns(who, inst, "installments", _INSTALLMENT_COLUMNS)
    require_columns(who, orders, "orders", ("order_id", "order_ts"))
    end = histories.data_end if data_end is None else pd.Timestamp(data_end)

    loan, loan_ids = pd.factorize(inst["loan_id"])
    origin = month_of(_order_ts(orders, loan_ids))

    # An installment reaches the threshold, if ever, the instant it is
    # ``threshold`` days overdue; asking dpd_at at that instant keeps the DPD
    # rule (paid in full strictly before t) in one place.
    reach = pd.to_datetime(inst["due_date"]).to_numpy("datetime64[ns]") + threshold * DAY
    reached = dpd_at(inst, reach) >= threshold
    first_bad = np.full(len(loan_ids), np.iinfo(np.int64).max)
    # The close of month M is the first instant of M + 1, inclusive: a loan
    # reaching the threshold exactly then counts in M, as roll_rates sees it.
    closed_in = month_of(reach[reached] - np.timedelta64(1, "ns"))
    np.minimum.at(first_bad, loan[reached], closed_in)

    last = last_closed_month(end) if pd.notna(end) else np.iinfo(np.int32).min
    months = max_months or max(int(last - origin.min()) if len(origin) else 0, 0)
    cohorts, cohort = np.unique(origin, return_inverse=True)
    # Months on book at which each loan first counts as bad, capped at
    # months + 1 for "not within the table" (including never).
    never = first_bad == np.iinfo(np.int64).max
    age = np.where(never, months + 1, np.clip(first_bad - origin, 0, months + 1))
    hits = np.bincount(cohort * (months + 2) + age, minlength=len(cohorts) * (months + 2))
    counts = np.bincount(cohort, minlength=len(cohorts))
    share = np.cumsum(hits.reshape(len(cohorts), months + 2), axis=1)[:, 1 : months + 1]
    share = share / counts[:, None]
    k = np.arange(1, months + 1)
    share[cohorts[:, None] + k[None, :] > last] = np.nan

    index = pd.DatetimeIndex(month_start(cohorts)).to_period("M")
    table = pd.DataFrame(
        share,
        index=index.rename("origination_month"),
        columns=pd.Index(k, name="months_on_book"),
    )
    table.attrs["loans"] = {str(p): int(n) for p, n in zip(index, counts, strict=True)}
    return table


def _order_ts(orders: pd.DataFrame, loan_ids: pd.Index) -> np.ndarray:
    """order_ts of each loan's order, or a HistoryError naming the loans without one."""
    ids = orders["order_id"]
    if ids.duplicated().any():
        raise HistoryError(
            f"vintage_curves: orders.order_id must be unique; repeated: "
            f"{format_keys(ids[ids.duplicated()])}. Run validate_histories first."
        )
    order_ts = pd.Series(
        pd.to_datetime(orders["order_ts"]).to_numpy("datetime64[ns]"), index=ids.to_numpy()
    )
    ts = order_ts.reindex(loan_ids).to_numpy("datetime64[ns]")
    undated = np.isnat(ts)
    if undated.any():
        raise HistoryError(
            f"vintage_curves: {int(undated.sum())} loans have no order with an order_ts to "
            f"date their origination (installments.loan_id {format_keys(loan_ids[undated])}); "
            "expected every loan_id to be an order_id of orders. Run validate_histories "
            "with on_error='reject' to drop them with a reason."
        )
    return ts
