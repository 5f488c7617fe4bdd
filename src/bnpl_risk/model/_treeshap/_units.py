"""Units: the subtrees (or leaves alone) that share one table, and their key bits."""

from __future__ import annotations

import numpy as np

# Subtrees up to this height share one table (read once for all their leaves).
_UNIT_HEIGHT = 3


def _units(node: dict, entries: dict, pairs: dict, keep_leaf: np.ndarray, max_bits: int) -> dict:
    """Split the kept leaves into units: subtrees of height up to _UNIT_HEIGHT that one
    table covers, the highest whose key has at most ``max_bits`` bits, or leaves alone.

    A unit's key has a bit per split node inside it (set when the row goes
    right there), then one per feature tested above it (set when the row
    fails a condition there).
    """
    n_nodes, n_leaves = len(node["tree"]), len(keep_leaf)
    at, leaf = entries["node"], entries["leaf"]
    depth_of_leaf = np.bincount(leaf, minlength=n_leaves)
    depth = np.zeros(n_nodes, dtype=np.intp)
    depth[at] = depth_of_leaf[leaf] - entries["up"] - 1
    height = np.zeros(n_nodes, dtype=np.intp)
    np.maximum.at(height, at, entries["up"] + 1)
    inner = np.bincount(at, minlength=n_nodes) - 1  # split nodes in the subtree
    # Distinct features above a node: the entries of a leaf below it that are
    # the first on their feature, counted by depth.
    shallowest = np.full(len(pairs["leaf"]), n_nodes)
    np.minimum.at(shallowest, entries["pair"], depth[at])
    first = depth[at] == shallowest[entries["pair"]]
    above = np.zeros((n_leaves, int(depth_of_leaf.max(initial=0)) + 2), dtype=np.intp)
    np.add.at(above, (leaf[first], depth[at][first] + 1), 1)
    above = np.cumsum(above, axis=1)
    below = np.full(n_nodes, n_leaves)
    np.minimum.at(below, at, leaf)
    bits = inner + above[below.clip(max=n_leaves - 1), depth]
    fits = (height <= _UNIT_HEIGHT) & (bits <= max_bits) & (inner >= 0)
    # Fitting is inherited by subtrees, so a leaf's unit is its highest
    # fitting ancestor, or itself.
    key = np.where(fits[at] & keep_leaf[leaf], depth[at] * n_nodes + at, np.iinfo(np.intp).max)
    top = np.full(n_leaves, np.iinfo(np.intp).max)
    np.minimum.at(top, leaf, key)
    root_of_leaf = np.where(top < np.iinfo(np.intp).max, top % max(n_nodes, 1), -1)
    owner = np.where(root_of_leaf >= 0, root_of_leaf, n_nodes + np.arange(n_leaves))
    kept = np.flatnonzero(keep_leaf)
    roots, unit_of_kept = np.unique(owner[kept], return_inverse=True)
    unit_of_leaf = np.full(n_leaves, -1)
    unit_of_leaf[kept] = unit_of_kept
    root = np.where(roots < n_nodes, roots, -1)

    # Entries of kept leaves, inside their unit or above it.
    e = np.flatnonzero(keep_leaf[leaf])
    unit = unit_of_leaf[leaf[e]]
    inside = (root[unit] >= 0) & (depth[at[e]] >= depth[np.maximum(root[unit], 0)])
    feature = node["feature"][at[e]]
    n_units, n_f = len(roots), int(node["feature"].max(initial=0)) + 1
    # Decision bits: the unit's split nodes, by node id.
    split_key = np.unique(unit[inside] * n_nodes + at[e][inside])
    split_unit = split_key // n_nodes
    d = np.bincount(split_unit, minlength=n_units)
    split_bit = np.arange(len(split_key)) - np.searchsorted(split_unit, split_unit)
    # Above bits: the features tested above the unit, sorted.
    up_key = np.unique(unit[~inside] * n_f + feature[~inside])
    up_unit = up_key // n_f
    n_up = np.bincount(up_unit, minlength=n_units)
    # The features a unit's table has a column for: above and inside, sorted.
    all_key = np.unique(
        np.concatenate([up_key, split_unit * n_f + node["feature"][split_key % n_nodes]])
    )
    m = np.bincount(all_key // n_f, minlength=n_units)
    entry_bit = np.empty(len(e), dtype=np.intp)
    entry_bit[inside] = split_bit[
        np.searchsorted(split_key, unit[inside] * n_nodes + at[e][inside])
    ]
    up_index = np.searchsorted(up_key, unit[~inside] * n_f + feature[~inside])
    entry_bit[~inside] = d[unit[~inside]] + up_index - np.searchsorted(up_unit, unit[~inside])
    return {
        "root": root,  # split node at the top, or -1 for a leaf alone
        "leaf": np.where(root < 0, roots - n_nodes, below[np.maximum(root, 0)]),
        "m": m,
        "bits": d + n_up,
        "feature_key": all_key,  # unit * n_f + feature, sorted
        "n_f": n_f,
        "entry": e,  # entries of kept leaves ...
        "entry_unit": unit,
        "entry_inside": inside,
        "entry_bit": entry_bit,  # ... and the key bit each sets
        "unit_of_leaf": unit_of_leaf,
        "split_key": split_key,  # unit * n_nodes + node of the split nodes inside units
        "split_bit": split_bit,
        "n_nodes": n_nodes,
    }


def _slots(units: dict, entries: dict) -> dict:
    """The tests that set each bit of each unit's key, as (unit, bit) groups of nodes:
    the unit's split nodes, one each, and the nodes above it on each feature."""
    e, unit = units["entry"], units["entry_unit"]
    n_nodes = units["n_nodes"]
    up = ~units["entry_inside"]
    _, once = np.unique(unit[up] * n_nodes + entries["node"][e][up], return_index=True)
    split = units["split_key"]
    slot = {
        "unit": np.concatenate([unit[up][once], split // n_nodes]),
        "bit": np.concatenate([units["entry_bit"][up][once], units["split_bit"]]),
        "node": np.concatenate([entries["node"][e][up][once], split % n_nodes]),
        "left": np.concatenate([entries["left"][e][up][once], np.ones(len(split), dtype=bool)]),
    }
    order = np.lexsort((slot["bit"], slot["unit"]))
    slot = {k: v[order] for k, v in slot.items()}
    new = np.ones(len(order), dtype=bool)
    new[1:] = (slot["unit"][1:] != slot["unit"][:-1]) | (slot["bit"][1:] != slot["bit"][:-1])
    slot["group"] = np.cumsum(new) - 1
    slot["start"] = np.flatnonzero(new)
    return slot
