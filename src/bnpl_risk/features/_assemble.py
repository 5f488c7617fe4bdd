"""Compute every feature family for a :class:`Book` and lay the columns out."""

from __future__ import annotations

import numpy as np

from bnpl_risk.features._inputs import Book
from bnpl_risk.features._orders import order_features
from bnpl_risk.features._repayment import DUE_SOON_DAYS, repayment_features
from bnpl_risk.features._timeline import DAY, NAT, NEVER, Clock, Queries, ratio
from bnpl_risk.histories.schema import CHANNELS

#: Windows (days) that fixed features read (velocity, trend, BNPL share).
FIXED_WINDOWS = (7, 30, 90, 180)


def compute(book: Book, names: tuple[str, ...], windows: tuple[int, ...]) -> dict:
    """Features ``names`` for every application of ``book``.

    Returns
    -------
    dict of str to ndarray of float64
        One array per name, applications in input order. The arrays become
        the frame's columns as they are: no copy into one block.
    """
    windows = tuple(sorted(set(windows) | set(FIXED_WINDOWS)))
    clock = _clock(book, max(windows))
    q, order = Queries.sorted(clock, book.app_cust, book.as_of)
    wanted = set(names)
    # Features come in query order; input row i is query back[i].
    back = None
    if order is not None:
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
    out: dict[str, np.ndarray] = {}
    kept: dict[str, np.ndarray] = {}

    def place(features: dict) -> None:
        # Keep each family's wanted columns and drop the rest at once, so
        # intermediate values do not pile up.
        for name, values in features.items():
            if name in wanted:
                values = np.asarray(values, dtype=float)
                out[name] = values if back is None else values[back]
            if name in _SHARED:
                kept[name] = values

    place(_identity(book, order))
    place(order_features(q, book.orders, windows))
    place(repayment_features(q, book.orders, book.installments, windows))
    place(
        {
            "open_bnpl_loans": kept["bnpl_loans_all"] - kept["_loans_closed"],
            "outstanding_balance": (kept["_loan_cents_due"] - kept["_cents_paid"]) / 100,
            "amount_per_account_day": kept["_placed_amount_all"]
            / np.fmax(kept["account_age_days"], 1.0),
            "requested_to_avg_order": ratio(
                kept["requested_amount"] * kept["spend_count_all"], kept["spend_sum_all"]
            ),
        }
    )
    return {name: out[name] for name in names}


# Values that features of another family combine.
_SHARED = frozenset(
    {
        "bnpl_loans_all",
        "_loans_closed",
        "_loan_cents_due",
        "_cents_paid",
        "_placed_amount_all",
        "account_age_days",
        "requested_amount",
        "spend_count_all",
        "spend_sum_all",
    }
)


def _identity(book: Book, order: np.ndarray | None) -> dict:
    """Identity and application features, in query (sorted) order."""
    every = slice(None) if order is None else order
    cust = book.app_cust[every]
    as_of = book.as_of[every]
    signup = book.signup[cust]
    out = {
        "account_age_days": np.where(signup == NAT, np.nan, np.maximum(as_of - signup, 0) / DAY),
        "age_years": _year(as_of) - book.birth_year[cust],
        "kyc_level": book.kyc_level[cust],
        "city_tier": book.city_tier[cust],
        "requested_amount": book.requested[every],
    }
    channel = book.app_channel[every]
    for i, name in enumerate(CHANNELS):
        out[f"app_channel_{name}"] = (channel == i).astype(float)
    return out


def _year(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970.0


def _clock(book: Book, longest_window: int) -> Clock:
    """A clock spanning every event time and every cut the features make."""
    o, inst = book.orders, book.installments
    events = [
        o.t,
        inst.due,
        inst.due + DAY,
        o.loan_settled[o.loan_settled != NEVER],
        inst.paid[inst.paid != NEVER],
    ]
    cuts = [book.as_of - (longest_window + 1) * DAY, book.as_of + DUE_SOON_DAYS * DAY]
    return Clock.spanning(book.n_customers, events + cuts)
