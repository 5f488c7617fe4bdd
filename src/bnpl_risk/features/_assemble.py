"""Compute every feature of a :class:`Book`: the compiled pass, in parts on threads."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bnpl_risk.features._inputs import Book, Installments, Orders
from bnpl_risk.features._kernel import DAY, FIXED_WINDOWS, by_time, features, group, slot_names

#: Applications per part of a large book, each part one call of the
#: compiled pass on a thread: small enough that two cores share the work
#: evenly, large enough that a call's fixed cost is lost in its work.
_PART_ROWS = 65_536


def compute(
    book: Book, names: tuple[str, ...], windows: tuple[int, ...], parts: int | None = None
) -> np.ndarray:
    """Features ``names`` of every application of ``book``.

    Every feature depends on one customer's events alone, so a large book
    is cut into ``parts`` groups of whole customers, computed by one thread
    per core with the values of one pass (the compiled pass releases the
    GIL). A checkout (one application) is one part, with no thread.

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
    ndarray of float64, shape (applications, len(names))
        One row per application, in input order, as the model reads them.
    """
    windows = tuple(sorted(set(windows) | set(FIXED_WINDOWS)))
    n = len(book.as_of)
    column = {name: k for k, name in enumerate(names)}
    dest = np.array([column.get(name, -1) for name in slot_names(windows)], np.int64)
    out = np.empty((n, len(names)))
    q_rows, q_starts = group(book.app_cust, book.n_customers)
    apps = (book.app_cust, book.as_of, _year(book.as_of), book.requested, book.app_channel)
    people = (book.signup, book.birth_year, book.kyc_level, book.city_tier)
    windows_ns = np.array(windows, np.int64) * DAY
    at = np.array([windows.index(w) for w in FIXED_WINDOWS], np.int64)
    o, inst = book.orders, book.installments
    orders = (*by_time(o.cust, o.t, book.n_customers), _order_columns(o))
    installments = (
        *by_time(inst.cust, inst.origin, book.n_customers),
        _installment_columns(inst),
    )

    def run(queries: np.ndarray) -> None:
        features(out, queries, apps, people, windows_ns, at, dest, orders, installments)

    if parts is None:
        parts = -(-n // _PART_ROWS)
    if min(parts, n) <= 1:
        run(q_rows)
    else:
        # Cut between customers, near equal numbers of applications.
        cuts = np.searchsorted(q_starts, np.arange(1, parts) * n // parts)
        bounds = np.unique(np.concatenate(([0], q_starts[cuts], [n])))
        with ThreadPoolExecutor(min(parts, _cores())) as pool:
            groups = (q_rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
            # list() re-raises the first error of any part.
            list(pool.map(run, groups))
    return out


def _order_columns(o: Orders) -> tuple:
    return (
        o.t,
        o.cents,
        o.status,
        o.reversed_at,
        o.bnpl,
        o.night,
        o.live,
        o.short_video,
        o.resellable,
        o.loan_installments,
        o.loan_cents_due,
        o.loan_settled,
    )


def _installment_columns(inst: Installments) -> tuple:
    return (inst.origin, inst.due, inst.cents_due, inst.cents_paid, inst.paid, inst.settled)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _year(ns: np.ndarray) -> np.ndarray:
    """Calendar year of each time in ns, as floats.

    NumPy's conversion: a pandas DatetimeIndex is faster on a large book,
    but its fixed cost (some 50 us) would land on every checkout.
    """
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970.0
