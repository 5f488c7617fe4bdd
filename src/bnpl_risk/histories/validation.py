"""Validate history tables and applications against the data contract.

Every check runs on whole columns (no loop over rows) and records the rows
it fails; then, by ``on_error``:

- ``"raise"``: raise :class:`~bnpl_risk.errors.HistoryError` for the first
  failed check, naming table, column, keys, expected and found values and
  the fix;
- ``"reject"``: keep the good rows and return the others in a rejects table,
  one row per (row, failed check): ``table``, ``row`` (position in the input
  table), ``key`` (business key as text, ``loan_id/installment_no`` for
  installments), ``column``, ``check``, ``expected``, ``found``, ``reason``.

Rows that depend on a rejected row are rejected too (``check`` is
``parent_rejected``): orders of a rejected customer, installments of a
rejected order. If any installment of a loan is rejected, the whole loan is
(``loan_rejected``), since a loan with a hole would give wrong DPD features.
All copies of a duplicated key are rejected: which one is right is
unknowable. Per table, rows in = rows kept + distinct rows rejected.

A missing required column (or a timezone-aware timestamp column) is a
table-level error and raises in both modes: no row could be kept.

Examples
--------
>>> import pandas as pd
>>> from bnpl_risk.histories import Histories
>>> customers = pd.DataFrame({"customer_id": ["c1", "c2"],
...     "signup_ts": ["2024-01-01", "2024-01-02"], "birth_year": [1990, 1985],
...     "kyc_level": [2, 3], "city_tier": [1, 9]})
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
...     "order_ts": ["2024-02-01 10:00", "2024-02-02"], "amount": [120.0, 80.0],
...     "category": "food", "channel": "mall", "payment": "upfront",
...     "status": "completed", "refund_ts": None})
>>> installments = pd.DataFrame(columns=["loan_id", "customer_id", "installment_no",
...     "due_date", "amount_due", "paid_ts", "amount_paid"])
>>> result = validate_histories(Histories(customers, orders, installments),
...                             on_error="reject")
>>> result.summary()
              rows_in  rows_kept  rows_rejected
table
customers           2          1              1
orders              2          1              1
installments        0          0              0
>>> result.rejects[["table", "key", "check", "found"]]
       table key            check found
0  customers  c2            range     9
1     orders  o2  parent_rejected    c2
>>> validate_histories(Histories(customers, orders, installments))
Traceback (most recent call last):
...
bnpl_risk.errors.HistoryError: customers.city_tier must be between 1 and 5; 1 row is not
(customer_id c2; found 9). Drop or correct them, or pass on_error="reject".
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.histories._coerce import as_int64, coerce_table, require_columns
from bnpl_risk.histories._container import Histories
from bnpl_risk.histories._index import codes, duplicated, positions
from bnpl_risk.histories._rejects import Failures, combine, raise_first, summary
from bnpl_risk.histories.schema import SCHEMAS

__all__ = [
    "ApplicationsResult",
    "ValidationResult",
    "validate_applications",
    "validate_histories",
]

OnError = Literal["raise", "reject"]
HISTORY_TABLES = ("customers", "orders", "installments")

# Always on from pandas 3; an option before.
_COPY_ON_WRITE = (
    int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
)
_CUSTOMER_REJECTED = "customer rejected (its row in customers failed validation)"


class ValidationResult(NamedTuple):
    """Validated histories and the rows that were rejected.

    Attributes
    ----------
    histories : Histories
        The kept rows in contract dtypes, as new frames with a fresh index.
    rejects : DataFrame
        One row per (rejected row, failed check); see the module docstring.
    """

    histories: Histories
    rejects: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Rows in, kept and rejected per table, indexed by table."""
        kept = {name: len(frame) for name, frame in self.histories.tables().items()}
        return summary(kept, self.rejects)


class ApplicationsResult(NamedTuple):
    """Validated applications and the rows that were rejected.

    Attributes
    ----------
    applications : DataFrame
        The kept rows in contract dtypes, with a fresh index.
    rejects : DataFrame
        As in :class:`ValidationResult`, for table ``applications``.
    """

    applications: pd.DataFrame
    rejects: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Rows in, kept and rejected, indexed by table (``applications``)."""
        return summary({"applications": len(self.applications)}, self.rejects)


def validate_histories(histories: Histories, *, on_error: OnError = "raise") -> ValidationResult:
    """Check the three history tables against the data contract.

    Checks, per table: required columns; values parse as their type;
    non-nullable values present; unique keys; categories and integer bounds
    as declared in ``SCHEMAS``. Orders: customer exists, amount finite and
    > 0, ``refund_ts`` not before ``order_ts``, not before the customer's
    signup. Installments: ``loan_id`` is a bnpl order of the same customer,
    ``amount_due`` finite and > 0, ``amount_paid`` finite within
    ``[0, amount_due]``, ``due_date`` not before the order's day,
    ``paid_ts`` not before the order, installments numbered 1..n per loan.

    Parameters
    ----------
    histories : Histories
        Raw or typed tables; never modified.
    on_error : {"raise", "reject"}, default "raise"
        Raise for the first failed check, or reject the failing rows.

    Returns
    -------
    ValidationResult
        ``(histories, rejects)``: kept rows in contract dtypes, and the
        rejects table (empty when everything passed).

    Raises
    ------
    HistoryError
        In both modes when a table lacks a required column or has a
        timezone-aware timestamp column; in ``"raise"`` mode for the first
        failed check.
    ConfigError
        If ``on_error`` is not ``"raise"`` or ``"reject"``.

    Examples
    --------
    See the module docstring.
    """
    _check_on_error(on_error)
    if not isinstance(histories, Histories):
        raise HistoryError(
            f"histories must be a bnpl_risk.Histories; got {type(histories).__name__}. "
            "Build one with Histories(customers, orders, installments)."
        )
    for name, frame in histories.tables().items():
        require_columns(frame, name)
    customers = _Table("customers", histories.customers)
    _check_columns(customers)
    orders = _Table("orders", histories.orders)
    _check_columns(orders)
    _check_orders(orders, customers)
    installments = _Table("installments", histories.installments)
    _check_columns(installments)
    _check_installments(installments, orders)
    tables = (customers, orders, installments)
    parts = [t.failures.rejects() for t in tables]
    if on_error == "raise":
        raise_first(pd.concat(parts, ignore_index=True))
    kept = Histories(*(t.kept() for t in tables))
    return ValidationResult(kept, combine(parts, list(HISTORY_TABLES)))


def validate_applications(
    applications: pd.DataFrame,
    histories: ValidationResult | Histories,
    *,
    on_error: OnError = "raise",
) -> ApplicationsResult:
    """Check applications against the contract and the validated histories.

    Checks: required columns; ``as_of`` parses and is present; unique
    ``application_id``; the customer exists in the histories (else
    "unknown customer", or "customer rejected" when its customer row was
    rejected); ``requested_amount`` missing or finite and > 0; ``channel``
    one of ``CHANNELS``; ``as_of`` not before the customer's signup.

    Parameters
    ----------
    applications : DataFrame
        Never modified.
    histories : ValidationResult or Histories
        A :func:`validate_histories` result (its rejects tell a rejected
        customer from an unknown one), or histories, which are then
        validated first with ``on_error="raise"``.
    on_error : {"raise", "reject"}, default "raise"

    Returns
    -------
    ApplicationsResult
        ``(applications, rejects)``.

    Raises
    ------
    HistoryError
        As :func:`validate_histories`.
    ConfigError
        If ``on_error`` is not ``"raise"`` or ``"reject"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from bnpl_risk.histories import Histories
    >>> customers = pd.DataFrame({"customer_id": ["c1"], "signup_ts": ["2024-01-01"],
    ...     "birth_year": [1990], "kyc_level": [2], "city_tier": [1]})
    >>> empty = {t: pd.DataFrame(columns=list(SCHEMAS[t].names))
    ...          for t in ("orders", "installments")}
    >>> checked = validate_histories(Histories(customers, **empty))
    >>> apps = pd.DataFrame({"application_id": ["a1", "a2"], "customer_id": ["c1", "c7"],
    ...     "as_of": ["2024-03-01", "2024-03-01"], "requested_amount": [500.0, None],
    ...     "channel": ["live_stream", "mall"]})
    >>> result = validate_applications(apps, checked, on_error="reject")
    >>> result.applications["application_id"].tolist()
    ['a1']
    >>> result.rejects[["key", "check", "found"]].to_dict("records")
    [{'key': 'a2', 'check': 'foreign_key', 'found': 'c7'}]
    """
    _check_on_error(on_error)
    if isinstance(histories, Histories):
        histories = validate_histories(histories, on_error="raise")
    elif not isinstance(histories, ValidationResult):
        raise HistoryError(
            "histories must be a ValidationResult (from validate_histories) or Histories; "
            f"got {type(histories).__name__}."
        )
    require_columns(applications, "applications")
    apps = _Table("applications", applications)
    _check_columns(apps)
    rejects = histories.rejects
    rejected_customers = rejects.loc[rejects["table"] == "customers", "key"].unique()
    customers = histories.histories.customers
    pos, unknown, dependent = _lookup(
        apps.frame["customer_id"], customers["customer_id"], rejected_customers
    )
    apps.fail(
        unknown,
        "customer_id",
        "foreign_key",
        "a customer_id in customers",
        "applications.customer_id must be a known customer (unknown customer)",
    )
    apps.fail(dependent, "customer_id", "parent_rejected", "a valid customer", _CUSTOMER_REJECTED)
    _check_amount(apps, "requested_amount")
    signup = _parent_values(customers["signup_ts"], pos)
    apps.fail(
        apps.frame["as_of"].to_numpy() < signup.to_numpy(),
        "as_of",
        "time_order",
        "on or after the customer's signup_ts",
        "applications.as_of must be on or after the customer's signup_ts",
        found={"as_of": apps.frame["as_of"], "signup_ts": signup},
    )
    part = apps.failures.rejects()
    if on_error == "raise":
        raise_first(part)
    return ApplicationsResult(apps.kept(), combine([part], ["applications"]))


class _Table:
    """One table being validated: its coerced frame and failures so far."""

    def __init__(self, name: str, raw: pd.DataFrame):
        self.name = name
        coerced, problems = coerce_table(raw, name)
        # Row positions are the row numbers; a fresh index lets columns of
        # this table and looked-up parent values line up.
        self.frame = coerced.reset_index(drop=True)
        self.failures = Failures(name, self.frame)
        self.failures.add_problems(problems)
        self.unparsed = {}
        self._codes = {}
        for column, rows in problems.groupby("column")["row"]:
            self.unparsed[column] = np.zeros(len(raw), dtype=bool)
            self.unparsed[column][rows.to_numpy()] = True

    def fail(self, mask, column, check, expected, reason, found=None) -> None:
        self.failures.add(mask, column, check, expected, reason, found)

    def codes(self, column: str) -> np.ndarray:
        """Integer codes of a column (hashed once: the costly step on large tables)."""
        if column not in self._codes:
            self._codes[column] = codes(self.frame[column])
        return self._codes[column]

    def find(self, ids: pd.Series):
        """Look ids up among this table's kept rows (a table with a one-column key).

        Returns ``(pos, unknown, dependent)`` as :func:`_lookup`, ``pos``
        being row positions in this table.
        """
        (key,) = SCHEMAS[self.name].key
        keys = self.frame[key]
        kept = np.flatnonzero(~self.failures.rejected)
        rejected = keys[self.failures.rejected].dropna().unique()
        pos, unknown, dependent = _lookup(ids, keys.iloc[kept], rejected)
        rows = np.full(len(pos), -1, dtype=np.int64)
        rows[pos >= 0] = kept[pos[pos >= 0]]
        return rows, unknown, dependent

    def present(self, column: str) -> np.ndarray:
        return self.frame[column].notna().to_numpy(bool)

    def kept(self) -> pd.DataFrame:
        """Rows with no failure so far, in contract dtypes, with a fresh index."""
        if self.failures.rejected.any():
            rows = self.frame[~self.failures.rejected].reset_index(drop=True)
        else:
            # All kept: a shallow copy is a new frame when copy-on-write is on.
            rows = self.frame.copy(deep=not _COPY_ON_WRITE)
        return as_int64(rows, self.name)


def _check_on_error(on_error) -> None:
    if on_error not in ("raise", "reject"):
        raise ConfigError(f'on_error must be "raise" or "reject"; got {on_error!r}.')


def _check_columns(t: _Table) -> None:
    """The checks declared in the schema: presence, categories, bounds, unique key."""
    schema = SCHEMAS[t.name]
    for col in schema.columns:
        where = f"{t.name}.{col.name}"
        present = t.present(col.name)
        if not col.nullable:
            unparsed = t.unparsed.get(col.name, np.zeros(len(present), dtype=bool))
            t.fail(
                ~present & ~unparsed, col.name, "not_null", "a value", f"{where} must be present"
            )
        if col.categories:
            allowed = ", ".join(col.categories)
            t.fail(
                present & ~t.frame[col.name].isin(col.categories).to_numpy(bool),
                col.name,
                "isin",
                f"one of {allowed}",
                f"{where} must be one of {allowed}",
            )
        low, high = col.bounds
        if low is not None or high is not None:
            values = t.frame[col.name].to_numpy(float)
            outside = present & (
                (values < (-np.inf if low is None else low))
                | (values > (np.inf if high is None else high))
            )
            t.fail(
                outside,
                col.name,
                "range",
                f"between {low} and {high}",
                f"{where} must be between {low} and {high}",
            )
    key = list(schema.key)
    column = "/".join(key)
    t.fail(
        duplicated([t.codes(c) for c in key]),
        column,
        "unique",
        "a unique key",
        f"{t.name}.{column} must be unique",
    )


def _check_amount(t: _Table, column: str) -> None:
    values = t.frame[column].to_numpy(float)
    t.fail(
        t.present(column) & ~(np.isfinite(values) & (values > 0)),
        column,
        "range",
        "a finite amount > 0",
        f"{t.name}.{column} must be a finite amount > 0",
    )


def _check_orders(orders: _Table, customers: _Table) -> None:
    pos, unknown, dependent = customers.find(orders.frame["customer_id"])
    orders.fail(
        unknown,
        "customer_id",
        "foreign_key",
        "a customer_id in customers",
        "orders.customer_id must be a known customer (customer_id in customers)",
    )
    orders.fail(dependent, "customer_id", "parent_rejected", "a valid customer", _CUSTOMER_REJECTED)
    _check_amount(orders, "amount")
    order_ts = orders.frame["order_ts"].to_numpy()
    orders.fail(
        orders.frame["refund_ts"].to_numpy() < order_ts,
        "refund_ts",
        "time_order",
        "on or after order_ts",
        "orders.refund_ts must be on or after order_ts",
        found={"refund_ts": orders.frame["refund_ts"], "order_ts": orders.frame["order_ts"]},
    )
    signup = _parent_values(customers.frame["signup_ts"], pos)
    orders.fail(
        order_ts < signup.to_numpy(),
        "order_ts",
        "time_order",
        "on or after the customer's signup_ts",
        "orders.order_ts must be on or after the customer's signup_ts",
        found={"order_ts": orders.frame["order_ts"], "signup_ts": signup},
    )


def _check_installments(inst: _Table, orders: _Table) -> None:
    frame = inst.frame
    pos, unknown, dependent = orders.find(frame["loan_id"])
    inst.fail(
        unknown,
        "loan_id",
        "foreign_key",
        "an order_id in orders",
        "installments.loan_id must be the order_id of an order",
    )
    inst.fail(
        dependent,
        "loan_id",
        "parent_rejected",
        "a valid order",
        "order rejected (its row in orders failed validation)",
    )
    payment = _parent_values(orders.frame["payment"], pos)
    inst.fail(
        (pos >= 0) & (payment != "bnpl").to_numpy(bool),
        "loan_id",
        "foreign_key",
        "a bnpl order",
        "installments.loan_id must be a bnpl order",
        found={"loan_id": frame["loan_id"], "payment": payment},
    )
    owner = _parent_values(orders.frame["customer_id"], pos)
    inst.fail(
        (pos >= 0) & inst.present("customer_id") & (frame["customer_id"] != owner).to_numpy(bool),
        "customer_id",
        "foreign_key",
        "the customer_id of its order",
        "installments.customer_id must be the customer of its order",
        found={"customer_id": frame["customer_id"], "order customer_id": owner},
    )
    _check_amount(inst, "amount_due")
    paid = frame["amount_paid"].to_numpy(float)
    due = frame["amount_due"].to_numpy(float)
    inst.fail(
        inst.present("amount_paid")
        & (~np.isfinite(paid) | (paid < 0) | (np.isfinite(due) & (paid > due))),
        "amount_paid",
        "range",
        "a finite amount between 0 and amount_due",
        "installments.amount_paid must be a finite amount between 0 and amount_due",
        found={"amount_paid": frame["amount_paid"], "amount_due": frame["amount_due"]},
    )
    order_ts = _parent_values(orders.frame["order_ts"], pos)
    order_day = order_ts.to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    inst.fail(
        frame["due_date"].to_numpy() < order_day,
        "due_date",
        "time_order",
        "on or after the day of the order",
        "installments.due_date must be on or after the day of its order (order_ts)",
        found={"due_date": frame["due_date"], "order_ts": order_ts},
    )
    inst.fail(
        frame["paid_ts"].to_numpy() < order_ts.to_numpy(),
        "paid_ts",
        "time_order",
        "on or after order_ts",
        "installments.paid_ts must be on or after its order's order_ts",
        found={"paid_ts": frame["paid_ts"], "order_ts": order_ts},
    )
    loan = inst.codes("loan_id")
    _check_numbering(inst, loan)
    # A loan with a hole would give wrong DPD features: reject all of it.
    bad_loan = np.zeros(loan.max(initial=-1) + 1, dtype=bool)
    bad_loan[loan[inst.failures.rejected & (loan >= 0)]] = True
    inst.fail(
        _spread(bad_loan, loan) & ~inst.failures.rejected,
        "loan_id",
        "loan_rejected",
        "every installment of the loan valid",
        "loan rejected: another installment of this loan failed validation, "
        "and a loan with a hole would give wrong DPD features",
    )


def _check_numbering(inst: _Table, loan: np.ndarray) -> None:
    """Installments of each loan are numbered 1..n without gaps.

    Duplicated numbers fail the key check already, so among distinct numbers
    "smallest is 1 and largest is the count" means exactly 1..n.
    """
    number = inst.frame["installment_no"].to_numpy(float)
    counted = (loan >= 0) & ~np.isnan(number)
    n_loans = loan.max(initial=-1) + 1
    count = np.bincount(loan[counted], minlength=n_loans)
    low = np.full(n_loans, np.inf)
    high = np.full(n_loans, -np.inf)
    np.minimum.at(low, loan[counted], number[counted])
    np.maximum.at(high, loan[counted], number[counted])
    broken = (low != 1) | (high != count)
    inst.fail(
        counted & _spread(broken, loan),
        "installment_no",
        "sequence",
        "1..n without gaps within the loan",
        "installments.installment_no must be numbered 1..n without gaps within each loan",
    )


def _spread(per_loan: np.ndarray, loan: np.ndarray) -> np.ndarray:
    """Per-loan flags back onto the rows; a row without a loan id gets False."""
    out = np.zeros(len(loan), dtype=bool)
    has = loan >= 0
    out[has] = per_loan[loan[has]]
    return out


def _lookup(ids: pd.Series, parent_ids: pd.Series, rejected_ids):
    """Position of each id among the kept parents (-1 if none), and why it has none.

    Returns ``(pos, unknown, dependent)``: ``unknown`` where the id names no
    parent at all, ``dependent`` where it names only rejected parents.
    """
    pos = positions(ids, parent_ids)
    orphan = (pos < 0) & ids.notna().to_numpy(bool)
    dependent = orphan & ids.isin(rejected_ids).to_numpy(bool)
    return pos, orphan & ~dependent, dependent


def _parent_values(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """``values`` of each child's parent; missing where there is no kept parent."""
    return pd.Series(values.array.take(pos, allow_fill=True))
