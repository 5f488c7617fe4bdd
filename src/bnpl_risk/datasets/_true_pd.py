"""The generator's own PD of each application, computed in closed form.

``pd = 1 - P(no installment of the customer is 30+ DPD in (as_of, as_of + 180d])``
given what the data shows strictly before ``as_of`` and the customer's
parameters. Installment outcomes are independent given those, so the
no-bad probability is a product of three parts:

- loans already granted: each installment not yet paid and due by
  ``as_of + 150d`` must not go bad; one unpaid 30+ days ago, or partly
  paid (only stopped loans are part-paid), already is. One now ``x``
  days overdue is bad with probability ``(q + (1-q) p30) / (q + (1-q) S(x))``
  where ``S(x)`` is the chance a payment comes ``x``+ days late. A loan
  young enough to be refunded still may be, which settles it.
- the checkout order being applied for, if any (its term, category,
  cancellation and refund unknown: averaged over the customer's habits);
- future BNPL orders, a Poisson process: ``exp(-integral of rate * (1 - g))``
  where ``g(u)`` is the chance an order at ``u`` brings no bad installment
  due by ``as_of + 150d``, integrated on 10-day steps (rate exactly).
"""

from __future__ import annotations

import numpy as np

from bnpl_risk.datasets._applications import ApplicationDraws
from bnpl_risk.datasets._customers import CustomerDraws
from bnpl_risk.datasets._orders import REFUND_DELAY_DAYS, OrderDraws, cumulative_rate
from bnpl_risk.datasets._profiles import TERM_PROBS, TERMS
from bnpl_risk.datasets._repayment import (
    BAD_DPD,
    INSTALLMENT_DAYS,
    Repayment,
    account_stop_logit,
    lateness_survival,
    no_part_payment_yet,
    stop_prob,
)
from bnpl_risk.datasets._time import DAY_S, day_floor

HORIZON_DAYS = 180
# An installment can reach 30 DPD inside the horizon only if due by this.
_LAST_DUE_DAYS = HORIZON_DAYS - BAD_DPD
_STEPS_PER_MONTH = 3
_CHUNK = 50_000


def _refund_pending(refund_p, order_age_days):
    """P(a loan this old, not refunded yet, will still be refunded)."""
    lo, hi = REFUND_DELAY_DAYS
    done = refund_p * np.clip((order_age_days - lo) / (hi - lo), 0.0, 1.0)
    return (refund_p - done) / (1.0 - done)


def _order_no_bad(c: CustomerDraws, cust, age_days, max_due, p_imp) -> np.ndarray:
    """P(no bad installment among the first ``max_due`` of a BNPL order at ``age_days``).

    Averaged over term, resellable category, impulse (night or live stream),
    cancellation and refund.
    """
    keep = 1.0 - c.long_late_p[cust]
    p_res = c.resellable_p[cust]
    account = account_stop_logit(c, cust, age_days)
    term_p = TERM_PROBS[c.segment[cust]]
    total = np.zeros(np.shape(account))
    for res, imp in ((0, 0), (0, 1), (1, 0), (1, 1)):
        weight = np.where(res, p_res, 1 - p_res) * np.where(imp, p_imp, 1 - p_imp)
        for k, term in enumerate(TERMS):
            ok = (1 - stop_prob(account, res, imp, term)) * keep
            total += weight * term_p[..., k] * ok ** min(term, max_due)
    cancel, refund = c.cancel_p[cust], c.refund_p[cust]
    return cancel + (1 - cancel) * (refund + (1 - refund) * total)


def _impulse_p(c: CustomerDraws, cust):
    """P(an order is an impulse buy: at night or on a live stream)."""
    return 1 - (1 - c.night_p[cust]) * (1 - c.live_p[cust])


def _future_log_no_bad(c: CustomerDraws, cust, as_of_s) -> np.ndarray:
    """log P(no bad installment from BNPL orders placed after ``as_of``)."""
    signup = c.signup_s[cust] / DAY_S
    a = as_of_s / DAY_S
    day0 = day_floor(as_of_s) / DAY_S
    slots = _LAST_DUE_DAYS // INSTALLMENT_DAYS - 1
    out = np.zeros(len(cust))
    step = np.arange(_STEPS_PER_MONTH)
    for k in range(slots):
        # Orders on days day0+1+30k .. day0+30(k+1) have (slots - k) installments due in time.
        lo = day0 + 1 + INSTALLMENT_DAYS * k if k else a
        hi = day0 + 1 + INSTALLMENT_DAYS * (k + 1)
        width = (hi - lo) / _STEPS_PER_MONTH
        x0 = (lo - signup)[:, None] + width[:, None] * step
        x1 = x0 + width[:, None]
        cc = cust[:, None]
        mass = c.bnpl_p[cc] * (cumulative_rate(c, cc, x1) - cumulative_rate(c, cc, x0))
        g = _order_no_bad(c, cc, (x0 + x1) / 2, slots - k, _impulse_p(c, cc))
        out -= (mass * (1 - g)).sum(axis=1)
    return out


def _granted_log_no_bad(c, o: OrderDraws, r: Repayment, apps, rows) -> np.ndarray:
    """log P(no bad installment from loans granted before ``as_of``), per application."""
    cust = apps.customer[rows]
    as_of = apps.as_of_s[rows]
    lo = np.searchsorted(r.customer, cust, side="left")
    hi = np.searchsorted(r.customer, cust, side="right")
    count = hi - lo
    pair_app = np.repeat(np.arange(len(rows)), count)
    inst = (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    )
    a = as_of[pair_app]
    settled = r.settled_s[inst]
    live = (
        (o.ts_s[r.order[inst]] < a) & ~(settled < a) & (r.due_s[inst] <= a + _LAST_DUE_DAYS * DAY_S)
    )
    pair_app, inst, a = pair_app[live], inst[live], a[live]

    x = (a - r.due_s[inst]) / DAY_S
    q = r.q[inst]
    i_cust = r.customer[inst]
    p30 = c.long_late_p[i_cust]
    later = lateness_survival(x, c.mild_late_p[i_cust], p30)
    # Bayes: unpaid now, no part payment seen (which only stopped loans make).
    stopped = q * no_part_payment_yet(x)
    p_bad = (stopped + (1 - q) * p30) / (stopped + (1 - q) * later)
    part_paid = r.paid_s[inst] < a
    p_bad = np.where((x >= BAD_DPD) | part_paid, 1.0, p_bad)
    with np.errstate(divide="ignore"):
        log_ok = np.log1p(-p_bad)

    order = r.order[inst]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (pair_app[1:] != pair_app[:-1]) | (order[1:] != order[:-1])
    start = np.flatnonzero(first)
    loan_log = np.add.reduceat(log_ok, start) if len(start) else log_ok
    loan_app = pair_app[start]
    loan_order = order[start]
    age = (a[start] - o.ts_s[loan_order]) / DAY_S
    # Loans refunded before as_of are settled and have no pairs left here.
    pending = _refund_pending(c.refund_p[o.customer[loan_order]], age)
    with np.errstate(divide="ignore"):
        loan_ok = np.log(pending + (1 - pending) * np.exp(loan_log))
    return np.bincount(loan_app, weights=loan_ok, minlength=len(rows))


def true_pd(c: CustomerDraws, o: OrderDraws, r: Repayment, apps: ApplicationDraws) -> np.ndarray:
    """The generator's PD of every application (see the module docstring)."""
    out = np.empty(len(apps))
    for begin in range(0, len(apps), _CHUNK):
        rows = np.arange(begin, min(begin + _CHUNK, len(apps)))
        cust = apps.customer[rows]
        as_of = apps.as_of_s[rows]
        log_ok = _granted_log_no_bad(c, o, r, apps, rows) + _future_log_no_bad(c, cust, as_of)
        # A checkout application brings its own order, placed at as_of.
        ask = np.flatnonzero(apps.checkout[rows])
        age = (as_of[ask] - c.signup_s[cust[ask]]) / DAY_S
        applied = _order_no_bad(
            c, cust[ask], age, _LAST_DUE_DAYS // INSTALLMENT_DAYS, apps.impulse[rows][ask]
        )
        log_ok[ask] += np.log(applied)
        out[rows] = -np.expm1(log_ok)
    return out
