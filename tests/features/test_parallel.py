"""A book cut into groups of customers, computed in threads, gives the values of one pass;
so does a book whose loans are read on a thread.

Every feature depends on one customer's events alone, so cutting the book
between customers changes nothing, whatever the tables' row order.
"""

import dataclasses
from unittest import mock

import numpy as np
import pytest
from features_testkit import books
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.errors import HistoryError
from bnpl_risk.features import _assemble, _inputs
from bnpl_risk.features._inputs import read_applications, read_book
from bnpl_risk.features.registry import feature_names
from bnpl_risk.histories import Histories

WINDOWS = (7, 30, 90, 180)
NAMES = tuple(feature_names(WINDOWS))


def _book(h, apps):
    return read_book(h, read_applications(apps))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(books(max_customers=6), st.integers(2, 4), st.booleans(), st.integers(0, 2**31 - 1))
def test_parts_computed_in_threads_equal_one_pass(book, parts, shuffled, seed):
    h, apps = book
    if shuffled:
        # Rows out of customer order take the copying path.
        h = Histories(*(f.sample(frac=1, random_state=seed) for f in h.tables().values()))
        apps = apps.sample(frac=1, random_state=seed)
    one = _assemble.compute(_book(h, apps), NAMES, WINDOWS, parts=1)
    book = _book(h, apps)
    events = {
        (table, f.name): getattr(getattr(book, table), f.name).copy()
        for table in ("orders", "installments")
        for f in dataclasses.fields(getattr(book, table))
    }
    split = _assemble.compute(book, NAMES, WINDOWS, parts=parts)
    np.testing.assert_array_equal(split, one)
    # The parts read the book's arrays: none was written to.
    for (table, field), values in events.items():
        np.testing.assert_array_equal(getattr(getattr(book, table), field), values)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_customers=1, max_apps=1))
def test_one_application_starts_no_thread(book):
    h, apps = book
    refuse = mock.Mock(side_effect=AssertionError("a thread pool was started"))
    with mock.patch.object(_assemble, "ThreadPoolExecutor", refuse):
        got = _assemble.compute(_book(h, apps), NAMES, WINDOWS)
    assert got.shape == (1, len(NAMES))
    # Features are float64 as computed: nothing converts them on the way out.
    assert got.dtype == np.float64


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_customers=4))
def test_reading_loans_on_a_thread_gives_the_same_book(book):
    h, apps = book
    alone = _assemble.compute(_book(h, apps), NAMES, WINDOWS)
    with mock.patch.object(_inputs, "_THREAD_ROWS", 0):
        threaded = _assemble.compute(_book(h, apps), NAMES, WINDOWS)
    np.testing.assert_array_equal(threaded, alone)


def test_an_installment_of_no_bnpl_order_is_refused_on_a_thread_too():
    book = make_bnpl_histories(30, seed=4)
    h = book.histories
    upfront = h.orders.loc[h.orders["payment"] == "upfront", "order_id"].iloc[0]
    bad = Histories(h.customers, h.orders, h.installments.assign(loan_id=upfront))
    with mock.patch.object(_inputs, "_THREAD_ROWS", 0):
        with pytest.raises(HistoryError, match="loan_id must be the order_id of a bnpl order"):
            _book(bad, book.applications)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(max_customers=4), st.booleans())
def test_sorted_ids_joined_by_merging_give_the_same_book(book, shuffled):
    h, apps = book
    if shuffled:  # unsorted ids take the hash join
        h = Histories(*(f.sample(frac=1, random_state=0) for f in h.tables().values()))
    alone = _assemble.compute(_book(h, apps), NAMES, WINDOWS)
    with mock.patch.object(_inputs, "_RUNS_WORTH_IT", 1):
        merged = _assemble.compute(_book(h, apps), NAMES, WINDOWS)
    np.testing.assert_array_equal(merged, alone)
