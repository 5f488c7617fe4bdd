"""A small generated book with bad rows of every kind, and the whole-book reference result.

The bad rows are chosen so that rows validation compares sit, by their own
customer, in *different* chunks: a batch run gets them right only if it
keeps whole customer histories and linked customers together.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from bnpl_risk.batch import read_rejects, read_scores
from bnpl_risk.batch._hash import bucket_of, hash_ids
from bnpl_risk.batch.chunk import score_chunk

N_CUSTOMERS = 240
CHUNK = 40  # customers per chunk in most tests: 6 chunks
TABLES = ("customers", "orders", "installments", "applications")


def apart(ids: list[str], n_chunks: int, k: int) -> list[str]:
    """``k`` ids that fall in ``k`` different buckets by their own hash."""
    buckets = bucket_of(hash_ids(pa.array(ids)), n_chunks)
    first = pd.Series(ids).groupby(buckets).first()
    return first.iloc[:k].tolist()


def dirty_tables(book) -> dict[str, pd.DataFrame]:
    """The book's four tables (copies) with bad rows, each named in a comment."""
    customers = book.histories.customers.copy()
    orders = book.histories.orders.copy()
    installments = book.histories.installments.copy()
    apps = book.applications.copy()
    n_chunks = -(-len(customers) // CHUNK)
    with_loans = list(installments["customer_id"].unique())
    # The two customers of each cross-customer link start in different chunks.
    c, d = apart(with_loans, n_chunks, 2)
    e, f = apart([i for i in with_loans if i not in (c, d)], n_chunks, 2)
    a, b, g = [i for i in with_loans if i not in (c, d, e, f)][:3]

    # A customer row out of contract: its orders, loans and applications follow.
    customers.loc[customers["customer_id"] == a, "city_tier"] = 9
    # A bad order: its installments are rejected, its customer's applications too.
    bad_order = orders.index[orders["customer_id"] == b][0]
    orders.loc[bad_order, "amount"] = -5.0
    # One order_id used by two customers in different chunks (both rejected).
    loan_c = installments.loc[installments["customer_id"] == c, "loan_id"].iloc[0]
    loan_d = installments.loc[installments["customer_id"] == d, "loan_id"].iloc[0]
    orders.loc[orders["order_id"] == loan_d, "order_id"] = loan_c
    installments.loc[installments["loan_id"] == loan_d, "loan_id"] = loan_c
    # An installment filed under another customer than its order's.
    loan_e = installments.loc[installments["customer_id"] == e, "loan_id"].iloc[0]
    installments.loc[installments.index[installments["loan_id"] == loan_e][0], "customer_id"] = f
    # An order with no customer id, whose loan stays with its customer.
    loan_g = installments.loc[installments["customer_id"] == g, "loan_id"].iloc[0]
    orders.loc[orders["order_id"] == loan_g, "customer_id"] = None
    # Applications: an unknown customer, no customer, one id given to two
    # customers in different chunks, one before its customer's signup.
    others = apps[~apps["customer_id"].isin([a, b, c, d, e, f, g])]
    firsts = others.groupby("customer_id").head(1)
    unknown, missing, twin_1, twin_2, early = firsts.index[:5]
    apps.loc[unknown, "customer_id"] = "nobody"
    apps.loc[missing, "customer_id"] = None
    apps.loc[twin_2, "application_id"] = apps.loc[twin_1, "application_id"]
    apps.loc[early, "as_of"] = pd.Timestamp("2000-01-01")
    return {
        "customers": customers,
        "orders": orders,
        "installments": installments,
        "applications": apps,
    }


def write_tables(tables: dict[str, pd.DataFrame], directory: Path, fmt: str = "parquet") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(directory / f"{name}.csv", index=False)
        else:
            frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


def reference(tables: dict[str, pd.DataFrame], scorer, *, reasons: bool = False):
    """The whole book as one chunk: decisions (as read_scores gives them) and rejects."""
    frames = {t: f.assign(_row=np.arange(len(f))) for t, f in tables.items()}
    result = score_chunk(frames, scorer, reasons=reasons)
    decisions = result.decisions.sort_values("application_id").set_index("application_id")
    return decisions, result.rejects.reset_index(drop=True)


def results(out) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read_scores(out), read_rejects(out)


def assert_same(got: tuple, expected: tuple) -> None:
    pd.testing.assert_frame_equal(got[0], expected[0])
    pd.testing.assert_frame_equal(got[1], expected[1])
