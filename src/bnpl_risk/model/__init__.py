"""Model: calibrated LightGBM probability of default with reason contributions.

:class:`CreditModel` takes any feature frame (the library's features or a
plain credit table with numeric and categorical columns and missing
values), trains LightGBM with early stopping and monotone constraints, and
calibrates its score to a PD. Its state is LightGBM model text plus a JSON
dict (:meth:`CreditModel.to_state`, :meth:`CreditModel.from_state`).
"""

from bnpl_risk.model._frame import FeatureError
from bnpl_risk.model.calibration import (
    CALIBRATION_METHODS,
    IsotonicCalibrator,
    PlattCalibrator,
    calibrator_from_dict,
    fit_calibrator,
)
from bnpl_risk.model.credit_model import EXPECTED_VALUE, STATE_FORMAT, CreditModel

__all__ = [
    "CALIBRATION_METHODS",
    "EXPECTED_VALUE",
    "STATE_FORMAT",
    "CreditModel",
    "FeatureError",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "calibrator_from_dict",
    "fit_calibrator",
]
