"""bnpl_risk: credit decisions for buy-now-pay-later on short-video and live-stream shopping.

Histories of consumption and repayment go in; a point-in-time feature
vector, a calibrated probability of default, a score, a grade, an
eligibility decision, a credit limit, the products offered and readable
reasons come out.
"""

from bnpl_risk._version import __version__
from bnpl_risk.batch import ResumeError, read_rejects, read_scores, score_book
from bnpl_risk.datasets import load_sample, make_bnpl_histories
from bnpl_risk.errors import ArtifactError, BnplRiskError, ConfigError, HistoryError
from bnpl_risk.evaluation import (
    calibration_table,
    gains_table,
    grade_table,
    roll_rates,
    vintage_curves,
)
from bnpl_risk.features import FeatureBuilder
from bnpl_risk.grading import GradeScale
from bnpl_risk.histories import (
    Histories,
    ValidationResult,
    read_histories,
    validate_applications,
    validate_histories,
    write_histories,
)
from bnpl_risk.io import load_scorer, save_scorer
from bnpl_risk.labels import make_labels
from bnpl_risk.model import CreditModel
from bnpl_risk.monitoring import csi, psi
from bnpl_risk.policy import Decision, Economics, Policy, authorize, backtest, compare, frontier
from bnpl_risk.report import ReportData, render_report
from bnpl_risk.scorer import RiskScorer
from bnpl_risk.training import train_and_evaluate

__all__ = [
    "ArtifactError",
    "BnplRiskError",
    "ConfigError",
    "CreditModel",
    "Decision",
    "Economics",
    "FeatureBuilder",
    "GradeScale",
    "Histories",
    "HistoryError",
    "Policy",
    "ReportData",
    "ResumeError",
    "RiskScorer",
    "ValidationResult",
    "__version__",
    "authorize",
    "backtest",
    "calibration_table",
    "compare",
    "csi",
    "frontier",
    "gains_table",
    "grade_table",
    "load_sample",
    "load_scorer",
    "make_bnpl_histories",
    "make_labels",
    "psi",
    "read_histories",
    "read_rejects",
    "read_scores",
    "render_report",
    "roll_rates",
    "save_scorer",
    "score_book",
    "train_and_evaluate",
    "validate_applications",
    "validate_histories",
    "vintage_curves",
    "write_histories",
]
