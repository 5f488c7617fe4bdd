"""summary: the headline metrics agree with the functions and are JSON-ready."""

import json

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import auc, brier, ece, gini, ks, summary


def _sample():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 10, 3000)
    y = pd.array((rng.random(3000) < p).astype(int), dtype="Int64")
    y[:250] = pd.NA
    return pd.Series(y), p


def test_summary_agrees_with_each_metric_and_counts_rows():
    y, p = _sample()
    s = summary(y, p)
    mature = y.notna().to_numpy()
    assert s["n"] == 2750
    assert s["immature"] == 250
    assert s["n_bad"] == int(y[mature].sum())
    assert s["bad_rate"] == pytest.approx(s["n_bad"] / 2750)
    assert s["mean_pd"] == pytest.approx(p[mature].mean())
    assert s["auc"] == auc(y, p)
    assert s["gini"] == gini(y, p)
    assert (s["ks"], s["ks_at"]) == tuple(ks(y, p))
    assert s["brier"] == brier(y, p)
    assert s["ece"] == ece(y, p)


def test_summary_reports_ks_at_on_the_score_when_given():
    y, p = _sample()
    score = 600 - 50 * np.log(p)
    s = summary(y, p, score=score)
    assert s["ks_at"] == ks(y, score).at
    assert s["ks"] == pytest.approx(ks(y, p).value, abs=1e-12)


def test_summary_is_json_ready():
    y, p = _sample()
    s = summary(y, p)
    assert json.loads(json.dumps(s)) == s
    assert set(s) == {
        "n",
        "n_bad",
        "immature",
        "bad_rate",
        "mean_pd",
        "auc",
        "gini",
        "ks",
        "ks_at",
        "brier",
        "ece",
    }


def test_summary_needs_both_classes():
    with pytest.raises(ConfigError, match="summary: needs both bad"):
        summary([0, 0, None], [0.1, 0.2, 0.3])
