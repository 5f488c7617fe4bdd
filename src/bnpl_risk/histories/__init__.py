"""Data contract: schemas, the Histories container, validation and loaders."""

from bnpl_risk.histories._container import Histories
from bnpl_risk.histories.io import read_histories, validate_directory, write_histories
from bnpl_risk.histories.schema import SCHEMAS, Column, TableSchema
from bnpl_risk.histories.validation import (
    ApplicationsResult,
    ValidationResult,
    validate_applications,
    validate_histories,
)

__all__ = [
    "SCHEMAS",
    "ApplicationsResult",
    "Column",
    "Histories",
    "TableSchema",
    "ValidationResult",
    "read_histories",
    "validate_applications",
    "validate_directory",
    "validate_histories",
    "write_histories",
]
