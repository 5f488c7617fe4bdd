"""Gather a :class:`ReportData` from a training run: the numbers the report draws."""

from __future__ import annotations

import pandas as pd

from bnpl_risk.evaluation import vintage_curves
from bnpl_risk.histories import Histories
from bnpl_risk.policy import backtest, frontier
from bnpl_risk.report.data import ReportData
from bnpl_risk.scorer import RiskScorer

__all__ = ["reason_counts", "report_data"]


def reason_counts(decisions: pd.DataFrame) -> pd.DataFrame:
    """How often each reason appears among declined decisions, most frequent first.

    Examples
    --------
    >>> d = pd.DataFrame({"approved": [False, False, True],
    ...     "reason_codes": [("H_KYC",), ("H_KYC", "R_X"), ("L_AFFORD",)],
    ...     "reasons_en": [("kyc",), ("kyc", "x"), ("afford",)],
    ...     "reasons_zh": [("实名",), ("实名", "x"), ("消费",)]})
    >>> reason_counts(d)["count"].tolist()
    [2, 1]
    """
    declined = decisions.loc[~decisions["approved"], ["reason_codes", "reasons_en", "reasons_zh"]]
    long = declined.explode(["reason_codes", "reasons_en", "reasons_zh"]).dropna()
    counts = (
        long.groupby(["reason_codes", "reasons_en", "reasons_zh"]).size().rename("count")
    ).reset_index()
    counts.columns = ["reason_code", "text_en", "text_zh", "count"]
    return counts.sort_values(["count", "reason_code"], ascending=[False, True], ignore_index=True)


def report_data(
    scorer: RiskScorer,
    histories: Histories,
    current: pd.DataFrame,
    labels: pd.Series,
    *,
    reference: pd.DataFrame | None = None,
    title: str,
    meta: dict | None = None,
) -> ReportData:
    """Everything the model report shows for the ``current`` applications.

    Parameters
    ----------
    scorer : RiskScorer
        Fitted.
    histories : Histories
    current : DataFrame
        Applications to evaluate (held-out or recent).
    labels : Series
        1, 0 or ``<NA>`` by application_id (at least those of ``current``).
    reference : DataFrame, optional
        Applications the model was trained on, for the stability section.
    title : str
    meta : dict, optional
        Provenance lines shown under the title.
    """
    names = scorer.features_.get_feature_names_out()
    assessed = scorer.assess(histories, current)
    decisions = scorer.decide(histories, current)
    y = labels.reindex(assessed.index)
    base = None if reference is None else scorer.assess(histories, reference)
    importance = pd.Series(
        scorer.model_.booster_.feature_importance("gain"), index=scorer.model_.feature_names_in_
    ).sort_values(ascending=False)
    return ReportData(
        title=title,
        y=y,
        pd_=assessed["pd"],
        score=assessed["score"],
        grade=assessed["grade"].astype(str),
        grades=tuple(scorer.grades_.grades),
        reference_score=None if base is None else base["score"],
        reference_features=None if base is None else base[names],
        current_features=None if base is None else assessed[names],
        importance=importance,
        top_reasons=reason_counts(decisions),
        vintage=vintage_curves(histories),
        backtest=backtest(scorer.policy_, assessed, y),
        frontier=frontier(scorer.policy_, assessed, y),
        policy_table=scorer.policy_.table(),
        meta=meta or {},
    )
