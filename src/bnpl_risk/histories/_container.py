"""The :class:`Histories` container."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Observed events; due dates are a schedule, not an observation, so they
# never move the end of the data forward.
_EVENT_COLUMNS = {
    "customers": ("signup_ts",),
    "orders": ("order_ts", "refund_ts"),
    "installments": ("paid_ts",),
}


@dataclass(frozen=True)
class Histories:
    """The three history tables of the data contract (see ``SCHEMAS``).

    The container is frozen; the frames inside are the caller's and are
    never modified by the library.

    Examples
    --------
    >>> import pandas as pd
    >>> h = Histories(
    ...     customers=pd.DataFrame({"customer_id": ["c1"],
    ...                             "signup_ts": pd.to_datetime(["2024-01-01"])}),
    ...     orders=pd.DataFrame({"order_ts": pd.to_datetime(["2024-02-01"]),
    ...                          "refund_ts": pd.to_datetime([None])}),
    ...     installments=pd.DataFrame({"paid_ts": pd.to_datetime(["2024-03-05"])}),
    ... )
    >>> h.data_end
    Timestamp('2024-03-05 00:00:00')
    """

    customers: pd.DataFrame
    orders: pd.DataFrame
    installments: pd.DataFrame

    @property
    def data_end(self) -> pd.Timestamp:
        """Latest observed event time in the tables: where the data ends.

        Signup, order, refund and payment times count; due dates do not.
        """
        latest = [
            frame[col].max()
            for name, cols in _EVENT_COLUMNS.items()
            for col in cols
            if col in (frame := getattr(self, name)).columns and len(frame)
        ]
        latest = [t for t in latest if pd.notna(t)]
        if not latest:
            return pd.NaT
        return max(latest)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The three frames by table name."""
        return {
            "customers": self.customers,
            "orders": self.orders,
            "installments": self.installments,
        }
