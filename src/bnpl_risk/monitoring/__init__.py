"""Monitoring: population stability of the score (PSI) and of every feature (CSI)."""

from bnpl_risk.monitoring.stability import (
    FLOOR,
    THRESHOLDS,
    csi,
    psi,
    psi_table,
    stability_status,
)

__all__ = ["FLOOR", "THRESHOLDS", "csi", "psi", "psi_table", "stability_status"]
