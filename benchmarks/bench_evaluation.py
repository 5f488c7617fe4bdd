"""Speed of the book-level evaluation and monitoring functions.

Builds a synthetic book (vectorized: about 8 BNPL loans per customer over
two years, 1, 3 or 6 monthly installments, payment delays drawn so that
some loans run 30, 60, 90+ days late and some are never paid), then times:

- vintage_curves and roll_rates on the whole book, next to a reference
  measured in the same run: one dpd_at pass over every installment;
- summary (AUC, KS, Brier, ECE) on 1M scored rows, and csi on a 200k x 40
  feature frame, next to sorting one 1M-row float array.

Usage::

    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_evaluation.py [n_customers]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from bnpl_risk.evaluation import roll_rates, summary, vintage_curves
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import dpd_at
from bnpl_risk.monitoring import csi

DAY = np.timedelta64(1, "D").astype("timedelta64[ns]")


def make_book(n_customers: int, seed: int = 0) -> Histories:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01", "ns")
    customer_ids = np.char.add("c", np.arange(n_customers).astype(str))
    per_customer = rng.poisson(8, n_customers)
    owner = np.repeat(np.arange(n_customers), per_customer)
    n_loans = len(owner)
    order_ts = start + (rng.uniform(0, 700, n_loans) * DAY).astype("timedelta64[ns]")
    loan_ids = np.char.add("o", np.arange(n_loans).astype(str))
    terms = rng.choice([1, 3, 6], n_loans)
    loan = np.repeat(np.arange(n_loans), terms)
    number = np.arange(len(loan)) - np.repeat(np.cumsum(terms) - terms, terms) + 1
    due = order_ts[loan].astype("datetime64[D]").astype("datetime64[ns]") + 30 * number * DAY
    # Per customer a lateness level; per installment an exponential delay.
    level = rng.lognormal(0.5, 1.2, n_customers)[owner[loan]]
    delay = rng.exponential(level)
    paid_ts = due + ((delay - 3) * DAY).astype("timedelta64[ns]")
    end = start + 760 * DAY
    unpaid = (delay > 120) | (paid_ts > end)
    paid_ts = np.where(unpaid, np.datetime64("NaT", "ns"), paid_ts)
    installments = pd.DataFrame(
        {
            "loan_id": loan_ids[loan],
            "customer_id": customer_ids[owner[loan]],
            "installment_no": number,
            "due_date": due,
            "amount_due": 100.0,
            "paid_ts": paid_ts,
            "amount_paid": np.where(unpaid, 0.0, 100.0),
        }
    )
    orders = pd.DataFrame(
        {"order_id": loan_ids, "customer_id": customer_ids[owner], "order_ts": order_ts}
    )
    return Histories(pd.DataFrame({"customer_id": customer_ids}), orders, installments)


def timed(label: str, fn, reference: float | None = None):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    ratio = f"  {seconds / reference:6.1f} x reference" if reference else ""
    print(f"{label:<46} {seconds:8.2f} s{ratio}", flush=True)
    return out, seconds


def main(n_customers: int) -> None:
    book, _ = timed(f"build book ({n_customers:,} customers)", lambda: make_book(n_customers))
    print(
        f"loans {len(book.orders):,}, installments {len(book.installments):,}, "
        f"data end {book.data_end}"
    )
    _, reference = timed(
        "reference: one dpd_at pass", lambda: dpd_at(book.installments, book.data_end)
    )
    curves, _ = timed("vintage_curves", lambda: vintage_curves(book), reference)
    print(f"  {curves.shape[0]} origination months x {curves.shape[1]} months on book")
    rr, _ = timed("roll_rates (every month end)", lambda: roll_rates(book), reference)
    print(f"  {rr.attrs['pairs']} month-end pairs; current -> current {rr.iloc[0, 0]:.3f}")

    rng = np.random.default_rng(1)
    n = 1_000_000
    p = rng.beta(1, 15, n)
    y = pd.array((rng.random(n) < p).astype(int), dtype="Int64")
    y[rng.random(n) < 0.1] = pd.NA
    _, reference = timed("reference: sort 1M floats", lambda: np.sort(p))
    timed("summary on 1M rows", lambda: summary(pd.Series(y), p), reference)
    features = pd.DataFrame(rng.normal(size=(200_000, 40)), columns=[f"f{i}" for i in range(40)])
    timed("csi on 200k x 40 features", lambda: csi(features, features * 1.1), reference)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
