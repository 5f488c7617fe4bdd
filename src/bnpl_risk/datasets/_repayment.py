"""Repayment: installment schedules, who pays when, who stops, and BNPL blocking.

Each installment of a loan, in turn, is either the one where the customer
stops paying the loan (probability ``q``, fixed when the loan is
originated; the rest of the loan then goes unpaid too) or is paid with a
lateness ``L`` in days after its due date: on the day (``[0, 1)``), 1-29
days late, or 30-40 days late (a slow payer who cures, but too late).
The platform refuses BNPL while the customer has an installment 30+ days
past due, so such orders are paid up front instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnpl_risk.datasets._customers import CustomerDraws, sigmoid
from bnpl_risk.datasets._orders import OrderDraws
from bnpl_risk.datasets._time import DAY_S, NEVER, day_floor

INSTALLMENT_DAYS = 30
BAD_DPD = 30
# Days late of a mild late payment: 1..29, mostly the first week or two.
_MILD_PMF = np.exp(-np.arange(29) / 6.0)
_MILD_PMF /= _MILD_PMF.sum()
_MILD_BEFORE = np.cumsum(_MILD_PMF) - _MILD_PMF  # P(D < d) for d = 1..29
_LONG_LATE_DAYS = (30.0, 41.0)
# Share of stopped loans where the customer paid part of the first missed
# installment, within this many days of its due date.
_PARTIAL_P = 0.08
_PARTIAL_DAYS = 25.0
# Anyone may stop paying after a life event (job loss, illness): no history foretells it.
_LIFE_EVENT_P = 0.002
_BLOCK_KEY = np.int64(2**32)  # seconds per customer in the sorted spell key


def account_stop_logit(c: CustomerDraws, cust: np.ndarray, age_days) -> np.ndarray:
    """The customer's part of the stop log-odds of a loan granted at account age ``age_days``.

    Riskier customers, new accounts and stackers whose spending has grown
    for long (over-extension) stop more often.
    """
    return c.default_logit[cust] + 0.9 * np.exp(-age_days / 60.0) + 0.8 * c.growth[cust] * age_days


def stop_prob(account_logit, resellable, impulse, term) -> np.ndarray:
    """Per-installment probability of stopping payment on a loan, set when it is granted.

    Besides life events that can hit anyone, impulse buys (at night or on
    a live stream) and resellable goods are stopped more often.
    """
    logit = account_logit + 0.6 * resellable + 0.8 * impulse - 0.15 * np.log(term)
    return _LIFE_EVENT_P + (1 - _LIFE_EVENT_P) * sigmoid(logit)


def lateness_survival(x_days, mild_p, long_p) -> np.ndarray:
    """P(a payment comes ``x_days`` or more after the due date | the installment is paid)."""
    x = np.asarray(x_days, dtype=float)
    day = np.clip(np.floor(x), 1, 29).astype(np.int64)
    mild = np.where(
        x < 1, 0.0, np.where(x >= 30, 1.0, _MILD_BEFORE[day - 1] + _MILD_PMF[day - 1] * (x - day))
    )
    lo, hi = _LONG_LATE_DAYS
    long = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    on_day = np.clip(x, 0.0, 1.0)
    paid_by_then = (1 - mild_p - long_p) * on_day + mild_p * mild + long_p * long
    return np.clip(1.0 - paid_by_then, 0.0, 1.0)


def no_part_payment_yet(x_days) -> np.ndarray:
    """P(a stopped loan's first missed installment shows no part payment ``x_days`` after due)."""
    return 1.0 - _PARTIAL_P * np.clip(np.asarray(x_days) / _PARTIAL_DAYS, 0.0, 1.0)


def _lateness_s(rng, mild_p, long_p) -> np.ndarray:
    m = len(mild_p)
    u = rng.random(m)
    mild_days = 1 + np.searchsorted(np.cumsum(_MILD_PMF)[:-1], rng.random(m), side="right")
    days = np.where(
        u < long_p,
        rng.uniform(*_LONG_LATE_DAYS, m),
        np.where(u < long_p + mild_p, mild_days + rng.random(m), rng.random(m)),
    )
    return (days * DAY_S).astype(np.int64)


def _covered(cust, ts, spell_cust, spell_from, spell_until) -> np.ndarray:
    """Whether each time ``ts`` of customer ``cust`` falls in one of the customer's spells."""
    key = spell_cust * _BLOCK_KEY + spell_from
    order = np.argsort(key, kind="stable")
    reach = np.maximum.accumulate((spell_cust * _BLOCK_KEY + spell_until)[order])
    pos = np.searchsorted(key[order], cust * _BLOCK_KEY + ts, side="right") - 1
    hit = np.zeros(len(ts), dtype=bool)
    ok = pos >= 0
    hit[ok] = reach[pos[ok]] > cust[ok] * _BLOCK_KEY + ts[ok]
    return hit


def _refused(o: OrderDraws, loans, inst_loan, i_cust, due, settle_s, end_s) -> np.ndarray:
    """Orders whose BNPL request met an installment 30+ days past due of an earlier loan.

    A refused loan's own installments block nothing, so refusals are
    settled in rounds; a spell starts 60+ days after its loan's order, so
    round ``k`` fixes every order in the first ``60 k`` days.
    """
    asks = np.flatnonzero(o.wants_bnpl)
    bad_from = due + BAD_DPD * DAY_S
    spell = settle_s >= bad_from
    refused = np.zeros(len(o), dtype=bool)
    for _ in range(int(end_s // (60 * DAY_S)) + 2):
        live = spell & ~refused[loans[inst_loan]]
        now = np.zeros(len(o), dtype=bool)
        now[asks] = _covered(
            o.customer[asks], o.ts_s[asks], i_cust[live], bad_from[live],
            np.minimum(settle_s[live], end_s + 1),
        )  # fmt: skip
        if np.array_equal(now, refused):
            break
        refused = now
    return refused


@dataclass(frozen=True)
class Repayment:
    """Final BNPL flags per order, and the installments of the loans granted.

    ``paid_s`` and ``amount_paid`` are what the data shows at its end:
    payments after it are ``NEVER`` and 0; ``settled_s`` is when the
    installment was paid in full (``NEVER`` if it was not, as far as the
    data shows). ``q`` is its loan's stop probability (:func:`stop_prob`).
    """

    bnpl: np.ndarray
    order: np.ndarray
    customer: np.ndarray
    installment_no: np.ndarray
    due_s: np.ndarray
    amount_due: np.ndarray
    paid_s: np.ndarray
    amount_paid: np.ndarray
    settled_s: np.ndarray
    q: np.ndarray


def draw_repayment(
    rng: np.random.Generator, c: CustomerDraws, o: OrderDraws, end_s: int
) -> Repayment:
    """Schedules and repayment of every BNPL order, BNPL refused to customers 30+ DPD."""
    loans = np.flatnonzero(o.wants_bnpl & ~o.cancelled)
    cust = o.customer[loans]
    term = o.term[loans]
    age = (o.ts_s[loans] - c.signup_s[cust]) / DAY_S
    q = stop_prob(account_stop_logit(c, cust, age), o.resellable[loans], o.impulse[loans], term)
    first_missed = rng.geometric(q)

    inst_loan = np.repeat(np.arange(len(loans)), term)
    no = np.arange(len(inst_loan)) - np.repeat(np.cumsum(term) - term, term) + 1
    i_order = loans[inst_loan]
    i_cust = cust[inst_loan]
    due = day_floor(o.ts_s[i_order]) + no * INSTALLMENT_DAYS * DAY_S
    amount = o.amount[i_order]
    n = term[inst_loan]
    share = np.floor(amount * 100 / n) / 100
    amount_due = np.where(no < n, share, np.round(amount - share * (n - 1), 2))

    m = len(no)
    stopped = no >= first_missed[inst_loan]
    pay_s = due + _lateness_s(rng, c.mild_late_p[i_cust], c.long_late_p[i_cust])
    refund_s = o.refund_s[i_order]
    # A refund (always before the first due date) settles what is left.
    settle_s = np.where(refund_s < NEVER, refund_s, np.where(stopped, NEVER, pay_s))
    partial = (refund_s == NEVER) & (no == first_missed[inst_loan]) & (rng.random(m) < _PARTIAL_P)
    partial_s = due + (rng.uniform(0, _PARTIAL_DAYS, m) * DAY_S).astype(np.int64)
    partial_amount = np.round(amount_due * rng.uniform(0.2, 0.8, m), 2)

    refused = _refused(o, loans, inst_loan, i_cust, due, settle_s, end_s)
    keep = ~refused[i_order]
    paid_s = np.where(partial, partial_s, settle_s)
    seen = paid_s < end_s
    seen_settled = seen & ~partial
    return Repayment(
        bnpl=o.wants_bnpl & ~refused,
        order=i_order[keep],
        customer=i_cust[keep],
        installment_no=no[keep],
        due_s=due[keep],
        amount_due=amount_due[keep],
        paid_s=np.where(seen, paid_s, NEVER)[keep],
        amount_paid=np.where(seen, np.where(partial, partial_amount, amount_due), 0.0)[keep],
        settled_s=np.where(seen_settled, paid_s, NEVER)[keep],
        q=q[inst_loan][keep],
    )
