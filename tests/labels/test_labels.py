"""make_labels on tiny hand-made histories, one edge per test."""

import pandas as pd
import pytest

from bnpl_risk import ConfigError, Histories, make_labels

AS_OF = pd.Timestamp("2024-03-01")
END = pd.Timestamp("2025-06-01")  # every window below closes before this


def _book(rows):
    """Histories of customer c1 with installments (due, paid_ts or None, paid share)."""
    inst = pd.DataFrame(
        {
            "loan_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": "c1",
            "installment_no": 1,
            "due_date": pd.to_datetime([r[0] for r in rows]),
            "amount_due": 100.0,
            "paid_ts": pd.to_datetime([r[1] for r in rows]),
            "amount_paid": [100.0 * r[2] for r in rows],
        }
    )
    return Histories(pd.DataFrame({"customer_id": ["c1"]}), pd.DataFrame(), inst)


def _label(rows, as_of=AS_OF, **kw):
    apps = pd.DataFrame({"application_id": ["a1"], "customer_id": ["c1"], "as_of": [as_of]})
    kw.setdefault("data_end", END)
    return make_labels(_book(rows), apps, **kw).iloc[0]


def test_paid_one_day_late_is_good():
    assert _label([("2024-04-01", "2024-04-02", 1.0)]) == 0


def test_paid_29_days_late_is_good_but_30_days_is_bad():
    assert _label([("2024-04-01", "2024-04-30", 1.0)]) == 0
    assert _label([("2024-04-01", "2024-05-01", 1.0)]) == 1


def test_never_paid_within_window_is_bad():
    assert _label([("2024-04-01", None, 0.0)]) == 1


def test_part_payment_counts_as_unpaid():
    assert _label([("2024-04-01", "2024-04-02", 0.5)]) == 1


def test_paid_after_the_window_is_bad():
    # 30+ DPD from 2024-05-01 onwards, paid long after the 180-day window.
    assert _label([("2024-04-01", "2025-01-01", 1.0)]) == 1


def test_installment_reaching_30_dpd_after_window_is_good():
    # due 2024-08-10: 30 DPD on 2024-09-09, after as_of + 180 days = 2024-08-28.
    assert _label([("2024-08-10", None, 0.0)]) == 0


def test_installment_due_after_window_is_good():
    assert _label([("2024-12-01", None, 0.0)]) == 0


def test_loan_originated_after_as_of_counts():
    # Any installment of the customer, whichever loan, including later ones.
    assert _label([("2024-05-01", None, 0.0)], as_of=pd.Timestamp("2024-04-15")) == 1


def test_already_30_dpd_and_unpaid_at_as_of_is_bad():
    assert _label([("2024-01-01", None, 0.0)]) == 1


def test_cured_before_as_of_is_good():
    assert _label([("2024-01-01", "2024-02-15", 1.0)]) == 0


def test_window_closing_after_data_end_is_immature_not_good():
    label = _label([("2024-04-01", "2024-04-02", 1.0)], data_end=pd.Timestamp("2024-08-01"))
    assert pd.isna(label)


def test_horizon_and_threshold_are_parameters():
    rows = [("2024-04-01", "2024-04-09", 1.0)]  # 8 days late
    assert _label(rows, dpd_threshold=7) == 1
    assert _label(rows, dpd_threshold=8) == 1
    assert _label(rows, dpd_threshold=9) == 0
    # 30 DPD on 2024-05-01 = as_of + 61 days.
    assert _label([("2024-04-01", None, 0.0)], horizon_days=61) == 1
    assert _label([("2024-04-01", None, 0.0)], horizon_days=60) == 0


def test_customer_without_installments_is_good():
    apps = pd.DataFrame({"application_id": ["a1"], "customer_id": ["c9"], "as_of": [AS_OF]})
    assert make_labels(_book([]), apps, data_end=END).tolist() == [0]


def test_data_end_defaults_to_latest_observed_event():
    book = _book([("2024-04-01", "2024-04-02", 1.0)])
    apps = pd.DataFrame({"application_id": ["a1"], "customer_id": ["c1"], "as_of": [AS_OF]})
    # The data ends at the last payment, 2024-04-02 = as_of + 32 days.
    assert make_labels(book, apps, horizon_days=32).tolist() == [0]
    assert make_labels(book, apps, horizon_days=33).isna().all()


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "30"])
def test_invalid_parameters_raise_clear_error(bad):
    with pytest.raises(ConfigError, match="dpd_threshold must be a positive whole number"):
        _label([], dpd_threshold=bad)


def test_inputs_are_not_modified():
    book = _book([("2024-04-01", None, 0.0)])
    before = book.installments.copy()
    apps = pd.DataFrame({"application_id": ["a1"], "customer_id": ["c1"], "as_of": [AS_OF]})
    apps_before = apps.copy()
    make_labels(book, apps, data_end=END)
    pd.testing.assert_frame_equal(book.installments, before)
    pd.testing.assert_frame_equal(apps, apps_before)
