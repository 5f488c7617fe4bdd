"""A tiny valid book, built by hand, that each test corrupts in one place.

customers c1, c2, c3. Orders: o1 (c1, bnpl in 3 installments, the third
unpaid), o2 (c1, upfront), o3 (c2, upfront, refunded), o4 (c3, bnpl in one
30-day installment, part paid). Applications a1 (c1), a2 (c3).
"""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.histories import Histories


def _ts(values):
    return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601").astype(
        "datetime64[ns]"
    )


def make_book() -> tuple[Histories, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "signup_ts": _ts(["2024-01-01 08:00", "2024-01-10", "2024-02-01 20:15"]),
            "birth_year": [1990, 1985, 2001],
            "kyc_level": [2, 3, 2],
            "city_tier": [1, 3, 5],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["c1", "c1", "c2", "c3"],
            "order_ts": _ts(
                ["2024-01-05 10:00", "2024-01-20 15:30", "2024-01-15 12:00", "2024-02-03 21:00"]
            ),
            "amount": [300.0, 50.5, 120.0, 90.0],
            "category": ["electronics", "food", "apparel", "beauty"],
            "channel": ["live_stream", "short_video", "mall", "search"],
            "payment": ["bnpl", "upfront", "upfront", "bnpl"],
            "status": ["completed", "completed", "refunded", "completed"],
            "refund_ts": _ts([None, None, "2024-01-18 09:00", None]),
            "campaign": ["618", np.nan, "x", "618"],  # an unknown extra column
        }
    )
    installments = pd.DataFrame(
        {
            "loan_id": ["o1", "o1", "o1", "o4"],
            "customer_id": ["c1", "c1", "c1", "c3"],
            "installment_no": [1, 2, 3, 1],
            "due_date": _ts(["2024-02-05", "2024-03-05", "2024-04-05", "2024-03-04"]),
            "amount_due": [100.0, 100.0, 100.0, 90.0],
            "paid_ts": _ts(["2024-02-04 18:00", "2024-03-10 09:00", None, "2024-03-01"]),
            "amount_paid": [100.0, 100.0, 0.0, 40.0],
        }
    )
    applications = pd.DataFrame(
        {
            "application_id": ["a1", "a2"],
            "customer_id": ["c1", "c3"],
            "as_of": _ts(["2024-05-01 12:00", "2024-05-02"]),
            "requested_amount": [500.0, float("nan")],
            "channel": ["live_stream", "mall"],
        }
    )
    return Histories(customers, orders, installments), applications


@pytest.fixture
def book() -> Histories:
    return make_book()[0]


@pytest.fixture
def applications() -> pd.DataFrame:
    return make_book()[1]
