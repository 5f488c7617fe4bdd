"""Equal-frequency bins on the rank of a value, shared by calibration and gains tables."""

from __future__ import annotations

import numpy as np
import pandas as pd


def equal_frequency(values: np.ndarray, bins: int) -> np.ndarray:
    """1-based bin of each value, lowest values in bin 1.

    A row's bin is ``floor(bins * k / n)`` where ``k`` counts the rows with a
    strictly smaller value, so without ties every bin holds ``n / bins``
    rows (give or take one), and rows with the same value always share a bin:
    the result depends on neither row order nor labels. Ties can leave some
    bins empty; the non-empty ones are numbered 1, 2, ... without gaps.
    """
    below = np.searchsorted(np.sort(values), values, side="left")
    code = below * bins // len(values)
    return np.unique(code, return_inverse=True)[1] + 1


def bin_stats(bin_: np.ndarray, y: np.ndarray, pd_: np.ndarray) -> pd.DataFrame:
    """Per bin: n, bads, pd_min, pd_max, mean_pd, bad_rate (index: bin)."""
    frame = pd.DataFrame({"bin": bin_, "y": y, "pd": pd_})
    table = frame.groupby("bin", sort=True).agg(
        n=("y", "size"),
        bads=("y", "sum"),
        pd_min=("pd", "min"),
        pd_max=("pd", "max"),
        mean_pd=("pd", "mean"),
    )
    table["bad_rate"] = table["bads"] / table["n"]
    return table
