"""Read histories and applications into the arrays the feature code works on.

Only customers with an application are kept. Customer codes are positions
in the applications' distinct customer ids. Times are int64 nanoseconds,
money whole cents (the contract's two decimals), so every later sum is an
exact integer sum.

Event times are clamped to their cause: a due date, payment or refund
before its order counts from the order's time, so no event can appear at a
cut before the order that created it (the data contract forbids such rows
anyway; validation reports them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.features._timeline import DAY, NAT, NEVER
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import settled_ts
from bnpl_risk.histories.schema import CHANNELS, ORDER_STATUSES, PAYMENTS, RESELLABLE_CATEGORIES

# Columns the features read; other contract columns are not needed here.
REQUIRED = {
    "applications": ("application_id", "customer_id", "as_of", "requested_amount", "channel"),
    "customers": ("customer_id", "signup_ts", "birth_year", "kyc_level", "city_tier"),
    "orders": (
        "order_id",
        "customer_id",
        "order_ts",
        "amount",
        "category",
        "channel",
        "payment",
        "status",
        "refund_ts",
    ),
    "installments": ("loan_id", "due_date", "amount_due", "paid_ts", "amount_paid"),
}
_FIX = "validate_histories and validate_applications (bnpl_risk.histories) report such rows"
COMPLETED, REFUNDED, CANCELLED = range(3)
_NIGHT_ENDS = 5 * 3600 * 10**9  # orders from 00:00 to 05:00 local time are night orders
_RUNS_WORTH_IT = 4096  # below this many ids, finding runs costs more than it saves


@dataclass(frozen=True)
class Orders:
    """Orders of the kept customers, input order.

    ``reversed_at`` is when a refunded or cancelled order stopped being
    completed (``refund_ts``, or the order time when that is missing);
    :data:`NEVER` for a completed order. An order with installments is a
    loan: ``loan_installments`` and ``loan_cents_due`` are 0 otherwise, and
    ``loan_settled`` (when its last installment was paid in full) is
    :data:`NEVER` while it is open or when it is no loan.
    """

    cust: np.ndarray
    t: np.ndarray
    cents: np.ndarray
    status: np.ndarray
    reversed_at: np.ndarray
    bnpl: np.ndarray
    night: np.ndarray
    live: np.ndarray
    short_video: np.ndarray
    resellable: np.ndarray
    loan_installments: np.ndarray
    loan_cents_due: np.ndarray
    loan_settled: np.ndarray


@dataclass(frozen=True)
class Installments:
    """Installments of the kept loans; ``paid``/``settled`` are :data:`NEVER` when absent."""

    cust: np.ndarray
    origin: np.ndarray
    due: np.ndarray
    cents_due: np.ndarray
    cents_paid: np.ndarray
    paid: np.ndarray
    settled: np.ndarray


@dataclass(frozen=True)
class Book:
    """Applications, their customers' attributes, and their customers' events."""

    app_ids: pd.Index
    app_cust: np.ndarray
    as_of: np.ndarray
    requested: np.ndarray
    app_channel: np.ndarray
    n_customers: int
    signup: np.ndarray
    birth_year: np.ndarray
    kyc_level: np.ndarray
    city_tier: np.ndarray
    orders: Orders
    installments: Installments


def check_columns(histories: Histories, applications: pd.DataFrame) -> None:
    """Raise :class:`HistoryError` unless every table is a DataFrame with the columns read."""
    if not isinstance(histories, Histories):
        raise HistoryError(
            f"histories must be a bnpl_risk.Histories; got {type(histories).__name__}. "
            "Build one with Histories(customers=..., orders=..., installments=...)."
        )
    tables = {**histories.tables(), "applications": applications}
    for table, columns in REQUIRED.items():
        frame = tables[table]
        if not isinstance(frame, pd.DataFrame):
            raise HistoryError(f"{table} must be a pandas DataFrame; got {type(frame).__name__}.")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise HistoryError(
                f"{table} is missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; "
                f"it has {format_keys(frame.columns, limit=12) or 'no columns'}. Add them "
                f"(see bnpl_risk.histories.SCHEMAS[{table!r}])."
            )


def read_book(histories: Histories, applications: pd.DataFrame) -> Book:
    """Check the inputs and read them into a :class:`Book` (inputs are not modified)."""
    check_columns(histories, applications)
    apps = applications
    app_ids = pd.Index(apps["application_id"], name="application_id")
    _refuse(
        app_ids.duplicated(),
        "applications",
        "application_id",
        "unique",
        apps["application_id"],
        "Keep one row per application",
    )
    customers_of_apps = _text(apps["customer_id"])
    universe = pc.unique(customers_of_apps.drop_null())
    n = len(universe)
    app_cust = _index_in(customers_of_apps, universe)
    as_of = _ns(apps, "applications", "as_of")
    _refuse(
        as_of == NAT,
        "applications",
        "as_of",
        "present",
        apps["application_id"],
        "Give every application its as_of",
    )
    channel = _index_in(_text(apps["channel"]), _texts(CHANNELS))
    _refuse(
        channel < 0,
        "applications",
        "channel",
        f"one of {', '.join(CHANNELS)}",
        apps["application_id"],
        "Correct the channel",
    )

    customers = histories.customers
    cust_rows = _index_in(_text(customers["customer_id"]), universe)
    # A trailing 0 answers for code -1 (no customer).
    listed = np.append(np.bincount(cust_rows[cust_rows >= 0], minlength=n), 0)
    _refuse(
        (cust_rows >= 0) & (listed[cust_rows] > 1),
        "customers",
        "customer_id",
        "unique",
        customers["customer_id"],
        "Keep one row per customer",
    )
    _refuse(
        (app_cust < 0) | (listed[app_cust] == 0),
        "applications",
        "customer_id",
        "a customer in customers",
        apps["application_id"],
        "Add the customers or drop the applications",
    )

    order_columns, order_rows, is_bnpl = _read_orders(histories.orders, universe)
    installments, loan_of = _read_installments(histories, order_columns, order_rows, is_bnpl)
    orders = _with_loans(order_columns, installments, loan_of)
    return Book(
        app_ids=app_ids,
        app_cust=app_cust,
        as_of=as_of,
        requested=_float(apps, "applications", "requested_amount"),
        app_channel=channel,
        n_customers=n,
        **_customer_attributes(customers, cust_rows, n),
        orders=orders,
        installments=installments,
    )


def _customer_attributes(customers: pd.DataFrame, rows: np.ndarray, n: int) -> dict:
    keep = rows >= 0
    out = {}
    for name, column in (
        ("birth_year", "birth_year"),
        ("kyc_level", "kyc_level"),
        ("city_tier", "city_tier"),
    ):
        values = np.full(n, np.nan)
        values[rows[keep]] = _float(customers, "customers", column)[keep]
        out[name] = values
    signup = np.full(n, NAT, np.int64)
    signup[rows[keep]] = _ns(customers, "customers", "signup_ts")[keep]
    out["signup"] = signup
    return out


def _read_orders(orders: pd.DataFrame, universe: pa.Array) -> tuple[dict, np.ndarray, np.ndarray]:
    """Order columns of kept customers (loan columns to come), their input rows, and
    which of all orders are BNPL.

    Large tables are read with few temporary copies: fresh memory is slow to
    touch, so derived columns are computed in place where possible.
    """
    cust = _index_in(_text(orders["customer_id"]), universe)
    rows = np.flatnonzero(cust >= 0)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if len(rows) == len(values) else values[rows]

    order_ids = (orders["order_id"], rows)
    t = pick(_ns(orders, "orders", "order_ts"))
    _refuse(t == NAT, "orders", "order_ts", "present", order_ids, "Give every order a time")
    amount = pick(_float(orders, "orders", "amount"))
    _refuse(~np.isfinite(amount), "orders", "amount", "a number", order_ids, "Correct the amount")
    status = pick(_index_in(_text(orders["status"]), _texts(ORDER_STATUSES)))
    _refuse(
        status < 0,
        "orders",
        "status",
        f"one of {', '.join(ORDER_STATUSES)}",
        order_ids,
        "Correct the status",
    )
    all_payments = _index_in(_text(orders["payment"]), _texts(PAYMENTS))
    payment = pick(all_payments)
    _refuse(
        payment < 0,
        "orders",
        "payment",
        f"one of {', '.join(PAYMENTS)}",
        order_ids,
        "Correct the payment",
    )
    # NaT is the smallest int64, so the max with the order time also fills a missing refund_ts.
    reversed_at = np.maximum(pick(_ns(orders, "orders", "refund_ts")), t)
    reversed_at[status == COMPLETED] = NEVER
    channel = _text(orders["channel"])
    return (
        dict(
            cust=pick(cust),
            t=t,
            cents=_cents(amount),
            status=status,
            reversed_at=reversed_at,
            bnpl=payment == PAYMENTS.index("bnpl"),
            night=t % DAY < _NIGHT_ENDS,
            live=pick(_equals(channel, "live_stream")),
            short_video=pick(_equals(channel, "short_video")),
            resellable=pick(_is_in(_text(orders["category"]), RESELLABLE_CATEGORIES)),
        ),
        rows,
        all_payments == PAYMENTS.index("bnpl"),
    )


def _read_installments(
    histories: Histories, orders: dict, order_rows: np.ndarray, is_bnpl: np.ndarray
) -> tuple[Installments, np.ndarray]:
    """Installments of kept customers' loans, and the kept order (loan) of each.

    An installment belongs to the customer of its loan's order, and exists
    from that order's time on.
    """
    inst = histories.installments
    all_orders = histories.orders
    bnpl_rows = np.flatnonzero(is_bnpl)
    bnpl_ids = pc.filter(_text(all_orders["order_id"]), pa.array(is_bnpl))
    pos = _index_in(_text(inst["loan_id"]), bnpl_ids)
    _refuse(
        pos < 0,
        "installments",
        "loan_id",
        "the order_id of a bnpl order in orders",
        inst["loan_id"],
        "Add the orders or drop the installments",
    )
    # Position of each installment's order among the kept orders (-1: not kept).
    kept_of_row = np.full(len(all_orders), -1, np.int64)
    kept_of_row[order_rows] = np.arange(len(order_rows))
    loan_of = kept_of_row[bnpl_rows[pos]]
    rows = np.flatnonzero(loan_of >= 0)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if len(rows) == len(values) else values[rows]

    loan_of = pick(loan_of)
    origin = orders["t"][loan_of]
    due = pick(_ns(inst, "installments", "due_date"))
    _refuse(
        due == NAT,
        "installments",
        "due_date",
        "present",
        (inst["loan_id"], rows),
        "Give every installment its due date",
    )
    cents_due = _cents(pick(_float(inst, "installments", "amount_due")))
    paid = pick(_ns(inst, "installments", "paid_ts"))
    unpaid = paid == NAT
    paid = np.maximum(paid, origin)
    paid[unpaid] = NEVER
    settled = pick(settled_ts(inst).view(np.int64))
    unsettled = settled == NAT
    np.maximum(settled, origin, out=settled)
    settled[unsettled] = NEVER
    cents_paid = _cents(pick(_float(inst, "installments", "amount_paid")))
    np.clip(cents_paid, 0, cents_due, out=cents_paid)
    np.copyto(cents_paid, cents_due, where=~unsettled)
    cents_paid[unpaid] = 0
    return Installments(
        cust=orders["cust"][loan_of],
        origin=origin,
        due=np.maximum(due, origin),
        cents_due=cents_due,
        cents_paid=cents_paid,
        paid=paid,
        settled=settled,
    ), loan_of


def _with_loans(orders: dict, inst: Installments, loan_of: np.ndarray) -> Orders:
    """Orders with the loan columns filled from their installments."""
    n = len(orders["t"])
    count = np.bincount(loan_of, minlength=n)
    unpaid = np.bincount(loan_of[inst.settled == NEVER], minlength=n)
    last = np.full(n, NAT, np.int64)
    np.maximum.at(last, loan_of, inst.settled)
    last[(count == 0) | (unpaid > 0)] = NEVER
    due = np.zeros(n, np.int64)
    np.add.at(due, loan_of, inst.cents_due)
    return Orders(**orders, loan_installments=count, loan_cents_due=due, loan_settled=last)


def _refuse(bad: np.ndarray, table: str, column: str, expected: str, keys, fix: str) -> None:
    """Raise :class:`HistoryError` naming the rows of ``table`` where ``bad``.

    ``keys`` is the key column naming the rows, or (key column, rows kept)
    when ``bad`` is over a subset of them.
    """
    bad = np.asarray(bad, bool)
    if not bad.any():
        return
    series, rows = keys if isinstance(keys, tuple) else (keys, np.arange(len(keys)))
    count = int(bad.sum())
    named = format_keys(series.to_numpy()[rows[bad]])
    raise HistoryError(
        f"{table}.{column} must be {expected}; {count} row{'s' * (count > 1)} "
        f"{'are' if count > 1 else 'is'} not ({series.name} {named}). {fix}; {_FIX}."
    )


def _cents(amount: np.ndarray) -> np.ndarray:
    """Money as whole cents (int64); a missing amount is 0."""
    scaled = amount * 100
    np.rint(scaled, out=scaled)
    np.nan_to_num(scaled, copy=False)
    return scaled.astype(np.int64)


def _texts(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, pa.large_string())


def _text(values: pd.Series) -> pa.Array:
    """A column as an Arrow large_string array (ids of any dtype compare as text)."""
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else pc.cast(arr, pa.large_string())


def _index_in(values: pa.Array, universe: pa.Array) -> np.ndarray:
    """Position of each value in ``universe``; -1 when absent or missing.

    Tables usually hold runs of one id (a customer's orders, a loan's
    installments); only the first value of each run is looked up.
    """
    n = len(values)
    if n < _RUNS_WORTH_IT:
        heads = np.arange(n)
    else:
        changed = pc.not_equal(values.slice(1), values.slice(0, n - 1))
        new_run = changed.fill_null(True).to_numpy(zero_copy_only=False)
        heads = np.flatnonzero(np.concatenate(([True], new_run)))
    if len(heads) == n:
        found = pc.index_in(values, value_set=universe)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = pc.index_in(values.take(pa.array(heads)), value_set=universe)
    codes = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.repeat(codes, np.diff(np.append(heads, n)))


def _equals(values: pa.Array, text: str) -> np.ndarray:
    return pc.equal(values, text).fill_null(False).to_numpy(zero_copy_only=False)


def _is_in(values: pa.Array, texts: tuple[str, ...]) -> np.ndarray:
    found = pc.is_in(values, value_set=_texts(texts))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _ns(frame: pd.DataFrame, table: str, column: str) -> np.ndarray:
    """A timestamp column as int64 ns (NaT: :data:`NAT`)."""
    series = frame[column]
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise HistoryError(
            f"{table}.{column} must be timezone-naive UTC+8 timestamps; found {series.dtype}. "
            f"Convert with .dt.tz_convert('Asia/Shanghai').dt.tz_localize(None)."
        )
    if not (pd.api.types.is_datetime64_dtype(series.dtype) or series.isna().all()):
        raise HistoryError(
            f"{table}.{column} must be datetime64 timestamps; found dtype {series.dtype}. "
            f"Convert with pd.to_datetime, or read the tables with "
            f"bnpl_risk.histories.read_histories."
        )
    return series.to_numpy("datetime64[ns]").view(np.int64)


def _float(frame: pd.DataFrame, table: str, column: str) -> np.ndarray:
    """A numeric column as float64 (missing: NaN)."""
    series = frame[column]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        # NumPy numbers hold no NA: a plain cast skips pandas' NA scan (slow on ints).
        return series.to_numpy().astype(np.float64)
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise HistoryError(
            f"{table}.{column} must be numbers; found dtype {series.dtype} ({exc}). "
            f"Convert with pd.to_numeric."
        ) from None
