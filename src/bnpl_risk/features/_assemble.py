"""Compute every feature family for a :class:`Book` and lay the columns out."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bnpl_risk.features._inputs import Book, Installments, Orders
from bnpl_risk.features._orders import order_features
from bnpl_risk.features._repayment import DUE_SOON_DAYS, repayment_features
from bnpl_risk.features._timeline import DAY, NAT, NEVER, Clock, Queries, ratio
from bnpl_risk.histories.schema import CHANNELS

#: Windows (days) that fixed features read (velocity, trend, BNPL share).
FIXED_WINDOWS = (7, 30, 90, 180)
#: Applications per part of a large book: small enough that a part's arrays
#: stay in cache and its temporaries are reused, large enough that the
#: fixed cost of a part (about a millisecond) is lost in its work.
_PART_ROWS = 16_384


def compute(
    book: Book, names: tuple[str, ...], windows: tuple[int, ...], parts: int | None = None
) -> dict:
    """Features ``names`` for every application of ``book``.

    A large book is cut into ``parts`` groups of whole customers, computed
    by one thread per core: every feature depends on one customer's events
    alone, so the values are those of one pass, and NumPy releases the GIL
    in the array work. Small parts (by default about :data:`_PART_ROWS`
    applications) also run faster than one large pass, their arrays held in
    cache, and keep the temporaries small. A checkout (one application) is
    one part, with no thread.

    Parameters
    ----------
    book : Book
    names : tuple of str
        The features wanted, in output order.
    windows : tuple of int
        Look-back windows in days of the windowed features.
    parts : int, optional
        Groups of customers to compute separately; by default one per
        :data:`_PART_ROWS` applications.

    Returns
    -------
    dict of str to ndarray of float64
        One array per name, applications in input order. The arrays become
        the frame's columns as they are: no copy into one block.
    """
    windows = tuple(sorted(set(windows) | set(FIXED_WINDOWS)))
    clock = _clock(book, max(windows))
    q, order = Queries.sorted(clock, book.app_cust, book.as_of)
    if parts is None:
        parts = -(-len(q) // _PART_ROWS)
    parts = min(parts, len(q))
    wanted = set(names)
    if parts <= 1:
        # Features come in query order; input row i is query back[i].
        back = None
        if order is not None:
            back = np.empty_like(order)
            back[order] = np.arange(len(order))
        out: dict[str, np.ndarray] = {}

        def keep(name: str, values: np.ndarray) -> None:
            out[name] = values[back]

        store = out.__setitem__ if back is None else keep
        _features(book, q, order, book.orders, book.installments, windows, wanted, store)
        return {name: out[name] for name in names}

    columns = {name: np.empty(len(q)) for name in names}

    def run(part: tuple[slice, Pick, Pick]) -> None:
        queries, orders, installments = part
        rows = queries if order is None else order[queries]

        def scatter(name: str, values: np.ndarray) -> None:
            columns[name][rows] = values

        own = (_pick(book.orders, orders), _pick(book.installments, installments))
        _features(book, q[queries], rows, *own, windows, wanted, scatter)

    with ThreadPoolExecutor(min(parts, _cores())) as pool:
        # list() re-raises the first error of any part.
        list(pool.map(run, _split(q, book, parts)))
    return columns


def _features(
    book: Book,
    q: Queries,
    rows: np.ndarray | slice | None,
    orders: Orders,
    installments: Installments,
    windows: tuple[int, ...],
    wanted: set[str],
    store: Callable[[str, np.ndarray], None],
) -> None:
    """Pass each wanted feature of queries ``q`` (input ``rows``) to ``store``, in query order.

    Every feature is a float64 array already; values only other features
    combine (``_SHARED``) may be integers.
    """
    kept: dict[str, np.ndarray] = {}

    def place(features: dict) -> None:
        # Store each family's wanted columns and drop the rest at once, so
        # intermediate values do not pile up.
        names = features.keys()
        for name in names & wanted:
            store(name, features[name])
        for name in names & _SHARED:
            kept[name] = features[name]

    place(_identity(book, rows))
    place(order_features(q, orders, windows))
    place(repayment_features(q, orders, installments, windows))
    place(
        {
            "open_bnpl_loans": kept["bnpl_loans_all"] - kept["_loans_closed"],
            "outstanding_balance": (kept["_loan_cents_due"] - kept["_cents_paid"]) / 100,
            "amount_per_account_day": kept["_placed_amount_all"]
            / np.fmax(kept["account_age_days"], 1.0),
            "requested_to_avg_order": ratio(
                kept["requested_amount"] * kept["spend_count_all"], kept["spend_sum_all"]
            ),
        }
    )


# Values that features of another family combine.
_SHARED = frozenset(
    {
        "bnpl_loans_all",
        "_loans_closed",
        "_loan_cents_due",
        "_cents_paid",
        "_placed_amount_all",
        "account_age_days",
        "requested_amount",
        "spend_count_all",
        "spend_sum_all",
    }
)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _split(q: Queries, book: Book, parts: int) -> list[tuple[slice, Pick, Pick]]:
    """Cut the book into about ``parts`` groups of whole customers, of similar numbers of queries.

    Returns each group's queries (a slice of ``q``) and the rows of its
    orders and installments (see :func:`_rows_of`).
    """
    firsts = np.unique(q.cust[np.arange(1, parts) * len(q) // parts])
    bounds = np.concatenate(([q.cust[0]], firsts[firsts > q.cust[0]], [book.n_customers]))
    at = np.searchsorted(q.cust, bounds)
    queries = [slice(a, b) for a, b in zip(at[:-1], at[1:], strict=True)]
    orders = _rows_of(book.orders.cust, bounds)
    installments = _rows_of(book.installments.cust, bounds)
    return list(zip(queries, orders, installments, strict=True))


Pick = slice | np.ndarray


def _rows_of(cust: np.ndarray, bounds: np.ndarray) -> list[Pick]:
    """Rows of the events of customers ``bounds[i]:bounds[i + 1]``, for each ``i``.

    A slice when the events are sorted by customer (no copy), else positions.
    """
    if len(cust) < 2 or bool((cust[1:] >= cust[:-1]).all()):
        at = np.searchsorted(cust, bounds)
        return [slice(a, b) for a, b in zip(at[:-1], at[1:], strict=True)]
    order = np.argsort(cust, kind="stable")
    at = np.searchsorted(cust[order], bounds)
    return [order[a:b] for a, b in zip(at[:-1], at[1:], strict=True)]


def _pick(table, rows: Pick):
    """The ``rows`` of an :class:`Orders` or :class:`Installments` table."""
    return type(table)(**{f.name: getattr(table, f.name)[rows] for f in dataclasses.fields(table)})


def _identity(book: Book, rows: np.ndarray | slice | None) -> dict:
    """Identity and application features of input ``rows`` (all if None), in that order."""
    every = slice(None) if rows is None else rows
    cust = book.app_cust[every]
    as_of = book.as_of[every]
    signup = book.signup[cust]
    out = {
        "account_age_days": np.where(signup == NAT, np.nan, np.maximum(as_of - signup, 0) / DAY),
        "age_years": _year(as_of) - book.birth_year[cust],
        "kyc_level": book.kyc_level[cust],
        "city_tier": book.city_tier[cust],
        "requested_amount": book.requested[every],
    }
    one_hot = (book.app_channel[every] == _CHANNEL_CODES).astype(float)
    out.update(zip(_CHANNEL_FEATURES, one_hot, strict=True))
    return out


_CHANNEL_CODES = np.arange(len(CHANNELS))[:, None]
_CHANNEL_FEATURES = tuple(f"app_channel_{name}" for name in CHANNELS)


def _year(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970.0


def _clock(book: Book, longest_window: int) -> Clock:
    """A clock spanning every event time and every cut the features make."""
    o, inst = book.orders, book.installments
    spans = [_extremes(t) for t in (o.t, o.loan_settled, inst.paid)]
    if due := _extremes(inst.due):
        spans.append((due[0], due[1] + DAY))
    if as_of := _extremes(book.as_of):
        spans.append((as_of[0] - (longest_window + 1) * DAY, as_of[1] + DUE_SOON_DAYS * DAY))
    return Clock.spanning(book.n_customers, [span for span in spans if span])


def _extremes(t: np.ndarray) -> tuple[int, int] | None:
    """Earliest and latest of times ``t`` that happened (not :data:`NEVER`); None if none.

    Two numbers, so the clock reads a large book once, without temporary arrays.
    """
    if not len(t) or (low := t.min()) == NEVER:
        return None
    high = t.max()
    if high == NEVER:
        # NEVER + 1 wraps around to the smallest int64 (NumPy integer arrays
        # wrap silently), out of the way of the max: faster than a masked max.
        high = (t + 1).max() - 1
    return int(low), int(high)
