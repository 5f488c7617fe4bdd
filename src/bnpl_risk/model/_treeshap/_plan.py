"""The plan: everything the per-row path reads, and the copies of a row it tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# LightGBM's kZeroThreshold, a float literal (1e-35f) widened to double.
_ZERO = float(np.float32(1e-35))
# A test reads one of 7 copies of the row: copy c has 0 (and values within
# 1e-35 of it) replaced by _ZERO_AS[c] and NaN by _NAN_AS[c], so that one
# comparison gives LightGBM's way for every value: -inf goes left at every
# threshold, NaN right. _COPY[zero, nan] numbers them by what they put in:
# 0 the value 0, 1 -inf, 2 NaN.
_ZERO_AS = np.array([0.0, 0.0, 0.0, -np.inf, np.nan, -np.inf, np.nan])
_NAN_AS = np.array([0.0, -np.inf, np.nan, -np.inf, np.nan, np.nan, -np.inf])
_COPY = np.array([[0, 1, 2], [-1, 3, 5], [-1, 6, 4]])


@dataclass(frozen=True)
class _Plan:
    """Everything the per-row path reads (see ``_kernels``).

    Tests are split nodes, plus one per (unit, feature) tested at several
    nodes above the unit: an interval or a merged category set; the first
    tests are the kept split nodes, in model order. A unit is a subtree of
    height up to ``_units._UNIT_HEIGHT`` (or a leaf alone) with one table.
    Its key has a bit per split node inside it, set when the row goes right
    there, then one per feature tested above it, set when the row fails a
    condition there. Its slots, one per bit, are stored column-major (column
    ``q`` holds the ``q``-th slot of the units with more than ``q``), units
    with the most slots first.
    """

    test_read: np.ndarray  # (tests,) column of the row's copies it reads
    test_threshold: np.ndarray  # left (met) if read <= threshold ...
    interval: tuple  # ... and, for the tests in this slice, ...
    interval_read: np.ndarray
    interval_lower: np.ndarray  # ... read > lower (NaN: no lower bound)
    cat_test: np.ndarray  # categorical tests, overwritten by a bitset lookup
    cat_read: np.ndarray
    cat_start: np.ndarray  # first bitset word of each
    cat_words: np.ndarray  # number of words of each
    cat_bitset: np.ndarray
    node_cat: np.ndarray  # (kept split nodes,) the node's place in cat_*, or -1
    col_node: np.ndarray  # (slots,) the test of each slot
    col_coef: np.ndarray  # what the slot adds to key * m when the test says left
    col_width: np.ndarray  # units in each column
    unit_constant: np.ndarray  # key * m when every test says right
    unit_base: np.ndarray  # where each unit's table starts
    unit_pairs: np.ndarray  # (units + 1,) where each unit's (unit, feature) pairs start
    pair_slot: np.ndarray  # each pair's place in the order by feature, then unit ...
    feature_start: np.ndarray  # ... where each used feature's pairs start in it
    used_feature: np.ndarray
    table: np.ndarray
    # The trees for raw scores, without the fallback trees: each tree's root
    # (a kept split node, or ~leaf for a tree of one leaf), each kept split
    # node's children (split node, or ~leaf) and the leaf values.
    tree_root: np.ndarray
    node_left: np.ndarray
    node_right: np.ndarray
    leaf_value: np.ndarray
    expected_value: float
    n_features: int
