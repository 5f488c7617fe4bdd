"""The policy and the economics as frozen, versioned configuration."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bnpl_risk.config import Config, require

__all__ = ["PLANS", "Economics", "Policy"]

#: Products in order of risk: the 30-day interest-free plan, then installments.
PLANS = ("pay_in_30", "installments_3", "installments_6", "installments_12")

_OWNER = "Policy"


def _number(owner: str, name: str, value: Any, low: float = 0.0, high: float = math.inf) -> None:
    require(
        isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high,
        owner,
        name,
        f"a number in [{low}, {high}]",
        value,
    )


@dataclass(frozen=True)
class Economics(Config):
    """Backtest economics, typical of Chinese consumer BNPL (not a quote).

    Attributes
    ----------
    merchant_discount : float, default 0.01
        Share of a BNPL order the merchant pays the platform.
    plan_fee : mapping, default 0 / 2.5% / 4.5% / 7.5%
        Total fee the shopper pays per plan, as a share of the amount.
    plan_days : mapping, default 30 / 60 / 105 / 195
        Balance-weighted days a plan's receivable is outstanding: the full
        amount for 30 days on the interest-free plan; an amortising plan of
        n monthly installments averages (n + 1) / 2 months.
    cost_of_funds : float, default 0.05
        Yearly rate on the outstanding receivable.
    lgd : float, default 0.8
        Loss given default on unsecured exposure.
    collection_cost : float, default 60.0
        CNY per bad account (reminders, calls, letters).
    utilisation : float, default 0.6
        Average outstanding balance as a share of the limit.
    horizon_days : int, default 180
        Days the backtest covers: the label's outcome window.
    plan_mix : mapping, default 60% pay_in_30, 20% / 12% / 8% installments
        Share of drawn amount per plan.
    """

    merchant_discount: float = 0.01
    plan_fee: dict = field(
        default_factory=lambda: {
            "pay_in_30": 0.0,
            "installments_3": 0.025,
            "installments_6": 0.045,
            "installments_12": 0.075,
        }
    )
    plan_days: dict = field(
        default_factory=lambda: {
            "pay_in_30": 30,
            "installments_3": 60,
            "installments_6": 105,
            "installments_12": 195,
        }
    )
    cost_of_funds: float = 0.05
    lgd: float = 0.8
    collection_cost: float = 60.0
    utilisation: float = 0.6
    horizon_days: int = 180
    plan_mix: dict = field(
        default_factory=lambda: {
            "pay_in_30": 0.6,
            "installments_3": 0.2,
            "installments_6": 0.12,
            "installments_12": 0.08,
        }
    )

    def __post_init__(self) -> None:
        owner = "Economics"
        for name in ("merchant_discount", "cost_of_funds", "lgd", "utilisation"):
            _number(owner, name, getattr(self, name), 0.0, 1.0)
        _number(owner, "collection_cost", self.collection_cost)
        _number(owner, "horizon_days", self.horizon_days, 1.0, 3650.0)
        for name in ("plan_fee", "plan_days", "plan_mix"):
            table = getattr(self, name)
            require(
                isinstance(table, dict) and sorted(table) == sorted(PLANS),
                owner,
                name,
                f"a mapping with exactly the plans {list(PLANS)}",
                table,
            )
            for plan, value in table.items():
                _number(owner, f"{name}[{plan!r}]", value, 0.0, 1000.0)
        total = sum(self.plan_mix.values())
        require(abs(total - 1.0) < 1e-9, owner, "plan_mix", "shares summing to 1", total)


@dataclass(frozen=True)
class Policy(Config):
    """Eligibility, limits and products, as a credit committee signs them off.

    Attributes
    ----------
    version : str
        Stamped on every decision.
    min_age : int, default 18
        Hard rule: younger applicants are declined.
    min_kyc_level : int, default 2
        Hard rule: real-name verification (2) at least.
    max_current_dpd : int, default 0
        Hard rule: currently more days past due than this is declined.
    grade_limit : mapping grade -> CNY
        Base limit per grade; 0 declines the grade.
    grade_products : mapping grade -> tuple of plans
        Products offered per grade (see ``PLANS``).
    affordability_multiple : float, default 2.0
        The limit is at most this multiple of completed spend in the last
        90 days (and never below ``new_user_min`` on that account).
    loss_budget : float, default 150.0
        Expected-loss cap per account: ``limit * PD * lgd <= loss_budget``.
    lgd : float, default 0.8
    thin_file_days : int, default 90
        Accounts younger than this are thin files, held to the new-user band.
    new_user_min, new_user_max : float, default 500 and 2000
        The new-user band; also the starting floor of affordability.
    min_limit : float, default 500
        A limit below this declines.
    limit_step : float, default 100
        Limits are rounded down to a multiple of this.
    bustout_max_age_days : int, default 90
        The malicious-consumption guard applies to accounts younger than this.
    bustout_thresholds : mapping feature -> threshold
        The guard fires when any of these velocity features reaches its
        threshold.
    bustout_action : {"decline", "cap"}, default "decline"
    bustout_cap : float, default 500
        Limit when ``bustout_action == "cap"``.
    max_reasons : int, default 4
    """

    version: str = "2026.11-1"
    min_age: int = 18
    min_kyc_level: int = 2
    max_current_dpd: int = 0
    grade_limit: dict = field(
        default_factory=lambda: {"A": 20000.0, "B": 10000.0, "C": 5000.0, "D": 1500.0, "E": 0.0}
    )
    grade_products: dict = field(
        default_factory=lambda: {
            "A": PLANS,
            "B": PLANS,
            "C": PLANS[:2],
            "D": PLANS[:1],
            "E": (),
        }
    )
    affordability_multiple: float = 2.0
    loss_budget: float = 150.0
    lgd: float = 0.8
    thin_file_days: int = 90
    new_user_min: float = 500.0
    new_user_max: float = 2000.0
    min_limit: float = 500.0
    limit_step: float = 100.0
    bustout_max_age_days: int = 90
    bustout_thresholds: dict = field(
        default_factory=lambda: {
            "velocity_amount_7d_vs_90d": 4.0,
            "new_bnpl_loans_30d": 4.0,
            "resellable_share_30d": 0.7,
        }
    )
    bustout_action: str = "decline"
    bustout_cap: float = 500.0
    max_reasons: int = 4

    @classmethod
    def default(cls) -> Policy:
        """The documented default policy."""
        return cls()

    def __post_init__(self) -> None:
        require(
            isinstance(self.version, str) and self.version != "",
            _OWNER,
            "version",
            "a non-empty string",
            self.version,
        )
        for name in (
            "min_age",
            "min_kyc_level",
            "max_current_dpd",
            "thin_file_days",
            "bustout_max_age_days",
            "max_reasons",
        ):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                _OWNER,
                name,
                "a whole number >= 0",
                value,
            )
        require(self.max_reasons >= 1, _OWNER, "max_reasons", ">= 1", self.max_reasons)
        for name in (
            "affordability_multiple",
            "loss_budget",
            "new_user_min",
            "new_user_max",
            "min_limit",
            "bustout_cap",
        ):
            _number(_OWNER, name, getattr(self, name))
        _number(_OWNER, "lgd", self.lgd, 0.0, 1.0)
        _number(_OWNER, "limit_step", self.limit_step, 1.0)
        require(
            self.new_user_min <= self.new_user_max,
            _OWNER,
            "new_user_min",
            f"<= new_user_max ({self.new_user_max})",
            self.new_user_min,
        )
        require(
            isinstance(self.grade_limit, dict) and len(self.grade_limit) > 0,
            _OWNER,
            "grade_limit",
            "a mapping grade -> limit",
            self.grade_limit,
        )
        for grade, limit in self.grade_limit.items():
            _number(_OWNER, f"grade_limit[{grade!r}]", limit)
        require(
            isinstance(self.grade_products, dict)
            and sorted(self.grade_products) == sorted(self.grade_limit),
            _OWNER,
            "grade_products",
            f"a mapping with the grades {sorted(self.grade_limit)}",
            self.grade_products,
        )
        for grade, plans in self.grade_products.items():
            require(
                isinstance(plans, tuple) and set(plans) <= set(PLANS),
                _OWNER,
                f"grade_products[{grade!r}]",
                f"a list of plans from {list(PLANS)}",
                plans,
            )
        require(
            isinstance(self.bustout_thresholds, dict),
            _OWNER,
            "bustout_thresholds",
            "a mapping feature -> threshold",
            self.bustout_thresholds,
        )
        for name, value in self.bustout_thresholds.items():
            _number(_OWNER, f"bustout_thresholds[{name!r}]", value)
        require(
            self.bustout_action in ("decline", "cap"),
            _OWNER,
            "bustout_action",
            "'decline' or 'cap'",
            self.bustout_action,
        )

    def table(self) -> pd.DataFrame:
        """What a credit committee signs off, one row per rule, grade and cap."""
        rows = [
            ("hard rule", "minimum age", f">= {self.min_age} years"),
            ("hard rule", "real-name verification", f"kyc_level >= {self.min_kyc_level}"),
            ("hard rule", "currently overdue", f"decline if DPD > {self.max_current_dpd}"),
            ("hard rule", "block list", "decline if listed"),
            (
                "malicious consumption",
                f"accounts younger than {self.bustout_max_age_days} days",
                self.bustout_action
                + (f" to {self.bustout_cap:,.0f}" if self.bustout_action == "cap" else "")
                + " when "
                + " or ".join(f"{k} >= {v:g}" for k, v in self.bustout_thresholds.items()),
            ),
        ]
        rows += [
            ("grade", g, (f"limit {self.grade_limit[g]:,.0f}; " + ", ".join(p)) if p else "decline")
            for g, p in self.grade_products.items()
        ]
        rows += [
            (
                "cap",
                "affordability",
                f"{self.affordability_multiple:g} x completed spend in 90 days",
            ),
            ("cap", "expected loss", f"limit x PD x {self.lgd:g} <= {self.loss_budget:,.0f}"),
            (
                "cap",
                "new users",
                f"{self.new_user_min:,.0f}-{self.new_user_max:,.0f} for accounts "
                f"younger than {self.thin_file_days} days",
            ),
            ("cap", "minimum limit", f"decline below {self.min_limit:,.0f}"),
            ("cap", "rounding", f"down to a multiple of {self.limit_step:,.0f}"),
            ("reasons", "at most", f"{self.max_reasons}, rule reasons first"),
        ]
        return pd.DataFrame(rows, columns=["section", "item", "setting"])
