"""Per-query sums and spreads are exact integers, whatever the rows computed with them.

Fast paths (float64 sums, integer spreads) are taken only where they are
exact, value by value, so a row never depends on the rows beside it.
"""

import numpy as np

from bnpl_risk.features import _orders, _repayment


def test_a_rows_spread_does_not_depend_on_the_rows_computed_with_it():
    # Two orders of 2**27 + 1 and 2**27 cents: n * s2 - s1**2 = 1 exactly, 0 in floats.
    a, b = 2**27 + 1, 2**27
    n, s1, s2 = np.array([2]), np.array([a + b]), np.array([a * a + b * b])
    alone = _orders._std_cents(n, s1, s2)
    assert alone.tolist() == [0.5]
    # Beside a row too large for integers, the row keeps its exact value.
    beside = _orders._std_cents(np.append(n, 1), np.append(s1, 2**40), np.append(s2, 2**62))
    assert beside.tolist() == [0.5, 0.0]


def test_sums_per_query_stay_exact_beyond_float_precision():
    app = np.array([0, 1, 1, 0, 2])
    small = np.array([5, 7, 11, 13, 0])
    assert _repayment._per_query(4, app, small).tolist() == [18, 18, 0, 0]
    # 2**53 + 1 is no float64: the sum must not go through floats.
    big = np.array([2**53, 1, 2, 1, 3])
    got = _repayment._per_query(3, app, big)
    assert got.dtype == np.int64
    assert got.tolist() == [2**53 + 1, 3, 3]
