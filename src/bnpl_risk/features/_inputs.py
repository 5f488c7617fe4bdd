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

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bnpl_risk.errors import HistoryError, format_keys
from bnpl_risk.features._kernel import (
    COMPLETED,
    DAY,
    NAT,
    NEVER,
    cents,
    installment_columns,
    loan_totals,
)
from bnpl_risk.features._merge import increasing, merge_positions
from bnpl_risk.histories import Histories
from bnpl_risk.histories.dpd import paid_in_full
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
_NIGHT_ENDS = 5 * 3600 * 10**9  # orders from 00:00 to 05:00 local time are night orders
_RUNS_WORTH_IT = 4096  # below this many ids, finding runs costs more than it saves
_THREAD_ROWS = 100_000  # below this many installments, a thread costs more than it saves
_NS = np.dtype("datetime64[ns]")
T = TypeVar("T")


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


def check_columns(histories: Histories, applications: pd.DataFrame | None = None) -> None:
    """Raise :class:`HistoryError` unless every table is a DataFrame with the columns read.

    Without ``applications``, only the histories' tables are checked.
    """
    if not isinstance(histories, Histories):
        raise HistoryError(
            f"histories must be a bnpl_risk.Histories; got {type(histories).__name__}. "
            "Build one with Histories(customers=..., orders=..., installments=...)."
        )
    tables = histories.tables()
    if applications is not None:
        tables["applications"] = applications
    for table, frame in tables.items():
        columns = REQUIRED[table]
        if not isinstance(frame, pd.DataFrame):
            raise HistoryError(f"{table} must be a pandas DataFrame; got {type(frame).__name__}.")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise HistoryError(
                f"{table} is missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; "
                f"it has {format_keys(frame.columns, limit=12) or 'no columns'}. Add them "
                f"(see bnpl_risk.histories.SCHEMAS[{table!r}])."
            )


@dataclass(frozen=True)
class Applications:
    """Applications read: ids, customer ids as text, ``as_of`` in ns, amount, channel code."""

    ids: pd.Index
    customer: pa.Array
    as_of: np.ndarray
    requested: np.ndarray
    channel: np.ndarray


def read_applications(applications: pd.DataFrame) -> Applications:
    """Check an applications table and read it (not modified)."""
    apps = applications
    ids = pd.Index(apps["application_id"], name="application_id")
    # Ids in strictly increasing order are unique; else Arrow counts the
    # distinct ones, without converting them to Python objects.
    text = _text(apps["application_id"])
    if not increasing(text, strictly=True) and len(pc.unique(text)) != len(ids):
        _refuse(
            ids.duplicated(),
            "applications",
            "application_id",
            "unique",
            ids,
            "Keep one row per application",
        )
    as_of = _ns(apps, "applications", "as_of")
    _refuse(
        as_of == NAT, "applications", "as_of", "present", ids, "Give every application its as_of"
    )
    channel = _index_in(_text(apps["channel"]), _texts(CHANNELS))
    _refuse(
        channel < 0,
        "applications",
        "channel",
        f"one of {', '.join(CHANNELS)}",
        ids,
        "Correct the channel",
    )
    return Applications(
        ids=ids,
        customer=_text(apps["customer_id"]),
        as_of=as_of,
        requested=_float(apps, "applications", "requested_amount"),
        channel=channel,
    )


def one_application(
    application_id: str, customer_id: str, as_of, requested_amount, channel: str
) -> Applications:
    """One application from its values, checked as :func:`read_applications` checks a row."""
    ids = pd.Index([application_id], name="application_id")
    t = pd.Timestamp(as_of)
    if t.tzinfo is not None:
        raise HistoryError(_tz_message("applications", "as_of", t))
    _refuse(np.array([t is pd.NaT]), "applications", "as_of", "present", ids, "Give the as_of")
    try:
        requested = np.array([np.nan if requested_amount is None else requested_amount], float)
    except (TypeError, ValueError):
        raise HistoryError(
            f"applications.requested_amount must be a number or None; found "
            f"{requested_amount!r} (application_id {application_id})."
        ) from None
    code = CHANNELS.index(channel) if channel in CHANNELS else -1
    _refuse(
        np.array([code < 0]),
        "applications",
        "channel",
        f"one of {', '.join(CHANNELS)}",
        ids,
        f"Correct the channel (found {channel!r})",
    )
    return Applications(
        ids=ids,
        customer=pa.array([str(customer_id)], pa.large_string()),
        as_of=np.array([t.value], np.int64),
        requested=requested,
        channel=np.array([code]),
    )


def read_book(histories: Histories, apps: Applications) -> Book:
    """Read the histories of ``apps``' customers into a :class:`Book` (inputs not modified)."""
    universe = pc.unique(apps.customer.drop_null())
    n = len(universe)
    app_cust = _index_in(apps.customer, universe)
    customers = histories.customers
    cust_rows = _index_in(_text(customers["customer_id"]), universe)
    # A trailing 0 answers for code -1 (no customer).
    listed = np.append(np.bincount(cust_rows[cust_rows >= 0], minlength=n), 0)
    _refuse(
        (cust_rows >= 0) & (listed[cust_rows] > 1),
        "customers",
        "customer_id",
        "unique",
        (customers, "customer_id"),
        "Keep one row per customer",
    )
    _refuse(
        (app_cust < 0) | (listed[app_cust] == 0),
        "applications",
        "customer_id",
        "a customer in customers",
        apps.ids,
        "Add the customers or drop the applications",
    )

    # Finding each installment's order is the costliest read: on a large
    # book it runs on a thread (Arrow releases the GIL) beside the orders'.
    loan_order = _later(
        _index_in,
        _text(histories.installments["loan_id"]),
        _text(histories.orders["order_id"]),
        background=len(histories.installments) >= _THREAD_ROWS,
    )
    order_columns, order_rows, is_bnpl = _read_orders(histories.orders, universe)
    installments, loan_of = _read_installments(
        histories, order_columns, order_rows, is_bnpl, loan_order()
    )
    orders = _with_loans(order_columns, installments, loan_of)
    return Book(
        app_ids=apps.ids,
        app_cust=app_cust,
        as_of=apps.as_of,
        requested=apps.requested,
        app_channel=apps.channel,
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
    touch, so derived columns are computed in place where possible. Their
    text columns are read on threads, beside the customer codes.
    """
    big = len(orders) >= _THREAD_ROWS

    def codes(column: str, texts: tuple[str, ...]) -> Callable[[], np.ndarray]:
        return _later(_index_in, _text(orders[column]), _texts(texts), background=big)

    status_codes = codes("status", ORDER_STATUSES)
    payment_codes = codes("payment", PAYMENTS)
    channels = _later(_channels, _text(orders["channel"]), background=big)
    resellable = _later(_is_in, _text(orders["category"]), RESELLABLE_CATEGORIES, background=big)
    cust = _index_in(_text(orders["customer_id"]), universe)
    rows = np.flatnonzero(cust >= 0)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if len(rows) == len(values) else values[rows]

    order_ids = (orders, "order_id", rows)
    t = pick(_ns(orders, "orders", "order_ts"))
    _refuse(t == NAT, "orders", "order_ts", "present", order_ids, "Give every order a time")
    amount = pick(_float(orders, "orders", "amount"))
    _refuse(~np.isfinite(amount), "orders", "amount", "a number", order_ids, "Correct the amount")
    status = pick(status_codes())
    _refuse(
        status < 0,
        "orders",
        "status",
        f"one of {', '.join(ORDER_STATUSES)}",
        order_ids,
        "Correct the status",
    )
    all_payments = payment_codes()
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
    live, short_video = channels()
    return (
        dict(
            cust=pick(cust),
            t=t,
            cents=cents(amount),
            status=status,
            reversed_at=reversed_at,
            bnpl=payment == PAYMENTS.index("bnpl"),
            night=t % DAY < _NIGHT_ENDS,
            live=pick(live),
            short_video=pick(short_video),
            resellable=pick(resellable()),
        ),
        rows,
        all_payments == PAYMENTS.index("bnpl"),
    )


def _read_installments(
    histories: Histories,
    orders: dict,
    order_rows: np.ndarray,
    is_bnpl: np.ndarray,
    loan_order: np.ndarray,
) -> tuple[Installments, np.ndarray]:
    """Installments of kept customers' loans, and the kept order (loan) of each.

    ``loan_order`` is the row in orders of each installment's ``loan_id``
    (-1 if none). An installment belongs to the customer of its loan's
    order, and exists from that order's time on.
    """
    inst = histories.installments
    all_orders = histories.orders
    # A trailing False answers for row -1 (no order).
    loan_order = np.where(np.append(is_bnpl, False)[loan_order], loan_order, -1)
    _refuse(
        loan_order < 0,
        "installments",
        "loan_id",
        "the order_id of a bnpl order in orders",
        (inst, "loan_id"),
        "Add the orders or drop the installments",
    )
    # Position of each installment's order among the kept orders (-1: not kept).
    kept_of_row = np.full(len(all_orders), -1, np.int64)
    kept_of_row[order_rows] = np.arange(len(order_rows))
    loan_of = kept_of_row[loan_order]
    due = _ns(inst, "installments", "due_date")
    _refuse(
        (due == NAT) & (loan_of >= 0),
        "installments",
        "due_date",
        "present",
        (inst, "loan_id"),
        "Give every installment its due date",
    )
    amount_due = _float(inst, "installments", "amount_due")
    amount_paid = _float(inst, "installments", "amount_paid")
    # Paid in full as bnpl_risk.histories.dpd.settled_ts says, from the arrays read here.
    full = paid_in_full(amount_paid, amount_due)
    *columns, loan_of = installment_columns(
        loan_of,
        orders["t"],
        orders["cust"],
        due,
        amount_due,
        amount_paid,
        _ns(inst, "installments", "paid_ts"),
        full,
    )
    return Installments(*columns), loan_of


def _with_loans(orders: dict, inst: Installments, loan_of: np.ndarray) -> Orders:
    """Orders with the loan columns filled from their installments."""
    count, due, last = loan_totals(loan_of, inst.settled, inst.cents_due, len(orders["t"]))
    return Orders(**orders, loan_installments=count, loan_cents_due=due, loan_settled=last)


def _later(fn: Callable[..., T], *args, background: bool) -> Callable[[], T]:
    """``fn(*args)`` on a thread if ``background``, else now; call the result for its value."""
    if not background:
        value = fn(*args)
        return lambda: value
    pool = ThreadPoolExecutor(1)
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return future.result


def _refuse(bad: np.ndarray, table: str, column: str, expected: str, keys, fix: str) -> None:
    """Raise :class:`HistoryError` naming the rows of ``table`` where ``bad``.

    ``keys`` names the rows: a key Series or Index, or (frame, key column)
    read only on failure, or (frame, key column, rows kept) when ``bad`` is
    over a subset of the rows.
    """
    bad = np.asarray(bad, bool)
    if not bad.any():
        return
    if isinstance(keys, tuple):
        frame, key, *kept = keys
        keys = frame[key]
        rows = kept[0] if kept else np.arange(len(keys))
    else:
        rows = np.arange(len(keys))
    count = int(bad.sum())
    named = format_keys(keys.to_numpy()[rows[bad]])
    raise HistoryError(
        f"{table}.{column} must be {expected}; {count} row{'s' * (count > 1)} "
        f"{'are' if count > 1 else 'is'} not ({keys.name} {named}). {fix}; {_FIX}."
    )


def _texts(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, pa.large_string())


def _text(values: pd.Series) -> pa.Array:
    """A column as an Arrow large_string array (ids of any dtype compare as text)."""
    data = values.array
    # Arrow-backed text converts without a copy; NumPy-backed columns go through NumPy.
    if hasattr(data, "__arrow_array__"):
        arr = pa.array(data)
    else:
        arr = pa.array(values.to_numpy(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return arr if arr.type == pa.large_string() else pc.cast(arr, pa.large_string())


def _index_in(values: pa.Array, universe: pa.Array) -> np.ndarray:
    """Position of each value in ``universe``; -1 when absent or missing.

    Tables usually hold runs of one id (a customer's orders, a loan's
    installments); only the first value of each run is looked up. Tables
    sorted by id are joined by merging, without a hash table.
    """
    n = len(values)
    sorted_join = min(n, len(universe)) >= _RUNS_WORTH_IT
    if sorted_join and increasing(universe, strictly=True) and increasing(values, strictly=False):
        return merge_positions(values, universe)
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


def _channels(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Whether each order came from a live stream, and from a short video."""
    return _equals(values, "live_stream"), _equals(values, "short_video")


def _is_in(values: pa.Array, texts: tuple[str, ...]) -> np.ndarray:
    found = pc.is_in(values, value_set=_texts(texts))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _ns(frame: pd.DataFrame, table: str, column: str) -> np.ndarray:
    """A timestamp column as int64 ns (NaT: :data:`NAT`); a read-only view when it can be."""
    series = frame[column]
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise HistoryError(_tz_message(table, column, series.dtype))
    if series.dtype.kind == "M":
        return np.asarray(series.values).astype(_NS, copy=False).view(np.int64)
    if not series.isna().all():
        raise HistoryError(
            f"{table}.{column} must be datetime64 timestamps; found dtype {series.dtype}. "
            f"Convert with pd.to_datetime, or read the tables with "
            f"bnpl_risk.histories.read_histories."
        )
    return np.full(len(series), NAT, np.int64)


def _tz_message(table: str, column: str, found) -> str:
    return (
        f"{table}.{column} must be timezone-naive UTC+8 timestamps; found {found}. "
        f"Convert with .dt.tz_convert('Asia/Shanghai').dt.tz_localize(None)."
    )


def _float(frame: pd.DataFrame, table: str, column: str) -> np.ndarray:
    """A numeric column as float64 (missing: NaN)."""
    series = frame[column]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        # NumPy numbers hold no NA: a plain cast skips pandas' NA scan (slow on ints).
        return series.to_numpy(np.float64)
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise HistoryError(
            f"{table}.{column} must be numbers; found dtype {series.dtype} ({exc}). "
            f"Convert with pd.to_numeric."
        ) from None
