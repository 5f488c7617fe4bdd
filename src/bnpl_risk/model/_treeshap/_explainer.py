""":class:`TreeShap`: built from a booster, and the per-row path it runs.

The path reads the plan's tests as ``_decisions`` lays them out, so that
each row goes LightGBM's way at every split.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from bnpl_risk.errors import ConfigError
from bnpl_risk.model._frame import FeatureError
from bnpl_risk.model._treeshap._build import _build
from bnpl_risk.model._treeshap._model_text import (
    _check_supported,
    _header_value,
    _parse_trees,
    _split_model_text,
    _sub_model_text,
)
from bnpl_risk.model._treeshap._plan import _NAN_AS, _ZERO, _ZERO_AS, _Plan

# Key offsets (m << bit) must fit an int32; 2**20 * 20 numbers (160 MiB) for
# one table is already far past any sensible budget.
_MAX_LEAF_FEATURES = 20
# Rows scored at once: keeps the (rows x slots) scratch arrays within a core's
# L2 cache (some 20 rows of a 444-tree model).
_CHUNK_CELLS = 1 << 18


class TreeShap:
    """Exact TreeSHAP contributions of a LightGBM model, equal to ``pred_contrib``.

    Build it with :meth:`from_booster` when the model is fitted or loaded;
    it never changes afterwards, so one instance may serve many threads.

    Attributes
    ----------
    n_features : int
        Columns the model reads; :meth:`contributions` returns one more.
    expected_value : float
        The bias column: the model's mean raw score over its training rows.
    n_trees : int
    fallback_trees : tuple of int
        Trees (0-based, in model order) whose contributions LightGBM computes.
    nbytes : int
        Memory held by the tables and index arrays (not the fallback booster).

    Examples
    --------
    >>> import lightgbm as lgb, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); X[::7, 1] = np.nan
    >>> y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    >>> booster = lgb.train({"objective": "binary", "num_threads": 1, "verbose": -1},
    ...                     lgb.Dataset(X, y), num_boost_round=20)
    >>> shap = TreeShap.from_booster(booster)
    >>> phi = shap.contributions(X[:4])
    >>> phi.shape
    (4, 4)
    >>> bool(np.allclose(phi, booster.predict(X[:4], pred_contrib=True), rtol=0, atol=1e-9))
    True
    """

    def __init__(self, plan: _Plan, n_trees: int, fallback: lgb.Booster | None, fallback_trees):
        # Private: use from_booster.
        self._plan = plan
        self._fallback = fallback
        self.n_features = plan.n_features
        self.n_trees = n_trees
        self.fallback_trees = tuple(int(t) for t in fallback_trees)
        self.expected_value = plan.expected_value
        self.nbytes = sum(v.nbytes for v in vars(plan).values() if isinstance(v, np.ndarray))

    @classmethod
    def from_booster(
        cls,
        booster: lgb.Booster,
        *,
        max_leaf_features: int = 14,
        max_table_bytes: int = 256 * 2**20,
    ) -> TreeShap:
        """Tabulate the contributions of every leaf of ``booster``.

        Parameters
        ----------
        booster : lightgbm.Booster
            A single-output model (binary, regression, ...); its trees up to
            ``best_iteration``, as ``booster.predict`` uses by default.
        max_leaf_features : int, default 14
            A tree with a leaf whose path tests more distinct features is
            left to LightGBM (the leaf's table would hold ``2**m * m``
            numbers, 1.8 MB at 14), and no table is keyed by more bits (a
            larger subtree gets several). At most 20.
        max_table_bytes : int, default 256 MiB
            Budget for the tables; past it, the trees with the largest
            tables are left to LightGBM.

        Returns
        -------
        TreeShap

        Raises
        ------
        ConfigError
            The booster has several outputs per row (multiclass), averages
            its trees (random forest) or has linear trees; or a parameter is
            out of range.

        Examples
        --------
        >>> import lightgbm as lgb, numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(300, 2)); y = X[:, 0] + rng.normal(size=300)
        >>> booster = lgb.train({"num_threads": 1, "verbose": -1}, lgb.Dataset(X, y),
        ...                     num_boost_round=5)
        >>> shap = TreeShap.from_booster(booster)
        >>> shap.n_trees, shap.fallback_trees
        (5, ())
        >>> TreeShap.from_booster(booster, max_table_bytes=0).fallback_trees
        (0, 1, 2, 3, 4)
        """
        _check_int("max_leaf_features", max_leaf_features, 1, _MAX_LEAF_FEATURES)
        _check_int("max_table_bytes", max_table_bytes, 0, None)
        header, blocks = _split_model_text(booster.model_to_string())
        fields = _parse_trees(blocks)
        _check_supported(header, fields)
        plan, fallback_trees = _build(
            fields,
            int(_header_value(header, "max_feature_idx")) + 1,
            max_leaf_features,
            max_table_bytes // np.dtype(np.float64).itemsize,
        )
        fallback = None
        if len(fallback_trees):
            fallback = lgb.Booster(model_str=_sub_model_text(header, blocks, fallback_trees))
        return cls(plan, len(blocks), fallback, fallback_trees)

    def contributions(self, matrix, *, num_threads: int = 1) -> np.ndarray:
        """TreeSHAP contribution of each feature to each row's raw score.

        Parameters
        ----------
        matrix : array of shape (n, n_features)
            Numeric rows as the booster reads them (categorical columns as
            integer codes, NaN for missing). Not modified.
        num_threads : int, default 1
            Threads of the LightGBM call for fallback trees, if any.

        Returns
        -------
        ndarray of shape (n, n_features + 1)
            As ``booster.predict(matrix, pred_contrib=True)``: one column
            per feature, then the expected value; each row sums to the raw
            score.

        Raises
        ------
        FeatureError
            ``matrix`` is not a 2-D numeric array with ``n_features`` columns.

        Examples
        --------
        >>> import lightgbm as lgb, numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 50)
        >>> booster = lgb.train({"num_threads": 1, "verbose": -1, "min_data_in_leaf": 5},
        ...                     lgb.Dataset(X, X[:, 0]), num_boost_round=1)
        >>> phi = TreeShap.from_booster(booster).contributions(np.array([[3.0], [np.nan]]))
        >>> phi.round(3)  # mean 1.5; NaN is read as 0, as LightGBM does
        array([[ 0.15,  1.5 ],
               [-0.15,  1.5 ]])
        """
        x = _as_matrix(matrix, self.n_features)
        plan = self._plan
        out = np.zeros((len(x), plan.n_features + 1))
        out[:, -1] = plan.expected_value
        step = max(1, _CHUNK_CELLS // max(1, len(plan.col_node)))
        for start in range(0, len(x), step):
            _contributions(plan, x[start : start + step], out[start : start + step])
        if self._fallback is not None and len(x):
            out += self._fallback.predict(x, pred_contrib=True, num_threads=num_threads)
        return out


def _contributions(plan: _Plan, x: np.ndarray, out: np.ndarray) -> None:
    """Add the tabulated trees' contributions for the rows ``x`` to ``out``."""
    if not len(plan.col_node):
        return
    added = _go_left(plan, x).take(plan.col_node, axis=1) * plan.col_coef
    # Each unit's row in its table, key * m: the slots summed column by column.
    row = plan.unit_constant + added[:, : plan.col_width[0]]
    start = plan.col_width[0]
    for width in plan.col_width[1:]:
        row[:, :width] += added[:, start : start + width]
        start += width
    values = plan.table.take(row.take(plan.sorted_unit, axis=1) + plan.sorted_base)
    out[:, plan.used_feature] += np.add.reduceat(values, plan.feature_start, axis=1)


def _go_left(plan: _Plan, x: np.ndarray) -> np.ndarray:
    """Does each row go left at (meet) each test? Shape (rows, tests)."""
    nan = np.isnan(x)[:, None]
    zero = (np.abs(x) <= _ZERO)[:, None]
    copies = np.where(nan, _NAN_AS[:, None], np.where(zero, _ZERO_AS[:, None], x[:, None]))
    copies = copies.reshape(len(x), -1)
    left = copies.take(plan.test_read, axis=1) <= plan.test_threshold
    start, stop = plan.interval
    left[:, start:stop] &= ~(copies.take(plan.interval_read, axis=1) <= plan.interval_lower)
    if len(plan.cat_test):
        left[:, plan.cat_test] = _in_category(plan, copies.take(plan.cat_read, axis=1))
    return left


def _in_category(plan: _Plan, values: np.ndarray) -> np.ndarray:
    """Is int(value) in each categorical test's bitset? NaN is in none."""
    code = np.trunc(values)  # C's static_cast<int>: toward zero, so -0.5 is category 0
    inside = (code >= 0) & (code < 32 * plan.cat_words)
    code = np.where(inside, code, 0).astype(np.int64)
    word = plan.cat_bitset.take(plan.cat_start + (code >> 5))
    return inside & ((word >> (code & 31)) & 1).astype(bool)


def _as_matrix(matrix, n_features: int) -> np.ndarray:
    try:
        x = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        found = getattr(matrix, "dtype", type(matrix).__name__)
        raise FeatureError(
            f"TreeShap needs a numeric matrix; got {found}. Encode categorical columns as "
            "integer codes first (CreditModel does so)."
        ) from None
    if x.ndim != 2 or x.shape[1] != n_features:
        raise FeatureError(
            f"TreeShap needs a 2-D matrix with {n_features} columns (one per model feature); "
            f"got shape {x.shape}. Pass one row as row[None, :]."
        )
    return x


def _check_int(name: str, value, low: int, high: int | None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f"an integer in [{low}, {high}]" if high is not None else f"an integer >= {low}"
        raise ConfigError(f"TreeShap.from_booster {name} must be {allowed}; got {value!r}.")
