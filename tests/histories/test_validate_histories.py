"""validate_histories: one corruption per check, in both modes."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from conftest import make_book

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.histories import SCHEMAS, Histories, validate_histories

DROP = object()  # an edit value meaning "delete the row"
TABLES = ("customers", "orders", "installments")


def edit(book: Histories, *edits) -> Histories:
    """A copy of ``book`` with (table, row position, column, value) edits applied."""
    tables = {name: frame.copy() for name, frame in book.tables().items()}
    drops = {name: [] for name in tables}
    for table, row, column, value in edits:
        if value is DROP:
            drops[table].append(row)
            continue
        frame = tables[table]
        frame[column] = frame[column].astype(object)
        frame.iloc[row, frame.columns.get_loc(column)] = value
    for name, rows in drops.items():
        tables[name] = tables[name].drop(index=tables[name].index[rows])
    return Histories(**tables)


def rejected_keys(rejects: pd.DataFrame) -> dict[str, set[str]]:
    return {t: set(rejects.loc[rejects["table"] == t, "key"]) for t in TABLES}


def assert_accounted(result, histories: Histories) -> None:
    """Rows in = rows kept + distinct rows rejected, for every table."""
    rejected = result.rejects.drop_duplicates(["table", "row"])["table"].value_counts()
    for name, frame in histories.tables().items():
        kept = len(getattr(result.histories, name))
        assert kept + rejected.get(name, 0) == len(frame), name
    summary = result.summary()
    assert summary["rows_in"].to_dict() == {n: len(f) for n, f in histories.tables().items()}


@dataclass
class Case:
    id: str
    edits: list
    match: str
    rejected: dict = field(default_factory=dict)


CASES = [
    Case(
        "signup_ts unparseable",
        [("customers", 1, "signup_ts", "yesterday")],
        r"customers\.signup_ts must be an ISO 8601 timestamp.*\(customer_id c2; found yesterday\)",
        {"customers": {"c2"}, "orders": {"o3"}},
    ),
    Case(
        "kyc_level out of bounds",
        [("customers", 2, "kyc_level", 7)],
        r"customers\.kyc_level must be between 0 and 3; 1 row is not \(customer_id c3; found 7\)",
        {"customers": {"c3"}, "orders": {"o4"}, "installments": {"o4/1"}},
    ),
    Case(
        "birth_year not a number",
        [("customers", 0, "birth_year", "19x0")],
        r"customers\.birth_year must be a whole number; 1 row is not \(customer_id c1; found 19x0",
        {"customers": {"c1"}, "orders": {"o1", "o2"}, "installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "city_tier fractional",
        [("customers", 1, "city_tier", 2.5)],
        r"customers\.city_tier must be a whole number.*found 2\.5",
        {"customers": {"c2"}, "orders": {"o3"}},
    ),
    Case(
        "customer_id missing",
        [("customers", 1, "customer_id", None)],
        r"customers\.customer_id must be present; 1 row is not \(customer_id <missing>",
        {"customers": {"<missing>"}, "orders": {"o3"}},
    ),
    Case(
        "customer_id duplicated",
        [("customers", 2, "customer_id", "c2")],
        r"customers\.customer_id must be unique; 2 rows are not \(customer_id c2; found c2\)",
        {"customers": {"c2"}, "orders": {"o3", "o4"}, "installments": {"o4/1"}},
    ),
    Case(
        "customer row deleted",
        [("customers", 1, None, DROP)],
        r"orders\.customer_id must be a known customer.*\(order_id o3; found c2\)",
        {"orders": {"o3"}},
    ),
    Case(
        "amount negative",
        [("orders", 1, "amount", -5.0)],
        r"^orders\.amount must be a finite amount > 0; 1 row is not \(order_id o2; found -5\.0\)\. "
        r'Drop or correct them, or pass on_error="reject"\.$',
        {"orders": {"o2"}},
    ),
    Case(
        "amount infinite",
        [("orders", 3, "amount", np.inf)],
        r"orders\.amount must be a finite amount > 0.*order_id o4; found inf",
        {"orders": {"o4"}, "installments": {"o4/1"}},
    ),
    Case(
        "amount text",
        [("orders", 1, "amount", "12,50")],
        r"orders\.amount must be a number; 1 row is not \(order_id o2; found 12,50\)",
        {"orders": {"o2"}},
    ),
    Case(
        "order_ts unparseable",
        [("orders", 1, "order_ts", "2024-02-30")],
        r"orders\.order_ts must be an ISO 8601 timestamp.*order_id o2; found 2024-02-30",
        {"orders": {"o2"}},
    ),
    Case(
        "order_ts day first",
        [("orders", 1, "order_ts", "20/01/2024")],
        r"orders\.order_ts must be an ISO 8601 timestamp.*found 20/01/2024",
        {"orders": {"o2"}},
    ),
    Case(
        "order_ts missing",
        [("orders", 1, "order_ts", None)],
        r"orders\.order_ts must be present; 1 row is not \(order_id o2; found <missing>\)",
        {"orders": {"o2"}},
    ),
    Case(
        "refund before order",
        [("orders", 2, "refund_ts", "2024-01-14")],
        r"orders\.refund_ts must be on or after order_ts; 1 row is not \(order_id o3; "
        r"found refund_ts=2024-01-14 00:00:00, order_ts=2024-01-15 12:00:00\)",
        {"orders": {"o3"}},
    ),
    Case(
        "order before signup",
        [("orders", 1, "order_ts", "2023-12-31")],
        r"orders\.order_ts must be on or after the customer's signup_ts.*order_id o2; "
        r"found order_ts=2023-12-31 00:00:00, signup_ts=2024-01-01 08:00:00",
        {"orders": {"o2"}},
    ),
    Case(
        "order of unknown customer",
        [("orders", 1, "customer_id", "c9")],
        r"orders\.customer_id must be a known customer.*\(order_id o2; found c9\)",
        {"orders": {"o2"}},
    ),
    Case(
        "order_id duplicated",
        [("orders", 1, "order_id", "o1")],
        r"orders\.order_id must be unique; 2 rows are not \(order_id o1; found o1\)",
        {"orders": {"o1"}, "installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "amount_due zero",
        [("installments", 1, "amount_due", 0.0)],
        r"installments\.amount_due must be a finite amount > 0; 1 row is not "
        r"\(loan_id/installment_no o1/2; found 0\.0\)",
        {"installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "amount_paid above amount_due",
        [("installments", 3, "amount_paid", 95.0)],
        r"installments\.amount_paid must be a finite amount between 0 and amount_due; .*"
        r"o4/1; found amount_paid=95\.0, amount_due=90\.0",
        {"installments": {"o4/1"}},
    ),
    Case(
        "amount_paid negative",
        [("installments", 3, "amount_paid", -1.0)],
        r"installments\.amount_paid must be a finite amount between 0.*found amount_paid=-1\.0",
        {"installments": {"o4/1"}},
    ),
    Case(
        "amount_paid missing",
        [("installments", 3, "amount_paid", None)],
        r"installments\.amount_paid must be present.*o4/1",
        {"installments": {"o4/1"}},
    ),
    Case(
        "due_date before the order's day",
        [("installments", 0, "due_date", "2024-01-04 23:59")],
        r"installments\.due_date must be on or after the day of its order.*o1/1; "
        r"found due_date=2024-01-04 23:59:00, order_ts=2024-01-05 10:00:00",
        {"installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "due_date unparseable",
        [("installments", 0, "due_date", "soon")],
        r"installments\.due_date must be an ISO 8601 timestamp.*o1/1; found soon",
        {"installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "paid before the order",
        [("installments", 0, "paid_ts", "2024-01-05 09:59")],
        r"installments\.paid_ts must be on or after its order's order_ts.*o1/1",
        {"installments": {"o1/1", "o1/2", "o1/3"}},
    ),
    Case(
        "gap in numbering",
        [("installments", 2, "installment_no", 5)],
        r"installments\.installment_no must be numbered 1\.\.n without gaps within each loan; "
        r"3 rows are not \(loan_id/installment_no o1/1, o1/2, o1/5",
        {"installments": {"o1/1", "o1/2", "o1/5"}},
    ),
    Case(
        "installment deleted",
        [("installments", 1, None, DROP)],
        r"installments\.installment_no must be numbered 1\.\.n.*o1/1, o1/3",
        {"installments": {"o1/1", "o1/3"}},
    ),
    Case(
        "numbering starts at 2",
        [("installments", 3, "installment_no", 2)],
        r"installments\.installment_no must be numbered 1\.\.n.*o4/2",
        {"installments": {"o4/2"}},
    ),
    Case(
        "installment_no out of bounds",
        [("installments", 2, "installment_no", 0)],
        r"installments\.installment_no must be between 1 and 120; 1 row is not "
        r"\(loan_id/installment_no o1/0; found 0\)",
        {"installments": {"o1/1", "o1/2", "o1/0"}},
    ),
    Case(
        "installment key duplicated",
        [("installments", 2, "installment_no", 2)],
        r"installments\.loan_id/installment_no must be unique; 2 rows are not "
        r"\(loan_id/installment_no o1/2; found o1/2\)",
        {"installments": {"o1/1", "o1/2"}},
    ),
    Case(
        "loan of unknown order",
        [("installments", 3, "loan_id", "o99")],
        r"installments\.loan_id must be the order_id of an order.*o99/1; found o99",
        {"installments": {"o99/1"}},
    ),
    Case(
        "loan of an upfront order",
        [("installments", 3, "loan_id", "o2"), ("installments", 3, "customer_id", "c1")],
        r"installments\.loan_id must be a bnpl order; 1 row is not \(loan_id/installment_no "
        r"o2/1; found loan_id=o2, payment=upfront\)",
        {"installments": {"o2/1"}},
    ),
    Case(
        "installment of another customer",
        [("installments", 1, "customer_id", "c2")],
        r"installments\.customer_id must be the customer of its order.*o1/2; "
        r"found customer_id=c2, order customer_id=c1",
        {"installments": {"o1/1", "o1/2", "o1/3"}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_raise_mode_names_table_column_keys_and_found(book, case):
    corrupted = edit(book, *case.edits)
    with pytest.raises(HistoryError, match=case.match):
        validate_histories(corrupted)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_reject_mode_rejects_exactly_the_row_and_its_dependents(book, case):
    corrupted = edit(book, *case.edits)
    result = validate_histories(corrupted, on_error="reject")
    expected = {t: case.rejected.get(t, set()) for t in TABLES}
    assert rejected_keys(result.rejects) == expected
    assert_accounted(result, corrupted)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (t, c.name)
        for t in TABLES
        for c in SCHEMAS[t].columns
        if c.categories or c.bounds != (None, None)
    ],
)
def test_every_declared_constraint_rejects_a_generated_bad_value(book, table, column):
    declared = SCHEMAS[table].column(column)
    bad = "not-a-" + column if declared.categories else declared.bounds[1] + 1
    corrupted = edit(book, (table, 0, column, bad))
    with pytest.raises(HistoryError, match=rf"{table}\.{column} must be .*found {bad}"):
        validate_histories(corrupted)
    result = validate_histories(corrupted, on_error="reject")
    own = result.rejects[result.rejects["check"] != "loan_rejected"]
    assert own[["table", "row", "column"]].drop_duplicates().values.tolist()[:1] == [
        [table, 0, column]
    ]


def test_valid_book_has_no_rejects_and_keeps_every_row_equal(book):
    result = validate_histories(book, on_error="reject")
    assert result.rejects.empty
    assert list(result.rejects.columns) == [
        "table", "row", "key", "column", "check", "expected", "found", "reason",
    ]  # fmt: skip
    for name, frame in book.tables().items():
        pd.testing.assert_frame_equal(getattr(result.histories, name), frame)
    assert validate_histories(book).rejects.empty


def test_kept_frames_have_contract_dtypes(book):
    raw = Histories(**{n: f.astype(str).replace("NaT", "") for n, f in book.tables().items()})
    kept = validate_histories(raw).histories
    dtypes = {"timestamp": "datetime64[ns]", "money": "float64", "int": "int64"}
    for name, frame in kept.tables().items():
        for col in SCHEMAS[name].columns:
            if col.kind in dtypes:
                assert frame[col.name].dtype == dtypes[col.kind], (name, col.name)
            else:
                assert pd.api.types.is_string_dtype(frame[col.name].dtype), (name, col.name)
        pd.testing.assert_frame_equal(
            frame[list(SCHEMAS[name].names)], getattr(book, name)[list(SCHEMAS[name].names)]
        )


@pytest.mark.parametrize("on_error", ["raise", "reject"])
def test_inputs_are_never_modified(on_error):
    book = make_book()[0]
    corrupted = edit(book, ("orders", 1, "amount", "-3"), ("customers", 2, "kyc_level", "9"))
    before = {n: f.copy(deep=True) for n, f in corrupted.tables().items()}
    for histories in (book, corrupted):
        try:
            result = validate_histories(histories, on_error=on_error)
        except HistoryError:
            continue
        for name, frame in result.histories.tables().items():
            assert frame is not getattr(histories, name)
            frame.iloc[0, 0] = "changed"  # writing into what was returned...
    for name, frame in corrupted.tables().items():
        pd.testing.assert_frame_equal(frame, before[name])
    for name, frame in book.tables().items():  # ...leaves the input alone
        pd.testing.assert_frame_equal(frame, getattr(make_book()[0], name))


def test_a_row_failing_two_checks_is_listed_twice_but_counted_once(book):
    corrupted = edit(book, ("orders", 1, "amount", -1.0), ("orders", 1, "channel", "tv"))
    result = validate_histories(corrupted, on_error="reject")
    assert result.rejects["check"].tolist() == ["isin", "range"]
    assert result.rejects["row"].tolist() == [1, 1]
    assert result.summary().loc["orders"].tolist() == [4, 3, 1]


def test_raise_message_counts_the_other_failed_checks(book):
    corrupted = edit(book, ("orders", 1, "amount", -1.0), ("orders", 1, "channel", "tv"))
    with pytest.raises(HistoryError, match=r"one of live_stream.* 1 other check failed too\."):
        validate_histories(corrupted)


def test_many_offending_keys_are_abbreviated():
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(8)],
            "signup_ts": "2024-01-01",
            "birth_year": 1990,
            "kyc_level": 9,
            "city_tier": 1,
        }
    )
    empty = {t: pd.DataFrame(columns=list(SCHEMAS[t].names)) for t in TABLES[1:]}
    with pytest.raises(
        HistoryError, match=r"8 rows are not \(customer_id c0, c1, c2, c3, c4 and 3 more"
    ):
        validate_histories(Histories(customers, **empty))


@pytest.mark.parametrize("on_error", ["raise", "reject"])
def test_missing_column_is_a_table_level_error_in_both_modes(book, on_error):
    broken = Histories(book.customers, book.orders.drop(columns=["amount", "channel"]),
                       book.installments)  # fmt: skip
    with pytest.raises(HistoryError, match=r"orders is missing required columns amount, channel"):
        validate_histories(broken, on_error=on_error)


@pytest.mark.parametrize("on_error", ["raise", "reject"])
def test_timezone_aware_timestamps_are_refused_in_both_modes(book, on_error):
    orders = book.orders.assign(order_ts=book.orders["order_ts"].dt.tz_localize("Asia/Shanghai"))
    with pytest.raises(HistoryError, match=r"orders\.order_ts must be timezone-naive UTC\+8"):
        validate_histories(Histories(book.customers, orders, book.installments), on_error=on_error)


def test_timezone_offsets_in_text_are_refused(book):
    orders = book.orders.assign(order_ts=["2024-01-05T10:00:00+08:00"] * 4)
    with pytest.raises(HistoryError, match=r"orders\.order_ts must be timezone-naive"):
        validate_histories(Histories(book.customers, orders, book.installments))


def test_bad_on_error_is_a_config_error(book):
    with pytest.raises(ConfigError, match=r'on_error must be "raise" or "reject"; got \'drop\''):
        validate_histories(book, on_error="drop")


def test_histories_must_be_a_histories(book):
    with pytest.raises(HistoryError, match=r"histories must be a bnpl_risk\.Histories; got dict"):
        validate_histories(book.tables())


def test_due_date_on_the_order_day_before_its_time_is_fine(book):
    # o1 was ordered 2024-01-05 10:00; a due date of that day at midnight is allowed.
    same_day = edit(book, ("installments", 0, "due_date", "2024-01-05"))
    assert validate_histories(same_day, on_error="reject").rejects.empty


def test_installments_without_any_loan_id_are_all_rejected(book):
    corrupted = edit(book, *[("installments", row, "loan_id", None) for row in range(4)])
    result = validate_histories(corrupted, on_error="reject")
    assert set(result.rejects["check"]) == {"not_null"}
    assert result.summary().loc["installments"].tolist() == [4, 0, 4]


def test_extra_columns_are_kept_untouched(book):
    kept = validate_histories(edit(book, ("orders", 1, "amount", 0.0)), on_error="reject")
    assert kept.histories.orders["campaign"].tolist() == ["618", "x", "618"]
