"""Hand-computed features on tiny histories, one scenario per family.

Every expected number is worked out in the comments from the rows above it.
"""

import math

import pandas as pd
import pytest
from features_testkit import applications, customers, installments, orders, ts

from bnpl_risk.features import FeatureBuilder
from bnpl_risk.histories import Histories

NAN = math.nan


def build(h, apps):
    return FeatureBuilder().fit(h, apps).transform(h, apps)


def check(row: pd.Series, **expected):
    got = {k: row[k] for k in expected}
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12, nan_ok=True)


# Shopper c1 signed up 2024-01-01, born 1990, verification 3, city tier 2.
SHOPPER = customers(("c1", ts("2024-01-01"), 1990, 3, 2))

# Orders; as_of is 2024-04-01 00:00 (a1) or 2024-03-25 00:00 (a2).
SHOPPING = orders(
    (
        "o1",
        "c1",
        ts("2024-01-10 10:00"),
        100.0,
        "apparel",
        "live_stream",
        "upfront",
        "completed",
        None,
    ),
    (
        "o2",
        "c1",
        ts("2024-03-05 02:30"),
        300.0,
        "electronics",
        "short_video",
        "bnpl",
        "completed",
        None,
    ),
    # Refunded exactly at a2's as_of: still completed for a2, refunded for a1.
    (
        "o3",
        "c1",
        ts("2024-03-20 12:00"),
        50.0,
        "food",
        "mall",
        "upfront",
        "refunded",
        ts("2024-03-25"),
    ),
    # Refunded after a1's as_of: completed at a1.
    (
        "o4",
        "c1",
        ts("2024-03-28 23:00"),
        200.0,
        "digital_goods",
        "live_stream",
        "bnpl",
        "refunded",
        ts("2024-04-03"),
    ),
    # Cancelled without a time: never completed.
    ("o5", "c1", ts("2024-03-30 01:00"), 80.0, "beauty", "search", "upfront", "cancelled", None),
    # Placed exactly at a1's as_of: not counted.
    ("o6", "c1", ts("2024-04-01"), 999.0, "electronics", "live_stream", "bnpl", "completed", None),
)


@pytest.fixture(scope="module")
def shopping():
    h = Histories(SHOPPER, SHOPPING, installments())
    apps = applications(
        ("a1", "c1", ts("2024-04-01"), 600.0, "live_stream"),
        ("a2", "c1", ts("2024-03-25"), None, "mall"),
    )
    return build(h, apps)


def test_identity(shopping):
    # 2024-01-01 -> 2024-04-01 is 31 + 29 + 31 = 91 days; 2024 - 1990 = 34.
    check(
        shopping.loc["a1"],
        account_age_days=91.0,
        age_years=34.0,
        kyc_level=3.0,
        city_tier=2.0,
        app_channel_live_stream=1.0,
        app_channel_mall=0.0,
    )
    check(shopping.loc["a2"], app_channel_mall=1.0, app_channel_live_stream=0.0)


def test_spending(shopping):
    # a1: completed at as_of are o1 (100), o2 (300), o4 (200); o3 refunded and o5 cancelled
    # before, o6 placed at as_of. 7 days back is 03-25: o4. 30 days back is 03-02: o2, o4.
    # 90 days back is 2024-01-02: o1, o2, o4; std of (100, 300, 200) = sqrt(20000 / 3).
    check(
        shopping.loc["a1"],
        spend_count_7d=1.0,
        spend_sum_7d=200.0,
        spend_mean_7d=200.0,
        spend_max_7d=200.0,
        spend_std_7d=0.0,
        spend_count_30d=2.0,
        spend_sum_30d=500.0,
        spend_mean_30d=250.0,
        spend_max_30d=300.0,
        spend_std_30d=50.0,
        spend_count_90d=3.0,
        spend_sum_90d=600.0,
        spend_mean_90d=200.0,
        spend_max_90d=300.0,
        spend_std_90d=math.sqrt(20000 / 3),
        spend_count_180d=3.0,
        spend_count_all=3.0,
        spend_sum_all=600.0,
        # last order before as_of: o5 at 03-30 01:00, 47 hours earlier.
        days_since_last_order=47 / 24,
        # (500 / 30) / (600 / 180)
        spend_trend_30d_180d=5.0,
    )
    # a2 (03-25): o3's refund at exactly as_of is not known, so o3 is completed.
    # 30 days back is 02-24: o2 (300) and o3 (50); 7 days back is 03-18: o3.
    check(
        shopping.loc["a2"],
        spend_count_30d=2.0,
        spend_sum_30d=350.0,
        spend_count_7d=1.0,
        spend_sum_7d=50.0,
        spend_max_7d=50.0,
        spend_std_7d=0.0,
    )


def test_refunds_and_cancellations(shopping):
    # a1, 30 days: placed o2, o3, o4, o5 (630 CNY); refunded before as_of o3 (50);
    # cancelled o5. 7 days: placed o4, o5; o4's refund comes after as_of.
    check(
        shopping.loc["a1"],
        refund_rate_30d=0.25,
        cancel_rate_30d=0.25,
        refund_amount_share_30d=50 / 630,
        refund_rate_7d=0.0,
        cancel_rate_7d=0.5,
        refund_amount_share_7d=0.0,
    )
    check(shopping.loc["a2"], refund_rate_30d=0.0, refund_rate_7d=0.0)


def test_channel_and_category_mix(shopping):
    # a1, 30 days: o2 (short video, electronics, 02:30), o3 (mall), o4 (live, digital goods),
    # o5 (search, 01:00). 90 days adds o1 (live, 10:00): 5 orders, 730 CNY.
    check(
        shopping.loc["a1"],
        live_stream_share_30d=0.25,
        short_video_share_30d=0.25,
        night_share_30d=0.5,
        resellable_share_30d=500 / 630,
        live_stream_share_90d=0.4,
        short_video_share_90d=0.2,
        night_share_90d=0.4,
        resellable_share_90d=500 / 730,
    )


def test_bnpl_share_and_velocity(shopping):
    # a1: o2 and o4 of the 5 orders placed in 90 days (and ever) were BNPL.
    # Last 7 days: 2 orders, 280 CNY; 90 days: 5 orders, 730 CNY.
    check(
        shopping.loc["a1"],
        bnpl_share_90d=0.4,
        bnpl_share_all=0.4,
        velocity_orders_7d_vs_90d=(2 / 7) / (5 / 90),
        velocity_amount_7d_vs_90d=(280 / 7) / (730 / 90),
        amount_placed_7d=280.0,
        # 730 CNY over 91 days of account age; 600 requested vs a 200 CNY mean order.
        amount_per_account_day=730 / 91,
        requested_amount=600.0,
        requested_to_avg_order=3.0,
    )
    check(shopping.loc["a2"], requested_amount=NAN, requested_to_avg_order=NAN)


# Loans of c1. as_of: a1 2024-04-01, a2 2024-03-10, a3 2024-02-20 15:00.
LOAN_ORDERS = orders(
    ("o7", "c1", ts("2024-01-05 12:00"), 50.0, "food", "mall", "bnpl", "completed", None),
    ("o0", "c1", ts("2024-01-15 09:00"), 120.0, "home", "mall", "bnpl", "completed", None),
    ("o2", "c1", ts("2024-03-05 02:30"), 300.0, "electronics", "mall", "bnpl", "completed", None),
    (
        "o4",
        "c1",
        ts("2024-03-28 23:00"),
        200.0,
        "digital_goods",
        "mall",
        "bnpl",
        "refunded",
        ts("2024-04-03"),
    ),
)
LOAN_SCHEDULE = installments(
    # Paid 8 hours after the due date: never a day past due.
    ("o7", "c1", 1, ts("2024-02-04"), 50.0, ts("2024-02-04 08:00"), 50.0),
    # 6 days 15 hours late: reached 1 DPD on 02-15, paid before 7 DPD (02-21).
    ("o0", "c1", 1, ts("2024-02-14"), 60.0, ts("2024-02-20 15:00"), 60.0),
    # Part paid (20 of 60) on 03-20, open since: 17 DPD at 2024-04-01.
    ("o0", "c1", 2, ts("2024-03-15"), 60.0, ts("2024-03-20 10:00"), 20.0),
    # Paid 3.5 days early.
    ("o2", "c1", 1, ts("2024-04-04"), 100.0, ts("2024-03-31 12:00"), 100.0),
    ("o2", "c1", 2, ts("2024-05-04"), 100.0, None, 0.0),
    ("o2", "c1", 3, ts("2024-06-03"), 100.0, None, 0.0),
    # Settled by the refund after a1's as_of: unpaid at a1.
    ("o4", "c1", 1, ts("2024-04-27"), 200.0, ts("2024-04-03"), 200.0),
)


@pytest.fixture(scope="module")
def loans():
    h = Histories(SHOPPER, LOAN_ORDERS, LOAN_SCHEDULE)
    apps = applications(
        ("a1", "c1", ts("2024-04-01"), None, "mall"),
        ("a2", "c1", ts("2024-03-10"), None, "mall"),
        ("a3", "c1", ts("2024-02-20 15:00"), None, "mall"),
    )
    return build(h, apps)


def test_bnpl_usage(loans):
    # a1: loans o7, o0, o2, o4; o7 is paid off. 7 days back (03-25): o4; 30 days: o2, o4.
    # Owed: o0 60 - 20 part payment = 40, o2 200, o4 200 (its payment comes later).
    # Due in [04-01, 05-01) and unpaid at as_of: o4's 200 (o2's first is paid already).
    # First loan o7 on 01-05 12:00: 26.5 + 29 + 31 days before as_of.
    check(
        loans.loc["a1"],
        bnpl_loans_all=4.0,
        open_bnpl_loans=3.0,
        new_bnpl_loans_7d=1.0,
        new_bnpl_loans_30d=2.0,
        max_plan_installments=3.0,
        bnpl_tenure_days=86.5,
        outstanding_balance=440.0,
        due_next_30d_count=1.0,
        due_next_30d_amount=200.0,
    )
    # a2 (03-10): o0 owes 60 (the part payment comes later), o2 owes 300.
    # Due in [03-10, 04-09): o0's second (60) and o2's first (100, paid only on 03-31).
    check(
        loans.loc["a2"],
        bnpl_loans_all=3.0,
        open_bnpl_loans=2.0,
        outstanding_balance=360.0,
        due_next_30d_count=2.0,
        due_next_30d_amount=160.0,
    )


def test_repayment_now(loans):
    # a1: due so far o7, o0#1, o0#2; late (1+ DPD) o0#1 and o0#2; o0#2 reached 7 DPD on
    # 03-22, not 30. Overdue now: o0#2, 17 days, 40 CNY left.
    # Paid in full before as_of: o7 (+8 h), o0#1 (+6 d 15 h), o2#1 (-3 d 12 h).
    check(
        loans.loc["a1"],
        installments_due_count=3.0,
        on_time_ratio=1 / 3,
        current_dpd=17.0,
        overdue_count=1.0,
        overdue_amount=40.0,
        worst_dpd_all=17.0,
        worst_dpd_7d=17.0,
        worst_dpd_180d=17.0,
        dpd1_count_all=2.0,
        dpd7_count_all=1.0,
        dpd30_count_all=0.0,
        days_since_last_late=0.0,
        cured_count=1.0,
        avg_pay_delay_days=(8 / 24 + 6 + 15 / 24 - 3.5) / 3,
        # Became 1 DPD on 02-15 and 03-16: in (03-02, 04-01] only the second.
        late_count_7d=0.0,
        late_count_30d=1.0,
        late_count_90d=2.0,
    )


def test_repayment_history_by_window(loans):
    # a2 (03-10): nothing overdue; o0#1 was 6 DPD when paid on 02-20 15:00, which is within
    # 30 days but not 7. It became late on 02-15. 02-20 15:00 -> 03-10 is 18.375 days.
    check(
        loans.loc["a2"],
        current_dpd=0.0,
        overdue_count=0.0,
        worst_dpd_7d=0.0,
        worst_dpd_30d=6.0,
        worst_dpd_all=6.0,
        late_count_7d=0.0,
        late_count_30d=1.0,
        days_since_last_late=18.375,
        cured_count=1.0,
        on_time_ratio=0.5,
        installments_due_count=2.0,
        avg_pay_delay_days=(8 / 24 + 6 + 15 / 24) / 2,
    )


def test_a_payment_at_exactly_as_of_is_not_yet_known(loans):
    # a3 is at o0#1's payment time: unpaid then, 6 days past due (02-14 -> 02-20 15:00).
    check(
        loans.loc["a3"],
        current_dpd=6.0,
        overdue_count=1.0,
        overdue_amount=60.0,
        cured_count=0.0,
        days_since_last_late=0.0,
        worst_dpd_all=6.0,
    )


def test_customers_without_orders_or_loans_get_the_documented_defaults():
    h = Histories(
        customers(("c1", ts("2024-01-01"), 2000, 2, 1), ("c2", ts("2024-01-01"), 2000, 2, 1)),
        orders(("o1", "c2", ts("2024-02-01"), 10.0, "food", "mall", "upfront", "completed", None)),
        installments(),
    )
    apps = applications(
        ("a1", "c1", ts("2024-03-01"), None, "mall"), ("a2", "c2", ts("2024-03-01"), None, "mall")
    )
    X = build(h, apps)
    zero = [
        "spend_count_all",
        "spend_sum_all",
        "bnpl_loans_all",
        "open_bnpl_loans",
        "outstanding_balance",
        "current_dpd",
        "overdue_count",
        "worst_dpd_all",
        "dpd1_count_all",
        "installments_due_count",
        "due_next_30d_count",
        "new_bnpl_loans_30d",
        "amount_placed_7d",
        "cured_count",
    ]
    undefined = [
        "spend_mean_90d",
        "spend_max_90d",
        "spend_std_90d",
        "days_since_last_order",
        "bnpl_share_all",
        "refund_rate_30d",
        "live_stream_share_90d",
        "velocity_orders_7d_vs_90d",
        "on_time_ratio",
        "max_plan_installments",
        "bnpl_tenure_days",
        "days_since_last_late",
        "avg_pay_delay_days",
    ]
    check(X.loc["a1"], **dict.fromkeys(zero, 0.0), **dict.fromkeys(undefined, NAN))
    # c2 has an order but no BNPL history.
    check(
        X.loc["a2"],
        spend_count_all=1.0,
        bnpl_share_all=0.0,
        bnpl_loans_all=0.0,
        on_time_ratio=NAN,
        max_plan_installments=NAN,
        current_dpd=0.0,
    )
