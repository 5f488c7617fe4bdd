"""bnpl_risk: credit decisions for buy-now-pay-later on short-video and live-stream shopping.

Histories of consumption and repayment go in; a point-in-time feature
vector, a calibrated probability of default, a score, a grade, an
eligibility decision, a credit limit, the products offered and readable
reasons come out.
"""

from bnpl_risk._version import __version__
from bnpl_risk.errors import ArtifactError, BnplRiskError, ConfigError, HistoryError
from bnpl_risk.histories import Histories
from bnpl_risk.labels import make_labels

__all__ = [
    "ArtifactError",
    "BnplRiskError",
    "ConfigError",
    "Histories",
    "HistoryError",
    "__version__",
    "make_labels",
]
