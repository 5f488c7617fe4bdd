"""Labels: did an application go bad within its horizon?

An application is *bad* (1) if any installment of its customer is at least
``dpd_threshold`` days past due at some time in
``(as_of, as_of + horizon_days]`` — whichever loan it belongs to, including
loans originated after ``as_of`` and one already past due at ``as_of`` and
still unpaid. It is *immature* (``<NA>``) when the data ends
(:attr:`Histories.data_end`, or ``data_end`` if given) before the window
closes; otherwise good (0).

An installment is ``dpd_threshold``+ DPD from ``due_date + dpd_threshold``
days until it is paid in full (inclusive of the payment instant, since DPD
drops to 0 only for times after the payment).

Examples
--------
>>> import pandas as pd
>>> from bnpl_risk.histories import Histories
>>> inst = pd.DataFrame({"loan_id": ["o1", "o1"], "customer_id": ["c1", "c1"],
...     "installment_no": [1, 2],
...     "due_date": pd.to_datetime(["2024-02-01", "2024-03-01"]),
...     "amount_due": [100.0, 100.0],
...     "paid_ts": pd.to_datetime(["2024-02-01", None]), "amount_paid": [100.0, 0.0]})
>>> h = Histories(pd.DataFrame({"customer_id": ["c1"]}), pd.DataFrame(), inst)
>>> apps = pd.DataFrame({"application_id": ["a1", "a2"], "customer_id": ["c1", "c1"],
...     "as_of": pd.to_datetime(["2024-01-15", "2024-06-01"])})
>>> make_labels(h, apps, horizon_days=60, data_end=pd.Timestamp("2024-09-01")).tolist()
[0, 1]
>>> make_labels(h, apps, horizon_days=30, data_end=pd.Timestamp("2024-06-15")).tolist()
[0, <NA>]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import DAY, settled_ts

__all__ = ["make_labels"]

# Still unpaid: past due until the end of representable time.
_FOREVER = np.datetime64("2262-01-01", "ns")


def make_labels(
    histories: Histories,
    applications: pd.DataFrame,
    *,
    horizon_days: int = 180,
    dpd_threshold: int = 30,
    data_end: pd.Timestamp | None = None,
) -> pd.Series:
    """Label each application bad (1), good (0) or immature (``<NA>``).

    Parameters
    ----------
    histories : Histories
    applications : DataFrame
        With ``application_id``, ``customer_id``, ``as_of``.
    horizon_days : int, default 180
        Length of the outcome window after ``as_of``.
    dpd_threshold : int, default 30
        Days past due that make an installment bad.
    data_end : Timestamp, optional
        Where the data ends; defaults to ``histories.data_end``.

    Returns
    -------
    Series of Int64, indexed by application_id, named ``"bad"``.

    Raises
    ------
    ConfigError
        If ``horizon_days`` or ``dpd_threshold`` is not a positive integer.
    """
    for name, value in (("horizon_days", horizon_days), ("dpd_threshold", dpd_threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(
                f"make_labels: {name} must be a positive whole number of days; "
                f"found {value!r}. Pass e.g. {name}=30."
            )
    end = histories.data_end if data_end is None else pd.Timestamp(data_end)
    as_of = pd.to_datetime(applications["as_of"]).to_numpy("datetime64[ns]")
    horizon = np.timedelta64(int(horizon_days), "D")

    inst = histories.installments
    bad_from = pd.to_datetime(inst["due_date"]).to_numpy("datetime64[ns]") + dpd_threshold * DAY
    settled = settled_ts(inst)
    bad_until = np.where(np.isnat(settled), _FOREVER, settled)
    spells = pd.DataFrame(
        {
            "customer_id": inst["customer_id"].to_numpy(),
            "bad_from": bad_from,
            "bad_until": bad_until,
        }
    )
    spells = spells[spells["bad_from"] <= spells["bad_until"]]

    apps = pd.DataFrame(
        {
            "row": np.arange(len(applications)),
            "customer_id": applications["customer_id"].to_numpy(),
            "as_of": as_of,
        }
    )
    pairs = apps.merge(spells, on="customer_id", how="inner")
    hit = (pairs["bad_from"] <= pairs["as_of"] + horizon) & (pairs["bad_until"] > pairs["as_of"])
    bad = np.zeros(len(applications), dtype=bool)
    bad[pairs.loc[hit, "row"].to_numpy()] = True

    labels = pd.array(bad.astype(int), dtype="Int64")
    immature = (as_of + horizon) > np.datetime64(end) if pd.notna(end) else np.ones(len(bad), bool)
    labels[immature] = pd.NA
    return pd.Series(
        labels, index=pd.Index(applications["application_id"], name="application_id"), name="bad"
    )
