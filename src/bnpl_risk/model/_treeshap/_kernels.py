"""The per-row path, compiled: LightGBM's decisions, TreeSHAP from the tables, raw scores.

One row costs a few thousand reads of small arrays; as numpy calls over
all rows at once that is some twenty calls whose overhead, not the
arithmetic, dominates a single row. The loops here run each row in turn
with scratch arrays reused from row to row, and sum as LightGBM's
``GBDT::PredictRaw`` does (each tree's leaf value in tree order, from 0.0)
and each feature's TreeSHAP values as ``np.add.reduceat`` does over them in
the order by feature, then unit (the first plus NumPy's pairwise sum of the
others): the bits of the plan's formula in NumPy, the same for a row alone
or in any batch.
"""

from __future__ import annotations

import numba
import numpy as np

from bnpl_risk.model._treeshap._plan import _NAN_AS, _ZERO, _ZERO_AS, _Plan


def _contributions(plan: _Plan, x: np.ndarray, out: np.ndarray) -> None:
    """Add the tabulated trees' contributions of the rows ``x`` (float64, C order) to ``out``."""
    if not len(plan.col_node):
        return
    _add_contributions(
        x,
        out,
        _ZERO,
        plan.test_read,
        plan.test_threshold,
        plan.interval[0],
        plan.interval_read,
        plan.interval_lower,
        plan.cat_test,
        plan.cat_read,
        plan.cat_start,
        plan.cat_words,
        plan.cat_bitset,
        plan.col_node,
        plan.col_coef,
        plan.col_width,
        plan.unit_constant,
        plan.unit_base,
        plan.unit_pairs,
        plan.pair_slot,
        plan.feature_start,
        plan.used_feature,
        plan.table,
    )


def _raw_scores(plan: _Plan, x: np.ndarray, out: np.ndarray) -> None:
    """Write the raw score of each row of ``x`` (float64, C order) to ``out``."""
    _score(
        x,
        out,
        _ZERO,
        plan.tree_root,
        plan.node_left,
        plan.node_right,
        plan.test_read,
        plan.test_threshold,
        plan.node_cat,
        plan.cat_read,
        plan.cat_start,
        plan.cat_words,
        plan.cat_bitset,
        plan.leaf_value,
    )


@numba.njit(cache=True, nogil=True)
def _fill_copies(row, zero, copies):  # pragma: no cover - compiled
    """The row's 7 copies, one after the other: 0 (within ``zero``) and NaN replaced by
    what ``_plan._ZERO_AS`` and ``_plan._NAN_AS`` put in each."""
    n = len(row)
    for j in range(n):
        v = row[j]
        if np.isnan(v):
            for c in range(7):
                copies[c * n + j] = _NAN_AS[c]
        elif abs(v) <= zero:
            for c in range(7):
                copies[c * n + j] = _ZERO_AS[c]
        else:
            for c in range(7):
                copies[c * n + j] = v


@numba.njit(cache=True, nogil=True)
def _in_category(value, start, words, bitset):  # pragma: no cover - compiled
    """Is int(value) (C's truncation toward zero) in the bitset? NaN is in none."""
    code = np.trunc(value)
    if not (code >= 0 and code < 32 * words):
        return False
    c = np.int64(code)
    return (bitset[start + (c >> 5)] >> (c & 31)) & 1 == 1


@numba.njit(cache=True, nogil=True)
def _add_contributions(
    x,
    out,
    zero,
    test_read,
    test_threshold,
    interval_start,
    interval_read,
    interval_lower,
    cat_test,
    cat_read,
    cat_start,
    cat_words,
    cat_bitset,
    col_node,
    col_coef,
    col_width,
    unit_constant,
    unit_base,
    unit_pairs,
    pair_slot,
    feature_start,
    used_feature,
    table,
):  # pragma: no cover - compiled
    """Add the tabulated trees' contributions of each row of ``x`` to ``out``.

    Per row: whether it meets every test, each unit's table row ``key * m``
    (the slots' coefficients of met tests added to the unit's constant, in
    column-major slot order), then per feature the sum of its values in the
    units' tables, as ``np.add.reduceat`` sums them.
    """
    n_rows, n_features = x.shape
    n_tests = len(test_read)
    copies = np.empty(7 * n_features)
    # -1 (all bits) where the row meets the test, else 0: a mask, so that no branch
    # depends on the row's way, which no predictor guesses.
    met = np.empty(n_tests, dtype=np.int32)
    key = np.empty(len(unit_constant), dtype=np.int64)
    values = np.empty(len(pair_slot))
    n_used = len(used_feature)
    for r in range(n_rows):
        _fill_copies(x[r], zero, copies)
        for t in range(n_tests):
            met[t] = -np.int32(copies[test_read[t]] <= test_threshold[t])
        for i in range(len(interval_read)):
            met[interval_start + i] &= np.int32(copies[interval_read[i]] <= interval_lower[i]) - 1
        for i in range(len(cat_test)):
            met[cat_test[i]] = -np.int32(
                _in_category(copies[cat_read[i]], cat_start[i], cat_words[i], cat_bitset)
            )
        for u in range(len(key)):
            key[u] = unit_constant[u]
        s = 0
        for q in range(len(col_width)):
            for u in range(col_width[q]):
                key[u] += met[col_node[s]] & col_coef[s]
                s += 1
        # Each unit's table row is read in order; its values go to their places by
        # feature, where each feature's are summed as np.add.reduceat sums them.
        for u in range(len(key)):
            at = unit_base[u] + key[u] - unit_pairs[u]
            for k in range(unit_pairs[u], unit_pairs[u + 1]):
                values[pair_slot[k]] = table[at + k]
        for i in range(n_used):
            start = feature_start[i]
            stop = feature_start[i + 1] if i + 1 < n_used else len(values)
            total = values[start]
            if stop - start > 1:
                total += _pairwise_sum(values, start + 1, stop - start - 1)
            out[r, used_feature[i]] += total


@numba.njit(cache=True, nogil=True)
def _pairwise_sum(values, start, n):  # pragma: no cover - compiled
    """NumPy's sum of ``values[start:start + n]`` (``pairwise_sum`` in its loops): in
    order from 0.0 below 8 terms, in 8 running sums up to 128, else by halves.

    ``np.add.reduceat`` adds this sum of a segment's other values to its first.
    """
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    if n <= 128:
        v = values[start : start + n]
        r0, r1, r2, r3, r4, r5, r6, r7 = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
        i = 8
        while i < n - n % 8:
            r0 += v[i]
            r1 += v[i + 1]
            r2 += v[i + 2]
            r3 += v[i + 3]
            r4 += v[i + 4]
            r5 += v[i + 5]
            r6 += v[i + 6]
            r7 += v[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            total += v[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values, start, half) + _pairwise_sum(values, start + half, n - half)


@numba.njit(cache=True, nogil=True)
def _score(
    x,
    out,
    zero,
    tree_root,
    node_left,
    node_right,
    test_read,
    test_threshold,
    node_cat,
    cat_read,
    cat_start,
    cat_words,
    cat_bitset,
    leaf_value,
):  # pragma: no cover - compiled
    """Each row's raw score: its leaf value in every tree, added in tree order from 0.0.

    A node (>= 0) sends the row left when it meets the node's test, a
    categorical node's by its bitset; a child ``~l`` (< 0) is leaf ``l``.
    """
    n_rows, n_features = x.shape
    copies = np.empty(7 * n_features)
    for r in range(n_rows):
        _fill_copies(x[r], zero, copies)
        total = 0.0
        for t in range(len(tree_root)):
            node = tree_root[t]
            while node >= 0:
                c = node_cat[node]
                if c >= 0:
                    go_left = _in_category(
                        copies[cat_read[c]], cat_start[c], cat_words[c], cat_bitset
                    )
                else:
                    go_left = copies[test_read[node]] <= test_threshold[node]
                node = node_left[node] if go_left else node_right[node]
            total += leaf_value[~node]
        out[r] = total
