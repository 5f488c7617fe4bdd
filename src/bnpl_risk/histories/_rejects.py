"""Collecting row failures lazily and turning them into a rejects table or an error.

Every check runs and records its failing rows (pandera's lazy validation);
the caller then either raises for the first failed check or returns the
rejects table: one row per (row, failed check), keyed by business id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.histories._coerce import MISSING, key_name, row_keys

REJECT_COLUMNS = ["table", "row", "key", "column", "check", "expected", "found", "reason"]

# Checks that reject a row because of another row; never the first problem.
DEPENDENT_CHECKS = ("parent_rejected", "loan_rejected")

FIX = 'Drop or correct them, or pass on_error="reject".'


class Failures:
    """Failed checks of one coerced table, in the order the checks ran.

    Parameters
    ----------
    table : str
    frame : DataFrame
        The coerced table (positions of its rows are the ``row`` numbers).
    """

    def __init__(self, table: str, frame: pd.DataFrame):
        self.table = table
        self.frame = frame
        self.rejected = np.zeros(len(frame), dtype=bool)
        self._pieces: list[pd.DataFrame] = []

    def add(self, mask, column: str, check: str, expected: str, reason: str, found=None) -> None:
        """Record that the rows where ``mask`` holds fail one check.

        ``found`` is aligned with the table: values, or a dict of labelled
        values shown as ``label=value, ...`` (defaults to ``column``'s values,
        or the row's key when ``column`` is not a single column).
        """
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        if rows.size == 0:
            return
        if found is None and column not in self.frame.columns:
            found_text = None
        elif isinstance(found, dict):
            found_text = _text_pairs({label: _take(v, rows) for label, v in found.items()})
        else:
            found_text = _text(_take(self.frame[column] if found is None else found, rows))
        self._record(rows, column, check, expected, reason, found_text)

    def add_problems(self, problems: pd.DataFrame) -> None:
        """Record the unparseable values found by coercion (check ``type``)."""
        for column, group in problems.groupby("column", sort=False):
            expected = group["expected"].iloc[0]
            reason = f"{self.table}.{column} must be {expected}"
            found = group["found"].to_numpy(object)
            self._record(group["row"].to_numpy(), column, "type", expected, reason, found)

    def _record(self, rows, column, check, expected, reason, found_text) -> None:
        """Append one failed check; ``found_text`` None shows the row's key."""
        self.rejected[rows] = True
        keys = row_keys(self.frame, self.table, rows).to_numpy(object)
        self._pieces.append(
            pd.DataFrame(
                {
                    "table": self.table,
                    "row": rows,
                    "key": keys,
                    "column": column,
                    "check": check,
                    "expected": expected,
                    "found": keys if found_text is None else np.asarray(found_text, dtype=object),
                    "reason": reason,
                }
            )
        )

    def rejects(self) -> pd.DataFrame:
        """The failures as a rejects table (columns ``REJECT_COLUMNS``)."""
        if not self._pieces:
            return empty_rejects()
        return pd.concat(self._pieces, ignore_index=True)


def empty_rejects() -> pd.DataFrame:
    """A rejects table with no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else str) for c in REJECT_COLUMNS}
    )


def combine(parts: list[pd.DataFrame], tables: list[str]) -> pd.DataFrame:
    """Concatenate rejects tables, sorted by table (in ``tables`` order) then row.

    Several failures of one row stay together, in the order the checks ran.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_rejects()
    out = pd.concat(parts, ignore_index=True)
    order = pd.Categorical(out["table"], categories=tables, ordered=True).codes
    by = np.lexsort((out["row"].to_numpy(), order))
    return out.iloc[by].reset_index(drop=True).astype({"row": "int64"})


def raise_first(rejects: pd.DataFrame, *, where: str = "", fix: str = FIX) -> None:
    """Raise :class:`HistoryError` for the first failed check in ``rejects``, if any.

    ``rejects`` holds the failures in the order the checks ran (before
    :func:`combine` sorts them). The message names table, column, the
    offending keys (a few), what was expected, the values found and the
    fix; ``where`` (e.g. a file name) goes in front.
    """
    own = rejects[~rejects["check"].isin(DEPENDENT_CHECKS)]
    if own.empty:
        return
    first = own.iloc[0]
    same = (
        (own["table"] == first["table"])
        & (own["column"] == first["column"])
        & (own["check"] == first["check"])
        & (own["reason"] == first["reason"])
    )
    group = own[same].drop_duplicates("key").sort_values("key")
    rows = own[same]["row"].nunique()
    shown = group.head(5)
    noun = "1 row is" if rows == 1 else f"{rows} rows are"
    found = ", ".join(shown["found"].astype(str))
    keys = format_keys(group["key"])
    others = own[~same][["table", "column", "check", "reason"]].drop_duplicates()
    more = (
        f" {len(others)} other check{'s' if len(others) > 1 else ''} failed too."
        if len(others)
        else ""
    )
    raise HistoryError(
        f"{where}{first['reason']}; {noun} not ({key_name(first['table'])} {keys}; "
        f"found {found}).{more} {fix}"
    )


def summary(kept: dict[str, int], rejects: pd.DataFrame) -> pd.DataFrame:
    """Rows in, kept and rejected per table (rows in = kept + distinct rejected rows)."""
    rejected = (
        rejects.drop_duplicates(["table", "row"])["table"].value_counts()
        if len(rejects)
        else pd.Series(dtype="int64")
    )
    out = pd.DataFrame(
        {
            "rows_kept": pd.Series(kept, dtype="int64"),
            "rows_rejected": pd.Series({t: int(rejected.get(t, 0)) for t in kept}, dtype="int64"),
        }
    )
    out.insert(0, "rows_in", out["rows_kept"] + out["rows_rejected"])
    out.index.name = "table"
    return out


def _take(values, rows) -> np.ndarray:
    # Through pandas, so datetime64 values become Timestamps, not integers.
    taken = values.iloc[rows] if hasattr(values, "iloc") else pd.Series(values[rows])
    return taken.to_numpy(object)


def _text_pairs(columns: dict) -> np.ndarray:
    texts = [label + "=" + pd.Series(_text(v)) for label, v in columns.items()]
    out = texts[0]
    for text in texts[1:]:
        out = out + ", " + text
    return out.to_numpy(object)


def _text(values) -> np.ndarray:
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    return series.where(series.notna(), MISSING).astype(str).to_numpy(object)
