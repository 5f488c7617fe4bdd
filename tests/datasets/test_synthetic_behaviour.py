"""The generated book looks like the shoppers of DESIGN.md, segment by segment."""

import numpy as np
import pandas as pd

from bnpl_risk.datasets import SEGMENTS
from bnpl_risk.histories.schema import RESELLABLE_CATEGORIES

DAY = pd.Timedelta(days=1)


def _by_segment(book, frame):
    return frame.assign(segment=book.segment.loc[frame["customer_id"]].to_numpy())


def test_customers_facts_are_plausible(book):
    c = book.histories.customers
    kyc = c["kyc_level"].value_counts(normalize=True)
    assert kyc.loc[[2, 3]].sum() > 0.8
    assert 0.03 < kyc.loc[[0, 1]].sum() < 0.2
    age = pd.Timestamp("2024-01-01").year - c["birth_year"]
    assert age.min() >= 16
    assert age.max() <= 65
    assert 0 < (age < 18).mean() < 0.05, "a few are under 18"
    assert 24 < age.median() < 34
    assert set(c["city_tier"]) == {1, 2, 3, 4, 5}
    assert set(book.segment) == set(SEGMENTS)


def test_bigger_cities_and_working_ages_spend_more(book):
    h = book.histories
    spend = h.orders.groupby("customer_id")["amount"].median()
    facts = h.customers.set_index("customer_id").loc[spend.index]
    by_tier = spend.groupby(facts["city_tier"]).median()
    assert by_tier.loc[1] > 1.3 * by_tier.loc[5]
    age = 2024 - facts["birth_year"]
    assert spend[(age >= 25) & (age <= 45)].median() > spend[age < 22].median()


def test_products_payments_and_statuses_all_occur(book):
    orders = book.histories.orders
    assert 0.3 < (orders["payment"] == "bnpl").mean() < 0.7
    status = orders["status"].value_counts(normalize=True)
    assert 0.02 < status["refunded"] < 0.15
    assert 0.01 < status["cancelled"] < 0.1
    night = orders["order_ts"].dt.hour < 5
    assert 0.05 < night.mean() < 0.3


def test_impulse_buyers_shop_at_night_and_on_live_streams(book):
    orders = _by_segment(book, book.histories.orders)
    share = (
        orders.assign(night=orders["order_ts"].dt.hour < 5, live=orders["channel"] == "live_stream")
        .groupby("segment")[["night", "live"]]
        .mean()
    )
    assert share.loc["impulse", "night"] > 3 * share.loc["careful", "night"]
    assert share.loc["impulse", "live"] > 2 * share.loc["careful", "live"]


def test_bust_outs_order_big_resellable_goods_on_bnpl_right_after_signup(book):
    orders = _by_segment(book, book.histories.orders)
    signup = book.histories.customers.set_index("customer_id")["signup_ts"]
    orders = orders.assign(
        age_days=(orders["order_ts"] - signup.loc[orders["customer_id"]].to_numpy()) / DAY,
        resellable=orders["category"].isin(RESELLABLE_CATEGORIES),
        bnpl=orders["payment"] == "bnpl",
    )
    stats = orders.groupby("segment").agg(
        resellable=("resellable", "mean"),
        amount=("amount", "median"),
        first_month=("age_days", lambda d: (d < 30).mean()),
    )
    others = stats.drop(index="bust_out")
    assert stats.loc["bust_out", "resellable"] > 0.6 > others["resellable"].max()
    assert stats.loc["bust_out", "amount"] > 3 * others["amount"].max()
    assert stats.loc["bust_out", "first_month"] > 0.6 > others["first_month"].max()
    early = orders[(orders["segment"] == "bust_out") & (orders["age_days"] < 30)]
    assert early["bnpl"].mean() > 0.85


def test_bust_outs_never_pay(book):
    inst = _by_segment(book, book.histories.installments)
    due = inst[inst["due_date"] < book.end - 60 * DAY]
    paid = (due["amount_paid"] >= due["amount_due"]).groupby(due["segment"]).mean()
    # Only refunds and the odd change of heart settle a bust-out's installment.
    assert paid.loc["bust_out"] < 0.1
    assert paid.drop(index="bust_out").min() > 0.9


def test_stackers_carry_many_loans_and_spend_more_and_more(book):
    h = book.histories
    signup = h.customers.set_index("customer_id")["signup_ts"]
    veterans = signup[signup < book.end - 360 * DAY].index
    orders = _by_segment(book, h.orders[h.orders["customer_id"].isin(veterans)])
    bnpl = orders[orders["payment"] == "bnpl"]
    age = (bnpl["order_ts"] - signup.loc[bnpl["customer_id"]].to_numpy()) / DAY
    first, third = bnpl[age < 120], bnpl[(age >= 240) & (age < 360)]
    growth = third.groupby("segment").size() / first.groupby("segment").size()
    assert growth.loc["stacker"] > 1.3 * growth.loc["careful"]
    inst = _by_segment(book, h.installments)
    when = pd.Timestamp("2024-10-01")
    open_loans = inst[(inst["due_date"] > when) & (_orders_ts(h, inst) < when)]
    per_customer = open_loans.groupby(["segment", "customer_id"])["loan_id"].nunique()
    mean_open = per_customer.groupby("segment").mean()
    assert mean_open.loc["stacker"] > 2 * mean_open.loc["careful"]


def _orders_ts(h, inst):
    return h.orders.set_index("order_id").loc[inst["loan_id"], "order_ts"].to_numpy()


def test_slow_payers_are_late_then_pay(book):
    inst = _by_segment(book, book.histories.installments)
    paid = inst[(inst["amount_paid"] >= inst["amount_due"]) & (inst["paid_ts"] > inst["due_date"])]
    days_late = (paid["paid_ts"] - paid["due_date"]) / DAY
    assert days_late.max() < 41
    late = inst.assign(late=False)
    late.loc[paid.index, "late"] = days_late >= 1
    share = late.groupby("segment")["late"].mean()
    assert share.loc["slow_payer"] > 3 * share.loc["careful"]
    assert (days_late[paid["segment"] == "slow_payer"] >= 30).any(), "some cure too late"


def test_risk_shows_in_behaviour(book):
    """Customers who paid late before go bad more often later: the latent risk leaks."""
    inst = book.histories.installments
    cut = pd.Timestamp("2024-09-01")
    before = inst[inst["due_date"] < cut - 30 * DAY]
    was_late = ((before["paid_ts"] - before["due_date"]) / DAY >= 3) | before["paid_ts"].isna()
    late_customers = set(before.loc[was_late, "customer_id"])
    active = set(before["customer_id"])
    after = inst[(inst["due_date"] >= cut) & (inst["due_date"] < cut + 120 * DAY)]
    went_bad = after["paid_ts"].isna() | (after["paid_ts"] - after["due_date"] >= 30 * DAY)
    bad = after.assign(bad=went_bad).groupby("customer_id")["bad"].any()
    bad = bad[bad.index.isin(active)]
    from_late = bad[bad.index.isin(late_customers)].mean()
    from_punctual = bad[~bad.index.isin(late_customers)].mean()
    assert from_late > 2 * from_punctual
    assert np.isfinite(from_punctual)
