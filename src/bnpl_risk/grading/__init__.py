"""PD -> score (PDO scaling) -> grade (master scale)."""

from bnpl_risk.grading.scale import GradeScale

__all__ = ["GradeScale"]
