"""The one coercion shared by validation and the loaders."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import HistoryError
from bnpl_risk.histories._coerce import coerce_table


def customers(**columns) -> pd.DataFrame:
    base = {
        "customer_id": ["c1", "c2", "c3"],
        "signup_ts": ["2024-01-01", "2024-01-02 10:30", "2024-01-03T23:59:59.5"],
        "birth_year": [1990, 1991, 1992],
        "kyc_level": [2, 2, 3],
        "city_tier": [1, 2, 3],
    }
    return pd.DataFrame({**base, **columns})


def test_clean_text_becomes_contract_dtypes():
    coerced, problems = coerce_table(customers(birth_year=["1990", "1991", "1992"]), "customers")
    assert problems.empty
    assert coerced["signup_ts"].dtype == "datetime64[ns]"
    assert coerced["signup_ts"][2] == pd.Timestamp("2024-01-03 23:59:59.5")
    assert coerced["birth_year"].dtype == "int64"
    assert pd.api.types.is_string_dtype(coerced["customer_id"].dtype)


def test_numeric_ids_become_text_without_a_decimal_point():
    coerced, _ = coerce_table(customers(customer_id=[7.0, np.nan, 9.0]), "customers")
    assert coerced["customer_id"].tolist()[::2] == ["7", "9"]
    assert coerced["customer_id"].isna().tolist() == [False, True, False]
    coerced, _ = coerce_table(customers(customer_id=[7, 8, 9]), "customers")
    assert coerced["customer_id"].tolist() == ["7", "8", "9"]


def test_empty_text_is_missing_not_unparseable():
    raw = customers(customer_id=["c1", "", "c3"], signup_ts=["2024-01-01", "", None])
    coerced, problems = coerce_table(raw, "customers")
    assert problems.empty
    assert coerced["customer_id"].isna().tolist() == [False, True, False]
    assert coerced["signup_ts"].isna().tolist() == [False, True, True]


def test_unparseable_values_are_listed_with_their_raw_text_and_made_missing():
    raw = customers(signup_ts=["2024-01-01", "01/02/2024", "2024-02-30"], kyc_level=[2, "two", 2.5])
    coerced, problems = coerce_table(raw, "customers")
    assert problems[["row", "column", "found"]].values.tolist() == [
        [1, "signup_ts", "01/02/2024"],
        [2, "signup_ts", "2024-02-30"],
        [1, "kyc_level", "two"],
        [2, "kyc_level", "2.5"],
    ]
    assert coerced["signup_ts"].isna().tolist() == [False, True, True]
    assert coerced["kyc_level"].tolist()[0] == 2
    assert coerced["kyc_level"].isna().tolist() == [False, True, True]


def test_epoch_numbers_and_out_of_range_dates_are_reported_not_guessed():
    raw = customers(signup_ts=[1704067200, "3000-01-01", dt.datetime(2024, 1, 3, 8)])
    coerced, problems = coerce_table(raw, "customers")
    assert problems["found"].tolist() == ["1704067200", "3000-01-01"]
    assert coerced["signup_ts"][2] == pd.Timestamp("2024-01-03 08:00")
    _, problems = coerce_table(customers(signup_ts=[1, 2, 3]), "customers")
    assert problems["row"].tolist() == [0, 1, 2]


def test_coarser_datetime_units_become_nanoseconds():
    ts = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])).astype(
        "datetime64[s]"
    )
    coerced, _ = coerce_table(customers(signup_ts=ts), "customers")
    assert coerced["signup_ts"].dtype == "datetime64[ns]"


def test_timezone_aware_column_is_refused():
    ts = pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC"))
    with pytest.raises(HistoryError, match=r"customers\.signup_ts must be timezone-naive.*UTC"):
        coerce_table(customers(signup_ts=ts), "customers")


def test_extra_columns_and_the_input_are_untouched():
    segment = pd.Categorical(["a", "b", "a"])
    raw = customers(segment=segment, score=[1, 2, 3])
    before = raw.copy(deep=True)
    coerced, _ = coerce_table(raw, "customers")
    pd.testing.assert_frame_equal(raw, before)
    assert isinstance(coerced["segment"].dtype, pd.CategoricalDtype)
    assert coerced["score"].tolist() == [1, 2, 3]
    assert list(coerced.columns) == list(raw.columns)


def test_index_is_kept():
    coerced, _ = coerce_table(customers().set_axis([10, 10, 3]), "customers")
    assert coerced.index.tolist() == [10, 10, 3]
    assert coerced["customer_id"].tolist() == ["c1", "c2", "c3"]


def test_table_level_problems_are_named():
    with pytest.raises(HistoryError, match=r"customers must be a pandas DataFrame; got dict"):
        coerce_table(customers().to_dict(), "customers")
    doubled = pd.concat([customers(), customers()[["city_tier"]]], axis=1)
    with pytest.raises(HistoryError, match=r"customers has duplicate column names city_tier"):
        coerce_table(doubled, "customers")
