"""Customers whose rows must share a chunk, so a chunk validates as the whole book would.

Rows go to chunks by customer. Validation also compares rows of
*different* customers when they share a key: an ``order_id`` used by two
customers (both copies are rejected), installments whose ``loan_id`` is
another customer's order, an ``application_id`` given twice. Such customers
are *linked*; each connected group of linked customers goes wherever its
leader (the smallest customer hash of the group) goes. A row with no
customer id goes with the group of its key, if any.

Finding links reads only the key and customer columns, hashes both and
spills the pairs to disk partitioned by key hash, then reads one partition
at a time, so memory stays bounded whatever the size of the book.

Examples
--------
>>> import numpy as np
>>> nodes, leaders = components(np.array([5, 9, 7]), np.array([9, 3, 8]))
>>> dict(zip(nodes.tolist(), leaders.tolist()))
{3: 3, 5: 3, 7: 7, 8: 7, 9: 3}
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnpl_risk.batch._hash import hash_ids
from bnpl_risk.batch._sources import Source

__all__ = ["KEY_SPACES", "LINK_COLUMNS", "Routing", "components", "find_routing", "key_hashes"]

# The key each table's rows share with other customers' rows; orders and
# installments share one key space (order_id = loan_id).
LINK_COLUMNS = {"orders": "order_id", "installments": "loan_id", "applications": "application_id"}
KEY_SPACES = {"orders": 0, "installments": 0, "applications": 1}
_PARTITIONS = 64


@dataclass(frozen=True)
class Routing:
    """Where linked customers and customer-less rows go (empty for a clean book).

    Attributes
    ----------
    members, leaders : ndarray of uint64
        Sorted hashes of linked customers, and their group leader's hash.
    keys, key_leaders : ndarray of uint64
        Sorted key hashes whose rows without a customer id join a group,
        and that group's leader.
    """

    members: np.ndarray
    leaders: np.ndarray
    keys: np.ndarray
    key_leaders: np.ndarray

    @classmethod
    def none(cls) -> Routing:
        empty = np.zeros(0, dtype=np.uint64)
        return cls(empty, empty, empty, empty)

    def __len__(self) -> int:
        return len(self.members) + len(self.keys)

    def route(self, customers: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
        """The hash each row is bucketed by: its group leader's, its own, or 0 (no customer)."""
        out = _lookup(customers, self.members, self.leaders, customers)
        if keys is not None:
            orphan = customers == 0
            out[orphan] = _lookup(keys[orphan], self.keys, self.key_leaders, customers[orphan])
        return out


def key_hashes(table: str, values) -> np.ndarray:
    """Hash of each row's link key in its key space; 0 where the key is missing."""
    hashes = hash_ids(values)
    return np.where(hashes == 0, np.uint64(0), hashes ^ np.uint64(KEY_SPACES[table]))


def find_routing(sources: Mapping[str, Source], workdir: Path) -> Routing:
    """Scan the key and customer columns of every linked table and group linked customers."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = [open(workdir / f"pairs-{p:02d}.bin", "wb") for p in range(_PARTITIONS)]
    try:
        for table, column in LINK_COLUMNS.items():
            for batch in sources[table].batches([column, "customer_id"]):
                keys = key_hashes(table, batch.column(column))
                customers = hash_ids(batch.column("customer_id"))
                _write_pairs(files, keys, customers)
    finally:
        for f in files:
            f.close()
    pieces = [_links_in(workdir / f"pairs-{p:02d}.bin") for p in range(_PARTITIONS)]
    shutil.rmtree(workdir)
    return _routing(*(np.concatenate(parts) for parts in zip(*pieces, strict=True)))


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the graph with edges ``a[i] - b[i]``.

    Returns the sorted distinct nodes and, for each, the smallest node of
    its component (label propagation with pointer jumping, vectorized).
    """
    nodes = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    label = np.arange(len(nodes))
    while True:
        low = np.minimum(label[ia], label[ib])
        new = label.copy()
        np.minimum.at(new, ia, low)
        np.minimum.at(new, ib, low)
        new = new[new]
        if np.array_equal(new, label):
            return nodes, nodes[label]
        label = new


def _write_pairs(files, keys: np.ndarray, customers: np.ndarray) -> None:
    keep = keys != 0
    pairs = np.column_stack([keys[keep], customers[keep]])
    part = (pairs[:, 0] % np.uint64(_PARTITIONS)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(_PARTITIONS + 1))
    pairs = pairs[order]
    for p in np.flatnonzero(np.diff(bounds)):
        pairs[bounds[p] : bounds[p + 1]].tofile(files[p])


def _links_in(file: Path):
    """Edges between customers sharing a key, and keys whose customer-less rows join one."""
    pairs = np.fromfile(file, dtype=np.uint64).reshape(-1, 2)
    if len(pairs) == 0:
        return (np.zeros(0, dtype=np.uint64),) * 4
    order = np.argsort(pairs[:, 0])
    keys, customers = pairs[order, 0], pairs[order, 1]
    start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    size = np.diff(np.r_[start, len(keys)])
    # A key is shared when its customers differ: rare, so only those runs go on.
    low = np.minimum.reduceat(customers, start)
    high = np.maximum.reduceat(customers, start)
    shared = np.repeat(low != high, size)
    # The largest customer hash of a shared key is a real customer (a
    # missing one hashes to 0): the anchor its other customers link to.
    anchor = np.repeat(high, size)[shared]
    customers, keys = customers[shared], keys[shared]
    real = customers != 0
    orphan_keys, first = np.unique(keys[~real], return_index=True)
    return customers[real], anchor[real], orphan_keys, anchor[~real][first]


def _routing(a, b, orphan_keys, orphan_anchor) -> Routing:
    if len(a) == 0 and len(orphan_keys) == 0:
        return Routing.none()
    nodes, leaders = components(a, b)
    key_leaders = leaders[np.searchsorted(nodes, orphan_anchor)]
    linked = nodes != leaders
    # A leader also routes to itself; keep only members that move.
    order = np.argsort(orphan_keys)
    return Routing(nodes[linked], leaders[linked], orphan_keys[order], key_leaders[order])


def _lookup(values, sorted_keys, targets, default) -> np.ndarray:
    out = np.array(default, dtype=np.uint64, copy=True)
    if len(sorted_keys) == 0 or len(values) == 0:
        return out
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    hit = sorted_keys[at] == values
    out[hit] = targets[at[hit]]
    return out
