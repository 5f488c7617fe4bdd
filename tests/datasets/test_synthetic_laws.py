"""The generator's samplers draw from the laws its true PD assumes.

true_pd is computed in closed form from these laws; if a sampler drifted
from its law, the PD would silently stop being calibrated.
"""

import numpy as np
import pytest

from bnpl_risk.datasets._customers import draw_customers
from bnpl_risk.datasets._orders import cumulative_rate, draw_orders
from bnpl_risk.datasets._repayment import _lateness_s, lateness_survival, no_part_payment_yet
from bnpl_risk.datasets._time import DAY_S
from bnpl_risk.datasets._true_pd import _refund_pending


def test_lateness_survival_by_hand():
    # Paid on the due day (share 0.7, uniform over the day): half still unpaid at noon.
    assert lateness_survival(0.5, 0.2, 0.1) == pytest.approx(0.7 * 0.5 + 0.2 + 0.1)
    # 30-40 days late is uniform over [30, 41): 6 of 11 days remain after day 35.
    assert lateness_survival(35.0, 0.2, 0.1) == pytest.approx(0.1 * 6 / 11)
    assert lateness_survival(-3.0, 0.2, 0.1) == 1.0
    assert lateness_survival(30.0, 0.2, 0.1) == pytest.approx(0.1)
    assert lateness_survival(41.0, 0.2, 0.1) == 0.0


def test_sampled_lateness_follows_its_survival_law():
    rng = np.random.default_rng(0)
    n = 400_000
    mild, long = np.full(n, 0.3), np.full(n, 0.05)
    days = _lateness_s(rng, mild, long) / DAY_S
    for x in (0.25, 1.0, 2.5, 7.0, 15.0, 29.5, 30.0, 36.0):
        empirical = (days >= x).mean()
        assert empirical == pytest.approx(lateness_survival(x, 0.3, 0.05), abs=0.003), x


def test_order_counts_follow_the_cumulative_rate():
    rng = np.random.default_rng(1)
    span_s = 540 * DAY_S
    customers = draw_customers(rng, 20_000, span_s)
    orders = draw_orders(rng, customers, span_s)
    horizon = (span_s - customers.signup_s) / DAY_S
    expected = cumulative_rate(customers, np.arange(len(customers)), horizon)
    counts = np.bincount(orders.customer, minlength=len(customers))
    # Only the last day of the book loses the odd order to its time of day.
    assert counts.sum() == pytest.approx(expected.sum(), rel=0.01)
    within_month = (orders.ts_s - customers.signup_s[orders.customer]) < 30 * DAY_S
    first_month = cumulative_rate(customers, np.arange(len(customers)), np.minimum(horizon, 30))
    assert within_month.sum() == pytest.approx(first_month.sum(), rel=0.02)


def test_refund_pending_by_hand():
    # Refunds come uniformly 1-25 days after the order: half of them by day 13.
    assert _refund_pending(0.1, 13.0) == pytest.approx(0.05 / 0.95)
    assert _refund_pending(0.1, 0.5) == pytest.approx(0.1)
    assert _refund_pending(0.1, 30.0) == 0.0


def test_part_payments_come_within_25_days():
    assert no_part_payment_yet(0.0) == 1.0
    assert no_part_payment_yet(12.5) == pytest.approx(1 - 0.08 / 2)
    assert no_part_payment_yet(40.0) == pytest.approx(0.92)
