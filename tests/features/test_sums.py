"""Per-application spreads are exact integers where they can be, whatever the book.

The integer path is taken only where no value can overflow, value by value,
so an application's value never depends on the others computed with it.
"""

from bnpl_risk.features._kernel import spread_std


def test_equal_amounts_spread_exactly_zero_and_a_one_cent_gap_exactly_half():
    # Two orders of 2**27 + 1 and 2**27 cents: n * s2 - s1**2 = 1 exactly, 0 in floats.
    a, b = 2**27 + 1, 2**27
    assert spread_std(2, a + b, a * a + b * b) == 0.5
    assert spread_std(2, 2 * a, 2 * a * a) == 0.0


def test_a_spread_too_large_for_integers_goes_through_floats():
    # 2**62 overflows n * s2 in int64; the float path gives the right magnitude.
    assert spread_std(2, 2**31, 2**62) == 2.0**30


def test_no_orders_has_no_spread():
    assert spread_std(0, 0, 0) != spread_std(0, 0, 0)  # NaN
