"""Where each input table is: one file, or a directory of part files, CSV or Parquet.

A table ``orders`` is ``orders.csv``, ``orders.parquet`` or a directory
``orders/`` of ``*.csv`` or ``*.parquet`` part files (read in name order;
other files such as Spark's ``_SUCCESS`` are ignored). Tables are read with
pyarrow in record batches, only the contract columns: CSV contract columns
as text, where only an empty field is missing, as
:func:`bnpl_risk.histories.read_histories` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.histories._coerce import coerce_table, require_columns
from bnpl_risk.histories.schema import SCHEMAS

TABLES = ("customers", "orders", "installments", "applications")
ROW = "_row"
"""Column holding each row's position in its input table (across part files)."""
_SUFFIXES = {".csv": "csv", ".parquet": "parquet"}
_BATCH_ROWS = 1 << 18


@dataclass(frozen=True)
class Source:
    """The files of one table and their format."""

    table: str
    path: Path
    files: tuple[Path, ...]
    format: str

    def dataset(self) -> ds.Dataset:
        """The files as one pyarrow dataset (CSV contract columns typed as text)."""
        if self.format == "csv":
            text = {c: pa.large_string() for c in SCHEMAS[self.table].names}
            fmt = ds.CsvFileFormat(
                convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=False)
            )
        else:
            fmt = ds.ParquetFileFormat()
        try:
            return ds.dataset([str(f) for f in self.files], format=fmt)
        except (pa.ArrowException, OSError) as exc:
            raise HistoryError(f"could not read {self.path}: {exc}") from exc

    def batches(self, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Record batches of the contract columns (or of ``columns``), in file order."""
        names = list(columns or SCHEMAS[self.table].names)
        try:
            # Little read-ahead: memory stays a few batches whatever the book.
            yield from self.dataset().to_batches(
                columns=names,
                batch_size=_BATCH_ROWS,
                batch_readahead=2,
                fragment_readahead=1,
                use_threads=True,
            )
        except (pa.ArrowException, OSError) as exc:
            raise HistoryError(
                f"could not read {self.path} ({self.table}): {exc}. Check that every part "
                "file has the same columns and types."
            ) from exc

    def schema(self) -> pa.Schema:
        """Schema of the contract columns; checked for missing and timezone-aware columns.

        Raises
        ------
        HistoryError
            As :func:`bnpl_risk.histories.validate_histories` does for a
            missing column or a timezone-aware timestamp column.
        """
        schema = self.dataset().schema
        empty = schema.empty_table().to_pandas()
        require_columns(empty, self.table, where=str(self.path))
        coerce_table(empty, self.table)  # raises on a timezone-aware timestamp column
        return pa.schema([schema.field(n) for n in SCHEMAS[self.table].names])

    def count_rows(self) -> int:
        return self.dataset().count_rows()

    def fingerprint(self) -> list[list]:
        """File names, sizes and modification times: cheap, and changed by any rewrite."""
        out = []
        for file in self.files:
            stat = file.stat()
            out.append([str(file.resolve()), stat.st_size, stat.st_mtime_ns])
        return out


def find_sources(data, applications=None) -> dict[str, Source]:
    """The four tables of a histories directory; ``applications`` may be given apart.

    Raises
    ------
    HistoryError
        Naming the directory: a table is missing, held twice (``orders.csv``
        and ``orders.parquet``), or a directory holds no part files or both
        formats.
    """
    directory = Path(data)
    if not directory.is_dir():
        raise HistoryError(
            f"{directory} is not a directory. Pass the directory holding customers, "
            "orders and installments (.csv, .parquet, or a directory of part files)."
        )
    sources = {t: _find(directory, t) for t in TABLES if t != "applications"}
    if applications is None:
        sources["applications"] = _find(directory, "applications")
    else:
        sources["applications"] = _source("applications", Path(applications))
    return sources


def _find(directory: Path, table: str) -> Source:
    candidates = [directory / f"{table}{suffix}" for suffix in _SUFFIXES] + [directory / table]
    found = [p for p in candidates if p.exists()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise HistoryError(
            f"{directory} holds {table} more than once ({names}): which one to read is "
            "ambiguous. Remove all but one."
        )
    if not found:
        present = format_keys(p.name for p in directory.iterdir()) or "nothing"
        raise HistoryError(
            f"{directory} has no {table} table: expected {table}.csv, {table}.parquet or a "
            f"directory {table}/ of part files; found {present}."
        )
    return _source(table, found[0])


def _source(table: str, path: Path) -> Source:
    if path.is_file():
        kind = _SUFFIXES.get(path.suffix)
        if kind is None:
            raise HistoryError(
                f"{path}: {table} must be a .csv or .parquet file, or a directory of them; "
                f"found a {path.suffix or 'suffix-less'} file."
            )
        return Source(table, path, (path,), kind)
    if not path.is_dir():
        raise HistoryError(f"{path} does not exist; expected the {table} table there.")
    parts = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix in _SUFFIXES and p.name[0] not in "._"
    )
    kinds = {_SUFFIXES[p.suffix] for p in parts}
    if len(kinds) != 1:
        found = "both .csv and .parquet files" if kinds else "no .csv or .parquet files"
        raise HistoryError(
            f"{path} must hold the {table} table as part files of one format; it has "
            f"{found}. Keep one format."
        )
    return Source(table, path, tuple(parts), kinds.pop())
