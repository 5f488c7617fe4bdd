"""Orders: when, what, how much, how paid, and whether refunded or cancelled.

Each customer orders as a Poisson process in account age ``x`` (days since
signup) with intensity ``rate * exp(growth * x) + burst * exp(-x / 20)``:
flat for most, growing for stackers, a burst right after signup for
bust-out accounts. Each component has a closed-form integral
(:func:`cumulative_rate`), which both the sampler and the true PD use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnpl_risk.datasets._customers import BURST_DAYS, CustomerDraws
from bnpl_risk.datasets._profiles import (
    CATEGORY_MEDIAN_AMOUNT,
    EVERYDAY_MIX,
    OTHER_CHANNEL_MIX,
    RESELLABLE_MIX,
    TERM_PROBS,
    TERMS,
)
from bnpl_risk.datasets._time import DAY_S, NEVER, day_floor

_HOUR_S = 3600
# Refunds come 1-25 days after the order, before the first installment is due.
REFUND_DELAY_DAYS = (1.0, 25.0)
_MIN_GROWTH = 1e-12  # growth 0 is the limit of expm1(g x) / g


@dataclass(frozen=True)
class OrderDraws:
    """Per-order arrays, sorted by customer then order time."""

    customer: np.ndarray
    ts_s: np.ndarray
    amount: np.ndarray
    category: np.ndarray
    channel: np.ndarray
    resellable: np.ndarray
    impulse: np.ndarray
    wants_bnpl: np.ndarray
    term: np.ndarray
    cancelled: np.ndarray
    refund_s: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)


def cumulative_rate(c: CustomerDraws, idx: np.ndarray, x_days: np.ndarray) -> np.ndarray:
    """Expected number of orders of customers ``idx`` from signup to account age ``x_days``."""
    g = np.maximum(c.growth[idx], _MIN_GROWTH)
    return c.rate[idx] * np.expm1(g * x_days) / g - c.burst[idx] * BURST_DAYS * np.expm1(
        -x_days / BURST_DAYS
    )


def _order_ages(rng, c: CustomerDraws, horizon_days: np.ndarray):
    """Customer index and account age (days) of every order, by inverting each component."""
    n = len(c)
    all_idx = np.arange(n)
    g = np.maximum(c.growth, _MIN_GROWTH)
    grow_total = c.rate * np.expm1(g * horizon_days) / g
    burst_share = -np.expm1(-horizon_days / BURST_DAYS)
    counts_grow = rng.poisson(grow_total)
    counts_burst = rng.poisson(c.burst * BURST_DAYS * burst_share)
    i_grow = np.repeat(all_idx, counts_grow)
    i_burst = np.repeat(all_idx, counts_burst)
    u_grow = rng.random(len(i_grow))
    u_burst = rng.random(len(i_burst))
    x_grow = np.log1p(u_grow * np.expm1(g[i_grow] * horizon_days[i_grow])) / g[i_grow]
    x_burst = -BURST_DAYS * np.log1p(-u_burst * burst_share[i_burst])
    return np.concatenate([i_grow, i_burst]), np.concatenate([x_grow, x_burst])


def _time_of_day_s(rng, night: np.ndarray) -> np.ndarray:
    """Seconds after midnight: 00:00-05:00 at night, else a lunch and an evening peak."""
    m = len(night)
    evening = rng.random(m) < 0.65
    # Beta shares of 05:00-24:00 peaking about 13:00 and 21:00.
    day = 5.0 + 19.0 * np.where(evening, rng.beta(8.0, 1.8, m), rng.beta(4.2, 5.8, m))
    hours = np.where(night, rng.uniform(0.0, 5.0, m), day)
    return np.minimum((hours * _HOUR_S).astype(np.int64), DAY_S - 1)


def pick(rng, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One index into ``probs[g]`` per row, where ``g`` is the row's group."""
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int64)
    for g, p in enumerate(probs):
        rows = group == g
        out[rows] = np.searchsorted(np.cumsum(p)[:-1], u[rows], side="right")
    return out


def draw_orders(rng: np.random.Generator, c: CustomerDraws, end_s: int) -> OrderDraws:
    """Every order of every customer from signup to ``end_s`` (seconds)."""
    horizon = (end_s - c.signup_s) / DAY_S
    cust, age = _order_ages(rng, c, horizon)
    m = len(cust)
    night = rng.random(m) < c.night_p[cust]
    ts = day_floor(c.signup_s[cust] + (age * DAY_S).astype(np.int64)) + _time_of_day_s(rng, night)
    # The signup day's early hours come before the signup: the order moves a day on.
    ts = np.where(ts < c.signup_s[cust], ts + DAY_S, ts)
    keep = ts < end_s
    cust, ts, night = cust[keep], ts[keep], night[keep]
    order = np.lexsort((ts, cust))
    cust, ts, night = cust[order], ts[order], night[order]
    m = len(cust)

    resellable = rng.random(m) < c.resellable_p[cust]
    category = pick(rng, resellable.astype(np.int8), np.stack([EVERYDAY_MIX, RESELLABLE_MIX]))
    live = rng.random(m) < c.live_p[cust]
    channel = np.where(live, 0, 1 + pick(rng, np.zeros(m, np.int8), OTHER_CHANNEL_MIX[None]))
    amount = (
        CATEGORY_MEDIAN_AMOUNT[category]
        * c.amount_scale[cust]
        * np.exp(0.55 * rng.standard_normal(m))
    )
    wants_bnpl = rng.random(m) < c.bnpl_p[cust]
    term = np.where(wants_bnpl, TERMS[pick(rng, c.segment[cust], TERM_PROBS)], 0)
    cancelled = rng.random(m) < c.cancel_p[cust]
    refunded = ~cancelled & (rng.random(m) < c.refund_p[cust])
    delay = (rng.uniform(*REFUND_DELAY_DAYS, m) * DAY_S).astype(np.int64)
    return OrderDraws(
        customer=cust,
        ts_s=ts,
        amount=np.maximum(np.round(amount, 2), 1.0),
        category=category.astype(np.int8),
        channel=channel.astype(np.int8),
        resellable=resellable,
        impulse=night | live,
        wants_bnpl=wants_bnpl,
        term=term.astype(np.int64),
        cancelled=cancelled,
        refund_s=np.where(refunded, ts + delay, NEVER),
    )
