"""Throughput of history validation, coercion and directory I/O.

Builds a valid synthetic book (vectorized, about 30 orders per customer, a
third of them bnpl in 1, 3 or 6 installments), then times:

- validate_histories on typed frames (reject mode, nothing to reject);
- validate_histories on text frames (every contract column parsed);
- validate_histories with 0.1 % of order amounts corrupted;
- write + read of the directory, CSV and Parquet;

each next to a reference measured in the same run: sorting the orders by
(customer_id, order_ts), a step any feature build pays anyway.

Usage::

    OMP_WAIT_POLICY=PASSIVE python benchmarks/bench_histories_validation.py [n_customers] [steps]

``steps`` is a comma-separated subset of ``typed,corrupt,text,io`` (default:
all); at a million customers, ``typed,corrupt`` keeps memory in bounds.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from functools import partial

import numpy as np
import pandas as pd

from bnpl_risk.histories import (
    SCHEMAS,
    Histories,
    read_histories,
    validate_histories,
    write_histories,
)


def make_book(n_customers: int, seed: int = 0) -> Histories:
    # Text columns are built as pandas text (Arrow-backed on pandas >= 3) by
    # taking from small arrays, so the builder itself stays light in memory.
    rng = np.random.default_rng(seed)
    day = np.timedelta64(1, "D").astype("timedelta64[ns]")
    start = np.datetime64("2023-01-01", "ns")
    customer_ids = _ids("c", n_customers)
    signup = start + (rng.uniform(0, 365, n_customers) * day).astype("timedelta64[ns]")
    customers = pd.DataFrame(
        {
            "customer_id": customer_ids,
            "signup_ts": signup,
            "birth_year": rng.integers(1960, 2005, n_customers),
            "kyc_level": rng.integers(0, 4, n_customers),
            "city_tier": rng.integers(1, 6, n_customers),
        }
    )
    per_customer = rng.poisson(30, n_customers)
    owner = np.repeat(np.arange(n_customers), per_customer)
    n_orders = len(owner)
    order_ts = signup[owner] + (rng.uniform(0, 365, n_orders) * day).astype("timedelta64[ns]")
    bnpl = rng.random(n_orders) < 1 / 3
    status = rng.choice(3, n_orders, p=[0.9, 0.07, 0.03])
    refund = np.where(status == 1, order_ts + 3 * day, np.datetime64("NaT", "ns"))
    orders = pd.DataFrame(
        {
            "order_id": _ids("o", n_orders),
            "customer_id": _take(customer_ids, owner),
            "order_ts": order_ts,
            "amount": np.round(rng.lognormal(4.5, 1.0, n_orders), 2) + 0.01,
            "category": _draw(rng, SCHEMAS["orders"].column("category").categories, n_orders),
            "channel": _draw(rng, SCHEMAS["orders"].column("channel").categories, n_orders),
            "payment": _text(np.where(bnpl, 0, 1), ("bnpl", "upfront")),
            "status": _text(status, ("completed", "refunded", "cancelled")),
            "refund_ts": refund,
        }
    )
    loans = np.flatnonzero(bnpl)
    terms = rng.choice([1, 3, 6], len(loans))
    loan = np.repeat(loans, terms)
    number = np.arange(len(loan)) - np.repeat(np.cumsum(terms) - terms, terms) + 1
    due = order_ts[loan].astype("datetime64[D]").astype("datetime64[ns]") + 30 * number * day
    amount_due = np.round(orders["amount"].to_numpy()[loan] / np.repeat(terms, terms), 2) + 0.01
    paid = rng.random(len(loan)) < 0.8
    installments = pd.DataFrame(
        {
            "loan_id": _take(orders["order_id"], loan),
            "customer_id": _take(orders["customer_id"], loan),
            "installment_no": number,
            "due_date": due,
            "amount_due": amount_due,
            "paid_ts": np.where(paid, due - 2 * day, np.datetime64("NaT", "ns")),
            "amount_paid": np.where(paid, amount_due, 0.0),
        }
    )
    return Histories(customers, orders, installments)


def _ids(prefix: str, n: int) -> pd.Series:
    return prefix + pd.Series(np.arange(n)).astype(str)


def _take(values: pd.Series, rows: np.ndarray) -> pd.Series:
    return values.take(rows).reset_index(drop=True)


def _text(codes: np.ndarray, labels) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, labels)).astype(str)


def _draw(rng, labels, n: int) -> pd.Series:
    return _text(rng.integers(0, len(labels), n), labels)


def timed(label: str, fn, reference: float | None = None, rows: int | None = None):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    parts = [f"{label:<44} {seconds:8.2f} s"]
    if rows:
        parts.append(f"{rows / seconds / 1e6:6.2f} M rows/s")
    if reference:
        parts.append(f"{seconds / reference:6.1f} x reference")
    parts.append(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:5.1f} GB")
    print("  ".join(parts), flush=True)
    return out, seconds


def main(n_customers: int, steps: set[str]) -> None:
    book, _ = timed(f"build book ({n_customers:,} customers)", lambda: make_book(n_customers))
    rows = sum(len(f) for f in book.tables().values())
    size = sum(f.memory_usage(deep=True).sum() for f in book.tables().values()) / 2**30
    print(
        f"rows: customers {len(book.customers):,}, orders {len(book.orders):,}, "
        f"installments {len(book.installments):,} (total {rows:,}; {size:.1f} GB in memory)"
    )
    _, reference = timed(
        "reference: sort orders by customer, time",
        lambda: book.orders.sort_values(["customer_id", "order_ts"]),
    )
    if "typed" in steps:
        result, _ = timed(
            "validate typed frames",
            lambda: validate_histories(book, on_error="reject"),
            reference,
            rows,
        )
        assert result.rejects.empty
    if "corrupt" in steps:
        amounts = book.orders["amount"].to_numpy().copy()
        broken = np.random.default_rng(1).choice(len(amounts), len(amounts) // 1000, replace=False)
        amounts[broken] = -1.0
        corrupted = Histories(book.customers, book.orders.assign(amount=amounts), book.installments)
        result, _ = timed(
            "validate with 0.1% bad order amounts",
            lambda: validate_histories(corrupted, on_error="reject"),
            reference,
            rows,
        )
        print(f"  rejected rows: {result.summary()['rows_rejected'].to_dict()}")
        del corrupted
    result = None
    if "text" in steps:
        text, _ = timed(
            "(make text frames)",
            lambda: Histories(**{n: f.astype(str) for n, f in book.tables().items()}),
        )
        timed(
            "validate text frames (parse everything)",
            lambda: validate_histories(text, on_error="reject"),
            reference,
            rows,
        )
        del text
    if "io" in steps:
        for fmt in ("parquet", "csv"):
            with tempfile.TemporaryDirectory() as tmp:
                write = partial(write_histories, book, tmp, format=fmt)
                timed(f"write {fmt}", write, reference, rows)
                timed(f"read {fmt} (coerced)", partial(read_histories, tmp), reference, rows)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    everything = "typed,corrupt,text,io"
    main(n, set((sys.argv[2] if len(sys.argv) > 2 else everything).split(",")))
