"""Input checks shared by the metrics: labels, PDs, scores and maturity.

Every metric takes labels ``y`` (1 bad, 0 good, missing = immature) and one
or more arrays of the same length. Immature rows are dropped and counted,
never counted as good; what remains is checked so that a bad value raises
a :class:`ConfigError` naming the function, the argument, the rows, what
was expected and the fix, instead of failing deep inside numpy or sklearn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, HistoryError, format_keys


def positive_int(who: str, name: str, value) -> int:
    """``value`` as a positive int, or a ConfigError naming ``who`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(
            f"{who}: {name} must be a positive whole number; found {value!r}. Pass e.g. {name}=10."
        )
    return int(value)


def mature(
    who: str, y, *, both_classes: bool = False, **arrays
) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Labels and arrays of the mature rows, and the number of immature rows.

    ``arrays`` are checked by name: ``pd_`` must be a number in [0, 1],
    ``score`` a finite number; any other name is passed through as objects
    (e.g. ``grade``). With ``both_classes``, at least one bad and one good
    mature row are required.
    """
    if np.ndim(y) != 1:
        raise ConfigError(f"{who}: y must be one-dimensional; found shape {np.shape(y)}.")
    labels = y if isinstance(y, pd.Series) else pd.Series(y)
    for name, values in arrays.items():
        if np.ndim(values) != 1 or len(values) != len(labels):
            raise ConfigError(
                f"{who}: y has {len(labels)} rows but {name} has shape {np.shape(values)}; "
                f"pass one {name} per label, in the same order."
            )
        if isinstance(values, pd.Series) and not values.index.equals(labels.index):
            raise ConfigError(
                f"{who}: y and {name} are Series with different indexes; rows are matched "
                f"by position, so align them first (e.g. {name}.reindex(y.index))."
            )

    missing = labels.isna().to_numpy(bool)
    keep = ~missing
    raw = labels.to_numpy(dtype=object)[keep]
    valid = (raw == 0) | (raw == 1)
    if not valid.all():
        raise ConfigError(
            f"{who}: y must be 1 (bad), 0 (good) or missing (immature); "
            f"{int((~valid).sum())} rows are not (rows {_rows(labels, keep, ~valid)}; "
            f"found {format_keys(raw[~valid])}). Use the labels make_labels returns."
        )
    y_mature = raw.astype(np.int64)
    if len(y_mature) == 0:
        raise ConfigError(
            f"{who}: no mature rows ({int(missing.sum())} immature); "
            "evaluate on applications whose outcome window has closed."
        )
    if both_classes and (y_mature.min() == y_mature.max()):
        raise ConfigError(
            f"{who}: needs both bad (1) and good (0) mature rows; found "
            f"{int((y_mature == 0).sum())} good and {int(y_mature.sum())} bad "
            f"({int(missing.sum())} immature left out). The metric is undefined on one "
            "class; evaluate on a sample with both outcomes."
        )
    out = {name: _values(who, name, values, labels, keep) for name, values in arrays.items()}
    return y_mature, out, int(missing.sum())


def _values(who: str, name: str, values, labels: pd.Series, keep: np.ndarray) -> np.ndarray:
    if name not in ("pd_", "score"):
        return pd.Series(values).to_numpy(dtype=object)[keep]
    try:
        v = pd.Series(values).to_numpy(dtype=float, na_value=np.nan)[keep]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{who}: {name} must be numeric; found {exc}.") from None
    if name == "pd_":
        bad = ~((v >= 0) & (v <= 1))
        expected, fix = "a number in [0, 1]", "Pass calibrated, non-missing PDs."
    else:
        bad = ~np.isfinite(v)
        expected, fix = "a finite number", "Pass non-missing scores."
    if bad.any():
        raise ConfigError(
            f"{who}: {name} must be {expected} on every mature row; {int(bad.sum())} of "
            f"{v.size} are not (rows {_rows(labels, keep, bad)}; first {float(v[bad][0])!r}). {fix}"
        )
    return v


def _rows(labels: pd.Series, keep: np.ndarray, bad: np.ndarray) -> str:
    """Index labels of the mature rows flagged by ``bad``, as readable text."""
    return format_keys(labels.index[keep][bad])


def require_columns(who: str, frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    """HistoryError naming the missing columns of ``table``."""
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise HistoryError(
            f"{who}: {table} lacks column(s) {', '.join(absent)}; expected "
            f"{', '.join(columns)} (the data contract, SCHEMAS[{table!r}]). "
            "Load the tables with read_histories or check them with validate_histories."
        )
