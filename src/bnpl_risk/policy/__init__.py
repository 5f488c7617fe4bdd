"""Policy: eligibility, limits, products, reasons, checkout and backtest."""

from bnpl_risk.policy.backtest import backtest, compare, frontier
from bnpl_risk.policy.checkout import Authorization, Decision, authorize
from bnpl_risk.policy.config import PLANS, Economics, Policy
from bnpl_risk.policy.decide import FACTS, apply_policy
from bnpl_risk.policy.reasons import RULE_REASONS, Reason
from bnpl_risk.policy.review import ReviewRules, review_limits

__all__ = [
    "FACTS",
    "PLANS",
    "RULE_REASONS",
    "Authorization",
    "Decision",
    "Economics",
    "Policy",
    "Reason",
    "ReviewRules",
    "apply_policy",
    "authorize",
    "backtest",
    "compare",
    "frontier",
    "review_limits",
]
