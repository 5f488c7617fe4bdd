"""ReportData checks its parts at construction, naming the field and the fix."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError
from bnpl_risk.report import ReportData

IDX = pd.Index(["a1", "a2", "a3", "a4"], name="application_id")


def parts(**changes):
    base = {
        "title": "t",
        "y": pd.Series([0, 1, 0, pd.NA], index=IDX, dtype="Int64"),
        "pd_": pd.Series([0.01, 0.3, 0.05, 0.2], index=IDX),
        "score": pd.Series([700.0, 560.0, 640.0, 580.0], index=IDX),
        "grade": pd.Series(["A", "E", "C", "E"], index=IDX),
        "grades": ("A", "B", "C", "D", "E"),
    }
    return {**base, **changes}


BACKTEST = pd.DataFrame(
    np.ones((2, 13)),
    index=["A", "Total"],
    columns=[
        "applications",
        "approved",
        "bads_approved",
        "exposure",
        "expected_loss",
        "realised_loss",
        "revenue",
        "funding_cost",
        "collection_cost",
        "profit",
        "approval_rate",
        "bad_rate_approved",
        "profit_per_approved",
    ],
)


def test_summary_defaults_to_the_evaluation_summary_and_a_given_one_is_kept():
    data = ReportData(**parts())
    assert (data.summary["n"], data.summary["n_bad"], data.summary["immature"]) == (3, 1, 1)
    assert data.summary["auc"] == 1.0
    given = {**data.summary, "auc": 0.5}
    assert ReportData(**parts(summary=given)).summary is given


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (
            {"summary": {"auc": 0.7}},
            r"ReportData.summary lacks bad_rate, brier, ece, gini, immature, ks, ks_at, mean_pd, "
            r"n, n_bad; expected the dict bnpl_risk.evaluation.summary returns",
        ),
        ({"y": [0, 1, 0, 1]}, r"ReportData.y must be a Series of labels .* found list"),
        (
            {"pd_": pd.Series([0.1, 0.2, 0.3, 0.4])},
            r"ReportData.pd_ must be a Series on the index of y \(4 application_ids\); "
            r"found 4 rows on another index. Align it first",
        ),
        ({"score": np.zeros(4)}, r"ReportData.score must be a Series .* found ndarray"),
        ({"grade": pd.Series(["A"], index=IDX[:1])}, r"ReportData.grade .* found 1 rows"),
        ({"grades": ("A", "A")}, r"grades must be distinct grade names, best first; found"),
        ({"grades": "ABCDE"}, r"grades must be distinct grade names"),
        (
            {"reference_features": pd.DataFrame({"x": [1.0]})},
            r"pass both reference_features and current_features .* found only one",
        ),
        ({"reference_score": [600.0]}, r"reference_score must be a Series of scores; found list"),
        (
            {"importance": pd.Series(["high"], index=["x"])},
            r"importance must be a numeric Series, feature name -> gain; found Series",
        ),
        ({"vintage": np.zeros((2, 2))}, r"ReportData.vintage must be a DataFrame or None"),
        (
            {"vintage": pd.DataFrame({"m1": [0.1]})},
            r"vintage must have months on book \(1, 2, ...\) as columns",
        ),
        (
            {"top_reasons": pd.DataFrame({"reason_code": ["H_KYC"], "count": [3]})},
            r"top_reasons lacks column\(s\) text_en, text_zh; expected reason_code, text_en, "
            r"text_zh, count",
        ),
        (
            {"backtest": BACKTEST.drop(columns=["funding_cost", "revenue"])},
            r"backtest lacks column\(s\) funding_cost, revenue; .*bnpl_risk.policy.backtest",
        ),
        ({"backtest": BACKTEST.drop(index="Total")}, r"backtest has no 'Total' row"),
        (
            {"frontier": pd.DataFrame({"approval_rate": [0.5]})},
            r"frontier lacks column\(s\) bad_rate_approved, exposure, profit",
        ),
        (
            {"policy_table": pd.DataFrame({"section": ["cap"]})},
            r"policy_table lacks column\(s\) item, setting; .*Policy.table\(\)",
        ),
    ],
)
def test_malformed_parts_are_named(changes, match):
    with pytest.raises(ConfigError, match=match):
        ReportData(**parts(**changes))


def test_frozen():
    data = ReportData(**parts())
    with pytest.raises(AttributeError, match="cannot assign to field 'title'"):
        data.title = "other"
