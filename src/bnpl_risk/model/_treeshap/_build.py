"""The plan of a model's trees: its tables, tests and index arrays."""

from __future__ import annotations

import numpy as np

from bnpl_risk.model._treeshap._decisions import _tests
from bnpl_risk.model._treeshap._model_text import _numbers
from bnpl_risk.model._treeshap._paths import _pairs, _paths
from bnpl_risk.model._treeshap._plan import _Plan
from bnpl_risk.model._treeshap._tables import _unit_tables
from bnpl_risk.model._treeshap._units import _slots, _units


def _build(fields: dict, n_features: int, max_m: int, max_cells: int) -> tuple[_Plan, np.ndarray]:
    """The plan of the tabulated trees, and the trees left to LightGBM."""
    leaves = np.array(fields["num_leaves"], dtype=np.int64)
    n_trees = len(leaves)
    leaf_value = _numbers(fields["leaf_value"], np.float64)
    leaf_count = _numbers(fields["leaf_count"], np.float64)
    node = {
        "feature": _numbers(fields["split_feature"], np.intp),
        "threshold": _numbers(fields["threshold"], np.float64),
        "decision": _numbers(fields["decision_type"], np.int64),
        "left": _numbers(fields["left_child"], np.int64),
        "right": _numbers(fields["right_child"], np.int64),
        "count": _numbers(fields["internal_count"], np.float64),
        "tree": np.repeat(np.arange(n_trees), leaves - 1),
    }
    leaf_tree = np.repeat(np.arange(n_trees), leaves)
    leaf_start = np.concatenate([[0], np.cumsum(leaves)[:-1]])
    node_start = np.concatenate([[0], np.cumsum(leaves - 1)[:-1]])

    stump = leaves == 1
    root_count = np.ones(n_trees)
    root_count[~stump] = node["count"][node_start[~stump]]
    weighted = leaf_count / root_count[leaf_tree] * leaf_value
    tree_expected = np.bincount(leaf_tree, weights=weighted, minlength=n_trees)
    tree_expected[stump] = leaf_value[leaf_start[stump]]

    entries = _paths(node, node_start, leaf_start, leaf_count)
    pairs = _pairs(entries, node["feature"])
    m = np.bincount(pairs["leaf"], minlength=len(leaf_tree))
    deep = np.bincount(leaf_tree, weights=m > max_m, minlength=n_trees) > 0
    units = _units(node, entries, pairs, ~deep[leaf_tree] & ~stump[leaf_tree], max_m)
    root_tree = np.where(units["root"] >= 0, node["tree"][units["root"]], leaf_tree[units["leaf"]])
    cells = np.bincount(root_tree, weights=units["m"] * 2.0 ** units["bits"], minlength=n_trees)
    fallback = _over_budget(cells, deep, max_cells)
    kept = ~fallback & ~stump
    keep_node = kept[node["tree"]]
    units = _units(node, entries, pairs, kept[leaf_tree], max_m)
    table, base = _unit_tables(units, entries, pairs, leaf_value)
    slots = _slots(units, entries)
    tests, slot_test, slot_right = _tests(node, keep_node, slots, fields, n_features)
    plan = _Plan(
        **tests,
        **_layout(units, slots, slot_test, slot_right, base),
        table=table,
        **_trees(node, kept | stump, node_start, leaf_start, leaf_value),
        # The fallback booster's own bias column holds its trees' expected values.
        expected_value=float(tree_expected[~fallback].sum()),
        n_features=n_features,
    )
    return plan, np.flatnonzero(fallback)


def _trees(node: dict, kept: np.ndarray, node_start, leaf_start, leaf_value) -> dict:
    """The ``kept`` trees' roots and their split nodes' children, numbered as the tests:
    split nodes of kept trees in model order, leaves ``~l`` by their place in the model."""
    keep_node = kept[node["tree"]]
    new_node = np.cumsum(keep_node) - 1

    def renumber(child: np.ndarray, tree: np.ndarray) -> np.ndarray:
        out = (~(leaf_start[tree] + ~child)).astype(np.intp)
        inner = child >= 0
        out[inner] = new_node[node_start[tree[inner]] + child[inner]]
        return out

    tree = np.flatnonzero(kept)
    has_split = np.bincount(node["tree"], minlength=len(kept))[tree] > 0
    root = np.where(has_split, 0, -1)  # LightGBM's root is node 0, a lone leaf ~0
    node_tree = node["tree"][keep_node]
    return {
        "tree_root": renumber(root, tree),
        "node_left": renumber(node["left"][keep_node], node_tree),
        "node_right": renumber(node["right"][keep_node], node_tree),
        "leaf_value": leaf_value,
    }


def _over_budget(cells: np.ndarray, deep: np.ndarray, max_cells: int) -> np.ndarray:
    """Trees to leave to LightGBM: too deep, then the largest until the rest fit."""
    cost = np.where(deep, np.inf, cells)
    order = np.argsort(cost, kind="stable")
    fallback = np.ones(len(cells), dtype=bool)
    fallback[order[np.cumsum(cost[order]) <= max_cells]] = False
    return (fallback & (cells > 0)) | deep


def _layout(units, slots, slot_test, slot_right, base) -> dict:
    """The per-row arrays: slots column-major, then each unit's features, units in the
    same order (most slots first), and where each goes in the order by feature."""
    n_slots = np.bincount(slots["unit"][slots["start"]], minlength=len(units["m"]))
    unit = np.argsort(-n_slots, kind="stable")  # most slots first
    new_unit = np.empty(len(unit), dtype=np.intp)
    new_unit[unit] = np.arange(len(unit))
    slot_unit = new_unit[slots["unit"][slots["start"]]]
    q = np.arange(len(slot_unit)) - np.searchsorted(
        slots["unit"][slots["start"]], slots["unit"][slots["start"]]
    )
    col_width = np.bincount(q, minlength=1)  # units with more than q slots, per column q
    column = np.concatenate([[0], np.cumsum(col_width)[:-1]])[q] + slot_unit
    m = units["m"][slots["unit"][slots["start"]]]
    weight = (m << slots["bit"][slots["start"]]).astype(np.int32)
    col = np.empty(len(column), dtype=np.intp)
    col[column] = np.arange(len(column))
    constant = np.bincount(slot_unit, weights=np.where(slot_right, 0, weight), minlength=len(unit))

    # (unit, j) for j < m, the unit's features, unit by unit; and their places in the
    # order by feature, then unit, in which each feature's values are summed.
    first = np.concatenate([[0], np.cumsum(units["m"])[:-1]])
    width = units["m"][unit]
    owner = np.repeat(np.arange(len(unit)), width)
    j = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    feature = units["feature_key"][first[unit][owner] + j] % units["n_f"]
    order = np.argsort(feature, kind="stable")  # by feature, then unit
    used, feature_start = np.unique(feature[order], return_index=True)
    slot = np.empty(len(order), dtype=np.int32)
    slot[order] = np.arange(len(order))
    return {
        "col_node": slot_test[col].astype(np.int32),
        "col_coef": np.where(slot_right, weight, -weight)[col].astype(np.int32),
        "col_width": col_width[col_width > 0].astype(np.intp),
        "unit_constant": constant.astype(np.int32),
        "unit_base": base[unit].astype(np.intp),
        "unit_pairs": np.concatenate([[0], np.cumsum(width)]).astype(np.int32),
        "pair_slot": slot,
        "feature_start": feature_start.astype(np.intp),
        "used_feature": used.astype(np.intp),
    }
