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
from bnpl_risk.features._timeline import DAY, Queries, Timeline, range_max, ratio, stab
from bnpl_risk.features.registry import MIX_WINDOWS

ALL = "all"


def order_features(q: Queries, orders: Orders, windows: tuple[int, ...]) -> dict:
    """Order-timeline features per query, keyed by feature name.

    Also returns, for features that combine families: ``_placed_amount_all``
    (CNY, any status) and ``_loan_cents_due`` (cents due on loans
    originated before as_of).
    """
    line = Timeline(q.clock, orders.cust, orders.t)
    now = line.cut(q.cust, q.t)
    since = {w: line.cut(q.cust, q.t - w * DAY) for w in windows}
    since[ALL] = line.start(q.cust)
    scopes = (*windows, ALL)

    def totals(values: np.ndarray, scopes=scopes) -> dict:
        prefix = line.prefix(values)
        at_now = prefix[now]
        return {w: at_now - prefix[since[w]] for w in scopes}

    cents = orders.cents
    status = orders.status
    completed = status == COMPLETED
    placed = {w: now - since[w] for w in scopes}
    amount = totals(cents)
    late = _still_completed(q, orders, scopes)
    n_done = _plus(totals(completed), late["n"])
    sum_done = _plus(totals(np.where(completed, cents, 0)), late["cents"])
    sq_done = _plus(totals(np.where(completed, cents * cents, 0)), late["cents2"])
    refunded = _minus(totals(status == REFUNDED), late["n_refunded"])
    refunded_cents = _minus(totals(np.where(status == REFUNDED, cents, 0)), late["cents_refunded"])
    cancelled = _minus(totals(status == CANCELLED), late["n_cancelled"])
    bnpl = totals(orders.bnpl, (90, ALL))

    out: dict[str, np.ndarray] = {}
    ordered_completed = np.append(line.take(np.where(completed, cents, 0)).astype(float), 0.0)
    for w in scopes:
        tag = w if w == ALL else f"{w}d"
        n = n_done[w]
        out[f"spend_count_{tag}"] = n.astype(float)
        out[f"spend_sum_{tag}"] = sum_done[w] / 100
        biggest = np.fmax(range_max(ordered_completed, since[w], now), late["max"][w])
        out[f"spend_max_{tag}"] = np.where(n > 0, biggest / 100, np.nan)
        out[f"spend_mean_{tag}"] = ratio(sum_done[w] / 100, n)
        out[f"spend_std_{tag}"] = _std_cents(n, sum_done[w], sq_done[w]) / 100
        out[f"refund_rate_{tag}"] = ratio(refunded[w], placed[w])
        out[f"cancel_rate_{tag}"] = ratio(cancelled[w], placed[w])
        out[f"refund_amount_share_{tag}"] = ratio(refunded_cents[w], amount[w])
    out["bnpl_share_90d"] = ratio(bnpl[90], placed[90])
    out["bnpl_share_all"] = ratio(bnpl[ALL], placed[ALL])

    mix = (*MIX_WINDOWS,)
    live = totals(orders.live, mix)
    short_video = totals(orders.short_video, mix)
    night = totals(orders.night, mix)
    resold = totals(np.where(orders.resellable, cents, 0), mix)
    for w in mix:
        out[f"live_stream_share_{w}d"] = ratio(live[w], placed[w])
        out[f"short_video_share_{w}d"] = ratio(short_video[w], placed[w])
        out[f"night_share_{w}d"] = ratio(night[w], placed[w])
        out[f"resellable_share_{w}d"] = ratio(resold[w], amount[w])

    last = line.t[np.maximum(now - 1, 0)] if len(line) else np.zeros(len(q), np.int64)
    out["days_since_last_order"] = np.where(now > since[ALL], (q.t - last) / DAY, np.nan)
    out["spend_trend_30d_180d"] = ratio(sum_done[30] / 30, sum_done[180] / 180)
    out["velocity_orders_7d_vs_90d"] = ratio(placed[7] / 7, placed[90] / 90)
    out["velocity_amount_7d_vs_90d"] = ratio(amount[7] / 7, amount[90] / 90)
    out["amount_placed_7d"] = amount[7] / 100
    out["_placed_amount_all"] = amount[ALL] / 100
    out |= _loan_usage(q, line, orders, now, since[ALL])
    return out


def _loan_usage(q: Queries, line: Timeline, orders: Orders, now, start) -> dict:
    """Loans originated before as_of: counts, plan length, tenure, amount due."""
    is_loan = orders.loan_installments > 0
    loans = line.prefix(is_loan)
    out: dict[str, np.ndarray] = {}
    n = loans[now] - loans[start]
    out["bnpl_loans_all"] = n.astype(float)
    for w in (7, 30):
        out[f"new_bnpl_loans_{w}d"] = (loans[now] - loans[line.cut(q.cust, q.t - w * DAY)]).astype(
            float
        )
    out["max_plan_installments"] = line.range_max(orders.loan_installments, start, now)
    out["max_plan_installments"][n == 0] = np.nan
    # The customer's first loan sits where the loan count first passes its start value.
    first = np.searchsorted(loans, loans[start] + 1, "left") - 1
    first_t = line.t[np.clip(first, 0, max(len(line) - 1, 0))] if len(line) else q.t
    out["bnpl_tenure_days"] = np.where(n > 0, (q.t - first_t) / DAY, np.nan)
    due = line.prefix(orders.loan_cents_due)
    out["_loan_cents_due"] = due[now] - due[start]
    return out


def _still_completed(q: Queries, orders: Orders, scopes: tuple) -> dict:
    """Refunded or cancelled orders that were still completed at each query, per scope.

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
    status = orders.status[order]
    out: dict[str, dict] = {
        k: {}
        for k in ("n", "cents", "cents2", "n_refunded", "cents_refunded", "n_cancelled", "max")
    }
    for w in scopes:
        keep = np.ones(len(app), bool) if w == ALL else orders.t[order] >= q.t[app] - w * DAY
        a = app[keep]
        for name, values in (
            ("n", np.ones(len(a), np.int64)),
            ("cents", cents[keep]),
            ("cents2", cents[keep] * cents[keep]),
            ("n_refunded", (status[keep] == REFUNDED).astype(np.int64)),
            ("cents_refunded", np.where(status[keep] == REFUNDED, cents[keep], 0)),
            ("n_cancelled", (status[keep] == CANCELLED).astype(np.int64)),
        ):
            total = np.zeros(len(q), np.int64)
            np.add.at(total, a, values)
            out[name][w] = total
        biggest = np.full(len(q), np.nan)
        np.fmax.at(biggest, a, cents[keep].astype(float))
        out["max"][w] = biggest
    return out


def _plus(a: dict, b: dict) -> dict:
    return {w: a[w] + b[w] for w in a}


def _minus(a: dict, b: dict) -> dict:
    return {w: a[w] - b[w] for w in a}


def _std_cents(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Population standard deviation from count, sum and sum of squares; NaN when n is 0.

    ``n * s2 - s1**2`` is computed in exact integers when it fits, so equal
    amounts give exactly 0; in floats otherwise.
    """
    fits = (n * s2.astype(float) < 2.0**62) & (np.abs(s1) < 2**31)
    with np.errstate(over="ignore"):
        exact = (n * s2 - s1 * s1).astype(float)
    approx = n * s2.astype(float) - s1.astype(float) ** 2
    spread = np.maximum(np.where(fits, exact, approx), 0.0)
    return ratio(np.sqrt(spread), n)
