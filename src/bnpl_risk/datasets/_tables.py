"""From the generator's arrays to the contract's tables (ids, dtypes, timestamps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from bnpl_risk.datasets._applications import ApplicationDraws
from bnpl_risk.datasets._customers import CustomerDraws
from bnpl_risk.datasets._orders import OrderDraws
from bnpl_risk.datasets._profiles import SEGMENT_NAMES
from bnpl_risk.datasets._repayment import Repayment
from bnpl_risk.datasets._time import NEVER, to_datetime
from bnpl_risk.histories.schema import CATEGORIES, CHANNELS, ORDER_STATUSES, PAYMENTS


def _ids(prefix: str, numbers: np.ndarray, n_total: int) -> pd.Series:
    """``prefix`` + zero-padded ``numbers`` (6+ digits), built as bytes: fast for millions."""
    width = len(prefix) + max(6, len(str(max(n_total - 1, 0))))
    buf = np.empty((len(numbers), width), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = np.asarray(numbers, dtype=np.int64).copy()
    for col in range(width - 1, len(prefix) - 1, -1):
        buf[:, col] = rest % 10 + ord("0")
        rest //= 10
    raw = pa.array(buf.view(f"S{width}").ravel(), type=pa.binary(width))
    return _strings(raw.cast(pa.string()))


def _names(names: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    """The category name of each code."""
    return _strings(pa.array(names).take(pa.array(codes)))


def _strings(values: pa.Array) -> pd.Series:
    """Strings in the running pandas' default string dtype."""
    return pd.Series(values.to_pandas(), copy=False).astype(pd.Series(["x"]).dtype)


def customers_table(c: CustomerDraws, start: np.datetime64) -> pd.DataFrame:
    """The ``customers`` table; ids ``c000000``... in draw order."""
    n = len(c)
    year = pd.Timestamp(start).year
    return pd.DataFrame(
        {
            "customer_id": _ids("c", np.arange(n), n),
            "signup_ts": to_datetime(start, c.signup_s),
            "birth_year": (year - c.age).astype(np.int64),
            "kyc_level": c.kyc_level,
            "city_tier": c.city_tier,
        }
    )


def orders_table(
    o: OrderDraws, bnpl: np.ndarray, n_customers: int, start: np.datetime64, end_s: int
) -> pd.DataFrame:
    """The ``orders`` table; a refund at or after ``end_s`` is not recorded (yet)."""
    refunded = o.refund_s < end_s
    status = np.where(o.cancelled, 2, np.where(refunded, 1, 0))
    return pd.DataFrame(
        {
            "order_id": _ids("o", np.arange(len(o)), len(o)),
            "customer_id": _ids("c", o.customer, n_customers),
            "order_ts": to_datetime(start, o.ts_s),
            "amount": o.amount,
            "category": _names(CATEGORIES, o.category),
            "channel": _names(CHANNELS, o.channel),
            "payment": _names(PAYMENTS, np.where(bnpl, 0, 1)),
            "status": _names(ORDER_STATUSES, status),
            "refund_ts": to_datetime(start, np.where(refunded, o.refund_s, NEVER)),
        }
    )


def installments_table(
    r: Repayment, n_orders: int, n_customers: int, start: np.datetime64
) -> pd.DataFrame:
    """The ``installments`` table; ``loan_id`` is the order's id."""
    return pd.DataFrame(
        {
            "loan_id": _ids("o", r.order, n_orders),
            "customer_id": _ids("c", r.customer, n_customers),
            "installment_no": r.installment_no.astype(np.int64),
            "due_date": to_datetime(start, r.due_s),
            "amount_due": r.amount_due,
            "paid_ts": to_datetime(start, r.paid_s),
            "amount_paid": r.amount_paid,
        }
    )


def applications_table(
    apps: ApplicationDraws, n_customers: int, start: np.datetime64
) -> pd.DataFrame:
    """The ``applications`` table; ids ``a000000``... by customer and ``as_of``."""
    return pd.DataFrame(
        {
            "application_id": _ids("a", np.arange(len(apps)), len(apps)),
            "customer_id": _ids("c", apps.customer, n_customers),
            "as_of": to_datetime(start, apps.as_of_s),
            "requested_amount": apps.requested_amount,
            "channel": _names(CHANNELS, apps.channel),
        }
    )


def segment_series(c: CustomerDraws, customer_ids: pd.Series) -> pd.Series:
    """Each customer's segment name, indexed by ``customer_id``."""
    return pd.Series(
        _names(SEGMENT_NAMES, c.segment).to_numpy(),
        index=pd.Index(customer_ids, name="customer_id"),
        name="segment",
    )
