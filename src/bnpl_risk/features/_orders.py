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

    Also returns, for features that combine families: ``_placed_amount_all``
    (CNY, any status) and ``_loan_cents_due`` (cents due on loans
    originated before as_of).
    """
    line = Timeline(q.clock, orders.cust, orders.t)
    now = line.cut(q)
    since: dict[Scope, np.ndarray] = {w: line.cut(q, -w * DAY) for w in windows}
    since[ALL] = line.start(q)
    scopes: tuple[Scope, ...] = (*windows, ALL)

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
    at_now = prefix[:, now]
    late, late_sums, late_max = _still_completed(q, orders, scopes)
    total: dict[Scope, dict[str, np.ndarray]] = {}
    for i, w in enumerate(scopes):
        sums = at_now - prefix[:, since[w]]
        # Orders reversed at or after as_of were still completed then.
        sums[1:7, late] += late_sums[:, :, i]
        total[w] = dict(zip(quantities, sums, strict=True))
    placed = {w: now - since[w] for w in scopes}

    # Largest completed order per scope: ALL's range holds the widest
    # window's, which holds the next one's, and all end at as_of.
    edges = [since[ALL], *(since[w] for w in reversed(windows)), now]
    largest = range_max(padded(line.take(quantities["cents_done"])), edges)
    out: dict[str, np.ndarray] = {}
    per_order: dict[Scope, np.ndarray] = {}
    per_cent: dict[Scope, np.ndarray] = {}
    for i, w in enumerate(scopes):
        tag = w if w == ALL else f"{w}d"
        sums = total[w]
        n = sums["n"]
        # Shared denominators, NaN where 0 (see nonzero).
        per_order[w], per_cent[w] = nonzero(placed[w]), nonzero(sums["cents"])
        out[f"spend_count_{tag}"] = n.astype(float)
        out[f"spend_sum_{tag}"] = sums["cents_done"] / 100
        biggest = largest[:, 0 if w == ALL else len(windows) - windows.index(w)]
        biggest[late] = np.fmax(biggest[late], late_max[:, i])
        out[f"spend_max_{tag}"] = np.where(n > 0, biggest / 100, np.nan)
        out[f"spend_mean_{tag}"] = ratio(sums["cents_done"] / 100, n)
        out[f"spend_std_{tag}"] = _std_cents(n, sums["cents_done"], sums["cents2"]) / 100
        out[f"refund_rate_{tag}"] = sums["n_refunded"] / per_order[w]
        out[f"cancel_rate_{tag}"] = sums["n_cancelled"] / per_order[w]
        out[f"refund_amount_share_{tag}"] = sums["cents_refunded"] / per_cent[w]
    out["bnpl_share_90d"] = total[90]["bnpl"] / per_order[90]
    out["bnpl_share_all"] = total[ALL]["bnpl"] / per_order[ALL]
    for w in MIX_WINDOWS:
        out[f"live_stream_share_{w}d"] = total[w]["live"] / per_order[w]
        out[f"short_video_share_{w}d"] = total[w]["short_video"] / per_order[w]
        out[f"night_share_{w}d"] = total[w]["night"] / per_order[w]
        out[f"resellable_share_{w}d"] = total[w]["resold"] / per_cent[w]

    last = line.t[np.maximum(now - 1, 0)] if len(line) else np.zeros(len(q), np.int64)
    out["days_since_last_order"] = np.where(now > since[ALL], (q.t - last) / DAY, np.nan)
    out["spend_trend_30d_180d"] = ratio(
        total[30]["cents_done"] / 30, total[180]["cents_done"] / 180
    )
    out["velocity_orders_7d_vs_90d"] = ratio(placed[7] / 7, placed[90] / 90)
    out["velocity_amount_7d_vs_90d"] = ratio(total[7]["cents"] / 7, total[90]["cents"] / 90)
    out["amount_placed_7d"] = total[7]["cents"] / 100
    out["_placed_amount_all"] = total[ALL]["cents"] / 100

    # Loans originated before as_of: counts, plan length, tenure, amount due.
    n = total[ALL]["loans"]
    out["bnpl_loans_all"] = n.astype(float)
    for w in (7, 30):
        out[f"new_bnpl_loans_{w}d"] = total[w]["loans"].astype(float)
    out["max_plan_installments"] = line.max_before(orders.loan_installments, since[ALL], now)
    out["max_plan_installments"][n == 0] = np.nan
    # Position of the first loan at or after each position (the end if none).
    following = np.where(line.take(is_loan), np.arange(len(line)), len(line))
    first = np.minimum.accumulate(np.append(following, len(line))[::-1])[::-1][since[ALL]]
    first_t = line.t[np.minimum(first, len(line) - 1)] if len(line) else q.t
    out["bnpl_tenure_days"] = np.where(n > 0, (q.t - first_t) / DAY, np.nan)
    out["_loan_cents_due"] = total[ALL]["loan_cents_due"]
    return out


def _still_completed(q: Queries, orders: Orders, scopes: tuple) -> tuple:
    """Refunded or cancelled orders that were still completed at each query, per scope.

    ``scopes`` are windows in days, ascending, then :data:`ALL`. Few queries
    have such orders: returns those queries; the amounts to add to their
    sums of ``n``, ``cents_done``, ``cents2`` and to take from their
    ``n_refunded``, ``cents_refunded``, ``n_cancelled`` (shape (6, queries,
    scopes)); and their largest such order (shape (queries, scopes)).

    An order placed before ``as_of`` and reversed at or after it: its time
    interval ``(order_ts, reversed_at]`` holds ``as_of``.
    """
    rows = np.flatnonzero(orders.status != COMPLETED)
    which, app = stab(
        q.clock,
        q.keys,
        q.t,
        orders.cust[rows],
        orders.t[rows],
        orders.reversed_at[rows],
        start_inclusive=False,
    )
    order = rows[which]
    cents = orders.cents[order]
    refunded = orders.status[order] == REFUNDED
    # Each pair counts in every scope from the narrowest holding its order on:
    # one sum per (query, narrowest scope), then running sums across scopes.
    limits = [w * DAY for w in scopes[:-1]] + [np.iinfo(np.int64).max]
    narrowest = np.searchsorted(limits, q.t[app] - orders.t[order], "left")
    queries, app = np.unique(app, return_inverse=True)
    cell = app * len(scopes) + narrowest
    shape = (len(queries), len(scopes))

    def per_scope(values) -> np.ndarray:
        # Sums of few integers: exact in float64.
        sums = np.bincount(cell, weights=values, minlength=shape[0] * shape[1]).reshape(shape)
        return np.cumsum(sums, axis=1).astype(np.int64)

    biggest = np.full(shape[0] * shape[1], np.nan)
    np.fmax.at(biggest, cell, cents.astype(float))
    sums = np.stack(
        [
            per_scope(None),
            per_scope(cents),
            per_scope(cents * cents),
            -per_scope(refunded),
            -per_scope(np.where(refunded, cents, 0)),
            -per_scope(orders.status[order] == CANCELLED),
        ]
    )
    return queries, sums, np.fmax.accumulate(biggest.reshape(shape), axis=1)


def _std_cents(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Population standard deviation from count, sum and sum of squares; NaN when n is 0.

    ``n * s2 - s1**2`` is computed in exact integers where no value can
    overflow, so equal amounts give exactly 0; in floats elsewhere. The
    choice is made row by row, so a row's value does not depend on the
    other rows computed with it.
    """
    spread = (n * s2 - s1 * s1).astype(float)
    if len(n) and (n.max() * float(s2.max()) >= 2.0**62 or np.abs(s1).max() >= 2**31):
        inexact = (n * s2.astype(float) >= 2.0**62) | (np.abs(s1) >= 2**31)
        floats = n[inexact] * s2[inexact].astype(float) - s1[inexact].astype(float) ** 2
        spread[inexact] = floats
    np.maximum(spread, 0.0, out=spread)
    return ratio(np.sqrt(spread), n)
