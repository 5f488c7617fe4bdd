"""Reading and writing a histories directory."""

import pandas as pd
import pytest
from conftest import make_book

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.histories import (
    Histories,
    read_histories,
    validate_directory,
    write_histories,
)


def awkward_book() -> tuple[Histories, pd.DataFrame]:
    """The valid book with ids that look numeric, sub-second times and an "NA" id."""
    book, applications = make_book()
    rename = {"c1": "007", "c2": "NA", "c3": "1e3"}
    customers = book.customers.assign(customer_id=book.customers["customer_id"].map(rename))
    orders = book.orders.assign(customer_id=book.orders["customer_id"].map(rename))
    orders["order_ts"] = orders["order_ts"] + pd.to_timedelta([123456789, 0, 1, 0], unit="ns")
    installments = book.installments.assign(
        customer_id=book.installments["customer_id"].map(rename),
        amount_due=[100.1, 100.2, 0.1 + 0.2, 90.0],
    )
    applications = applications.assign(customer_id=applications["customer_id"].map(rename))
    return Histories(customers, orders, installments), applications


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_gives_equal_frames(tmp_path, fmt):
    book, applications = awkward_book()
    assert write_histories(book, tmp_path, applications, format=fmt) == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{t}.{fmt}" for t in ("customers", "orders", "installments", "applications")
    )
    read, read_applications = read_histories(tmp_path)
    for name, frame in book.tables().items():
        pd.testing.assert_frame_equal(getattr(read, name), frame)
    pd.testing.assert_frame_equal(read_applications, applications)
    assert read.customers["customer_id"].tolist() == ["007", "NA", "1e3"]
    assert read.orders["refund_ts"].isna().tolist() == [True, True, False, True]


def test_without_applications_file_applications_are_none(tmp_path, book):
    write_histories(book, tmp_path, format="parquet")
    assert read_histories(tmp_path)[1] is None


def test_missing_table_file_is_named(tmp_path, book):
    write_histories(book, tmp_path)
    (tmp_path / "orders.csv").unlink()
    with pytest.raises(
        HistoryError, match=r"has no orders table: expected orders\.csv or orders\.parquet"
    ):
        read_histories(tmp_path)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(HistoryError, match=r"nowhere is not a directory"):
        read_histories(tmp_path / "nowhere")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_missing_required_column_names_the_file(tmp_path, book, fmt):
    orders = book.orders.drop(columns="payment")
    write_histories(Histories(book.customers, orders, book.installments), tmp_path, format=fmt)
    with pytest.raises(HistoryError, match=rf"orders\.{fmt} is missing required column payment"):
        read_histories(tmp_path)


def test_csv_and_parquet_of_one_table_is_ambiguous(tmp_path, book):
    write_histories(book, tmp_path)
    book.orders.to_parquet(tmp_path / "orders.parquet")
    with pytest.raises(HistoryError, match=r"both orders\.csv and orders\.parquet.*ambiguous"):
        read_histories(tmp_path)


def test_writing_the_other_format_over_a_directory_is_refused(tmp_path, book):
    write_histories(book, tmp_path)
    with pytest.raises(HistoryError, match=r"writing customers\.parquet would leave .* ambiguous"):
        write_histories(book, tmp_path, format="parquet")
    assert not list(tmp_path.glob("*.parquet"))


def test_unknown_format_is_a_config_error(tmp_path, book):
    with pytest.raises(ConfigError, match=r"format must be one of csv, parquet; got 'xlsx'"):
        write_histories(book, tmp_path, format="xlsx")


def test_unparseable_value_names_file_column_key_and_raw_text(tmp_path, book):
    write_histories(book, tmp_path)
    text = (tmp_path / "orders.csv").read_text().replace("2024-01-20 15:30:00", "20/01/2024")
    (tmp_path / "orders.csv").write_text(text)
    with pytest.raises(
        HistoryError,
        match=r"orders\.csv: orders\.order_ts must be an ISO 8601 timestamp.*"
        r"\(order_id o2; found 20/01/2024\)\. Correct the file, or read it with coerce=False",
    ):
        read_histories(tmp_path)
    raw, _ = read_histories(tmp_path, coerce=False)
    assert raw.orders["order_ts"][1] == "20/01/2024"


def test_empty_file_is_named(tmp_path, book):
    write_histories(book, tmp_path)
    (tmp_path / "customers.csv").write_text("")
    with pytest.raises(HistoryError, match=r"could not read .*customers\.csv"):
        read_histories(tmp_path)


def test_validate_directory_summarises_and_lists_rejects(tmp_path):
    book, applications = make_book()
    orders = book.orders.assign(amount=[300.0, -1.0, 120.0, 90.0])
    applications = applications.assign(channel=["live_stream", "radio"])
    write_histories(Histories(book.customers, orders, book.installments), tmp_path, applications)
    summary, rejects = validate_directory(tmp_path)
    assert summary.to_dict("index") == {
        "customers": {"rows_in": 3, "rows_kept": 3, "rows_rejected": 0},
        "orders": {"rows_in": 4, "rows_kept": 3, "rows_rejected": 1},
        "installments": {"rows_in": 4, "rows_kept": 4, "rows_rejected": 0},
        "applications": {"rows_in": 2, "rows_kept": 1, "rows_rejected": 1},
    }
    assert rejects[["table", "key", "check", "found"]].values.tolist() == [
        ["orders", "o2", "range", "-1.0"],
        ["applications", "a2", "isin", "radio"],
    ]


def test_validate_directory_of_a_valid_book_has_no_rejects(tmp_path, book):
    write_histories(book, tmp_path, format="parquet")
    summary, rejects = validate_directory(tmp_path)
    assert rejects.empty
    assert summary["rows_rejected"].sum() == 0
    assert summary.index.tolist() == ["customers", "orders", "installments"]
