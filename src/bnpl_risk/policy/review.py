"""Limit reviews for the existing book: increases earned by repayment, decreases on deterioration.

Examples
--------
>>> scored = pd.DataFrame({"customer_id": ["c1", "c2"], "pd": [0.005, 0.2],
...     "grade": ["A", "E"], "age_years": 30, "kyc_level": 3, "current_dpd": [0, 0],
...     "account_age_days": 400, "spend_sum_90d": 9000.0, "velocity_amount_7d_vs_90d": 1.0,
...     "new_bnpl_loans_30d": 0, "resellable_share_30d": 0.0,
...     "installments_due_count": 12, "on_time_ratio": 1.0},
...     index=pd.Index(["c1", "c2"], name="application_id"))
>>> current = pd.DataFrame({"customer_id": ["c1", "c2"], "limit": [2000.0, 3000.0],
...     "last_change": pd.to_datetime(["2024-01-01", "2024-01-01"])})
>>> out = review_scored(Policy.default(), scored, current, pd.Timestamp("2024-06-01"))
>>> out[["old_limit", "new_limit", "reason_code"]].values.tolist()
[[2000.0, 3000.0, 'V_UP'], [3000.0, 0.0, 'V_DOWN']]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl_risk.config import Config, require
from bnpl_risk.errors import HistoryError
from bnpl_risk.policy.config import Policy
from bnpl_risk.policy.decide import apply_policy

__all__ = ["REVIEW_REASONS", "ReviewRules", "review_limits", "review_scored"]

REVIEW_REASONS = {
    "V_UP": "Limit raised for on-time repayment",
    "V_DOWN": "Limit lowered: the credit assessment has worsened",
    "V_OVERDUE": "Limit suspended while an installment is overdue",
    "V_WAIT": "No increase yet: the last change was recent",
    "V_HISTORY": "No increase yet: not enough on-time repayments",
    "V_KEEP": "Limit unchanged",
}


@dataclass(frozen=True)
class ReviewRules(Config):
    """When a limit may grow.

    Attributes
    ----------
    min_interval_days : int, default 90
        No increase within this many days of the last change.
    min_installments_due : int, default 6
        Installments that must have fallen due before an increase.
    min_on_time_ratio : float, default 0.95
    grades_for_increase : tuple of str, default ("A", "B")
    max_increase_factor : float, default 1.5
        An increase is at most this multiple of the old limit.
    """

    min_interval_days: int = 90
    min_installments_due: int = 6
    min_on_time_ratio: float = 0.95
    grades_for_increase: tuple[str, ...] = ("A", "B")
    max_increase_factor: float = 1.5

    def __post_init__(self) -> None:
        for name in ("min_interval_days", "min_installments_due"):
            value = getattr(self, name)
            require(
                isinstance(value, int) and value >= 0,
                "ReviewRules",
                name,
                "a whole number >= 0",
                value,
            )
        require(
            0 <= self.min_on_time_ratio <= 1,
            "ReviewRules",
            "min_on_time_ratio",
            "a number in [0, 1]",
            self.min_on_time_ratio,
        )
        require(
            self.max_increase_factor >= 1,
            "ReviewRules",
            "max_increase_factor",
            ">= 1",
            self.max_increase_factor,
        )


def review_scored(
    policy: Policy,
    scored: pd.DataFrame,
    current_limits: pd.DataFrame,
    as_of: pd.Timestamp,
    rules: ReviewRules | None = None,
) -> pd.DataFrame:
    """Review limits given each customer's scored facts (one row per customer).

    ``scored`` is what :func:`apply_policy` reads plus ``installments_due_count``
    and ``on_time_ratio``; ``current_limits`` has customer_id, limit and
    last_change (missing: never changed). Returns customer_id, grade,
    old_limit, new_limit and reason_code.
    """
    rules = rules or ReviewRules()
    missing = {"customer_id", "limit", "last_change"} - set(current_limits.columns)
    if missing:
        raise HistoryError(
            f"review_limits: current_limits lacks {sorted(missing)}; expected customer_id, "
            "limit and last_change (NaT when the limit never changed)."
        )
    merged = scored.reset_index(drop=True).merge(
        current_limits[["customer_id", "limit", "last_change"]],
        on="customer_id",
        how="left",
        validate="one_to_one",
    )
    proposed = apply_policy(policy, merged.set_index("customer_id", drop=False))["limit"]
    old = merged["limit"].to_numpy(float)
    new_policy = proposed.to_numpy(float)
    overdue = np.nan_to_num(merged["current_dpd"].to_numpy(float)) > policy.max_current_dpd
    since = (pd.Timestamp(as_of) - pd.to_datetime(merged["last_change"])).dt.days.to_numpy(float)
    waited = np.isnan(since) | (since >= rules.min_interval_days)
    history = (merged["installments_due_count"].to_numpy(float) >= rules.min_installments_due) & (
        np.nan_to_num(merged["on_time_ratio"].to_numpy(float)) >= rules.min_on_time_ratio
    )
    good = merged["grade"].isin(rules.grades_for_increase).to_numpy()
    step = policy.limit_step
    ceiling = np.floor(old * rules.max_increase_factor / step + 1e-9) * step
    up = np.minimum(new_policy, ceiling)
    can_raise = ~overdue & waited & history & good & (up > old)

    new = np.where(overdue, 0.0, np.where(new_policy < old, new_policy, old))
    new = np.where(can_raise, up, new)
    reason = np.select(
        [overdue, new < old, can_raise, (up > old) & ~waited, (up > old) & good & ~history],
        ["V_OVERDUE", "V_DOWN", "V_UP", "V_WAIT", "V_HISTORY"],
        default="V_KEEP",
    )
    return pd.DataFrame(
        {
            "customer_id": merged["customer_id"].to_numpy(),
            "grade": merged["grade"].to_numpy(),
            "old_limit": old,
            "new_limit": new,
            "reason_code": reason,
        }
    )


def review_limits(scorer, histories, current_limits: pd.DataFrame, as_of, rules=None):
    """Review the limits of ``current_limits``' customers at ``as_of`` with a fitted scorer.

    Parameters
    ----------
    scorer : RiskScorer
        Fitted; its policy sets the target limits.
    histories : Histories
    current_limits : DataFrame
        customer_id, limit, last_change.
    as_of : Timestamp
    rules : ReviewRules, optional

    Returns
    -------
    DataFrame
        customer_id, grade, old_limit, new_limit, reason_code.
    """
    as_of = pd.Timestamp(as_of)
    apps = pd.DataFrame(
        {
            "application_id": "review:" + current_limits["customer_id"].astype(str),
            "customer_id": current_limits["customer_id"].astype(str).to_numpy(),
            "as_of": as_of,
            "requested_amount": np.nan,
            "channel": "mall",
        }
    )
    return review_scored(
        scorer.policy_, scorer.assess(histories, apps), current_limits, as_of, rules
    )
