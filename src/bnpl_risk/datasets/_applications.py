"""Applications: monthly re-scores of the book and checkout requests.

A re-score happens at midnight on a monthly anniversary of the book's
start, for a random subset of the months after signup (no amount asked).
A checkout application is a BNPL order itself: ``as_of`` is the order
time, ``requested_amount`` its amount and ``channel`` its channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnpl_risk.datasets._customers import CustomerDraws
from bnpl_risk.datasets._orders import OrderDraws, pick
from bnpl_risk.datasets._profiles import OTHER_CHANNEL_MIX

_RESCORE_P = 0.6
_CHECKOUT_P = 0.3


@dataclass(frozen=True)
class ApplicationDraws:
    """Per-application arrays, sorted by customer then ``as_of``.

    ``impulse`` tells whether a checkout order is an impulse buy (night or
    live stream), as its ``as_of`` and ``channel`` show.
    """

    customer: np.ndarray
    as_of_s: np.ndarray
    requested_amount: np.ndarray
    channel: np.ndarray
    checkout: np.ndarray
    impulse: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)


def draw_applications(
    rng: np.random.Generator,
    c: CustomerDraws,
    o: OrderDraws,
    bnpl: np.ndarray,
    rescore_s: np.ndarray,
) -> ApplicationDraws:
    """Re-scores at ``rescore_s`` (seconds) after each signup, and checkout requests."""
    n = len(c)
    chosen = (rescore_s[None, :] > c.signup_s[:, None]) & (
        rng.random((n, len(rescore_s))) < _RESCORE_P
    )
    r_cust, r_month = np.nonzero(chosen)
    live = rng.random(len(r_cust)) < c.live_p[r_cust]
    r_channel = np.where(
        live, 0, 1 + pick(rng, np.zeros(len(r_cust), np.int8), OTHER_CHANNEL_MIX[None])
    )
    asks = np.flatnonzero(bnpl & (rng.random(len(o)) < _CHECKOUT_P))

    cust = np.concatenate([r_cust, o.customer[asks]])
    as_of = np.concatenate([rescore_s[r_month], o.ts_s[asks]])
    order = np.lexsort((as_of, cust))
    return ApplicationDraws(
        customer=cust[order],
        as_of_s=as_of[order],
        requested_amount=np.concatenate([np.full(len(r_cust), np.nan), o.amount[asks]])[order],
        channel=np.concatenate([r_channel, o.channel[asks]]).astype(np.int8)[order],
        checkout=np.concatenate([np.zeros(len(r_cust), bool), np.ones(len(asks), bool)])[order],
        impulse=np.concatenate([np.zeros(len(r_cust), bool), o.impulse[asks]])[order],
    )
