"""One decision for one shopper, and checkout authorisation against it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from bnpl_risk.errors import ConfigError
from bnpl_risk.policy.config import PLANS
from bnpl_risk.policy.reasons import RULE_REASONS, Reason

__all__ = ["Authorization", "Decision", "authorize"]

_NO_ROOM = RULE_REASONS["C_LIMIT_USED"]
_PART_UPFRONT = RULE_REASONS["C_PART_UPFRONT"]
_SHORTER_PLAN = RULE_REASONS["C_PLAN"]


@dataclass(frozen=True)
class Decision:
    """What the platform decided for one application.

    Examples
    --------
    >>> d = Decision("a1", 0.01, 650.0, "B", True, 3000.0, ("pay_in_30",), (), (), (), "1")
    >>> d.available(outstanding=1200.0)
    1800.0
    """

    application_id: str
    pd: float
    score: float
    grade: str
    approved: bool
    limit: float
    products: tuple[str, ...]
    reason_codes: tuple[str, ...]
    reasons_en: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    policy_version: str

    @classmethod
    def from_row(cls, application_id: str, row: pd.Series) -> Decision:
        """Build from one row of a decisions frame."""
        return cls(
            application_id=str(application_id),
            pd=float(row["pd"]),
            score=float(row["score"]),
            grade=str(row["grade"]),
            approved=bool(row["approved"]),
            limit=float(row["limit"]),
            products=tuple(row["products"]),
            reason_codes=tuple(row["reason_codes"]),
            reasons_en=tuple(row["reasons_en"]),
            reasons_zh=tuple(row["reasons_zh"]),
            policy_version=str(row["policy_version"]),
        )

    def available(self, outstanding: float) -> float:
        """Limit left after ``outstanding`` (never below 0)."""
        return max(self.limit - outstanding, 0.0) if self.approved else 0.0


@dataclass(frozen=True)
class Authorization:
    """Outcome at checkout.

    ``status`` is ``"approved"`` (the order as asked), ``"counteroffer"``
    (``amount`` on ``plan`` later, ``upfront`` paid now) or ``"declined"``.
    """

    status: str
    amount: float
    plan: str | None
    upfront: float
    reason_codes: tuple[str, ...]
    reasons_en: tuple[str, ...]


def authorize(
    decision: Decision, order_amount: float, outstanding: float, plan: str
) -> Authorization:
    """Authorise an order against a decision; never over the available limit.

    Parameters
    ----------
    decision : Decision
    order_amount : float
        CNY, > 0.
    outstanding : float
        What the shopper already owes on pay-later plans, >= 0.
    plan : str
        One of ``PLANS``.

    Returns
    -------
    Authorization
        Approved when the amount fits the available limit and the plan is
        offered. Otherwise a counteroffer: the longest offered plan shorter
        than the one asked, and the largest amount that fits with the rest
        paid up front. Declined when nothing fits.

    Examples
    --------
    >>> d = Decision("a1", 0.01, 650.0, "C", True, 2000.0, PLANS[:2], (), (), (), "1")
    >>> authorize(d, 500.0, 0.0, "installments_3").status
    'approved'
    >>> a = authorize(d, 1500.0, 1000.0, "installments_12")
    >>> a.status, a.amount, a.plan, a.upfront
    ('counteroffer', 1000.0, 'installments_3', 500.0)
    """
    for name, value, low in (
        ("order_amount", order_amount, 0.0),
        ("outstanding", outstanding, 0.0),
    ):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= low):
            raise ConfigError(
                f"authorize: {name} must be a finite number >= {low}; found {value!r}."
            )
    if order_amount <= 0:
        raise ConfigError(f"authorize: order_amount must be > 0; found {order_amount!r}.")
    if plan not in PLANS:
        raise ConfigError(f"authorize: plan must be one of {list(PLANS)}; found {plan!r}.")
    if not decision.approved:
        return Authorization("declined", 0.0, None, 0.0, decision.reason_codes, decision.reasons_en)
    room = decision.available(outstanding)
    if room <= 0:
        return Authorization("declined", 0.0, None, 0.0, (_NO_ROOM.code,), (_NO_ROOM.en,))
    reasons: list[Reason] = []
    offered = plan
    if plan not in decision.products:
        shorter = [p for p in decision.products if PLANS.index(p) < PLANS.index(plan)]
        if not shorter:
            return Authorization(
                "declined", 0.0, None, 0.0, (_SHORTER_PLAN.code,), (_SHORTER_PLAN.en,)
            )
        offered = shorter[-1]
        reasons.append(_SHORTER_PLAN)
    amount = min(order_amount, room)
    if amount < order_amount:
        reasons.append(_PART_UPFRONT)
    status = "counteroffer" if reasons else "approved"
    return Authorization(
        status,
        round(amount, 2),
        offered,
        round(order_amount - amount, 2),
        tuple(r.code for r in reasons),
        tuple(r.en for r in reasons),
    )
