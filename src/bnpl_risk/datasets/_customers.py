"""Customers: segment, static facts, habits and the latent risk they add up to.

Everything a customer will do is parameterised here, once; later stages
only draw events from these parameters. The latent risk (higher is worse)
is made of habits that show in the data (BNPL share, night-time and
live-stream buying, resellable goods, refunds, paying late), static facts
(KYC, age, city tier) and a small hidden part, so a history reveals it
better and better as it grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnpl_risk.datasets._profiles import SEGMENTS, TIER_SPEND, profile_table
from bnpl_risk.datasets._time import DAY_S

# Latent KYC propensity cut points for levels 0|1, 1|2 and 2|3.
_KYC_CUTS = np.array([-1.8, -1.2, 0.2])
# Latent city-tier cut points: about 12/20/28/22/18 % in tiers 1..5.
_TIER_CUTS = np.array([-1.2, -0.45, 0.28, 0.92])
# Weights of the habit log-odds (BNPL share, night, live stream, resellable,
# refund, paying 1-29 days late) in the latent risk; lateness weighs most.
_HABIT_WEIGHTS = np.array([0.4, 0.25, 0.2, 0.25, 0.2, 0.6])
_RISK_CENTRE = -4.6  # a typical careful payer's habits, so their risk is about 0
_HIDDEN_RISK_SD = 0.05  # the part of the risk no behaviour reveals
_LONG_LATE_LOGIT = -8.2
_DEFAULT_LOGIT = -9.7
BURST_DAYS = 20.0


def sigmoid(x):
    """Probability of the log-odds ``x``."""
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1.0 - p))


@dataclass(frozen=True)
class CustomerDraws:
    """Per-customer arrays (one row per customer, in customer_id order).

    Times are whole seconds since the start of the book; rates are per day;
    ``*_p`` are probabilities per order (per installment for lateness);
    ``default_logit`` is the customer's base log-odds of stopping payment.
    """

    segment: np.ndarray
    risk: np.ndarray
    age: np.ndarray
    kyc_level: np.ndarray
    city_tier: np.ndarray
    signup_s: np.ndarray
    rate: np.ndarray
    growth: np.ndarray
    burst: np.ndarray
    bnpl_p: np.ndarray
    night_p: np.ndarray
    live_p: np.ndarray
    resellable_p: np.ndarray
    amount_scale: np.ndarray
    refund_p: np.ndarray
    cancel_p: np.ndarray
    mild_late_p: np.ndarray
    long_late_p: np.ndarray
    default_logit: np.ndarray

    def __len__(self) -> int:
        return len(self.segment)


def draw_customers(rng: np.random.Generator, n: int, span_s: int) -> CustomerDraws:
    """Draw ``n`` customers of a book ``span_s`` seconds long."""
    prof = profile_table()
    shares = prof["share"] / prof["share"].sum()
    seg = rng.choice(len(SEGMENTS), size=n, p=shares).astype(np.int8)

    # Douyin shoppers skew young; a few are under 18.
    age = np.minimum(16.5 + rng.gamma(prof["age_shape"][seg], 6.0), 65.0).astype(np.int64)
    tier = np.searchsorted(_TIER_CUTS, prof["tier_shift"][seg] + rng.standard_normal(n)) + 1
    kyc = np.searchsorted(_KYC_CUTS, prof["kyc_shift"][seg] + rng.standard_normal(n))
    # Nobody signs up in the last month (or half of a shorter book).
    signup_s = rng.integers(0, max(span_s - 30 * DAY_S, span_s // 2), n)

    def habit_logit(centre, spread):
        return centre[seg] + spread * rng.standard_normal(n)

    bnpl = habit_logit(_logit(prof["bnpl_share"]), 0.15)
    night = habit_logit(prof["night_logit"], 0.15)
    live = habit_logit(prof["live_logit"], 0.15)
    resellable = habit_logit(prof["resellable_logit"], 0.15)
    refund = habit_logit(prof["refund_logit"], 0.15)
    mild_late = habit_logit(prof["mild_late_logit"], 0.3)
    risk = (
        _HABIT_WEIGHTS @ np.stack([bnpl, night, live, resellable, refund, mild_late])
        + 1.2 * (kyc <= 1)
        + 0.4 * (kyc == 2)
        + 0.05 * (28 - np.clip(age, 18, 50))
        + 0.12 * (tier - 3)
        + _HIDDEN_RISK_SD * rng.standard_normal(n)
        - _RISK_CENTRE
    )
    # Middle-aged shoppers spend most; students and retirees less.
    age_spend = np.where(age < 22, 0.7, np.where(age > 50, 0.85, 1.0))
    return CustomerDraws(
        segment=seg,
        risk=risk,
        age=age,
        kyc_level=kyc.astype(np.int64),
        city_tier=tier.astype(np.int64),
        signup_s=signup_s,
        rate=prof["orders_per_month"][seg] / 30 * np.sqrt(TIER_SPEND[tier - 1])
        * np.exp(0.3 * rng.standard_normal(n)),
        growth=prof["growth_per_month"][seg] / 30 * np.exp(0.3 * rng.standard_normal(n)),
        burst=prof["burst_per_month"][seg] / 30 * np.exp(0.3 * rng.standard_normal(n)),
        bnpl_p=sigmoid(bnpl),
        night_p=sigmoid(night),
        live_p=sigmoid(live),
        resellable_p=sigmoid(resellable),
        amount_scale=prof["amount_factor"][seg] * TIER_SPEND[tier - 1] * age_spend
        * np.exp(0.3 * rng.standard_normal(n)),
        refund_p=sigmoid(refund),
        cancel_p=sigmoid(habit_logit(prof["cancel_logit"], 0.3)),
        mild_late_p=sigmoid(mild_late),
        long_late_p=sigmoid(_LONG_LATE_LOGIT + 0.9 * risk),
        default_logit=_DEFAULT_LOGIT + 0.5 * risk + prof["default_shift"][seg],
    )  # fmt: skip
