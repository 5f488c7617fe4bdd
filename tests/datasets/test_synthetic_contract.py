"""The generated tables keep the data contract (what the validator checks, and more)."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.histories.dpd import dpd_at
from bnpl_risk.histories.schema import RESELLABLE_CATEGORIES, SCHEMAS
from bnpl_risk.histories.validation import validate_applications, validate_histories

DAY = pd.Timedelta(days=1)


def _tables(book):
    return {**book.histories.tables(), "applications": book.applications}


def _orders_of(book, installments):
    return book.histories.orders.set_index("order_id").loc[installments["loan_id"]]


@pytest.mark.parametrize("table", ["customers", "orders", "installments", "applications"])
def test_columns_and_dtypes_follow_the_schema(book, table):
    frame, schema = _tables(book)[table], SCHEMAS[table]
    assert tuple(frame.columns) == schema.names
    for col in schema.columns:
        values = frame[col.name]
        if col.kind in ("id", "category"):
            assert pd.api.types.is_string_dtype(values.dtype), col.name
        elif col.kind == "timestamp":
            assert values.dtype == np.dtype("datetime64[ns]"), col.name
        elif col.kind == "money":
            assert values.dtype == np.float64, col.name
            present = values.dropna()
            assert (present.round(2) == present).all(), f"{col.name} has more than 2 decimals"
        else:
            assert values.dtype == np.int64, col.name
            lo, hi = col.bounds
            assert values.between(lo, hi).all(), col.name
        if col.categories:
            assert set(values) <= set(col.categories), col.name
        if not col.nullable:
            assert values.notna().all(), col.name


def test_the_validator_accepts_every_row_unchanged(book):
    result = validate_histories(book.histories, on_error="reject")
    assert result.rejects.empty
    for name, frame in book.histories.tables().items():
        pd.testing.assert_frame_equal(result.histories.tables()[name], frame, obj=name)
    apps = validate_applications(book.applications, result, on_error="reject")
    assert apps.rejects.empty
    assert len(apps.applications) == len(book.applications)


def test_keys_are_unique_and_references_resolve(book):
    h = book.histories
    assert h.customers["customer_id"].is_unique
    assert h.orders["order_id"].is_unique
    assert book.applications["application_id"].is_unique
    assert not h.installments.duplicated(["loan_id", "installment_no"]).any()
    customers = set(h.customers["customer_id"])
    assert set(h.orders["customer_id"]) <= customers
    assert set(book.applications["customer_id"]) <= customers
    assert book.true_pd.index.equals(pd.Index(book.applications["application_id"]))
    assert book.segment.index.equals(pd.Index(h.customers["customer_id"]))


def test_installments_belong_to_a_bnpl_order_of_the_same_customer(book):
    inst = book.histories.installments
    order = _orders_of(book, inst)
    assert (order["payment"] == "bnpl").all()
    assert (order["status"] != "cancelled").all()
    assert (order["customer_id"].to_numpy() == inst["customer_id"].to_numpy()).all()


def test_every_granted_loan_has_installments_numbered_without_gaps(book):
    orders, inst = book.histories.orders, book.histories.installments
    granted = orders[(orders["payment"] == "bnpl") & (orders["status"] != "cancelled")]
    assert set(granted["order_id"]) == set(inst["loan_id"])
    numbers = inst.groupby("loan_id")["installment_no"].agg(["min", "max", "size"])
    assert (numbers["min"] == 1).all()
    assert (numbers["max"] == numbers["size"]).all()
    assert set(numbers["size"]) == {1, 3, 6, 12}
    cancelled = orders[orders["status"] == "cancelled"]
    assert not set(cancelled["order_id"]) & set(inst["loan_id"])


def test_schedules_are_monthly_from_the_order_day_and_sum_to_the_amount(book):
    inst = book.histories.installments
    order = _orders_of(book, inst)
    days = (inst["due_date"] - order["order_ts"].dt.normalize().to_numpy()) / DAY
    assert (days.to_numpy() == 30 * inst["installment_no"].to_numpy()).all()
    total = inst.groupby("loan_id")["amount_due"].sum()
    amount = book.histories.orders.set_index("order_id").loc[total.index, "amount"]
    np.testing.assert_allclose(total.to_numpy(), amount.to_numpy(), atol=0.005)


def test_amounts_are_positive_and_payments_within_what_is_due(book):
    orders, inst = book.histories.orders, book.histories.installments
    assert (orders["amount"] > 0).all()
    assert (inst["amount_due"] > 0).all()
    assert inst["amount_paid"].between(0, inst["amount_due"]).all()
    unpaid = inst["paid_ts"].isna()
    assert (inst.loc[unpaid, "amount_paid"] == 0).all()
    assert (inst.loc[~unpaid, "amount_paid"] > 0).all()
    part = ~unpaid & (inst["amount_paid"] < inst["amount_due"])
    assert 0 < part.sum() < 0.01 * len(inst), "part payments should exist but be rare"


def test_nothing_happens_before_signup_or_the_order(book):
    h = book.histories
    signup = h.customers.set_index("customer_id")["signup_ts"]
    assert (h.orders["order_ts"].to_numpy() >= signup.loc[h.orders["customer_id"]].to_numpy()).all()
    apps = book.applications
    assert (apps["as_of"].to_numpy() >= signup.loc[apps["customer_id"]].to_numpy()).all()
    order = _orders_of(book, h.installments)
    assert (h.installments["due_date"].to_numpy() > order["order_ts"].to_numpy()).all()
    paid = h.installments["paid_ts"].notna().to_numpy()
    assert (h.installments["paid_ts"].to_numpy()[paid] >= order["order_ts"].to_numpy()[paid]).all()


def test_no_event_is_recorded_at_or_after_the_end(book):
    h, end = book.histories, book.end
    for column in (
        h.customers["signup_ts"], h.orders["order_ts"], h.orders["refund_ts"],
        h.installments["paid_ts"], book.applications["as_of"],
    ):  # fmt: skip
        assert (column.dropna() < end).all(), column.name
    # Schedules are plans, not events: they run past the end, unpaid there.
    late_due = h.installments["due_date"] >= end
    assert late_due.any()
    assert h.installments.loc[late_due, "paid_ts"].isna().mean() > 0.9


def test_refunds_come_after_the_order_and_settle_the_loan(book):
    orders, inst = book.histories.orders, book.histories.installments
    refunded = orders["status"] == "refunded"
    assert refunded.any()
    assert (orders.loc[refunded, "refund_ts"] > orders.loc[refunded, "order_ts"]).all()
    assert orders.loc[~refunded, "refund_ts"].isna().all()
    order = _orders_of(book, inst)
    of_refunded = (order["status"] == "refunded").to_numpy()
    settled = inst[of_refunded]
    assert (settled["paid_ts"].to_numpy() == order["refund_ts"].to_numpy()[of_refunded]).all()
    assert (settled["amount_paid"] == settled["amount_due"]).all()


def test_bnpl_is_refused_while_an_installment_is_30_days_past_due(book):
    orders, inst = book.histories.orders, book.histories.installments
    bnpl = orders.loc[orders["payment"] == "bnpl", ["customer_id", "order_ts"]]
    pairs = bnpl.merge(inst, on="customer_id")
    dpd = dpd_at(pairs, pairs["order_ts"].to_numpy())
    assert dpd.max() < 30
    upfront = orders.loc[orders["payment"] == "upfront", ["customer_id", "order_ts"]]
    pairs = upfront.merge(inst, on="customer_id")
    assert (dpd_at(pairs, pairs["order_ts"].to_numpy()) >= 30).any(), "someone was refused"


def test_resellable_categories_exist(book):
    assert book.histories.orders["category"].isin(RESELLABLE_CATEGORIES).mean() > 0.05
