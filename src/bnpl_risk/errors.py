"""Exceptions raised by bnpl_risk.

Every error names what was wrong, where, what was expected, what was found
and how to fix it. Each subclass also inherits the builtin a caller would
catch, so ``except ValueError`` keeps working.

Examples
--------
>>> from bnpl_risk.errors import BnplRiskError, HistoryError
>>> issubclass(HistoryError, BnplRiskError) and issubclass(HistoryError, ValueError)
True
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError

__all__ = [
    "ArtifactError",
    "BnplRiskError",
    "ConfigError",
    "HistoryError",
    "NotFittedError",
]


class BnplRiskError(Exception):
    """Base class of every error bnpl_risk raises on purpose."""


class HistoryError(BnplRiskError, ValueError):
    """Input tables break the data contract (columns, types, keys, values)."""


class ConfigError(BnplRiskError, ValueError):
    """A parameter, policy or grade scale is malformed."""


class ArtifactError(BnplRiskError, ValueError):
    """A saved scorer is missing, tampered with, truncated or incompatible."""


def format_keys(keys, limit: int = 5) -> str:
    """Return up to ``limit`` sorted keys as text, with how many more there are.

    Examples
    --------
    >>> format_keys(["o9", "o1", "o3"], limit=2)
    'o1, o3 and 1 more'
    """
    keys = sorted({str(k) for k in keys})
    shown = ", ".join(keys[:limit])
    rest = len(keys) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
