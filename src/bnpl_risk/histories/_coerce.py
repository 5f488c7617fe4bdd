"""Turn a raw table into the contract's dtypes without hiding what does not parse.

The one place that knows how each column kind is read (``SCHEMAS``): ids and
categories become text, timestamps naive ``datetime64[ns]``, money
``float64``, whole numbers ``int64``. A value that does not parse becomes
missing in the coerced frame *and* is listed, with its raw text, in the
problems frame, so validation and the loaders can name it. Empty text counts
as missing (a CSV cannot tell the two apart). Unknown extra columns are
passed through untouched.

Timestamps are read as ISO 8601 text only (``2024-01-31 13:45:00``): other
layouts such as ``01/02/2024`` are ambiguous between day and month first, so
they are reported rather than guessed. Timezone-aware input is refused for
the whole column: the contract is naive UTC+8, and silently converting (or
dropping) an offset would shift every event by hours.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.histories.schema import SCHEMAS, Column

MISSING = "<missing>"
PROBLEM_COLUMNS = ["row", "column", "expected", "found"]

# datetime64[ns] covers these instants only; pandas >= 3 parses wider ones
# into coarser units, which would overflow when cast to ns.
_NS_MIN = np.datetime64(pd.Timestamp.min.ceil("s"), "ns")
_NS_MAX = np.datetime64(pd.Timestamp.max.floor("s"), "ns")

# The dtype ``astype(str)`` gives: ``str`` on pandas >= 3, object before.
_TEXT = pd.Series(["x"]).astype(str).dtype

EXPECTED = {
    "timestamp": "an ISO 8601 timestamp such as 2024-01-31 13:45:00, "
    f"between {pd.Timestamp(_NS_MIN).date()} and {pd.Timestamp(_NS_MAX).date()}",
    "money": "a number",
    "int": "a whole number",
}


class Coerced(NamedTuple):
    """A table in contract dtypes and the values that did not parse.

    Attributes
    ----------
    frame : DataFrame
        Same rows, index and columns as the input; contract columns converted,
        unparseable cells missing. An ``int`` column stays ``float64`` while
        it holds a missing value (see :func:`as_int64`).
    problems : DataFrame
        One row per unparseable cell: ``row`` (position in the table),
        ``column``, ``expected``, ``found`` (the raw value as text).
    """

    frame: pd.DataFrame
    problems: pd.DataFrame


def require_columns(frame, table: str, where: str | None = None) -> None:
    """Raise :class:`HistoryError` unless ``frame`` is a DataFrame with every contract column.

    A missing column is a table-level error: no row of the table can be kept.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"customer_id": ["c1"]}), "customers")
    Traceback (most recent call last):
    ...
    bnpl_risk.errors.HistoryError: customers is missing required columns signup_ts, ...
    """
    where = where or table
    schema = SCHEMAS[table]
    if not isinstance(frame, pd.DataFrame):
        raise HistoryError(
            f"{where} must be a pandas DataFrame; got {type(frame).__name__}. "
            f"Build one with the columns {', '.join(schema.names)}."
        )
    doubled = frame.columns[frame.columns.duplicated()]
    if len(doubled):
        raise HistoryError(
            f"{where} has duplicate column names {format_keys(doubled)}; "
            "each column must appear once. Rename or drop the copies."
        )
    missing = [c for c in schema.names if c not in frame.columns]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise HistoryError(
            f"{where} is missing required {noun} {', '.join(missing)}; "
            f"it has {format_keys(frame.columns, limit=12) or 'no columns'}. "
            f"Add them (see bnpl_risk.histories.SCHEMAS[{table!r}])."
        )


def coerce_table(frame: pd.DataFrame, table: str) -> Coerced:
    """Convert the contract columns of ``frame`` to their dtypes, listing unparseable values.

    Parameters
    ----------
    frame : DataFrame
        A raw table; it is not modified.
    table : {"customers", "orders", "installments", "applications"}

    Returns
    -------
    Coerced
        ``(frame, problems)``.

    Raises
    ------
    HistoryError
        If a required column is missing or a timestamp column is timezone-aware.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": [7, 8], "signup_ts": ["2024-01-05", "soon"],
    ...     "birth_year": ["1990", "1985"], "kyc_level": [2, 3], "city_tier": [1, 2]})
    >>> coerced, problems = coerce_table(raw, "customers")
    >>> coerced["customer_id"].tolist(), coerced["signup_ts"].tolist()
    (['7', '8'], [Timestamp('2024-01-05 00:00:00'), NaT])
    >>> problems[["row", "column", "found"]].to_dict("records")
    [{'row': 1, 'column': 'signup_ts', 'found': 'soon'}]
    """
    require_columns(frame, table)
    columns = {}
    problems = []
    for column in SCHEMAS[table].columns:
        raw = frame[column.name]
        values, bad = _CONVERTERS[column.kind](raw, table, column)
        columns[column.name] = values
        if bad.any():
            rows = np.flatnonzero(bad)
            problems.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "column": column.name,
                        "expected": EXPECTED[column.kind],
                        "found": _raw_text(raw.iloc[rows]),
                    }
                )
            )
    # A shallow copy whose contract columns are replaced: extras stay the
    # caller's objects, and assigning a column never writes into the input.
    out = frame.copy(deep=False)
    for name, values in columns.items():
        out[name] = values.set_axis(frame.index)
    found = pd.concat(problems, ignore_index=True) if problems else _no_problems()
    return Coerced(as_int64(out, table, strict=False), found)


def as_int64(frame: pd.DataFrame, table: str, *, strict: bool = True) -> pd.DataFrame:
    """Cast the ``int`` contract columns of ``frame`` to ``int64``.

    With ``strict=False`` a column holding a missing value is left as is.
    """
    casts = {
        c.name: "int64"
        for c in SCHEMAS[table].columns
        if c.kind == "int" and (strict or not frame[c.name].isna().any())
    }
    return frame.astype(casts) if casts else frame


def row_keys(frame: pd.DataFrame, table: str, rows) -> pd.Series:
    """Business keys of the given row positions of a coerced table, as text.

    A composite key is joined with ``/`` (``"o5/2"`` for loan o5, installment
    2); a missing part shows as ``<missing>``.
    """
    parts = [_key_text(frame[c].iloc[rows]) for c in SCHEMAS[table].key]
    key = parts[0]
    for part in parts[1:]:
        key = key + "/" + part
    return key.reset_index(drop=True)


def key_name(table: str) -> str:
    """The key column(s) of ``table`` as shown in messages: ``loan_id/installment_no``."""
    return "/".join(SCHEMAS[table].key)


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=int if c == "row" else object) for c in PROBLEM_COLUMNS}
    )


def _blank(raw: pd.Series) -> np.ndarray:
    """Missing, or empty text (what a CSV writes for a missing value)."""
    blank = raw.isna().to_numpy(bool)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank = blank | (raw == "").to_numpy(bool, na_value=False)
    return blank


def _all_text(raw: pd.Series) -> bool:
    return raw.dtype != object or pd.api.types.infer_dtype(raw, skipna=True) == "string"


def _raw_text(raw: pd.Series) -> np.ndarray:
    return raw.astype(object).map(str).to_numpy(object)


def _key_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values.dtype):
        values = values.astype("Int64")
    text = values.astype(object).where(values.notna(), MISSING)
    return text.astype(str)


def _to_text(raw: pd.Series, table: str, column: Column):
    blank = _blank(raw)
    no_bad = np.zeros(len(raw), dtype=bool)
    if raw.dtype == _TEXT and not blank.any() and _all_text(raw):
        # Already what we would make: share it (no copy of a large column).
        return raw, no_bad
    if pd.api.types.is_float_dtype(raw.dtype):
        whole = np.isfinite(raw) & (raw == np.round(raw))
        if whole[~blank].all():
            # An id column read as float because it had a gap: 7.0 means "7".
            raw = raw.astype("Int64")
    text = raw.astype(str)
    return text.where(~blank), no_bad


def _to_timestamp(raw: pd.Series, table: str, column: Column):
    where = f"{table}.{column.name}"
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raise _timezone_error(where, str(raw.dtype.tz))
    blank = _blank(raw)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = raw
    elif pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        # Epoch numbers carry no unit or zone; refuse rather than guess.
        parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    else:
        text = raw.where(~blank)
        if not _all_text(raw):
            # Text first, so datetime objects, ISO strings and stray numbers
            # all take the same strict path (numbers are not read as epochs).
            text = text.astype(object).map(str, na_action="ignore")
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError) as exc:
            raise _timezone_error(where, str(exc)) from None
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            raise _timezone_error(where, str(parsed.dtype.tz))
    values = parsed.to_numpy()
    # Compare in the parsed unit: numpy would cast to ns and wrap around.
    low, high = _NS_MIN.astype(values.dtype), _NS_MAX.astype(values.dtype)
    in_range = ~np.isnat(values) & (values >= low) & (values <= high)
    bad = ~in_range & ~blank
    if values.dtype == "datetime64[ns]" and not bad.any():
        return parsed, bad
    ns = np.where(in_range, values, np.datetime64("NaT")).astype("datetime64[ns]")
    return pd.Series(ns, index=raw.index), bad


def _to_float(raw: pd.Series, table: str, column: Column):
    blank = _blank(raw)
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = np.full(len(raw), np.nan)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = _parse_numbers(raw.where(~blank))
    bad = np.isnan(values) & ~blank
    return pd.Series(values, index=raw.index), bad


def _parse_numbers(text: pd.Series) -> np.ndarray:
    try:
        # Arrow's parser is several times faster and correctly rounded, but
        # all or nothing: on any odd value, let pandas find which ones.
        array = pa.array(text, from_pandas=True).cast(pa.float64())
        return array.to_numpy(zero_copy_only=False)
    except (ValueError, TypeError, NotImplementedError):
        number = pd.to_numeric(text, errors="coerce")
        return pd.Series(number).to_numpy(dtype=float, na_value=np.nan)


def _to_int(raw: pd.Series, table: str, column: Column):
    values, bad = _to_float(raw, table, column)
    number = values.to_numpy()
    fraction = ~np.isnan(number) & ~(np.isfinite(number) & (number == np.round(number)))
    return values.where(~fraction), bad | fraction


def _timezone_error(where: str, found: str) -> HistoryError:
    return HistoryError(
        f"{where} must be timezone-naive UTC+8 timestamps; found timezone information "
        f"({found}). Convert it first, e.g. "
        "pd.to_datetime(s, utc=True).dt.tz_convert('Asia/Shanghai').dt.tz_localize(None)."
    )


_CONVERTERS = {
    "id": _to_text,
    "category": _to_text,
    "timestamp": _to_timestamp,
    "money": _to_float,
    "int": _to_int,
}
