"""Bins fixed on a reference sample, applied to any later sample.

Numeric values: the deciles (quantiles) of the non-missing reference are the
inner edges, repeated edges merged, with -inf and +inf outside; a bin is
right-closed, ``(lower, upper]``. Anything else (text, category, bool): one
bin per value seen in the reference, sorted as text, then ``other`` for
values the reference never had. Both kinds end with a ``missing`` bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types

from bnpl_risk.errors import ConfigError

OTHER, MISSING = "other", "missing"


@dataclass(frozen=True)
class Binning:
    """Numeric inner ``edges`` or the reference's ``categories``."""

    numeric: bool
    edges: np.ndarray
    categories: tuple

    def labels(self) -> list[str]:
        """Readable name of every bin, in code order."""
        if not self.numeric:
            return [str(c) for c in self.categories] + [OTHER, MISSING]
        bounds = [-np.inf, *self.edges.tolist(), np.inf]
        intervals = [
            f"({lo:.6g}, {hi:.6g}]" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        intervals[-1] = intervals[-1][:-1] + ")"
        return [*intervals, MISSING]

    def codes(self, who: str, values: pd.Series) -> np.ndarray:
        """Bin number of each value."""
        missing = values.isna().to_numpy(bool)
        if not self.numeric:
            index = {c: i for i, c in enumerate(self.categories)}
            found = values.astype(object).map(index).to_numpy(dtype=float, na_value=np.nan)
            code = np.where(np.isnan(found), len(self.categories), found).astype(np.int64)
            return np.where(missing, len(self.categories) + 1, code)
        if not (_is_numeric(values) or missing.all()):
            raise ConfigError(
                f"{who}: the reference is numeric but the current sample is {values.dtype}; "
                "pass the same feature in both, converted to numbers the same way."
            )
        x = values.to_numpy(dtype=float, na_value=np.nan)
        code = np.searchsorted(self.edges, x, side="left")
        return np.where(missing, len(self.edges) + 1, code)


def fit_binning(who: str, reference: pd.Series, bins: int) -> Binning:
    """Bins of the reference sample (see the module docstring)."""
    if types.is_datetime64_any_dtype(reference) or types.is_timedelta64_dtype(reference):
        raise ConfigError(
            f"{who}: cannot bin {reference.dtype} values; expected numbers or categories. "
            "Convert times to numbers first (e.g. days since an event)."
        )
    present = reference.dropna()
    if _is_numeric(reference):
        # Edge j is the smallest reference value with at least j/bins of the
        # sample at or below it (the inverted-CDF quantile), found with
        # integer ranks so that no rounding of j/bins moves an edge.
        x = np.sort(present.to_numpy(dtype=float))
        j = np.arange(1, bins)
        inner = x[(len(x) * j + bins - 1) // bins - 1] if len(x) else np.empty(0)
        return Binning(True, np.unique(inner), ())
    return Binning(False, np.empty(0), tuple(sorted(pd.unique(present.astype(object)), key=str)))


def _is_numeric(values: pd.Series) -> bool:
    return types.is_numeric_dtype(values) and not types.is_bool_dtype(values)
