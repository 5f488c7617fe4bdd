"""Synthetic but plausible inputs of a model report, built from seeded random numbers.

The labels follow the PDs (so AUC is well above 0.5), a tenth are immature,
the backtest and frontier come from the real policy functions on a scored
frame, and the vintage frame has NaN where the data would not reach.
"""

import numpy as np
import pandas as pd

from bnpl_risk.grading import GradeScale
from bnpl_risk.policy import RULE_REASONS, Policy, backtest, frontier
from bnpl_risk.report import ReportData

SCALE = GradeScale()


def scored_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """What apply_policy reads: pd, grade and the policy facts."""
    pd_ = np.clip(rng.beta(1.1, 22.0, n), 0.0005, 0.95)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "pd": pd_,
            "score": SCALE.score(pd_),
            "grade": SCALE.grade(pd_),
            "age_years": rng.integers(17, 60, n).astype(float),
            "kyc_level": rng.choice([1.0, 2.0, 3.0], n, p=[0.05, 0.35, 0.6]),
            "current_dpd": np.where(rng.uniform(size=n) < 0.03, 12.0, 0.0),
            "account_age_days": rng.integers(5, 900, n).astype(float),
            "spend_sum_90d": rng.gamma(2.0, 1500.0, n),
            "velocity_amount_7d_vs_90d": rng.gamma(2.0, 0.5, n),
            "new_bnpl_loans_30d": rng.poisson(0.6, n).astype(float),
            "resellable_share_30d": rng.uniform(0, 0.5, n),
        },
        index=pd.Index([f"a{i:06d}" for i in range(n)], name="application_id"),
    )


def labels_for(pd_: pd.Series, rng: np.random.Generator) -> pd.Series:
    """1 with probability 1.15 x PD (a slightly optimistic model), a tenth immature."""
    y = pd.Series((rng.uniform(size=len(pd_)) < 1.15 * pd_).astype(int), index=pd_.index)
    y = y.astype("Int64")
    y[rng.uniform(size=len(pd_)) < 0.1] = pd.NA
    return y


def features(n: int, rng: np.random.Generator, drift: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "spend_sum_90d": rng.gamma(2.0, 1500.0 * (1 + drift), n),
            "orders_30d": rng.poisson(3 + 2 * drift, n),
            "dpd_max_180d": np.where(rng.uniform(size=n) < 0.1, rng.integers(1, 60, n), 0),
            "account_age_days": rng.integers(5, 900, n),
            "live_stream_share_30d": rng.uniform(0, 1, n) ** (1 - 0.6 * drift),
            "top_channel": rng.choice(
                ["live_stream", "short_video", "mall", "search"],
                n,
                p=[0.4 + 0.3 * drift, 0.3, 0.2 - 0.2 * drift, 0.1 - 0.1 * drift],
            ),
        }
    )


def vintage_frame(months: int = 9, k: int = 8) -> pd.DataFrame:
    """Cumulative bad shares rising with age, newer cohorts slightly worse, NaN beyond data."""
    age = np.arange(1, k + 1)
    cohort = np.arange(months)[:, None]
    share = (0.004 + 0.0006 * cohort) * age[None, :] ** 1.1
    share[cohort + age[None, :] > months] = np.nan
    index = pd.period_range("2024-01", periods=months, freq="M", name="origination_month")
    return pd.DataFrame(share, index=index, columns=pd.Index(age, name="months_on_book"))


def report_data(n: int = 2000, seed: int = 0, **overrides) -> ReportData:
    """A full ReportData; ``overrides`` replace fields (e.g. ``vintage=None``)."""
    rng = np.random.default_rng(seed)
    scored = scored_frame(n, rng)
    y = labels_for(scored["pd"], rng)
    policy = Policy.default()
    reference = scored_frame(n, rng)
    names = [
        "dpd_max_180d",
        "spend_sum_90d",
        "account_age_days",
        "orders_30d",
        "live_stream_share_30d",
        "velocity_amount_7d_vs_90d",
        "refund_share_90d",
        "kyc_level",
        "installments_paid_late_180d",
        "new_bnpl_loans_30d",
    ] + [f"feature_{i:02d}" for i in range(14)]
    importance = pd.Series(np.sort(rng.gamma(1.0, 100.0, len(names)))[::-1], index=names)
    codes = list(RULE_REASONS)[:7]
    top_reasons = pd.DataFrame(
        {
            "reason_code": codes,
            "text_en": [RULE_REASONS[c].en for c in codes],
            "text_zh": [RULE_REASONS[c].zh for c in codes],
            "count": rng.integers(5, 400, len(codes)),
        }
    )
    fields = {
        "title": "BNPL PD model: held-out report",
        "y": y,
        "pd_": scored["pd"],
        "score": scored["score"],
        "grade": scored["grade"],
        "grades": SCALE.grades,
        "reference_score": reference["score"],
        "reference_features": features(n, rng, 0.0),
        "current_features": features(n, rng, 0.35),
        "importance": importance,
        "top_reasons": top_reasons,
        "vintage": vintage_frame(),
        "backtest": backtest(policy, scored, y),
        "frontier": frontier(policy, scored, y),
        "policy_table": policy.table(),
        "meta": {
            "model version": "test-1",
            "trained at": "2024-06-30 12:00",
            "data fingerprint": "sha256:0123abcd",
        },
    }
    return ReportData(**{**fields, **overrides})
