"""What a model report shows, as plain data: no scorer, no artifact, no I/O.

The caller (the CLI, the demo, a notebook) computes PDs, backtests and
vintages with the rest of the library and hands the results over in a
:class:`ReportData`; :func:`bnpl_risk.report.render_report` only draws and
lays them out. Optional parts left as ``None`` render as a short "not
available" note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.evaluation import summary as headline

__all__ = ["BACKTEST_COLUMNS", "FRONTIER_COLUMNS", "SUMMARY_KEYS", "ReportData"]

BACKTEST_COLUMNS = (
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
)
FRONTIER_COLUMNS = ("approval_rate", "bad_rate_approved", "exposure", "profit")
SUMMARY_KEYS = (
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
)
_REASON_COLUMNS = ("reason_code", "text_en", "text_zh", "count")
_POLICY_COLUMNS = ("section", "item", "setting")
_SOURCES = {
    "backtest": "bnpl_risk.policy.backtest",
    "frontier": "bnpl_risk.policy.frontier",
    "policy_table": "Policy.table()",
    "top_reasons": "a count of reason codes among declines",
}


@dataclass(frozen=True)
class ReportData:
    """Everything a model report shows, held-out applications first.

    Frames and Series are read, never modified. Checks run at construction
    so that a malformed part fails here, naming the field, not halfway
    through drawing.

    Attributes
    ----------
    title : str
        Heading of the report.
    y : Series of {1, 0, <NA>}
        Labels of the held-out applications (``make_labels``), indexed by
        application_id; ``<NA>`` (immature) rows are counted, never
        treated as good.
    pd_, score : Series of float
        Calibrated PD and score of the same applications (same index).
    grade : Series of str
        Grade of each application (same index).
    grades : tuple of str
        Every grade name, best first (``GradeScale().grades``).
    summary : dict, optional
        Headline metrics from :func:`bnpl_risk.evaluation.summary` (at least
        :data:`SUMMARY_KEYS`); computed from ``y``, ``pd_`` and ``score``
        when None.
    reference_score : Series of float, optional
        Scores of the reference (training) sample, for the PSI of the score
        against ``score``.
    reference_features, current_features : DataFrame, optional
        Feature matrices of the reference and the current sample, for the
        CSI table; both or neither.
    importance : Series of float, optional
        Feature name -> gain.
    top_reasons : DataFrame, optional
        Columns reason_code, text_en, text_zh, count: how often each reason
        appears among declines.
    vintage : DataFrame, optional
        From :func:`bnpl_risk.evaluation.vintage_curves`.
    backtest : DataFrame, optional
        From :func:`bnpl_risk.policy.backtest`: one row per grade and a
        ``Total`` row, columns :data:`BACKTEST_COLUMNS`.
    frontier : DataFrame, optional
        From :func:`bnpl_risk.policy.frontier`: index cut_off_grade, columns
        :data:`FRONTIER_COLUMNS`.
    policy_table : DataFrame, optional
        From ``Policy.table()``: columns section, item, setting.
    meta : mapping of str to str
        Provenance shown under the title (model version, trained at, data
        fingerprint, ...), in the given order.

    Raises
    ------
    ConfigError
        If ``y``, ``pd_``, ``score`` or ``grade`` is not a Series on one
        shared index, ``grades`` is not distinct names, only one of the
        feature frames is given, or an optional frame lacks its columns.

    Examples
    --------
    >>> idx = pd.Index(["a1", "a2", "a3"], name="application_id")
    >>> data = ReportData(
    ...     title="Held-out 2024-06",
    ...     y=pd.Series([0, 1, pd.NA], index=idx, dtype="Int64"),
    ...     pd_=pd.Series([0.02, 0.3, 0.1], index=idx),
    ...     score=pd.Series([660.0, 590.0, 610.0], index=idx),
    ...     grade=pd.Series(["B", "E", "D"], index=idx),
    ...     grades=("A", "B", "C", "D", "E"),
    ... )
    >>> data.summary["n"], data.summary["immature"], data.summary["auc"]
    (2, 1, 1.0)
    >>> ReportData(**{**data.__dict__, "grade": data.grade.iloc[:2], "summary": None})
    Traceback (most recent call last):
    ...
    bnpl_risk.errors.ConfigError: ReportData.grade must be a Series on the index of y ...
    """

    title: str
    y: pd.Series
    pd_: pd.Series
    score: pd.Series
    grade: pd.Series
    grades: tuple[str, ...]
    summary: Mapping | None = None
    reference_score: pd.Series | None = None
    reference_features: pd.DataFrame | None = None
    current_features: pd.DataFrame | None = None
    importance: pd.Series | None = None
    top_reasons: pd.DataFrame | None = None
    vintage: pd.DataFrame | None = None
    backtest: pd.DataFrame | None = None
    frontier: pd.DataFrame | None = None
    policy_table: pd.DataFrame | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.y, pd.Series):
            raise ConfigError(
                f"ReportData.y must be a Series of labels (1, 0, <NA>) indexed by "
                f"application_id; found {type(self.y).__name__}. Use make_labels."
            )
        for name in ("pd_", "score", "grade"):
            _aligned(name, getattr(self, name), self.y.index)
        grades = self.grades
        if (
            isinstance(grades, str)
            or not isinstance(grades, (tuple, list))
            or len(grades) == 0
            or len(set(grades)) != len(grades)
            or not all(isinstance(g, str) for g in grades)
        ):
            raise ConfigError(
                f"ReportData.grades must be distinct grade names, best first; found "
                f"{grades!r}. Pass GradeScale().grades."
            )
        if (self.reference_features is None) != (self.current_features is None):
            raise ConfigError(
                "ReportData: pass both reference_features and current_features for the CSI "
                "table, or neither; found only one."
            )
        for name in ("reference_features", "current_features"):
            _frame(name, getattr(self, name), ())
        if self.reference_score is not None and not isinstance(self.reference_score, pd.Series):
            raise ConfigError(
                f"ReportData.reference_score must be a Series of scores; found "
                f"{type(self.reference_score).__name__}."
            )
        if self.importance is not None and not (
            isinstance(self.importance, pd.Series)
            and pd.api.types.is_numeric_dtype(self.importance)
        ):
            raise ConfigError(
                "ReportData.importance must be a numeric Series, feature name -> gain; found "
                f"{type(self.importance).__name__}. Use the model's feature importance."
            )
        _frame("top_reasons", self.top_reasons, _REASON_COLUMNS)
        _frame("vintage", self.vintage, ())
        _frame("backtest", self.backtest, BACKTEST_COLUMNS)
        if self.backtest is not None and "Total" not in self.backtest.index:
            raise ConfigError(
                "ReportData.backtest has no 'Total' row; expected the frame "
                "bnpl_risk.policy.backtest returns (one row per grade and a Total row)."
            )
        _frame("frontier", self.frontier, FRONTIER_COLUMNS)
        _frame("policy_table", self.policy_table, _POLICY_COLUMNS)
        summary = self.summary
        if summary is None:
            summary = headline(self.y, self.pd_, self.score)
            # Frozen: set once here, as the dataclass machinery itself does.
            object.__setattr__(self, "summary", summary)
        absent = [k for k in SUMMARY_KEYS if k not in summary]
        if absent:
            raise ConfigError(
                f"ReportData.summary lacks {format_keys(absent, limit=len(absent))}; expected "
                f"the dict bnpl_risk.evaluation.summary returns ({', '.join(SUMMARY_KEYS)}). "
                "Pass that dict, or None to compute it from y, pd_ and score."
            )


def _aligned(name: str, values, index: pd.Index) -> None:
    if not isinstance(values, pd.Series) or not values.index.equals(index):
        found = (
            f"{len(values)} rows on another index"
            if isinstance(values, pd.Series)
            else type(values).__name__
        )
        raise ConfigError(
            f"ReportData.{name} must be a Series on the index of y ({len(index)} "
            f"application_ids); found {found}. Align it first, e.g. {name}.reindex(y.index)."
        )


def _frame(name: str, frame, columns: tuple[str, ...]) -> None:
    if frame is None:
        return
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            f"ReportData.{name} must be a DataFrame or None; found {type(frame).__name__}."
        )
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        source = _SOURCES.get(name, "the library")
        raise ConfigError(
            f"ReportData.{name} lacks column(s) {format_keys(absent, limit=len(absent))}; "
            f"expected {', '.join(columns)} (as {source} returns). Pass that frame, or None "
            "to leave the section out."
        )
    if name == "vintage" and not all(isinstance(c, (int, np.integer)) for c in frame.columns):
        raise ConfigError(
            "ReportData.vintage must have months on book (1, 2, ...) as columns, as "
            f"bnpl_risk.evaluation.vintage_curves returns; found {list(frame.columns)[:5]}."
        )
