"""Time inside the generator: whole seconds since the start of the book.

Integer seconds keep every comparison exact (a payment is before or after
``as_of``, never "almost"); they become ``datetime64[ns]`` only in the output.
"""

from __future__ import annotations

import numpy as np

DAY_S = 86_400
# "Never happens": later than any event, far from int64 overflow.
NEVER = np.int64(2**62)


def day_floor(seconds: np.ndarray) -> np.ndarray:
    """Midnight of the day of each time."""
    return seconds - seconds % DAY_S


def to_datetime(start: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` of each time; ``NEVER`` becomes ``NaT``."""
    never = seconds >= NEVER
    out = np.datetime64(start, "ns") + np.where(never, 0, seconds).astype("timedelta64[s]")
    out = out.astype("datetime64[ns]")
    out[never] = np.datetime64("NaT")
    return out
