"""Segment profiles: the generator's behavioural assumptions, kept as data.

One :class:`SegmentProfile` per segment of DESIGN.md. Each field is the
segment's centre; customers scatter around it (see ``_customers.py``).
Rates are per 30-day month; logits are on the log-odds scale.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

TERMS = np.array([1, 3, 6, 12])

# Everyday amounts (CNY) by category, in the order of schema.CATEGORIES.
CATEGORY_MEDIAN_AMOUNT = np.array([120.0, 110.0, 50.0, 150.0, 600.0, 200.0, 80.0])
# Category mix of non-resellable and of resellable purchases (schema.CATEGORIES order).
EVERYDAY_MIX = np.array([0.34, 0.20, 0.20, 0.18, 0.0, 0.0, 0.08])
RESELLABLE_MIX = np.array([0.0, 0.0, 0.0, 0.0, 0.6, 0.4, 0.0])
# Spend by city tier 1..5: bigger cities spend more.
TIER_SPEND = np.array([1.35, 1.15, 1.0, 0.85, 0.75])
# Channel mix besides live streams (short_video, mall, search).
OTHER_CHANNEL_MIX = np.array([0.45, 0.30, 0.25])


@dataclass(frozen=True)
class SegmentProfile:
    """Behaviour of one customer segment.

    Attributes
    ----------
    name : str
    share : float
        Share of customers.
    orders_per_month : float
        Median order rate at signup.
    growth_per_month : float
        Rate growth (log scale per month): stackers spend more and more.
    burst_per_month : float
        Extra rate right after signup, decaying over ``burst_days``: bust-out.
    bnpl_share : float
        Share of orders paid by BNPL.
    term_probs : tuple of float
        Probabilities of 1, 3, 6 and 12 installments.
    night_logit, live_logit, resellable_logit : float
        Log-odds of ordering at night (00:00-05:00), on a live stream, and
        a resellable category (electronics, digital goods).
    amount_factor : float
        Multiplies everyday amounts.
    refund_logit, cancel_logit : float
        Log-odds of an order being refunded or cancelled.
    mild_late_logit : float
        Log-odds of paying an installment 1-29 days late.
    default_shift : float
        Added to the log-odds of stopping payment on an installment.
    kyc_shift : float
        Centre of the latent KYC propensity (higher: more verified).
    age_shape : float
        Gamma shape of age above 16.5 years (scale 6): lower is younger.
    tier_shift : float
        Centre of the latent city tier (higher: smaller cities).
    """

    name: str
    share: float
    orders_per_month: float
    growth_per_month: float
    burst_per_month: float
    bnpl_share: float
    term_probs: tuple[float, float, float, float]
    night_logit: float
    live_logit: float
    resellable_logit: float
    amount_factor: float
    refund_logit: float
    cancel_logit: float
    mild_late_logit: float
    default_shift: float
    kyc_shift: float
    age_shape: float
    tier_shift: float


SEGMENTS = (
    SegmentProfile(
        "careful", 0.50, 1.2, 0.0, 0.0, 0.25, (0.55, 0.30, 0.10, 0.05),
        -3.2, -1.4, -2.2, 1.0, -2.9, -3.5, -3.4, 0.0, 0.3, 2.8, -0.3,
    ),
    SegmentProfile(
        "slow_payer", 0.19, 1.2, 0.0, 0.0, 0.75, (0.35, 0.35, 0.20, 0.10),
        -2.6, -1.1, -2.0, 0.6, -2.7, -3.4, -0.6, 0.0, 0.0, 1.8, 0.5,
    ),
    SegmentProfile(
        "stacker", 0.12, 1.2, 0.06, 0.0, 0.92, (0.20, 0.30, 0.30, 0.20),
        -2.4, -0.9, -1.7, 1.1, -2.9, -3.5, -2.7, 0.0, 0.0, 2.2, 0.0,
    ),
    SegmentProfile(
        "impulse", 0.17, 1.8, 0.0, 0.0, 0.60, (0.50, 0.35, 0.10, 0.05),
        0.0, 1.2, -2.0, 0.8, -1.5, -2.6, -2.8, 0.0, -0.1, 1.6, 0.2,
    ),
    SegmentProfile(
        "bust_out", 0.012, 0.3, 0.0, 14.0, 0.95, (0.10, 0.30, 0.30, 0.30),
        -1.5, -0.2, 1.4, 3.0, -4.5, -3.9, -3.0, 8.0, -1.2, 2.0, 0.3,
    ),
)  # fmt: skip

SEGMENT_NAMES = tuple(s.name for s in SEGMENTS)
TERM_PROBS = np.array([s.term_probs for s in SEGMENTS])


def profile_table() -> dict[str, np.ndarray]:
    """Each profile field as an array indexed by segment code."""
    return {
        f.name: np.array([getattr(s, f.name) for s in SEGMENTS]) for f in fields(SegmentProfile)
    }
