"""Root paths of the leaves: one entry per (leaf, split node), grouped by feature."""

from __future__ import annotations

import numpy as np


def _paths(node: dict, node_start, leaf_start, leaf_count) -> dict:
    """One entry per (leaf, split node on its root path), sorted by leaf: the way the path
    goes there, the share of the node's rows that go that way, and how far up it is."""
    n_nodes = len(node["tree"])
    ids = np.arange(n_nodes)
    parent = np.full(n_nodes, -1)
    parent_left = np.zeros(n_nodes, dtype=bool)
    leaf_parent = np.full(len(leaf_count), -1)
    leaf_left = np.zeros(len(leaf_count), dtype=bool)
    child_count = np.zeros((n_nodes, 2))
    for side, child in enumerate((node["left"], node["right"])):
        leaf = child < 0
        leaf_id = leaf_start[node["tree"][leaf]] + ~child[leaf]
        leaf_parent[leaf_id], leaf_left[leaf_id] = ids[leaf], side == 0
        child_count[leaf, side] = leaf_count[leaf_id]
        inner = node_start[node["tree"][~leaf]] + child[~leaf]
        parent[inner], parent_left[inner] = ids[~leaf], side == 0
        child_count[~leaf, side] = node["count"][inner]
    share = child_count / node["count"][:, None]

    leaf = np.flatnonzero(leaf_parent >= 0)
    at, left = leaf_parent[leaf], leaf_left[leaf]
    steps = []
    while len(leaf):  # one step up all paths at once: depth iterations
        share_taken = share[at, (~left).astype(np.intp)]
        steps.append((leaf, at, left, share_taken, np.full(len(leaf), len(steps))))
        up = parent[at] >= 0
        leaf, at, left = leaf[up], parent[at[up]], parent_left[at[up]]
    keys = ("leaf", "node", "left", "share", "up")
    if not steps:
        types = (int, int, bool, float, int)
        return {k: np.empty(0, dtype=t) for k, t in zip(keys, types, strict=True)}
    columns = [np.concatenate(s) for s in zip(*steps, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    # up: nodes between the leaf and this one.
    return {k: c[order] for k, c in zip(keys, columns, strict=True)}


def _pairs(entries: dict, node_feature: np.ndarray) -> dict:
    """Group path entries by (leaf, feature): cover share z and position j of each pair.

    Sorts ``entries`` by (leaf, feature) in place and adds the pair of each.
    """
    feature = node_feature[entries["node"]]
    order = np.lexsort((feature, entries["leaf"]))
    for key in entries:
        entries[key] = entries[key][order]
    feature = feature[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (entries["leaf"][1:] != entries["leaf"][:-1]) | (feature[1:] != feature[:-1])
    start = np.flatnonzero(new)
    leaf = entries["leaf"][start]
    entries["pair"] = np.cumsum(new) - 1
    return {
        "leaf": leaf,
        "feature": feature[start],
        "z": np.multiply.reduceat(entries["share"], start) if len(start) else np.empty(0),
        "j": np.arange(len(start)) - np.searchsorted(leaf, leaf),
    }
