"""roll_rates on hand-made books: buckets, accounts, month ends, errors."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.evaluation import BUCKETS, roll_rates
from bnpl_risk.histories import Histories

END = pd.Timestamp("2024-05-10")  # last closed month: April; month ends Feb 1 .. May 1


def _book(rows):
    """rows: (customer_id, due, paid_ts or None, paid share)."""
    inst = pd.DataFrame(
        {
            "loan_id": [f"l{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "installment_no": 1,
            "due_date": pd.to_datetime([r[1] for r in rows]),
            "amount_due": 100.0,
            "paid_ts": pd.to_datetime([r[2] for r in rows], format="ISO8601"),
            "amount_paid": [100.0 * r[3] for r in rows],
        }
    )
    return Histories(
        pd.DataFrame({"customer_id": inst["customer_id"].unique()}), pd.DataFrame(), inst
    )


def four_accounts():
    # At the closes of Jan, Feb, Mar, Apr (Feb 1, Mar 1, Apr 1, May 1):
    #   c1 pays before due:                   current, current, current, current
    #   c2 never pays (due Jan 20):           12 DPD,  41,      72,      102
    #   c3 due Jan 25, pays Feb 10:           7 DPD,   current, current, current
    #   c4 first due Feb 15, pays on time:    (none),  current, current, current
    return _book(
        [
            ("c1", "2024-01-15", "2024-01-10", 1.0),
            ("c2", "2024-01-20", None, 0.0),
            ("c3", "2024-01-25", "2024-02-10", 1.0),
            ("c4", "2024-02-15", "2024-02-14", 1.0),
        ]
    )


def test_roll_rates_of_a_hand_made_book():
    rr = roll_rates(four_accounts(), data_end=END)
    # Transitions: current->current 1 + 3 + 3 = 7; 1-29 -> 30-59 (c2) and
    # 1-29 -> current (c3); 30-59 -> 60-89; 60-89 -> 90+; nobody starts in 90+.
    expected = np.array(
        [
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [0.5, 0.0, 0.5, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 1.0],
            [np.nan] * 5,
        ]
    )
    np.testing.assert_array_equal(rr.to_numpy(), expected)
    assert rr.index.tolist() == list(BUCKETS)
    assert rr.columns.tolist() == list(BUCKETS)
    assert rr.index.name == "from"
    assert rr.columns.name == "to"
    assert rr.attrs["accounts"] == {"current": 7, "1-29": 2, "30-59": 1, "60-89": 1, "90+": 0}
    assert rr.attrs["pairs"] == 3


def test_explicit_month_ends_give_the_same_matrix():
    times = pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
    pd.testing.assert_frame_equal(
        roll_rates(four_accounts(), month_ends=times, data_end=END),
        roll_rates(four_accounts(), data_end=END),
    )


def test_an_account_takes_its_worst_installment():
    # c1 has one installment 40 DPD and one paid: it sits in 30-59 at Mar 1.
    h = _book([("c1", "2024-01-20", None, 0.0), ("c1", "2024-02-20", "2024-02-19", 1.0)])
    rr = roll_rates(h, month_ends=pd.to_datetime(["2024-02-01", "2024-03-01"]), data_end=END)
    assert rr.loc["1-29", "30-59"] == 1.0
    assert rr.attrs["accounts"]["1-29"] == 1


def test_payment_on_the_last_day_of_the_month_counts_at_its_close():
    # Due Jan 10, paid Jan 31 23:00: current at the close of January.
    h = _book([("c1", "2024-01-10", "2024-01-31 23:00", 1.0)])
    rr = roll_rates(h, month_ends=pd.to_datetime(["2024-02-01", "2024-03-01"]), data_end=END)
    assert rr.loc["current", "current"] == 1.0


def test_rows_sum_to_one_on_a_random_book():
    rng = np.random.default_rng(0)
    n = 2000
    due = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D")
    late = rng.exponential(15, n)
    paid = (due + pd.to_timedelta(late, "D")).where(late < 120, pd.NaT)
    h = _book(
        list(
            zip(
                rng.integers(0, 500, n).astype(str),
                due,
                paid,
                np.where(paid.isna(), 0.0, 1.0),
                strict=True,
            )
        )
    )
    rr = roll_rates(h)
    sums = rr.sum(axis=1, min_count=1).dropna()
    np.testing.assert_allclose(sums, 1.0)
    assert rr.attrs["pairs"] >= 12


def test_inputs_are_not_modified():
    h = four_accounts()
    copy = h.installments.copy()
    roll_rates(h, data_end=END)
    pd.testing.assert_frame_equal(h.installments, copy)


def test_month_ends_after_the_data_are_refused():
    with pytest.raises(ConfigError, match="at or before the end of the data"):
        roll_rates(
            four_accounts(), month_ends=pd.to_datetime(["2024-05-01", "2024-06-01"]), data_end=END
        )


def test_month_ends_must_increase():
    with pytest.raises(ConfigError, match="strictly increasing"):
        roll_rates(
            four_accounts(), month_ends=pd.to_datetime(["2024-03-01", "2024-02-01"]), data_end=END
        )
    with pytest.raises(ConfigError, match="must be datetimes"):
        roll_rates(four_accounts(), month_ends=["2024-02-30", "2024-03-01"], data_end=END)


def test_one_month_end_is_not_enough():
    with pytest.raises(ConfigError, match="needs at least two month ends; found 1"):
        roll_rates(four_accounts(), data_end=pd.Timestamp("2024-02-20"))


def test_no_installments_or_missing_column_is_a_clear_error():
    h = four_accounts()
    with pytest.raises(HistoryError, match="installments is empty"):
        roll_rates(Histories(h.customers, h.orders, h.installments.iloc[:0]), data_end=END)
    with pytest.raises(HistoryError, match="installments lacks column.*amount_paid"):
        roll_rates(Histories(h.customers, h.orders, h.installments.drop(columns="amount_paid")))
