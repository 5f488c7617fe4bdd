"""Data contract: schemas, the Histories container, validation and loaders."""

from bnpl_risk.histories._container import Histories
from bnpl_risk.histories.schema import SCHEMAS, Column, TableSchema

__all__ = ["SCHEMAS", "Column", "Histories", "TableSchema"]
