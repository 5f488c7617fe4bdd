"""Partition the book once into buckets of whole customers, spilled to disk as Arrow files.

One streaming pass per table: read a record batch, give each row its bucket
(hash of its customer, or of its group leader, see ``_links``) and its row
number in the input table, and let ``pyarrow.dataset.write_dataset`` append
it to the bucket's directory. A chunk then reads exactly its own rows, so
a run reads the book twice (links, spill) whatever the number of chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from bnpl_risk.batch._hash import bucket_of, hash_ids
from bnpl_risk.batch._links import LINK_COLUMNS, Routing, find_routing, key_hashes
from bnpl_risk.batch._sources import ROW, Source

__all__ = ["partition", "read_bucket", "spill"]

_BUCKET = "_bucket"
_FORMAT = ds.IpcFileFormat()


def partition(
    sources: Mapping[str, Source], schemas: Mapping[str, pa.Schema], n_buckets: int, work: Path
) -> dict[str, int]:
    """Find links, then spill every table to ``work/spill``; returns rows read per table."""
    routing = find_routing(sources, work / "links")
    return spill(sources, schemas, routing, n_buckets, work / "spill")


def spill(
    sources: Mapping[str, Source],
    schemas: Mapping[str, pa.Schema],
    routing: Routing,
    n_buckets: int,
    directory: Path,
) -> dict[str, int]:
    """Write every table to ``directory/<table>/<bucket>/``; returns rows read per table."""
    rows = {}
    for table, source in sources.items():
        tagger = _Tagger(table, routing, n_buckets)
        schema = (
            schemas[table].append(pa.field(ROW, pa.int64())).append(pa.field(_BUCKET, pa.int32()))
        )
        ds.write_dataset(
            tagger.batches(source),
            directory / table,
            schema=schema,
            format=_FORMAT,
            partitioning=ds.partitioning(pa.schema([(_BUCKET, pa.int32())])),
            basename_template="part-{i}.arrow",
            existing_data_behavior="delete_matching",
            # Rows go out as they come: buffering per bucket would grow
            # with the number of buckets, hence with the book.
            min_rows_per_group=0,
        )
        rows[table] = tagger.rows
    return rows


def read_bucket(directory: Path, table: str, bucket: int, schema: pa.Schema) -> pd.DataFrame:
    """One bucket of one table as pandas, in input row order, with :data:`ROW`."""
    full = schema.append(pa.field(ROW, pa.int64()))
    path = directory / table / str(bucket)
    if path.is_dir():
        data = ds.dataset(path, format=_FORMAT, schema=full).to_table()
        data = data.take(pc.sort_indices(data[ROW]))
    else:
        data = full.empty_table()
    return data.to_pandas()


class _Tagger:
    """Adds each row's bucket and input row number to the batches of one table, counting rows."""

    def __init__(self, table: str, routing: Routing, n_buckets: int):
        self.table, self.routing, self.n_buckets = table, routing, n_buckets
        self.link = LINK_COLUMNS.get(table)
        self.rows = 0

    def batches(self, source: Source) -> Iterator[pa.RecordBatch]:
        for batch in source.batches():
            start, self.rows = self.rows, self.rows + len(batch)
            numbers = pa.array(np.arange(start, self.rows))
            yield batch.append_column(ROW, numbers).append_column(_BUCKET, self._buckets(batch))

    def _buckets(self, batch: pa.RecordBatch) -> pa.Array:
        customers = hash_ids(batch.column("customer_id"))
        orphan = customers == 0
        keys = None
        if self.link is not None and len(self.routing) and orphan.any():
            # Only rows without a customer are routed by their key.
            keys = np.zeros(len(batch), dtype=np.uint64)
            link = pc.filter(batch.column(self.link), pa.array(orphan))
            keys[orphan] = key_hashes(self.table, link)
        routed = self.routing.route(customers, keys)
        return pa.array(bucket_of(routed, self.n_buckets).astype(np.int32))
