"""validate_applications: one corruption per check, in both modes."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_book

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.histories import validate_applications, validate_histories


def edit(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.iloc[row, out.columns.get_loc(column)] = value
    return out


CASES = [
    (
        "as_of unparseable",
        (0, "as_of", "May 1st"),
        r"applications\.as_of must be an ISO 8601 timestamp.*\(application_id a1; found May 1st\)",
    ),
    ("as_of missing", (0, "as_of", None), r"applications\.as_of must be present.*a1"),
    (
        "application_id duplicated",
        (1, "application_id", "a1"),
        r"applications\.application_id must be unique; 2 rows are not \(application_id a1",
    ),
    (
        "unknown customer",
        (1, "customer_id", "c42"),
        r"applications\.customer_id must be a known customer \(unknown customer\); 1 row is not "
        r"\(application_id a2; found c42\)",
    ),
    (
        "requested_amount zero",
        (0, "requested_amount", 0.0),
        r"applications\.requested_amount must be a finite amount > 0.*a1; found 0\.0",
    ),
    (
        "requested_amount infinite",
        (0, "requested_amount", np.inf),
        r"applications\.requested_amount must be a finite amount > 0.*found inf",
    ),
    (
        "channel unknown",
        (1, "channel", "tv"),
        r"applications\.channel must be one of live_stream, short_video, mall, search; "
        r"1 row is not \(application_id a2; found tv\)",
    ),
    (
        "as_of before signup",
        (1, "as_of", "2024-02-01 20:14"),
        r"applications\.as_of must be on or after the customer's signup_ts.*a2; "
        r"found as_of=2024-02-01 20:14:00, signup_ts=2024-02-01 20:15:00",
    ),
]


@pytest.mark.parametrize(("edit_", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_check_raises_or_rejects_its_row(book, applications, edit_, match):
    corrupted = edit(applications, *edit_)
    checked = validate_histories(book)
    with pytest.raises(HistoryError, match=match):
        validate_applications(corrupted, checked)
    result = validate_applications(corrupted, checked, on_error="reject")
    rejected = corrupted.iloc[result.rejects["row"].unique()]["application_id"]
    expected = {"a1"} if edit_[1] == "application_id" else {corrupted["application_id"][edit_[0]]}
    assert set(result.rejects["key"]) == expected == set(rejected)
    assert len(result.applications) + result.rejects["row"].nunique() == len(corrupted)
    assert result.summary().loc["applications"].tolist() == [
        len(corrupted),
        len(result.applications),
        result.rejects["row"].nunique(),
    ]


def test_valid_applications_pass_unchanged(book, applications):
    result = validate_applications(applications, validate_histories(book), on_error="reject")
    assert result.rejects.empty
    pd.testing.assert_frame_equal(result.applications, applications)


def test_missing_requested_amount_is_allowed(book, applications):
    result = validate_applications(applications, validate_histories(book))
    assert np.isnan(result.applications["requested_amount"][1])


def test_customer_rejected_is_told_apart_from_unknown(book, applications):
    bad_customer = book.customers.assign(kyc_level=[2, 3, 9])  # c3 is rejected
    checked = validate_histories(
        type(book)(bad_customer, book.orders, book.installments), on_error="reject"
    )
    result = validate_applications(applications, checked, on_error="reject")
    assert result.rejects[["key", "check", "found"]].values.tolist() == [
        ["a2", "parent_rejected", "c3"]
    ]
    assert result.rejects["reason"][0].startswith("customer rejected")
    assert result.applications["application_id"].tolist() == ["a1"]


def test_plain_histories_are_validated_first(book, applications):
    broken = type(book)(book.customers.assign(city_tier=[1, 2, 0]), book.orders, book.installments)
    with pytest.raises(HistoryError, match=r"customers\.city_tier must be between 1 and 5"):
        validate_applications(applications, broken, on_error="reject")
    assert validate_applications(applications, book).rejects.empty


@pytest.mark.parametrize("on_error", ["raise", "reject"])
def test_missing_column_is_a_table_level_error(book, applications, on_error):
    with pytest.raises(HistoryError, match=r"applications is missing required column channel"):
        validate_applications(applications.drop(columns="channel"), book, on_error=on_error)


def test_inputs_are_never_modified(book, applications):
    corrupted = edit(applications, 0, "as_of", "2024-13-01")
    before = corrupted.copy(deep=True)
    validate_applications(corrupted, validate_histories(book), on_error="reject")
    pd.testing.assert_frame_equal(corrupted, before)
    pd.testing.assert_frame_equal(book.customers, make_book()[0].customers)


def test_bad_arguments_are_named(book, applications):
    with pytest.raises(ConfigError, match=r"on_error must be"):
        validate_applications(applications, book, on_error="ignore")
    with pytest.raises(HistoryError, match=r"histories must be a ValidationResult .* got dict"):
        validate_applications(applications, book.tables())
