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

    def totals(values: np.ndarray, scopes: tuple[Scope, ...] = scopes) -> dict:
        prefix = line.prefix(values)
        at_now = prefix[now]
        return {w: at_now - prefix[since[w]] for w in scopes}

    cents = orders.cents
    status = orders.status
    completed = status == COMPLETED
    placed = {w: now - since[w] for w in scopes}
    amount = totals(cents)
    late, late_sums = _still_completed(q, orders, scopes)

    def corrected(total: dict, name: str, sign: int) -> dict:
        for i, w in enumerate(scopes):
            total[w][late] += sign * late_sums[name][:, i]
        return total

    n_done = corrected(totals(completed), "n", 1)
    sum_done = corrected(totals(np.where(completed, cents, 0)), "cents", 1)
    sq_done = corrected(totals(np.where(completed, cents * cents, 0)), "cents2", 1)
    refunded = corrected(totals(status == REFUNDED), "n_refunded", -1)
    refunded_cents = corrected(totals(np.where(status == REFUNDED, cents, 0)), "cents_refunded", -1)
    cancelled = corrected(totals(status == CANCELLED), "n_cancelled", -1)
    bnpl = totals(orders.bnpl, (90, ALL))

    # Largest completed order per scope: ALL's range holds the widest
    # window's, which holds the next one's, and all end at as_of.
    edges = [since[ALL], *(since[w] for w in reversed(windows)), now]
    largest = range_max(padded(line.take(np.where(completed, cents, 0))), edges)
    out: dict[str, np.ndarray] = {}
    per_order: dict[Scope, np.ndarray] = {}
    per_cent: dict[Scope, np.ndarray] = {}
    for w in scopes:
        tag = w if w == ALL else f"{w}d"
        n = n_done[w]
        # Shared denominators, NaN where 0 (see nonzero).
        per_order[w], per_cent[w] = nonzero(placed[w]), nonzero(amount[w])
        out[f"spend_count_{tag}"] = n.astype(float)
        out[f"spend_sum_{tag}"] = sum_done[w] / 100
        biggest = largest[:, 0 if w == ALL else len(windows) - windows.index(w)]
        biggest[late] = np.fmax(biggest[late], late_sums["max"][:, scopes.index(w)])
        out[f"spend_max_{tag}"] = np.where(n > 0, biggest / 100, np.nan)
        out[f"spend_mean_{tag}"] = ratio(sum_done[w] / 100, n)
        out[f"spend_std_{tag}"] = _std_cents(n, sum_done[w], sq_done[w]) / 100
        out[f"refund_rate_{tag}"] = refunded[w] / per_order[w]
        out[f"cancel_rate_{tag}"] = cancelled[w] / per_order[w]
        out[f"refund_amount_share_{tag}"] = refunded_cents[w] / per_cent[w]
    out["bnpl_share_90d"] = bnpl[90] / per_order[90]
    out["bnpl_share_all"] = bnpl[ALL] / per_order[ALL]

    mix = (*MIX_WINDOWS,)
    live = totals(orders.live, mix)
    short_video = totals(orders.short_video, mix)
    night = totals(orders.night, mix)
    resold = totals(np.where(orders.resellable, cents, 0), mix)
    for w in mix:
        out[f"live_stream_share_{w}d"] = live[w] / per_order[w]
        out[f"short_video_share_{w}d"] = short_video[w] / per_order[w]
        out[f"night_share_{w}d"] = night[w] / per_order[w]
        out[f"resellable_share_{w}d"] = resold[w] / per_cent[w]

    last = line.t[np.maximum(now - 1, 0)] if len(line) else np.zeros(len(q), np.int64)
    out["days_since_last_order"] = np.where(now > since[ALL], (q.t - last) / DAY, np.nan)
    out["spend_trend_30d_180d"] = ratio(sum_done[30] / 30, sum_done[180] / 180)
    out["velocity_orders_7d_vs_90d"] = ratio(placed[7] / 7, placed[90] / 90)
    out["velocity_amount_7d_vs_90d"] = ratio(amount[7] / 7, amount[90] / 90)
    out["amount_placed_7d"] = amount[7] / 100
    out["_placed_amount_all"] = amount[ALL] / 100
    out |= _loan_usage(line, orders, q, now, since)
    return out


def _loan_usage(line: Timeline, orders: Orders, q: Queries, now, since: dict) -> dict:
    """Loans originated before as_of: counts, plan length, tenure, amount due."""
    start = since[ALL]
    is_loan = orders.loan_installments > 0
    loans = line.prefix(is_loan)
    out: dict[str, np.ndarray] = {}
    n = loans[now] - loans[start]
    out["bnpl_loans_all"] = n.astype(float)
    for w in (7, 30):
        out[f"new_bnpl_loans_{w}d"] = (loans[now] - loans[since[w]]).astype(float)
    out["max_plan_installments"] = line.max_before(orders.loan_installments, start, now)
    out["max_plan_installments"][n == 0] = np.nan
    # The customer's first loan sits where the loan count first passes its start value.
    first = np.searchsorted(loans, loans[start] + 1, "left") - 1
    first_t = line.t[np.clip(first, 0, max(len(line) - 1, 0))] if len(line) else q.t
    out["bnpl_tenure_days"] = np.where(n > 0, (q.t - first_t) / DAY, np.nan)
    due = line.prefix(orders.loan_cents_due)
    out["_loan_cents_due"] = due[now] - due[start]
    return out


def _still_completed(q: Queries, orders: Orders, scopes: tuple) -> tuple[np.ndarray, dict]:
    """Refunded or cancelled orders that were still completed at each query, per scope.

    ``scopes`` are windows in days, ascending, then :data:`ALL`. Few queries
    have such orders: returns those queries and, per quantity, a matrix of
    their totals (one row per query, one column per scope).

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
    return queries, {
        "n": per_scope(None),
        "cents": per_scope(cents),
        "cents2": per_scope(cents * cents),
        "n_refunded": per_scope(refunded),
        "cents_refunded": per_scope(np.where(refunded, cents, 0)),
        "n_cancelled": per_scope(orders.status[order] == CANCELLED),
        "max": np.fmax.accumulate(biggest.reshape(shape), axis=1),
    }


def _std_cents(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Population standard deviation from count, sum and sum of squares; NaN when n is 0.

    ``n * s2 - s1**2`` is computed in exact integers when no value can
    overflow, so equal amounts give exactly 0; in floats otherwise.
    """
    if len(n) and (n.max() * float(s2.max()) >= 2.0**62 or np.abs(s1).max() >= 2**31):
        spread = n * s2.astype(float) - s1.astype(float) ** 2
    else:
        spread = (n * s2 - s1 * s1).astype(float)
    np.maximum(spread, 0.0, out=spread)
    return ratio(np.sqrt(spread), n)
