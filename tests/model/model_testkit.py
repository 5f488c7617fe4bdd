"""Small synthetic credit books with a known PD, and a stand-in feature registry."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

# A faster learning rate than the default keeps the tests quick; the
# defaults themselves are exercised by the calibration and real-data tests.
FAST = {"learning_rate": 0.1, "random_state": 0}


def make_book(
    n: int, seed: int = 0, base: float = -2.0
) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Features with NaN and a categorical column, labels drawn from a known PD."""
    rng = np.random.default_rng(seed)
    late = rng.exponential(3.0, n)
    income = rng.lognormal(8.0, 0.5, n)
    channel = rng.choice(["live_stream", "mall", "search", "short_video"], n)
    logit = base + 0.35 * late - 0.8 * (np.log(income) - 8.0) + 0.6 * (channel == "live_stream")
    income[rng.uniform(size=n) < 0.1] = np.nan
    pd_true = 1.0 / (1.0 + np.exp(-logit))
    X = pd.DataFrame(
        {"late_days": late, "income": income, "channel": channel},
        index=pd.Index([f"a{i}" for i in range(n)], name="application_id"),
    )
    y = pd.Series((rng.uniform(size=n) < pd_true).astype(int), index=X.index, name="bad")
    return X, y, pd_true


def spec(direction: int, code: str):
    return SimpleNamespace(
        direction=direction, reason_code=code, reason_en=f"{code} en", reason_zh=f"{code} zh"
    )


#: A stand-in for bnpl_risk.features.registry.REGISTRY.
FAKE_REGISTRY = {"late_days": spec(1, "R_LATE"), "income": spec(-1, "R_INCOME")}
