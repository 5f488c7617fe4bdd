"""The tests of the plan: each split node, interval or merged category set.

Decisions are LightGBM's (``include/LightGBM/tree.h`` ``NumericalDecision``,
``CategoricalDecision``): ``x <= threshold`` goes left; a value within 1e-35
of 0 is 0 (the C API drops it from the row); missing type None reads NaN as
0, Zero sends 0 and NaN the default way, NaN sends NaN the default way. A
categorical split sends a row left when the integer part of its value (C's
truncation) is a category of the split's bitset; NaN, negative and unknown
codes go right. Thresholds, leaf values and bitsets come from the model
text, written at full precision.
"""

from __future__ import annotations

import numpy as np

from bnpl_risk.model._treeshap._plan import _COPY

# decision_type bits (include/LightGBM/tree.h kCategoricalMask, kDefaultLeftMask,
# then the missing type in bits 2-3: 0 None, 1 Zero, 2 NaN).
_CATEGORICAL, _DEFAULT_LEFT = 1, 2
_MISSING_ZERO = 1


def _tests(node: dict, keep: np.ndarray, slots: dict, fields: dict, n_features: int):
    """Decision data of every test, and the test and way of each slot.

    Tests are the kept split nodes, then one per slot of several nodes on a
    numeric feature (an interval), then one per such slot on a categorical
    feature (a merged category set); so each slot reads one test.
    """
    new_node = np.cumsum(keep) - 1
    decision = node["decision"][keep]
    outcome = _outcomes(decision)
    size = np.diff(np.append(slots["start"], len(slots["node"])))
    multi = size > 1
    node_of_slot = new_node[slots["node"][slots["start"]]]
    categorical = (decision[node_of_slot] & _CATEGORICAL) > 0
    test = node_of_slot.copy()
    right = ~slots["left"][slots["start"]]

    # Entries of slots with several nodes, grouped by slot.
    in_multi = multi[slots["group"]]
    entry = {k: slots[k][in_multi] for k in ("node", "left", "group")}
    entry["node"] = new_node[entry["node"]]
    entry["start"] = np.flatnonzero(np.diff(entry["group"], prepend=-1))
    groups = np.flatnonzero(multi)
    numeric = _intervals(node, keep, outcome, entry, ~categorical[groups])
    merged, merged_right = _merged_sets(node, keep, fields, entry, categorical[groups])
    n_nodes, n_intervals, n_merged = len(decision), len(numeric["upper"]), len(merged_right)
    test[groups[~categorical[groups]]] = n_nodes + np.arange(n_intervals)
    start = n_nodes + n_intervals
    test[groups[categorical[groups]]] = start + np.arange(n_merged)
    right[groups[~categorical[groups]]] = False
    right[groups[categorical[groups]]] = merged_right

    # Which copy of the row each node reads: 0 stays 0 unless the missing
    # type is Zero, NaN is 0 under None; else they take the default way.
    missing = (decision >> 2) & 3
    default = np.where((decision & _DEFAULT_LEFT) > 0, 1, 2)
    node_copy = _COPY[np.where(missing == _MISSING_ZERO, default, 0), np.where(missing, default, 0)]
    real_cat = np.flatnonzero(decision & _CATEGORICAL)
    node_cat = np.full(n_nodes, -1, dtype=np.intp)  # a split node's place in cat_*, or -1
    node_cat[real_cat] = np.arange(len(real_cat))
    bitsets = _bitsets(node, keep, real_cat, fields)
    words = len(bitsets["cat_bitset"]) - 1  # merged sets go after the last word
    width = merged["words"]
    nan_is_no_category = _COPY[0, 2] * n_features
    return (
        {
            "test_read": np.concatenate(
                [
                    node_copy * n_features + node["feature"][keep],
                    numeric["copy"] * n_features + numeric["feature"],
                    np.zeros(n_merged, dtype=np.intp),
                ]
            ).astype(np.int32),
            "test_threshold": np.concatenate(
                [node["threshold"][keep], numeric["upper"], np.zeros(n_merged)]
            ),
            "interval": (n_nodes, n_nodes + n_intervals),
            "interval_read": (_COPY[2, 2] * n_features + numeric["feature"]).astype(np.intp),
            "interval_lower": numeric["lower"],
            "cat_test": np.concatenate([real_cat, start + np.arange(n_merged)]).astype(np.intp),
            "cat_read": nan_is_no_category
            + np.concatenate([bitsets["cat_feature"], merged["feature"]]).astype(np.intp),
            "cat_start": np.concatenate(
                [bitsets["cat_start"], words + width * np.arange(n_merged)]
            ),
            "cat_words": np.concatenate([bitsets["cat_words"], np.full(n_merged, width)]),
            "cat_bitset": np.concatenate(
                [bitsets["cat_bitset"][:-1], merged["bitset"], np.zeros(1, dtype=np.int64)]
            ),
            "node_cat": node_cat,
        },
        test,
        right,
    )


def _outcomes(decision: np.ndarray) -> np.ndarray:
    """Left? by (state, x <= threshold) per node, shape (nodes, 6).

    x is read as 0 when it is zero or NaN: ordinary values follow the
    comparison; zero goes the default way under missing type Zero; NaN
    under Zero and NaN.
    """
    missing = (decision >> 2) & 3
    default_left = ((decision & _DEFAULT_LEFT) > 0)[:, None]
    compare = np.broadcast_to([False, True], (len(decision), 2))
    zero = np.where((missing == _MISSING_ZERO)[:, None], default_left, compare)
    nan = np.where((missing != 0)[:, None], default_left, compare)
    return np.concatenate([compare, zero, nan], axis=1)


def _intervals(node, keep, outcome, entry, numeric) -> dict:
    """One test per numeric slot of several nodes: lower < x <= upper, and the copy of
    the row it reads, where 0 and NaN meet the test if they meet all its nodes."""
    group = np.repeat(numeric, np.diff(np.append(entry["start"], len(entry["node"]))))
    at = entry["node"][group]
    if not len(at):
        empty = np.empty(0)
        return {"feature": empty, "upper": empty, "lower": empty, "copy": empty}
    starts = np.flatnonzero(np.diff(entry["group"][group], prepend=-1))
    threshold = node["threshold"][keep][at]
    left = entry["left"][group]
    below_zero = (0 <= threshold).astype(np.intp)
    zero_met = np.logical_and.reduceat(outcome[at, 2 + below_zero] == left, starts)
    nan_met = np.logical_and.reduceat(outcome[at, 4 + below_zero] == left, starts)
    lower = np.maximum.reduceat(np.where(left, -np.inf, threshold), starts)
    feature = node["feature"][keep][at[starts]]
    return {
        "feature": feature,
        "upper": np.minimum.reduceat(np.where(left, threshold, np.inf), starts),
        # NaN: no lower bound (x <= NaN is false even for x = -inf).
        "lower": np.where(lower == -np.inf, np.nan, lower),
        # -inf (met) or NaN (not) in place of 0 and NaN.
        "copy": _COPY[np.where(zero_met, 1, 2), np.where(nan_met, 1, 2)],
    }


def _bitsets(node: dict, keep: np.ndarray, categorical: np.ndarray, fields: dict) -> dict:
    """Category bitsets of the kept categorical nodes: where each starts, its length."""
    has = np.array([s.strip() not in ("", "0") for s in fields["num_cat"]], dtype=bool)
    bounds = [np.array(s.split(), dtype=np.intp) for s in np.array(fields["cat_boundaries"])[has]]
    words = [np.array(s.split(), dtype=np.int64) for s in np.array(fields["cat_threshold"])[has]]
    word_offset = np.zeros(len(has), dtype=np.intp)
    bound_offset = np.zeros(len(has), dtype=np.intp)
    word_offset[has] = np.cumsum([0, *map(len, words)])[:-1]
    bound_offset[has] = np.cumsum([0, *map(len, bounds)])[:-1]
    all_bounds = np.concatenate([*bounds, np.zeros(1, dtype=np.intp)])
    tree = node["tree"][keep][categorical]
    index = node["threshold"][keep][categorical].astype(np.intp) + bound_offset[tree]
    start = all_bounds[index]
    return {
        "cat_feature": node["feature"][keep][categorical],
        "cat_start": word_offset[tree] + start,
        "cat_words": all_bounds[index + 1] - start,
        # A last 0 word: codes outside every set read it and go right.
        "cat_bitset": np.concatenate([*words, np.zeros(1, dtype=np.int64)]),
    }


def _merged_sets(node, keep, fields, entry, categorical) -> tuple[dict, np.ndarray]:
    """One test per categorical slot of several nodes: a merged category set.

    The row meets the slot when it is in every set its path goes left at and
    in none it goes right at. With a left turn, that is being in their
    intersection minus the union of the others; without one, being outside
    the union (NaN and unknown codes, in no set, meet it).
    """
    group = np.repeat(categorical, np.diff(np.append(entry["start"], len(entry["node"]))))
    at = entry["node"][group]
    if not len(at):
        empty = np.empty(0, dtype=np.intp)
        return {"feature": empty, "words": 0, "bitset": np.empty(0, np.int64)}, empty.astype(bool)
    starts = np.flatnonzero(np.diff(entry["group"][group], prepend=-1))
    left = entry["left"][group]
    sets = _bitsets(node, keep, at, fields)
    width = int(sets["cat_words"].max())
    word = np.arange(width)
    words = np.where(
        word < sets["cat_words"][:, None],
        sets["cat_bitset"][
            sets["cat_start"][:, None] + np.minimum(word, sets["cat_words"][:, None] - 1)
        ],
        0,
    )
    members = ((words[..., None] >> np.arange(32)) & 1).astype(bool).reshape(len(at), -1)
    any_left = np.logical_or.reduceat(left, starts)
    within = np.logical_and.reduceat(members | ~left[:, None], starts, axis=0)
    union = np.logical_or.reduceat(members & ~left[:, None], starts, axis=0)
    merged = np.where(any_left[:, None], within & ~union, union)
    packed = (merged.reshape(len(starts), width, 32) << np.arange(32)).sum(axis=2)
    return {
        "feature": sets["cat_feature"][starts],
        "words": width,
        "bitset": packed.ravel().astype(np.int64),
    }, ~any_left
