"""Calendar months as integers (months since 1970-01), for vintage and roll-rate clocks."""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_of(times) -> np.ndarray:
    """Month number of each timestamp (``NaT`` gives the minimum int64)."""
    return np.asarray(times, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def month_start(months) -> np.ndarray:
    """First instant of each month number, as datetime64[ns]."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]")


def last_closed_month(data_end: pd.Timestamp) -> int:
    """Latest month whose close (the start of the next month) is at or before ``data_end``."""
    return int(month_of([data_end])[0]) - 1
