"""Features on the installment timelines: balances, what falls due, and repayment.

What is known at ``as_of`` (strictly before it):

- a loan and its installments exist once its order was placed;
- a payment counts once made (``paid_ts < as_of``): paid in full (see
  :func:`bnpl_risk.histories.dpd.settled_ts`) it closes the installment, a
  part payment lowers what is owed; a payment at or after ``as_of`` is not
  known, so the installment is unpaid then;
- an installment *reaches k days past due* at ``due_date + k days`` unless
  paid in full before; that is known at ``as_of`` when it is at or before
  ``as_of`` (no payment came before it), matching
  :func:`bnpl_risk.histories.dpd.dpd_at`.

Three timelines: installments by due date, payments by payment time, and
loans by the time their last installment was paid in full.
"""

from __future__ import annotations

import numpy as np

from bnpl_risk.features._inputs import Installments, Orders
from bnpl_risk.features._timeline import (
    DAY,
    NEVER,
    SECOND,
    Queries,
    Timeline,
    expand,
    padded,
    prefix_sums,
    range_max,
    ratio,
    stab,
)

DUE_SOON_DAYS = 30
REACH_DAYS = (1, 7, 30)


def repayment_features(
    q: Queries, orders: Orders, inst: Installments, windows: tuple[int, ...]
) -> dict:
    """Installment features per query, keyed by feature name.

    Also returns ``_cents_paid`` (paid before as_of on the customer's loans)
    for the outstanding balance.
    """
    current, overdue_count, overdue_cents = _overdue(q, inst)
    out = {
        "current_dpd": current.astype(float),
        "overdue_count": overdue_count.astype(float),
        "overdue_amount": overdue_cents / 100,
    }
    out |= _due_timeline(q, inst, windows)
    out |= _payment_timeline(q, inst, windows, current)
    closed = Timeline(
        q.clock, orders.cust, orders.loan_settled, (orders.loan_settled != NEVER).nonzero()[0]
    )
    out["_loans_closed"] = closed.cut(q) - closed.start(q)
    return out


def _due_timeline(q: Queries, inst: Installments, windows: tuple[int, ...]) -> dict:
    """Installments by due date: what fell due, what went late, what falls due soon."""
    line = Timeline(q.clock, inst.cust, inst.due)
    start = line.start(q)
    now, soon = line.cuts(q, (0, DUE_SOON_DAYS * DAY))
    out = {"installments_due_count": (now - start).astype(float)}

    # reached[i]: position after the installments with due + REACH_DAYS[i] days
    # <= as_of; earlier[j]: the same for due + windows[j] + 1 days.
    cuts = line.cuts(q, (*(-k * DAY for k in REACH_DAYS), *(-(w + 1) * DAY for w in windows)), True)
    reached, earlier = cuts[: len(REACH_DAYS)], cuts[len(REACH_DAYS) :]
    # late[i]: prefix counts of installments REACH_DAYS[i] days late (or more).
    late = prefix_sums(line.take(inst.settled) >= line.t + _REACH_NS)
    counts = (late[_REACH_ROWS, reached] - late[:, start]).astype(float)
    for i, k in enumerate(REACH_DAYS):
        out[f"dpd{k}_count_all"] = counts[i]
    one = REACH_DAYS.index(1)
    late_1 = late[one]
    late_counts = (late_1[reached[one]] - late_1[earlier]).astype(float)
    for j, w in enumerate(windows):
        out[f"late_count_{w}d"] = late_counts[j]
    decided = reached[one] - start
    out["on_time_ratio"] = ratio(decided - out["dpd1_count_all"], decided)

    app, pos = expand(now, soon)
    row = line.rows(pos)
    t = q.t[app]
    soon = (inst.origin[row] < t) & (inst.settled[row] >= t)
    app, row, t = app[soon], row[soon], t[soon]
    out["due_next_30d_count"] = np.bincount(app, minlength=len(q)).astype(float)
    out["due_next_30d_amount"] = _per_query(len(q), app, _owed(inst, row, t)) / 100
    return out


# Installments reach REACH_DAYS[i] days late at due + _REACH_NS[i]; row i of late counts them.
_REACH_NS = np.array(REACH_DAYS, np.int64)[:, None] * DAY
_REACH_ROWS = np.arange(len(REACH_DAYS))[:, None]


def _payment_timeline(
    q: Queries, inst: Installments, windows: tuple[int, ...], current: np.ndarray
) -> dict:
    """Payments by time: amounts paid, delays, late payments and the worst DPD they ended."""
    line = Timeline(q.clock, inst.cust, inst.paid, (inst.paid != NEVER).nonzero()[0])
    # All payments hold the widest window's, which hold the next one's; all end at as_of.
    shifts = (*(-w * DAY for w in reversed(windows)), 0)
    edges = np.concatenate((line.start(q)[None], line.cuts(q, shifts)))
    start, now = edges[0], edges[-1]

    # A payment in full is at the settle time (both are paid_ts clamped to the
    # order). Payments in timeline order, so no value is reordered twice.
    settled = line.take(inst.settled)
    full = settled != NEVER
    delay = np.where(full, settled - line.take(inst.due), 0)
    was_late = full & (delay >= DAY)
    prefix = prefix_sums(np.array([line.take(inst.cents_paid), was_late, delay // SECOND, full]))
    paid, cured, delay_s, n_full = prefix[:, now] - prefix[:, start]
    out = {
        "_cents_paid": paid,
        "cured_count": cured.astype(float),
        "avg_pay_delay_days": ratio(delay_s, n_full) * SECOND / DAY,
    }
    days_late = np.where(was_late, delay, 0) // DAY
    worst = np.fmax(current, range_max(padded(days_late), edges))
    out["worst_dpd_all"] = worst[0]
    for i, w in enumerate(reversed(windows), 1):
        out[f"worst_dpd_{w}d"] = worst[i]
    # Position of the latest late payment at or before each position.
    last_late = np.maximum.accumulate(np.where(was_late, np.arange(len(line)), -1))
    at = last_late[now - 1] if len(line) else np.full(len(q), -1)
    at = np.where(now > start, at, -1)
    ever = at >= start
    since_late = (q.t - line.t[np.maximum(at, 0)]) / DAY if len(line) else np.zeros(len(q))
    out["days_since_last_late"] = np.where(current >= 1, 0.0, np.where(ever, since_late, np.nan))
    return out


def _overdue(q: Queries, inst: Installments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query: largest DPD, number and unpaid cents of installments 1+ DPD at as_of.

    Installment ``i`` is 1+ DPD at ``t`` when ``due + 1 day <= t <= settled``
    (unpaid up to and including ``t``): an interval join over the
    installments that were ever late.
    """
    rows = (inst.settled >= inst.due + DAY).nonzero()[0]
    which, app = stab(
        q.clock,
        q.keys,
        q.t,
        inst.cust[rows],
        inst.due[rows] + DAY,
        inst.settled[rows],
        start_inclusive=True,
    )
    row = rows[which]
    t = q.t[app]
    current = np.zeros(len(q), np.int64)
    np.maximum.at(current, app, (t - inst.due[row]) // DAY)
    count = np.bincount(app, minlength=len(q))
    return current, count, _per_query(len(q), app, _owed(inst, row, t))


def _owed(inst: Installments, row: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cents owed on installments ``row`` at times ``t`` (part payments before ``t`` count)."""
    return inst.cents_due[row] - np.where(inst.paid[row] < t, inst.cents_paid[row], 0)


def _per_query(n: int, app: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum of integer ``values`` per query ``app``, exactly."""
    if np.abs(values).sum(dtype=float) < 2.0**52:
        # Every partial sum is an integer below 2**53: exact in float64, and
        # bincount is some thirty times faster than np.add.at.
        return np.bincount(app, weights=values, minlength=n).astype(np.int64)
    total = np.zeros(n, np.int64)
    np.add.at(total, app, values)
    return total
