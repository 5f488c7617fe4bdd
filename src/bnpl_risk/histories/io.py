"""Read and write histories as a directory holding one file per table.

A histories directory holds ``customers``, ``orders`` and ``installments``
and optionally ``applications``, each as ``<table>.csv`` or
``<table>.parquet`` (one of the two: both is ambiguous and refused).

CSV files are read with every contract column as text, then coerced by the
same code validation uses, so ids keep their leading zeros (``"007"``) and
only an empty field is missing (an id ``"NA"`` stays ``"NA"``). Timestamps
are written ISO 8601 to the nanosecond and floats to full precision, so
write -> read gives equal frames. Unknown extra columns are kept: from
Parquet exactly, from CSV as pandas infers them.

Examples
--------
>>> import tempfile
>>> import pandas as pd
>>> from bnpl_risk.histories import Histories, SCHEMAS
>>> customers = pd.DataFrame({"customer_id": ["007"],
...     "signup_ts": pd.to_datetime(["2024-01-01 09:30"]), "birth_year": [1990],
...     "kyc_level": [2], "city_tier": [1]})
>>> empty = {t: pd.DataFrame(columns=list(SCHEMAS[t].names))
...          for t in ("orders", "installments")}
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = write_histories(Histories(customers, **empty), tmp)
...     histories, applications = read_histories(tmp)
>>> histories.customers["customer_id"].tolist(), applications is None
(['007'], True)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bnpl_risk.errors import ConfigError, HistoryError, format_keys
from bnpl_risk.histories._coerce import coerce_table, require_columns
from bnpl_risk.histories._container import Histories
from bnpl_risk.histories._rejects import Failures, combine, raise_first
from bnpl_risk.histories.schema import SCHEMAS
from bnpl_risk.histories.validation import (
    HISTORY_TABLES,
    validate_applications,
    validate_histories,
)

__all__ = ["FORMATS", "read_histories", "validate_directory", "write_histories"]

FORMATS = ("csv", "parquet")


def read_histories(path, *, coerce: bool = True) -> tuple[Histories, pd.DataFrame | None]:
    """Read a histories directory.

    The tables are typed but not validated: pass them to
    :func:`~bnpl_risk.histories.validate_histories` for that.

    Parameters
    ----------
    path : str or Path
        Directory with ``customers``, ``orders``, ``installments`` and
        optionally ``applications``, each ``.csv`` or ``.parquet``.
    coerce : bool, default True
        Convert to contract dtypes, raising on a value that does not parse.
        ``False`` returns the tables as stored (CSV contract columns as
        text), for ``validate_histories(..., on_error="reject")`` to sort
        out row by row.

    Returns
    -------
    histories : Histories
    applications : DataFrame or None
        None when the directory has no applications file.

    Raises
    ------
    HistoryError
        Naming the file, when a table file is missing or unreadable, both a
        ``.csv`` and a ``.parquet`` of one table exist, a required column is
        missing, or (with ``coerce``) a value does not parse.

    Examples
    --------
    See the module docstring.
    """
    directory = _directory(path)
    tables = {}
    for table in (*HISTORY_TABLES, "applications"):
        file = _table_file(directory, table, required=table != "applications")
        if file is not None:
            tables[table] = _read(file, table, coerce)
    applications = tables.pop("applications", None)
    return Histories(**tables), applications


def write_histories(
    histories: Histories,
    path,
    applications: pd.DataFrame | None = None,
    *,
    format: str = "csv",
) -> Path:
    """Write histories (and applications) to a directory, one file per table.

    Parameters
    ----------
    histories : Histories
    path : str or Path
        Directory, created if needed; files of the same format are replaced.
    applications : DataFrame, optional
        Written as ``applications.<format>`` when given (an existing
        applications file is left alone otherwise).
    format : {"csv", "parquet"}, default "csv"

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    ConfigError
        If ``format`` is not one of ``FORMATS``.
    HistoryError
        If a file of the other format exists for a table written (the
        directory would become ambiguous), or a table cannot be written.

    Examples
    --------
    See the module docstring.
    """
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}; got {format!r}.")
    if not isinstance(histories, Histories):
        raise HistoryError(
            f"histories must be a bnpl_risk.Histories; got {type(histories).__name__}."
        )
    directory = Path(path)
    tables = histories.tables()
    if applications is not None:
        tables["applications"] = applications
    for table in tables:
        for other in FORMATS:
            twin = directory / f"{table}.{other}"
            if other != format and twin.exists():
                raise HistoryError(
                    f"writing {table}.{format} would leave {directory} ambiguous: {twin} "
                    f"exists. Remove it, or write with format={other!r}."
                )
    directory.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        file = directory / f"{table}.{format}"
        try:
            if format == "csv":
                frame.to_csv(file, index=False)
            else:
                frame.to_parquet(file, index=False)
        except (ValueError, TypeError, OSError) as exc:
            raise HistoryError(
                f"could not write {file}: {exc}. Validate the tables first "
                "(validate_histories) so every column has its contract type."
            ) from exc
    return directory


def validate_directory(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a histories directory in reject mode: what ``bnpl-risk validate DIR`` prints.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    summary : DataFrame
        Indexed by table: ``rows_in``, ``rows_kept``, ``rows_rejected``
        (applications included when the directory has them).
    rejects : DataFrame
        One row per (rejected row, failed check); empty when all is valid.

    Raises
    ------
    HistoryError
        For table-level problems only (see :func:`read_histories`).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from bnpl_risk.histories import Histories, SCHEMAS
    >>> customers = pd.DataFrame({"customer_id": ["c1", "c1"],
    ...     "signup_ts": ["2024-01-01", "2024-01-02"], "birth_year": [1990, 1991],
    ...     "kyc_level": [2, 2], "city_tier": [1, 1]})
    >>> empty = {t: pd.DataFrame(columns=list(SCHEMAS[t].names))
    ...          for t in ("orders", "installments")}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_histories(Histories(customers, **empty), tmp)
    ...     summary, rejects = validate_directory(tmp)
    >>> summary.loc["customers"].tolist()
    [2, 0, 2]
    >>> rejects["check"].tolist()
    ['unique', 'unique']
    """
    histories, applications = read_histories(path, coerce=False)
    result = validate_histories(histories, on_error="reject")
    summaries = [result.summary()]
    parts = [result.rejects]
    tables = list(HISTORY_TABLES)
    if applications is not None:
        checked = validate_applications(applications, result, on_error="reject")
        summaries.append(checked.summary())
        parts.append(checked.rejects)
        tables.append("applications")
    return pd.concat(summaries), combine(parts, tables)


def _directory(path) -> Path:
    directory = Path(path)
    if not directory.is_dir():
        raise HistoryError(
            f"{directory} is not a directory. Pass the directory holding customers, "
            "orders and installments files (.csv or .parquet)."
        )
    return directory


def _table_file(directory: Path, table: str, *, required: bool) -> Path | None:
    found = [
        directory / f"{table}.{ext}" for ext in FORMATS if (directory / f"{table}.{ext}").exists()
    ]
    if len(found) > 1:
        raise HistoryError(
            f"{directory} has both {found[0].name} and {found[1].name}: which one holds "
            f"{table} is ambiguous. Remove one."
        )
    if not found and required:
        present = format_keys(p.name for p in directory.iterdir()) or "nothing"
        raise HistoryError(
            f"{directory} has no {table} table: expected {table}.csv or {table}.parquet; "
            f"found {present}."
        )
    return found[0] if found else None


def _read(file: Path, table: str, coerce: bool) -> pd.DataFrame:
    where = str(file)
    try:
        if file.suffix == ".csv":
            frame = _read_csv(file, table)
        else:
            frame = pd.read_parquet(file)
    except (ValueError, OSError) as exc:
        raise HistoryError(f"could not read {file}: {exc}") from exc
    require_columns(frame, table, where=where)
    if not coerce:
        return frame
    coerced, problems = coerce_table(frame, table)
    failures = Failures(table, coerced)
    failures.add_problems(problems)
    raise_first(
        failures.rejects(),
        where=f"{file}: ",
        fix='Correct the file, or read it with coerce=False and validate with on_error="reject".',
    )
    return coerced


def _read_csv(file: Path, table: str) -> pd.DataFrame:
    header = pd.read_csv(file, nrows=0).columns
    # Contract columns as text (coercion types them); only an empty field is
    # missing, so an id such as "NA" or "null" survives.
    return pd.read_csv(
        file,
        dtype={c: str for c in SCHEMAS[table].names if c in header},
        keep_default_na=False,
        na_values={c: [""] for c in header},
    )
