"""The data contract as data: one :class:`TableSchema` per input table.

Timestamps are timezone-naive UTC+8 ``datetime64[ns]``; money is CNY as
float; ids are strings. Unknown extra columns are kept and ignored.

Examples
--------
>>> from bnpl_risk.histories.schema import SCHEMAS
>>> SCHEMAS["orders"].key
('order_id',)
>>> SCHEMAS["orders"].column("category").categories[:3]
('apparel', 'beauty', 'food')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "ORDER_STATUSES",
    "PAYMENTS",
    "RESELLABLE_CATEGORIES",
    "SCHEMAS",
    "Column",
    "TableSchema",
]

Kind = Literal["id", "timestamp", "money", "int", "category"]

CATEGORIES = ("apparel", "beauty", "food", "home", "electronics", "digital_goods", "other")
RESELLABLE_CATEGORIES = ("electronics", "digital_goods")
CHANNELS = ("live_stream", "short_video", "mall", "search")
PAYMENTS = ("bnpl", "upfront")
ORDER_STATUSES = ("completed", "refunded", "cancelled")


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes
    ----------
    name : str
    kind : {"id", "timestamp", "money", "int", "category"}
        ``id`` is a string key, ``money`` a float in CNY, ``timestamp`` a
        naive UTC+8 datetime, ``int`` a whole number, ``category`` one of
        ``categories``.
    nullable : bool
        Whether a missing value is allowed.
    categories : tuple of str
        Allowed values of a ``category`` column.
    bounds : tuple of (float or None, float or None)
        Inclusive lower and upper bounds of an ``int`` column.
    """

    name: str
    kind: Kind
    nullable: bool = False
    categories: tuple[str, ...] = ()
    bounds: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class TableSchema:
    """Columns and primary key of one input table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in contract order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}; it has {', '.join(self.names)}")


SCHEMAS: dict[str, TableSchema] = {
    "customers": TableSchema(
        "customers",
        (
            Column("customer_id", "id"),
            Column("signup_ts", "timestamp"),
            Column("birth_year", "int", bounds=(1900, 2100)),
            Column("kyc_level", "int", bounds=(0, 3)),
            Column("city_tier", "int", bounds=(1, 5)),
        ),
        key=("customer_id",),
    ),
    "orders": TableSchema(
        "orders",
        (
            Column("order_id", "id"),
            Column("customer_id", "id"),
            Column("order_ts", "timestamp"),
            Column("amount", "money"),
            Column("category", "category", categories=CATEGORIES),
            Column("channel", "category", categories=CHANNELS),
            Column("payment", "category", categories=PAYMENTS),
            Column("status", "category", categories=ORDER_STATUSES),
            Column("refund_ts", "timestamp", nullable=True),
        ),
        key=("order_id",),
    ),
    "installments": TableSchema(
        "installments",
        (
            Column("loan_id", "id"),
            Column("customer_id", "id"),
            Column("installment_no", "int", bounds=(1, 120)),
            Column("due_date", "timestamp"),
            Column("amount_due", "money"),
            Column("paid_ts", "timestamp", nullable=True),
            Column("amount_paid", "money"),
        ),
        key=("loan_id", "installment_no"),
    ),
    "applications": TableSchema(
        "applications",
        (
            Column("application_id", "id"),
            Column("customer_id", "id"),
            Column("as_of", "timestamp"),
            Column("requested_amount", "money", nullable=True),
            Column("channel", "category", categories=CHANNELS),
        ),
        key=("application_id",),
    ),
}
