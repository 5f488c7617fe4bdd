"""The tables: each leaf's Shapley values by failed set, summed into its unit's."""

from __future__ import annotations

import math

import numpy as np


def _leaf_table(z: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Contributions of leaves of one path width ``m``, shape (leaves, 2**m, m).

    ``[l, F, j]`` is what leaf ``l`` adds to its ``j``-th feature for a row
    that fails its conditions on the features in the bitmask ``F`` and meets
    the others.
    """
    n, m = z.shape
    subset = np.arange(1 << m)
    member = ((subset[:, None] >> np.arange(m)) & 1).astype(bool)  # (2**m, m)
    # Shapley weight |S|! (m - |S| - 1)! / m! of a coalition S without j.
    weight = np.array([math.factorial(s) * math.factorial(m - 1 - s) for s in range(m)] + [0])
    weight = weight / math.factorial(m)
    # Product of z over the features outside each subset: (n, 2**m).
    outside = np.where(member[None], 1.0, z[:, None, :]).prod(axis=2)
    # A coalition S without j weighs weight(|S|) times the product of z over
    # the features outside S and j, i.e. outside S | {j}.
    with_j = subset[:, None] | (1 << np.arange(m))
    term = np.where(member, 0.0, weight[member.sum(axis=1)][:, None] * outside[:, with_j])
    # Sum over the coalitions S within each met set O, one bit at a time.
    for b in range(m):
        view = term.reshape(n, 1 << (m - 1 - b), 2, 1 << b, m)
        view[:, :, 1] += view[:, :, 0]
    table = value[:, None, None] * (member - z[:, None, :]) * term
    return table[:, ::-1]  # by the failed set F = all ^ O


def _unit_tables(
    units: dict, entries: dict, pairs: dict, leaf_value
) -> tuple[np.ndarray, np.ndarray]:
    """The flat table and where each unit's part starts.

    A unit's part is indexed by ``key * m + j``, ``j`` a column of the
    unit's features; it adds the tables of the unit's leaves, each read at
    the failed set its conditions give for that key.
    """
    size = units["m"] << units["bits"]
    base = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.intp)
    # Per (leaf, j): which key bits fail the leaf's condition on its j-th
    # feature, and its column in the unit; per leaf, the bits where it goes
    # right (the key has the bit set when the row goes right).
    e = units["entry"]
    pair = entries["pair"][e]
    fail_bits = np.zeros(len(pairs["leaf"]), dtype=np.int64)
    np.bitwise_or.at(fail_bits, pair, np.left_shift(1, units["entry_bit"]))
    leaf_count = len(leaf_value)
    goes_right = np.zeros(leaf_count, dtype=np.int64)
    right = units["entry_inside"] & ~entries["left"][e]
    np.bitwise_or.at(
        goes_right, entries["leaf"][e][right], np.left_shift(1, units["entry_bit"][right])
    )
    leaf_unit = units["unit_of_leaf"]
    kept_pair = np.flatnonzero(leaf_unit[pairs["leaf"]] >= 0)
    column = np.zeros(len(pairs["leaf"]), dtype=np.intp)
    pair_unit = leaf_unit[pairs["leaf"][kept_pair]]
    key = pair_unit * units["n_f"] + pairs["feature"][kept_pair]
    column[kept_pair] = np.searchsorted(units["feature_key"], key) - np.searchsorted(
        units["feature_key"] // units["n_f"], pair_unit
    )

    m = np.bincount(pairs["leaf"], minlength=leaf_count)
    first_pair = np.searchsorted(pairs["leaf"], np.arange(leaf_count))
    out, values = [], []
    kept = np.flatnonzero(leaf_unit >= 0)
    group_of = units["bits"][leaf_unit[kept]] * 64 + m[kept]
    for group in np.unique(group_of):  # leaves of one width in units of one key size
        leaf = kept[group_of == group]
        b, w = divmod(int(group), 64)
        p = first_pair[leaf][:, None] + np.arange(w)  # (leaves, w) pairs
        table = _leaf_table(pairs["z"][p], leaf_value[leaf])  # (leaves, 2**w, w)
        keys = np.arange(1 << b)
        flipped = keys[None, :, None] ^ goes_right[leaf][:, None, None]
        failed = ((flipped & fail_bits[p][:, None, :]) != 0).astype(np.intp)
        f = (failed << np.arange(w)).sum(axis=2)  # (leaves, 2**b) failed sets
        values.append(np.take_along_axis(table, f[..., None], axis=1).ravel())
        u = leaf_unit[leaf]
        at = base[u][:, None, None] + keys[None, :, None] * units["m"][u][:, None, None]
        out.append((at + column[p][:, None, :]).ravel())
    total = int(size.sum())
    if not out:
        return np.zeros(total), base
    return np.bincount(np.concatenate(out), np.concatenate(values), minlength=total), base
