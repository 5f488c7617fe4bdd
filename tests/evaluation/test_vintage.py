"""vintage_curves on hand-made books: cohorts, months on book, maturity, errors."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.evaluation import vintage_curves
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import dpd_at

END = pd.Timestamp("2024-06-15")  # last closed month: May 2024


def _book(loans, installments):
    """loans: (loan_id, order_ts); installments: (loan_id, due, paid_ts or None, paid share)."""
    orders = pd.DataFrame(
        {
            "order_id": [loan[0] for loan in loans],
            "order_ts": pd.to_datetime([loan[1] for loan in loans], format="ISO8601"),
        }
    )
    inst = pd.DataFrame(
        {
            "loan_id": [i[0] for i in installments],
            "customer_id": [f"c_{i[0]}" for i in installments],
            "installment_no": 1,
            "due_date": pd.to_datetime([i[1] for i in installments]),
            "amount_due": 100.0,
            "paid_ts": pd.to_datetime([i[2] for i in installments]),
            "amount_paid": [100.0 * i[3] for i in installments],
        }
    )
    return Histories(pd.DataFrame({"customer_id": inst["customer_id"].unique()}), orders, inst)


def three_loans():
    # l1 (January): one installment paid on time: never bad.
    # l2 (January): installment 2 due 2024-03-25 never paid: 30 DPD on
    #     2024-04-24, in April = January + 3 months on book.
    # l3 (February): due 2024-03-05, paid 2024-04-10 (36 days late): it was
    #     30 DPD on 2024-04-04, in April = February + 2; cured later, still counts.
    return _book(
        [("l1", "2024-01-10"), ("l2", "2024-01-25 15:00"), ("l3", "2024-02-05")],
        [
            ("l1", "2024-02-10", "2024-02-09", 1.0),
            ("l2", "2024-02-25", "2024-02-25", 1.0),
            ("l2", "2024-03-25", None, 0.0),
            ("l2", "2024-04-25", None, 0.0),
            ("l3", "2024-03-05", "2024-04-10", 1.0),
        ],
    )


def test_vintage_curve_of_a_three_loan_book():
    v = vintage_curves(three_loans(), data_end=END)
    # January is observed to the close of May: 4 months on book; February 3.
    expected = pd.DataFrame(
        [[0.0, 0.0, 0.5, 0.5], [0.0, 1.0, 1.0, np.nan]],
        index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M", name="origination_month"),
        columns=pd.Index([1, 2, 3, 4], name="months_on_book"),
    )
    pd.testing.assert_frame_equal(v, expected)
    assert v.attrs["loans"] == {"2024-01": 2, "2024-02": 1}


def test_default_data_end_is_the_histories_data_end():
    h = three_loans()
    assert h.data_end == pd.Timestamp("2024-04-10")  # last payment: March is the last closed
    v = vintage_curves(h)
    assert v.columns.tolist() == [1, 2]
    assert v.loc[pd.Period("2024-01", "M")].tolist() == [0.0, 0.0]
    assert v.loc[pd.Period("2024-02", "M")].isna().tolist() == [False, True]


def test_cells_beyond_the_data_are_nan_never_zero():
    v = vintage_curves(three_loans(), max_months=6, data_end=END)
    assert v.columns.tolist() == [1, 2, 3, 4, 5, 6]
    assert v.loc[pd.Period("2024-01", "M"), [5, 6]].isna().all()
    assert v.loc[pd.Period("2024-02", "M"), [4, 5, 6]].isna().all()
    assert v.loc[pd.Period("2024-01", "M"), 4] == 0.5


def test_max_months_cuts_the_columns():
    v = vintage_curves(three_loans(), max_months=2, data_end=END)
    assert v.columns.tolist() == [1, 2]


def test_dpd_threshold_moves_when_a_loan_counts():
    # At 60 DPD l3 (36 days late) never counts; l2 reaches it on 2024-05-24,
    # in May = January + 4.
    v = vintage_curves(three_loans(), dpd_threshold=60, data_end=END)
    assert v.loc[pd.Period("2024-01", "M")].tolist() == [0.0, 0.0, 0.0, 0.5]
    assert v.loc[pd.Period("2024-02", "M")].tolist()[:3] == [0.0, 0.0, 0.0]


def test_paid_29_days_late_never_counts_paid_at_30_days_does():
    h = _book(
        [("a", "2024-01-01"), ("b", "2024-01-01")],
        [("a", "2024-02-01", "2024-03-01", 1.0), ("b", "2024-02-01", "2024-03-02", 1.0)],
    )
    # a: paid 29 days after due; b: paid 30 days after due, at the instant it turns 30 DPD.
    v = vintage_curves(h, data_end=END)
    assert v.iloc[0].tolist() == [0.0, 0.5, 0.5, 0.5]


def test_reaching_30_dpd_exactly_at_a_month_close_counts_in_that_month():
    # Due 2024-03-02 and unpaid: 30 DPD at 2024-04-01 00:00, the close of
    # March, which is February + 1 month on book (roll_rates also sees 30 DPD then).
    h = _book([("a", "2024-02-01")], [("a", "2024-03-02", None, 0.0)])
    assert vintage_curves(h, data_end=END).iloc[0].tolist() == [1.0, 1.0, 1.0]
    assert dpd_at(h.installments, pd.Timestamp("2024-04-01")).tolist() == [30]


def test_part_payment_leaves_the_installment_unpaid():
    h = _book([("a", "2024-01-01")], [("a", "2024-02-01", "2024-02-01", 0.5)])
    assert vintage_curves(h, data_end=END).iloc[0].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_rows_never_fall_on_a_random_book():
    rng = np.random.default_rng(0)
    n = 3000
    order_ts = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 540, n), "D")
    due = order_ts + pd.Timedelta(days=30)
    late = rng.exponential(10, n)
    paid = due + pd.to_timedelta(late, "D")
    paid = paid.where(late < 100, pd.NaT)
    ids = [f"l{i}" for i in range(n)]
    h = Histories(
        pd.DataFrame({"customer_id": ids}),
        pd.DataFrame({"order_id": ids, "order_ts": order_ts}),
        pd.DataFrame(
            {
                "loan_id": ids,
                "customer_id": ids,
                "installment_no": 1,
                "due_date": due,
                "amount_due": 100.0,
                "paid_ts": paid,
                "amount_paid": np.where(paid.isna(), 0.0, 100.0),
            }
        ),
    )
    v = vintage_curves(h)
    diffs = v.diff(axis=1).iloc[:, 1:].to_numpy()
    assert (diffs[~np.isnan(diffs)] >= 0).all()
    assert sum(v.attrs["loans"].values()) == n
    # NaN only ever at the end of a row.
    filled = v.notna().to_numpy()
    assert (filled[:, 1:] <= filled[:, :-1]).all()


def test_inputs_are_not_modified():
    h = three_loans()
    copies = {name: frame.copy() for name, frame in h.tables().items()}
    vintage_curves(h, data_end=END)
    for name, frame in h.tables().items():
        pd.testing.assert_frame_equal(frame, copies[name])


def test_loan_without_an_order_is_a_clear_error():
    h = _book(
        [("l1", "2024-01-10")], [("l1", "2024-02-10", None, 0.0), ("l9", "2024-02-10", None, 0.0)]
    )
    with pytest.raises(HistoryError, match=r"1 loans have no order.*loan_id l9"):
        vintage_curves(h)


def test_repeated_order_id_is_a_clear_error():
    h = _book([("l1", "2024-01-10"), ("l1", "2024-01-11")], [("l1", "2024-02-10", None, 0.0)])
    with pytest.raises(HistoryError, match="order_id must be unique; repeated: l1"):
        vintage_curves(h)


def test_missing_column_is_a_clear_error():
    h = three_loans()
    h = Histories(h.customers, h.orders, h.installments.drop(columns="paid_ts"))
    with pytest.raises(HistoryError, match="installments lacks column.*paid_ts"):
        vintage_curves(h)


@pytest.mark.parametrize(
    ("kw", "name"), [({"dpd_threshold": 0}, "dpd_threshold"), ({"max_months": 1.5}, "max_months")]
)
def test_bad_parameters_are_a_clear_error(kw, name):
    with pytest.raises(ConfigError, match=f"vintage_curves: {name} must be a positive whole"):
        vintage_curves(three_loans(), **kw)
