"""Features on the order timeline: spending, refunds, mix, velocity and BNPL loan usage.

An order counts at ``as_of`` when it was placed strictly before it. It is
*completed at as_of* unless it was refunded or cancelled strictly before
``as_of``: an order refunded later was still completed then. Orders whose
final status is completed are summed directly on the order timeline; the
few refunded or cancelled ones still completed at an ``as_of`` (reversed at
or after it) are found by an interval join and added back. A BNPL loan is
an order with installments, so loan counts are order-timeline sums too.
"""

from __future__ import annotations

from functools import cache
from itertools import chain

import numpy as np

from bnpl_risk.features._inputs import CANCELLED, COMPLETED, REFUNDED, Orders
from bnpl_risk.features._timeline import (
    DAY,
    Queries,
    Timeline,
    nonzero,
    padded,
    range_max,
    ratio,
    stab,
)
from bnpl_risk.features.registry import MIX_WINDOWS

ALL = "all"
Scope = int | str  # a window in days, or ALL


def order_features(q: Queries, orders: Orders, windows: tuple[int, ...]) -> dict:
    """Order-timeline features per query, keyed by feature name.

    ``windows`` are ascending. Also returns, for features that combine
    families: ``_placed_amount_all`` (CNY, any status) and
    ``_loan_cents_due`` (cents due on loans originated before as_of).
    """
    line = Timeline(q.clock, orders.cust, orders.t)
    # Every scope at once, one row each, widest first: ALL (from the
    # customer's first order), then the windows; all end at as_of. The rows
    # of scope w are at[w].
    scopes: tuple[Scope, ...] = (ALL, *reversed(windows))
    at = {w: i for i, w in enumerate(scopes)}
    shifts = (*(-w * DAY for w in reversed(windows)), 0)
    edges = np.concatenate((line.start(q)[None], line.cuts(q, shifts)))
    since, now = edges[:-1], edges[-1]

    cents = orders.cents
    status = orders.status
    completed = status == COMPLETED
    refunded = status == REFUNDED
    is_loan = orders.loan_installments > 0
    # Summed in every scope; the first seven as _still_completed lists them.
    quantities = {
        "cents": cents,
        "n": completed,
        "cents_done": np.where(completed, cents, 0),
        "cents2": np.where(completed, cents * cents, 0),
        "n_refunded": refunded,
        "cents_refunded": np.where(refunded, cents, 0),
        "n_cancelled": status == CANCELLED,
        "bnpl": orders.bnpl,
        "live": orders.live,
        "short_video": orders.short_video,
        "night": orders.night,
        "resold": np.where(orders.resellable, cents, 0),
        "loans": is_loan,
        "loan_cents_due": orders.loan_cents_due,
    }
    prefix = line.prefix(list(quantities.values()))
    # Shape (quantity, scope, query): one gather for every sum.
    sums = prefix[:, now][:, None] - prefix[:, since]
    # Largest completed order per scope: ALL's range holds the widest
    # window's, which holds the next one's, and all end at as_of.
    largest = range_max(padded(line.take(quantities["cents_done"])), edges)
    late = _still_completed(q, orders, windows)
    if late is not None:
        # Orders reversed at or after as_of were still completed then.
        queries, late_sums, late_max = late
        sums[1:7, :, queries] += late_sums
        largest[:, queries] = np.fmax(largest[:, queries], late_max)
    total = dict(zip(quantities, sums, strict=True))
    placed = now - since

    n = total["n"]
    # Shared denominators, NaN where 0 (see nonzero).
    per_order, per_cent = nonzero(placed), nonzero(total["cents"])
    spent = total["cents_done"] / 100
    per_scope = {
        "spend_count": n.astype(float),
        "spend_sum": spent,
        "spend_max": np.where(n > 0, largest / 100, np.nan),
        "spend_mean": ratio(spent, n),
        "spend_std": _std_cents(n, total["cents_done"], total["cents2"]) / 100,
        "refund_rate": total["n_refunded"] / per_order,
        "cancel_rate": total["n_cancelled"] / per_order,
        "refund_amount_share": total["cents_refunded"] / per_cent,
    }
    # Each array's rows, scope by scope, under their names.
    rows = chain.from_iterable(per_scope.values())
    out = dict(zip(_scoped(tuple(per_scope), scopes), rows, strict=True))
    shares = {k: total[k] / per_order for k in ("bnpl", "live", "short_video", "night")}
    resold = total["resold"] / per_cent
    out["bnpl_share_90d"] = shares["bnpl"][at[90]]
    out["bnpl_share_all"] = shares["bnpl"][at[ALL]]
    for w in MIX_WINDOWS:
        out[f"live_stream_share_{w}d"] = shares["live"][at[w]]
        out[f"short_video_share_{w}d"] = shares["short_video"][at[w]]
        out[f"night_share_{w}d"] = shares["night"][at[w]]
        out[f"resellable_share_{w}d"] = resold[at[w]]

    first_order = since[at[ALL]]
    last = line.t[np.maximum(now - 1, 0)] if len(line) else np.zeros(len(q), np.int64)
    out["days_since_last_order"] = np.where(now > first_order, (q.t - last) / DAY, np.nan)
    done, amount = total["cents_done"], total["cents"]
    out["spend_trend_30d_180d"] = ratio(done[at[30]] / 30, done[at[180]] / 180)
    out["velocity_orders_7d_vs_90d"] = ratio(placed[at[7]] / 7, placed[at[90]] / 90)
    out["velocity_amount_7d_vs_90d"] = ratio(amount[at[7]] / 7, amount[at[90]] / 90)
    out["amount_placed_7d"] = amount[at[7]] / 100
    out["_placed_amount_all"] = amount[at[ALL]] / 100

    # Loans originated before as_of: counts, plan length, tenure, amount due.
    loans = total["loans"]
    n = loans[at[ALL]]
    out["bnpl_loans_all"] = n.astype(float)
    for w in (7, 30):
        out[f"new_bnpl_loans_{w}d"] = loans[at[w]].astype(float)
    out["max_plan_installments"] = line.max_before(orders.loan_installments, first_order, now)
    out["max_plan_installments"][n == 0] = np.nan
    # The customer's first loan: the first at or after its first order (read
    # only where it has one before as_of).
    loan_at = line.take(is_loan).nonzero()[0]
    first = loan_at.searchsorted(first_order)
    first_t = line.t[loan_at[np.minimum(first, len(loan_at) - 1)]] if len(loan_at) else q.t
    out["bnpl_tenure_days"] = np.where(n > 0, (q.t - first_t) / DAY, np.nan)
    out["_loan_cents_due"] = total["loan_cents_due"][at[ALL]]
    return out


@cache
def _scoped(names: tuple[str, ...], scopes: tuple[Scope, ...]) -> tuple[str, ...]:
    """The feature name of each of ``names`` in each of ``scopes``, scopes inner.

    Examples
    --------
    >>> _scoped(("spend_sum",), (ALL, 30))
    ('spend_sum_all', 'spend_sum_30d')
    """
    return tuple(f"{name}_{w if w == ALL else f'{w}d'}" for name in names for w in scopes)


def _still_completed(q: Queries, orders: Orders, windows: tuple[int, ...]) -> tuple | None:
    """Refunded or cancelled orders that were still completed at each query, per scope.

    Scopes are ALL, then ``windows`` (ascending) widest first, as in
    :func:`order_features`. Few queries have such orders: returns those
    queries; the amounts to add to their sums of ``n``, ``cents_done``,
    ``cents2`` and to take from their ``n_refunded``, ``cents_refunded``,
    ``n_cancelled`` (shape (6, scopes, queries)); and their largest such
    order (shape (scopes, queries)). None when no query has any.

    An order placed before ``as_of`` and reversed at or after it: its time
    interval ``(order_ts, reversed_at]`` holds ``as_of``.
    """
    rows = (orders.status != COMPLETED).nonzero()[0]
    if not len(rows):
        return None
    which, app = stab(
        q.clock,
        q.keys,
        q.t,
        orders.cust[rows],
        orders.t[rows],
        orders.reversed_at[rows],
        start_inclusive=False,
    )
    if not len(app):
        return None
    order = rows[which]
    cents = orders.cents[order]
    status = orders.status[order]
    refunded = status == REFUNDED
    # Each pair counts in ALL and every window holding its order, down to
    # the narrowest: one sum per (query, narrowest scope), then running sums
    # from the narrowest scope out.
    holding = np.searchsorted(np.array(windows) * DAY, q.t[app] - orders.t[order], "left")
    queries, app = np.unique(app, return_inverse=True)
    shape = (len(queries), len(windows) + 1)
    cell = app * shape[1] + (len(windows) - holding)
    amounts = np.array(
        [np.ones_like(cents), cents, cents * cents, refunded, np.where(refunded, cents, 0)]
        + [status == CANCELLED],
        np.int64,
    )
    np.negative(amounts[3:], out=amounts[3:])
    sums = np.zeros((shape[0] * shape[1], len(amounts)), np.int64)
    np.add.at(sums, cell, amounts.T)
    sums = sums.reshape(*shape, -1)[:, ::-1].cumsum(axis=1)[:, ::-1]
    biggest = np.full(shape[0] * shape[1], np.nan)
    np.fmax.at(biggest, cell, cents.astype(float))
    biggest = np.fmax.accumulate(biggest.reshape(shape)[:, ::-1], axis=1)[:, ::-1]
    return queries, sums.transpose(2, 1, 0), biggest.T


def _std_cents(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Population standard deviation from count, sum and sum of squares; NaN when n is 0.

    ``n * s2 - s1**2`` is computed in exact integers where no value can
    overflow, so equal amounts give exactly 0; in floats elsewhere. The
    choice is made row by row, so a row's value does not depend on the
    other rows computed with it.
    """
    spread = (n * s2 - s1 * s1).astype(float)
    if n.size and (n.max() * float(s2.max()) >= 2.0**62 or np.abs(s1).max() >= 2**31):
        inexact = (n * s2.astype(float) >= 2.0**62) | (np.abs(s1) >= 2**31)
        floats = n[inexact] * s2[inexact].astype(float) - s1[inexact].astype(float) ** 2
        spread[inexact] = floats
    np.maximum(spread, 0.0, out=spread)
    return ratio(np.sqrt(spread), n)
