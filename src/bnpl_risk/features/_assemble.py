"""Compute every feature of a :class:`Book`: the compiled pass, then identity and combinations."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bnpl_risk.features._inputs import Book, Installments, Orders
from bnpl_risk.features._kernel import DAY, FIXED_WINDOWS, NAT, features, group, slot_names
from bnpl_risk.histories.schema import CHANNELS

#: Applications per part of a large book, each part one call of the
#: compiled pass on a thread: small enough that two cores share the work
#: evenly, large enough that a call's fixed cost is lost in its work.
_PART_ROWS = 65_536
#: Values the combined features read, kept beside the wanted ones.
_COMBINED_FROM = (
    "account_age_days",
    "requested_amount",
    "spend_count_all",
    "spend_sum_all",
    "bnpl_loans_all",
    "_loans_closed",
    "_loan_cents_due",
    "_cents_paid",
    "_placed_amount_all",
)


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
    ndarray of float64, shape (len(names), applications)
        One row per name, applications in input order: each row becomes a
        frame's column as it is, without a copy.
    """
    windows = tuple(sorted(set(windows) | set(FIXED_WINDOWS)))
    n = len(book.as_of)
    rows = {name: k for k, name in enumerate(dict.fromkeys((*names, *_COMBINED_FROM)))}
    out = np.empty((len(rows), n))
    dest = np.array([rows.get(name, -1) for name in slot_names(windows)], np.int64)
    q_rows, q_starts = group(book.app_cust, book.n_customers)
    o_rows, o_starts = group(book.orders.cust, book.n_customers)
    i_rows, i_starts = group(book.installments.cust, book.n_customers)
    at = np.array([windows.index(w) for w in FIXED_WINDOWS], np.int64)
    shared = (book.app_cust, book.as_of, np.array(windows, np.int64) * DAY, at, dest)
    events = (
        o_rows,
        o_starts,
        _order_columns(book.orders),
        i_rows,
        i_starts,
        _installment_columns(book.installments),
    )

    def run(queries: np.ndarray) -> None:
        features(out, queries, *shared, *events)

    if parts is None:
        parts = -(-n // _PART_ROWS)
    if min(parts, n) <= 1:
        run(q_rows)
    else:
        # Cut between customers, near equal numbers of applications.
        cuts = np.searchsorted(q_starts, np.arange(1, parts) * n // parts)
        bounds = np.unique(np.concatenate(([0], q_starts[cuts], [n])))
        with ThreadPoolExecutor(min(parts, _cores())) as pool:
            # list() re-raises the first error of any part.
            groups = (q_rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
            list(pool.map(run, groups))
    for combine in (_identity, _combined):  # combinations read the identity rows
        values = combine(book, out, rows)
        for name in values.keys() & rows.keys():
            out[rows[name]] = values[name]
    return out[: len(names)]


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


def _identity(book: Book, out: np.ndarray, rows: dict) -> dict:
    """Identity and application features, applications in input order."""
    cust = book.app_cust
    signup = book.signup[cust]
    as_of = book.as_of
    out = {
        "account_age_days": np.where(signup == NAT, np.nan, np.maximum(as_of - signup, 0) / DAY),
        "age_years": _year(as_of) - book.birth_year[cust],
        "kyc_level": book.kyc_level[cust],
        "city_tier": book.city_tier[cust],
        "requested_amount": book.requested,
    }
    one_hot = (book.app_channel == _CHANNEL_CODES).astype(float)
    out.update(zip(_CHANNEL_FEATURES, one_hot, strict=True))
    return out


_CHANNEL_CODES = np.arange(len(CHANNELS))[:, None]
_CHANNEL_FEATURES = tuple(f"app_channel_{name}" for name in CHANNELS)


def _combined(book: Book, out: np.ndarray, rows: dict) -> dict:
    """Features that combine the compiled pass's values with the identity features."""

    def get(name: str) -> np.ndarray:
        return out[rows[name]]

    spent = get("spend_sum_all")
    return {
        "open_bnpl_loans": get("bnpl_loans_all") - get("_loans_closed"),
        "outstanding_balance": (get("_loan_cents_due") - get("_cents_paid")) / 100,
        "amount_per_account_day": get("_placed_amount_all") / np.fmax(get("account_age_days"), 1.0),
        "requested_to_avg_order": get("requested_amount")
        * get("spend_count_all")
        / np.where(spent == 0, np.nan, spent),
    }


def _year(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970.0
