"""LightGBM settings for credit data, the early-stopping slice and monotone constraints."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
from sklearn.model_selection import train_test_split

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.model._frame import FeatureError, FrameSpec

# A leaf needs at least this many rows, and at least 1 in this many of the
# training rows: small books stay flexible, large ones do not chase noise.
_MIN_LEAF_ROWS = 10
_MIN_LEAF_SHARE = 500
# Early stopping counts a round as better only if it lowers the held-out log
# loss by this much: on smooth signals the loss creeps down by 1e-7 a round
# for thousands of rounds, which costs time and buys nothing.
MIN_DELTA = 1e-4


def registry() -> Mapping:
    """The feature registry (name -> FeatureSpec); imported late, as features come first."""
    from bnpl_risk.features.registry import REGISTRY

    return REGISTRY


def train_params(model, n_train: int, monotone: np.ndarray) -> dict:
    """``lightgbm.train`` parameters for a CreditModel on ``n_train`` rows."""
    min_leaf = model.min_data_in_leaf
    if min_leaf == "auto":
        min_leaf = max(_MIN_LEAF_ROWS, n_train // _MIN_LEAF_SHARE)
    return {
        # Plain log loss, no class weights: reweighting bads would move every
        # PD away from the observed bad rate, and AUC does not need it.
        "objective": "binary",
        "learning_rate": model.learning_rate,
        "num_leaves": model.num_leaves,
        "min_data_in_leaf": min_leaf,
        "lambda_l2": model.lambda_l2,
        "path_smooth": model.path_smooth,
        "feature_fraction": model.feature_fraction,
        "monotone_constraints": monotone.tolist(),
        "num_threads": model.num_threads,
        "seed": model.random_state,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }


def booster_names(names: tuple[str, ...]) -> list[str]:
    """Feature names LightGBM accepts: it refuses JSON punctuation and needs them unique."""
    safe = [re.sub(r"[^0-9A-Za-z_]", "_", n) for n in names]
    return safe if len(set(safe)) == len(safe) else [f"Column_{i}" for i in range(len(names))]


def holdout(
    y: np.ndarray, time: np.ndarray | None, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows to train on and rows held out for early stopping and calibration.

    The latest ``fraction`` of rows by ``time`` when given (stable sort, so
    ties keep their order), else a stratified random ``fraction``.
    """
    n = len(y)
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        raise FeatureError(
            f"y has {counts[1]} rows of class 1 and {counts[0]} of class 0; CreditModel needs "
            "at least 2 of each class (1 class is not enough) to train and hold out a slice."
        )
    size = max(2, math.ceil(fraction * n))
    if time is None:
        return train_test_split(np.arange(n), test_size=size, stratify=y, random_state=seed)
    order = np.argsort(time, kind="stable")
    train, valid = order[:-size], order[-size:]
    for part, rows in (("training", train), ("held-out", valid)):
        if len(np.unique(y[rows])) < 2:
            raise FeatureError(
                f"the {part} part of a time split (latest {size} of {n} rows held out) holds "
                "only one class. Pass a larger validation_fraction, more recent mature "
                "labels, or time=None for a stratified random split."
            )
    return train, valid


def resolve_monotone(monotone, spec: FrameSpec) -> np.ndarray:
    """Direction (+1, -1, 0) per feature, in feature order.

    ``"registry"`` reads ``FeatureSpec.direction``; unknown and categorical
    columns get 0. A dict is checked: its names must be features, its
    values in {-1, 0, 1}, and categorical columns cannot be constrained.
    """
    if monotone is None:
        directions = {}
    elif isinstance(monotone, str):
        known = registry()
        directions = {n: int(known[n].direction) for n in spec.names if n in known}
        directions = {n: d for n, d in directions.items() if n not in spec.categories}
    else:
        directions = dict(monotone)
        unknown = set(directions) - set(spec.names)
        if unknown:
            raise ConfigError(
                f"monotone names {format_keys(unknown)}, which are not features of X. "
                "Use names from X.columns."
            )
        bad = {f"{n}={d!r}" for n, d in directions.items() if d not in (-1, 0, 1)}
        if bad:
            raise ConfigError(f"monotone directions must be -1, 0 or 1; got {format_keys(bad)}.")
        constrained = {n for n in spec.categories if directions.get(n, 0) != 0}
        if constrained:
            raise ConfigError(
                f"monotone constrains categorical columns {format_keys(constrained)}; "
                "categories have no order. Set them to 0 or leave them out."
            )
    return np.array([directions.get(n, 0) for n in spec.names], dtype=np.int64)
