"""make_bnpl_histories: seeded, deterministic, parameters checked."""

import pandas as pd
import pytest

from bnpl_risk import ConfigError
from bnpl_risk.datasets import make_bnpl_histories


def _frames(book):
    return {**book.histories.tables(), "applications": book.applications}


def test_same_seed_gives_identical_tables():
    first, second = make_bnpl_histories(400, seed=5), make_bnpl_histories(400, seed=5)
    for name, frame in _frames(first).items():
        pd.testing.assert_frame_equal(frame, _frames(second)[name], obj=name)
    pd.testing.assert_series_equal(first.true_pd, second.true_pd)
    pd.testing.assert_series_equal(first.segment, second.segment)
    assert first.end == second.end


def test_different_seeds_give_different_books():
    first, second = make_bnpl_histories(400, seed=5), make_bnpl_histories(400, seed=6)
    assert not first.histories.orders["order_ts"].equals(second.histories.orders["order_ts"])
    assert not first.true_pd.reset_index(drop=True).equals(second.true_pd.reset_index(drop=True))


def test_start_and_months_set_the_span():
    book = make_bnpl_histories(300, seed=1, start="2023-03-15 17:45", months=7)
    assert book.end == pd.Timestamp("2023-10-15")
    assert book.histories.customers["signup_ts"].min() >= pd.Timestamp("2023-03-15")
    assert book.histories.data_end < book.end
    assert book.applications["as_of"].min() >= pd.Timestamp("2023-03-15")


def test_a_one_month_book_still_works():
    book = make_bnpl_histories(50, seed=2, start="2024-02-01", months=1)
    assert len(book.histories.customers) == 50
    assert book.histories.orders["order_ts"].max() < pd.Timestamp("2024-03-01")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, r"n_customers must be a whole number >= 1; found 0"),
        ({"n_customers": 2.5}, r"n_customers must be a whole number >= 1; found 2.5"),
        ({"n_customers": True}, r"n_customers must be a whole number >= 1; found True"),
        ({"seed": -1}, r"seed must be a whole number >= 0; found -1\. Pass e\.g\. seed=0"),
        ({"months": 0}, r"months must be a whole number >= 1; found 0\. Pass e\.g\. months=18"),
        ({"start": "not a date"}, r"start must be a date; found 'not a date'"),
        ({"start": None}, r"start must be a timezone-naive date"),
        ({"start": pd.Timestamp("2024-01-01", tz="UTC")}, r"timezone-naive"),
    ],
)
def test_bad_parameters_are_refused_with_the_fix(kwargs, match):
    args = {"n_customers": 10, **kwargs}
    with pytest.raises(ConfigError, match=match):
        make_bnpl_histories(args.pop("n_customers"), **args)
