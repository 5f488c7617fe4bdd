"""Score a book on Spark DataFrames, with the pandas path's validation, features and decisions.

The four tables are stacked into one DataFrame (a ``_table`` column says
which), grouped into buckets of whole customers, and each bucket goes
through :func:`bnpl_risk.batch.chunk.score_chunk` in ``applyInPandas`` on
the executors. Customers whose rows validation compares (an order, loan or
application id shared by several customers) share a bucket, as in
:func:`~bnpl_risk.batch.score_book`, so the decisions and rejects are those
of the whole book in pandas.

Timestamps: Spark keeps microseconds. Parquet written by pandas holds
nanoseconds, which Spark refuses; write it with
``coerce_timestamps="us"`` (pyarrow) or from Spark. ``TIMESTAMP_NTZ``
columns are read as they are; ``TIMESTAMP`` (with the session time zone)
is turned into wall-clock time in the session time zone.

Rejects carry Spark's row id (``monotonically_increasing_id``) in ``row``:
unique within a run, but not a position in a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from bnpl_risk.batch._links import KEY_SPACES, LINK_COLUMNS, components
from bnpl_risk.batch._sources import ROW, TABLES
from bnpl_risk.batch.book import decisions_frame
from bnpl_risk.batch.chunk import DECISION_SCHEMA, REJECT_SCHEMA, score_chunk
from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.histories._rejects import combine
from bnpl_risk.histories.schema import SCHEMAS
from bnpl_risk.spark._model import ship

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkResult", "read_tables", "score_spark"]

_TABLE, _KEY, _SPACE, _GROUP, _KIND = "_table", "_key", "_space", "_group", "_kind"
_SPARK_TYPES = {
    pa.string(): "string",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.int64(): "bigint",
    pa.list_(pa.string()): "array<string>",
}
_OUTPUT = [(_KIND, pa.string())] + [
    (f.name, f.type) for schema in (DECISION_SCHEMA, REJECT_SCHEMA) for f in schema
]
_OUTPUT_DDL = ", ".join(f"`{name}` {_SPARK_TYPES[kind]}" for name, kind in _OUTPUT)


@dataclass(frozen=True)
class SparkResult:
    """Decisions and rejects of a Spark run (lazy; computed once, then kept on disk).

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Both kinds of rows (``_kind`` is ``decision`` or ``reject``),
        persisted; ``frame.unpersist()`` when done.
    inputs : dict of str to pyspark.sql.DataFrame
        The input tables, for :meth:`summary`.
    """

    frame: DataFrame
    inputs: dict

    @property
    def decisions(self) -> DataFrame:
        """One row per scored application, columns ``DECISION_SCHEMA``."""
        return self.frame.where(self.frame[_KIND] == "decision").select(*DECISION_SCHEMA.names)

    @property
    def rejects(self) -> DataFrame:
        """One row per (rejected row, failed check), columns ``REJECT_SCHEMA``."""
        return self.frame.where(self.frame[_KIND] == "reject").select(*REJECT_SCHEMA.names)

    def summary(self) -> pd.DataFrame:
        """Rows in, scored and rejected per table, as :class:`~bnpl_risk.batch.BatchResult`."""
        rows = self.rejects.select("table", "row").distinct()
        counted = _to_pandas(rows.groupBy("table").count()).set_index("table")["count"]
        rejected = counted.reindex(list(TABLES), fill_value=0)
        rows_in = pd.Series({t: self.inputs[t].count() for t in TABLES})
        out = pd.DataFrame(
            {"rows_in": rows_in, "rows_scored": rows_in - rejected, "rows_rejected": rejected}
        )
        return out.astype("int64").rename_axis("table")

    def to_pandas(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Decisions and rejects as :func:`~bnpl_risk.batch.read_scores` and ``read_rejects``.

        Collects everything to the driver: for small books and tests.
        """
        decisions = pa.Table.from_pandas(
            _to_pandas(self.decisions), schema=DECISION_SCHEMA, preserve_index=False
        )
        rejects = _to_pandas(self.rejects).astype({"row": "int64"})
        return decisions_frame(decisions), combine([rejects], list(TABLES))

    def write(self, path: str, mode: str = "errorifexists") -> None:
        """Write ``decisions/`` and ``rejects/`` as Parquet under ``path``."""
        self.decisions.write.mode(mode).parquet(f"{path}/decisions")
        self.rejects.write.mode(mode).parquet(f"{path}/rejects")


def read_tables(spark: SparkSession, paths: Mapping[str, str], format: str = "parquet") -> dict:
    """Read the four tables with Spark as the data contract reads them.

    Parameters
    ----------
    spark : SparkSession
    paths : mapping of str to str
        ``customers``, ``orders``, ``installments`` and ``applications``
        to a file or directory Spark can read (local, HDFS, S3 ...).
    format : {"parquet", "csv"}
        CSV is read with a header and every column as text, an empty field
        being missing, as :func:`bnpl_risk.histories.read_histories` does.

    Returns
    -------
    dict of str to pyspark.sql.DataFrame

    Examples
    --------
    >>> tables = read_tables(spark, {t: f"s3://book/{t}" for t in TABLES})  # doctest: +SKIP
    """
    if format not in ("parquet", "csv"):
        raise ConfigError(f'format must be "parquet" or "csv"; got {format!r}.')
    missing = [t for t in TABLES if t not in paths]
    if missing:
        raise HistoryError(f"paths has no {', '.join(missing)}; give a path for each of {TABLES}.")
    reader = spark.read.option("header", True) if format == "csv" else spark.read
    return {t: getattr(reader, format)(paths[t]) for t in TABLES}


def score_spark(
    model, tables: Mapping[str, DataFrame], *, reasons: bool = True, buckets: int | None = None
) -> SparkResult:
    """Validate, score and decide every application on Spark.

    Parameters
    ----------
    model : path-like
        A saved scorer, readable by the driver; it is broadcast to the
        executors and verified there (sha256) before use.
    tables : mapping of str to pyspark.sql.DataFrame
        ``customers``, ``orders``, ``installments``, ``applications`` with
        the contract columns (see :func:`read_tables`). Extra columns are
        ignored.
    reasons : bool, default True
        As :meth:`~bnpl_risk.scorer.RiskScorer.decide`.
    buckets : int, optional
        Groups of whole customers, each one ``applyInPandas`` call (memory
        of one executor task). Default: 4 per core of the cluster, at
        least one per 20,000 customers.

    Returns
    -------
    SparkResult

    Examples
    --------
    >>> result = score_spark("model/", read_tables(spark, paths), reasons=False)  # doctest: +SKIP
    >>> result.write("s3://book/scores/2026-11-25")  # doctest: +SKIP
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    missing = [t for t in TABLES if t not in tables]
    if missing:
        raise HistoryError(f"tables has no {', '.join(missing)}; give all of {TABLES}.")
    spark = tables["customers"].sparkSession
    shipped = ship(spark, model)
    stacked = [_stack(t, tables[t]) for t in TABLES]
    book = stacked[0]
    for part in stacked[1:]:
        book = book.unionByName(part, allowMissingColumns=True)
    members, orphans = _links(spark, book)
    book = book.join(F.broadcast(members), on="customer_id", how="left")
    book = book.join(F.broadcast(orphans), on=[_SPACE, _KEY], how="left")
    if buckets is None:
        customers = tables["customers"].count()
        buckets = max(4 * spark.sparkContext.defaultParallelism, -(-customers // 20_000))
    group = F.coalesce(F.col("_leader"), F.col("customer_id"), F.col("_orphan_leader"))
    book = book.withColumn(_GROUP, F.pmod(F.xxhash64(group), F.lit(buckets)))
    columns = [_TABLE, ROW, *dict.fromkeys(c for t in TABLES for c in SCHEMAS[t].names)]

    def score(rows: pd.DataFrame) -> pd.DataFrame:
        return _score_group(shipped.value.scorer(), reasons, rows)

    scored = book.select(_GROUP, *columns).groupBy(_GROUP).applyInPandas(score, _OUTPUT_DDL)
    return SparkResult(scored.persist(StorageLevel.DISK_ONLY), dict(tables))


def _stack(table: str, frame: DataFrame) -> DataFrame:
    """The contract columns of one table, tagged, with a row id and its link key."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    names = SCHEMAS[table].names
    absent = [n for n in names if n not in frame.columns]
    if absent:
        raise HistoryError(
            f"{table} is missing required columns {', '.join(absent)}; it has "
            f"{', '.join(frame.columns)}. Add them (see bnpl_risk.histories.SCHEMAS[{table!r}])."
        )
    cols = []
    for name in names:
        col = frame[name]
        if name == "customer_id":
            col = col.cast("string")
        elif isinstance(frame.schema[name].dataType, TimestampType):
            col = col.cast("timestamp_ntz")  # wall-clock time in the session time zone
        cols.append(col.alias(name))
    key, space = LINK_COLUMNS.get(table), KEY_SPACES.get(table)
    return frame.select(
        *cols,
        F.lit(table).alias(_TABLE),
        F.monotonically_increasing_id().alias(ROW),
        (frame[key].cast("string") if key else F.lit(None).cast("string")).alias(_KEY),
        F.lit(space).cast("int").alias(_SPACE),
    )


def _links(spark, book: DataFrame):
    """Linked customers to their leader, and orphan keys to theirs, as small DataFrames."""
    from pyspark.sql import functions as F

    keyed = book.where(F.col(_KEY).isNotNull()).select(_SPACE, _KEY, "customer_id")
    per_key = keyed.groupBy(_SPACE, _KEY).agg(
        F.countDistinct("customer_id").alias("n"),
        F.max("customer_id").alias("anchor"),
        F.max(F.col("customer_id").isNull().cast("int")).alias("orphan"),
    )
    shared = per_key.where((F.col("n") > 1) | ((F.col("orphan") == 1) & (F.col("n") == 1)))
    # Few rows (bad data only), so the grouping is done on the driver.
    edges = _to_pandas(
        keyed.join(shared.where(F.col("n") > 1), on=[_SPACE, _KEY])
        .where(F.col("customer_id").isNotNull())
        .select("customer_id", "anchor")
        .distinct()
    )
    keys = _to_pandas(shared.where(F.col("orphan") == 1).select(_SPACE, _KEY, "anchor"))
    ends = pd.concat([edges["customer_id"], edges["anchor"], keys["anchor"]], ignore_index=True)
    codes, ids = pd.factorize(ends.astype(str), sort=True)
    ids = np.asarray(ids, dtype=object)
    n_edges = len(edges)
    nodes, leaders = components(codes[:n_edges], codes[n_edges : 2 * n_edges])
    leader_of = np.arange(len(ids))
    leader_of[nodes] = leaders
    moved = nodes[leaders != nodes]
    members = pd.DataFrame({"customer_id": ids[moved], "_leader": ids[leader_of[moved]]})
    orphans = pd.DataFrame(
        {
            _SPACE: keys[_SPACE].astype("int32"),
            _KEY: keys[_KEY].astype(str),
            "_orphan_leader": ids[leader_of[codes[2 * n_edges :]]],
        }
    )
    return (
        spark.createDataFrame(members, "customer_id string, _leader string"),
        spark.createDataFrame(orphans, f"{_SPACE} int, {_KEY} string, _orphan_leader string"),
    )


def _to_pandas(frame: DataFrame) -> pd.DataFrame:
    return cast(pd.DataFrame, frame.toPandas())


def _score_group(scorer, reasons: bool, rows: pd.DataFrame) -> pd.DataFrame:
    """One bucket of whole customers through score_chunk; both outputs in one frame."""
    frames = {
        t: rows.loc[rows[_TABLE] == t, [*SCHEMAS[t].names, ROW]].reset_index(drop=True)
        for t in TABLES
    }
    result = score_chunk(frames, scorer, reasons=reasons)
    parts = [
        result.decisions.assign(**{_KIND: "decision"}),
        result.rejects.assign(**{_KIND: "reject"}),
    ]
    out = pd.concat(parts, ignore_index=True).reindex(columns=[n for n, _ in _OUTPUT])
    for name, kind in _OUTPUT:
        if pa.types.is_list(kind) or pa.types.is_string(kind):
            # As pyspark takes them: Python objects (not Arrow-backed text,
            # which pandas >= 3 makes), None where a kind of row has no value.
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out
