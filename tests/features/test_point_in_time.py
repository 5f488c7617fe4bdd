"""Properties over random histories: the builder follows the definitions and never leaks.

- every feature equals a slow reference computed one application at a time;
- changing, adding or deleting any event at or after an application's
  ``as_of`` changes none of its features;
- one application built alone equals the same application in a batch;
- shuffling any input table changes nothing, and inputs are not modified.
"""

import numpy as np
import pandas as pd
import pytest
from features_testkit import BASE, DAY, applications, books, installments, oracle, orders, own_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnpl_risk.features import FeatureBuilder
from bnpl_risk.histories import Histories
from bnpl_risk.histories.schema import CATEGORIES, CHANNELS


def examples(n):
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def build(h, apps, **params):
    return FeatureBuilder(**params).fit(h, apps).transform(h, apps)


@pytest.mark.slow
@examples(40)
@given(books())
def test_every_feature_matches_the_reference(book):
    h, apps = book
    got = build(h, apps)
    want = oracle(h, apps)
    assert set(got.columns) <= set(want.columns)
    for name in got.columns:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9, err_msg=name)


@examples(60)
@given(books(max_customers=2), st.data())
def test_events_at_or_after_as_of_change_no_feature(book, data):
    h, apps = book
    i = data.draw(st.integers(0, len(apps) - 1), label="application")
    q = apps["as_of"].iloc[i]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    changed = _change_the_future(h, q, rng)
    before = build(h, apps).iloc[i]
    after = build(changed, apps).iloc[i]
    pd.testing.assert_series_equal(after, before, check_exact=True)


@examples(25)
@given(books())
def test_one_application_alone_equals_it_in_a_batch(book):
    h, apps = book
    fitted = FeatureBuilder().fit(h, apps)
    batch = fitted.transform(h, apps)
    for i in range(len(apps)):
        one = apps.iloc[[i]]
        own = own_rows(h, one["customer_id"].iloc[0])
        pd.testing.assert_frame_equal(fitted.transform(h, one), batch.iloc[[i]], check_exact=True)
        pd.testing.assert_frame_equal(fitted.transform(own, one), batch.iloc[[i]], check_exact=True)


@examples(40)
@given(books(), st.integers(0, 2**32 - 1))
def test_shuffled_rows_change_nothing_and_inputs_stay_untouched(book, seed):
    h, apps = book
    copies = {name: frame.copy(deep=True) for name, frame in h.tables().items()}
    apps_copy = apps.copy(deep=True)
    want = build(h, apps)
    for name, frame in h.tables().items():
        pd.testing.assert_frame_equal(frame, copies[name])
    pd.testing.assert_frame_equal(apps, apps_copy)

    def shuffle(frame):
        return frame.sample(frac=1, random_state=seed % 2**31)

    shuffled = Histories(*(shuffle(f) for f in h.tables().values()))
    got = build(shuffled, shuffle(apps))
    pd.testing.assert_frame_equal(got.loc[want.index], want, check_exact=True)


def test_a_payment_after_as_of_leaves_the_installment_unpaid():
    h, apps = _one_loan(paid_ts="2024-03-05")
    unpaid, _ = _one_loan(paid_ts=None)
    late_payment = build(h, apps)
    never_paid = build(unpaid, apps)
    pd.testing.assert_frame_equal(late_payment, never_paid, check_exact=True)
    assert late_payment.loc["a1", "current_dpd"] == 3.0  # due 2024-02-01, as_of 2024-02-04


def _one_loan(paid_ts):
    from features_testkit import customers

    h = Histories(
        customers(("c1", BASE, 1990, 2, 1)),
        orders(("o1", "c1", BASE, 100.0, "food", "mall", "bnpl", "completed", None)),
        installments(
            (
                "o1",
                "c1",
                1,
                pd.Timestamp("2024-02-01"),
                100.0,
                None if paid_ts is None else pd.Timestamp(paid_ts),
                0.0 if paid_ts is None else 100.0,
            )
        ),
    )
    apps = applications(("a1", "c1", pd.Timestamp("2024-02-04"), None, "mall"))
    return h, apps


def _change_the_future(h: Histories, q: pd.Timestamp, rng) -> Histories:
    """Histories with every kind of event at or after ``q`` changed, added or deleted."""

    def later(start):
        # At or after both start and as_of; often exactly at the later of them.
        start = max(pd.Timestamp(start), q)
        if rng.random() < 0.3:
            return start
        return start + pd.Timedelta(int(rng.integers(0, 90 * 86_400 * 10**9)), "ns")

    o = h.orders.copy()
    inst = h.installments.copy()
    c = h.customers.copy()
    is_loan = o["order_id"].isin(inst["loan_id"])
    future = o["order_ts"] >= q
    # Delete some orders placed at or after as_of, with their installments.
    gone = future & (rng.random(len(o)) < 0.3)
    inst = inst[~inst["loan_id"].isin(o.loc[gone, "order_id"])]
    o = o[~gone].copy()
    is_loan, future = is_loan[~gone], future[~gone]
    for i in np.flatnonzero(future):
        o.iloc[i, o.columns.get_loc("amount")] = float(rng.choice([1.0, 77.7, 5000.0]))
        o.iloc[i, o.columns.get_loc("category")] = str(rng.choice(CATEGORIES))
        o.iloc[i, o.columns.get_loc("channel")] = str(rng.choice(CHANNELS))
        if not is_loan.iloc[i]:
            o.iloc[i, o.columns.get_loc("order_ts")] = later(q)
            o.iloc[i, o.columns.get_loc("payment")] = str(rng.choice(["bnpl", "upfront"]))
    # Refunds and cancellations at or after as_of, of any order.
    open_to_change = (o["status"] == "completed") | (o["refund_ts"] >= q)
    for i in np.flatnonzero(open_to_change):
        status = str(rng.choice(["completed", "refunded", "cancelled"]))
        o.iloc[i, o.columns.get_loc("status")] = status
        refund = pd.NaT if status == "completed" else later(o["order_ts"].iloc[i])
        o.iloc[i, o.columns.get_loc("refund_ts")] = refund
    # Payments at or after as_of: move, remove, add, change the amount.
    origin = h.orders.set_index("order_id")["order_ts"].reindex(inst["loan_id"]).to_numpy()
    unknown = (inst["paid_ts"] >= q) | inst["paid_ts"].isna() | (origin >= q)
    inst = inst.copy()
    for i in np.flatnonzero(unknown.to_numpy()):
        due = inst["amount_due"].iloc[i]
        paid = rng.choice(3)
        inst.iloc[i, inst.columns.get_loc("paid_ts")] = pd.NaT if paid == 0 else later(q)
        inst.iloc[i, inst.columns.get_loc("amount_paid")] = [0.0, round(due / 2, 2), due][paid]
    # New loans and orders at or after as_of, for every customer.
    new_orders, new_inst = [], []
    for k, cid in enumerate(c["customer_id"]):
        t = later(q)
        oid = f"new{k}"
        new_orders.append(
            (oid, cid, t, 250.0, "electronics", "live_stream", "bnpl", "completed", None)
        )
        # Due soon after as_of, and one day past due by the time of a later as_of.
        new_inst.append((oid, cid, 1, t + DAY, 125.0, None, 0.0))
        new_inst.append((oid, cid, 2, t + 30 * DAY, 125.0, later(t), 125.0))
        new_orders.append(
            (f"new_up{k}", cid, later(q), 12.0, "food", "mall", "upfront", "refunded", later(q))
        )
    o = pd.concat([o, orders(*new_orders)], ignore_index=True)
    inst = pd.concat([inst, installments(*new_inst)], ignore_index=True)
    # A signup at or after as_of may move (account age is 0 either way).
    late_signup = c["signup_ts"] >= q
    c.loc[late_signup, "signup_ts"] = [later(q) for _ in range(int(late_signup.sum()))]
    return Histories(c, o, inst)


@pytest.mark.slow
@pytest.mark.parametrize("windows", [(7,), (14, 365)])
@examples(10)
@given(book=books(max_customers=2))
def test_reference_agreement_holds_for_other_windows(windows, book):
    h, apps = book
    got = build(h, apps, windows=windows)
    want = oracle(h, apps, windows=windows)
    for name in got.columns:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9, err_msg=name)
