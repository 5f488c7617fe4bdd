"""Point-in-time feature builders and the feature registry.

:class:`FeatureBuilder` turns histories and applications into one feature
row per application, using only what was known at its ``as_of``;
:data:`REGISTRY` says what each feature means, its risk direction and the
reason a shopper reads.
"""

from bnpl_risk.features.builder import FeatureBuilder
from bnpl_risk.features.registry import (
    DEFAULT_WINDOWS,
    FEATURE_FAMILIES,
    REGISTRY,
    SUPPORTED_WINDOWS,
    FeatureSpec,
    feature_names,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "FEATURE_FAMILIES",
    "REGISTRY",
    "SUPPORTED_WINDOWS",
    "FeatureBuilder",
    "FeatureSpec",
    "feature_names",
]
