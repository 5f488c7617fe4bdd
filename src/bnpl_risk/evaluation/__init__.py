"""Evaluation: discrimination, calibration, committee tables, vintages and roll rates.

Every metric on labels drops immature rows (missing label) and counts
them, never treating them as good. See DESIGN.md "Metrics, defined".
"""

from bnpl_risk.evaluation.calibration import brier, calibration_table, ece
from bnpl_risk.evaluation.discrimination import KS, auc, gini, ks
from bnpl_risk.evaluation.roll_rates import BUCKETS, roll_rates
from bnpl_risk.evaluation.summary import summary
from bnpl_risk.evaluation.tables import gains_table, grade_table
from bnpl_risk.evaluation.vintage import vintage_curves

__all__ = [
    "BUCKETS",
    "KS",
    "auc",
    "brier",
    "calibration_table",
    "ece",
    "gains_table",
    "gini",
    "grade_table",
    "ks",
    "roll_rates",
    "summary",
    "vintage_curves",
]
