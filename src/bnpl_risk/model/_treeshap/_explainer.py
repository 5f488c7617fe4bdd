""":class:`TreeShap`: built from a booster; its rows go through ``_kernels``.

The kernels read the plan's tests as ``_decisions`` lays them out, so that
each row goes LightGBM's way at every split.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.model._frame import FeatureError
from bnpl_risk.model._treeshap._build import _build
from bnpl_risk.model._treeshap._kernels import _contributions, _raw_scores
from bnpl_risk.model._treeshap._model_text import (
    _check_supported,
    _header_value,
    _parse_trees,
    _split_model_text,
    _sub_model_text,
)
from bnpl_risk.model._treeshap._plan import _Plan

# Key offsets (m << bit) must fit an int32; 2**20 * 20 numbers (160 MiB) for
# one table is already far past any sensible budget.
_MAX_LEAF_FEATURES = 20


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
        shap = cls(plan, len(blocks), fallback, fallback_trees)
        # Compile the loops (or load them from numba's cache) now, not at the first row.
        empty = np.empty((0, shap.n_features))
        shap.contributions(empty)
        if shap.scores_raw:
            shap.raw_score(empty)
        return shap

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
        out = np.zeros((len(x), self.n_features + 1))
        out[:, -1] = self.expected_value
        _contributions(self._plan, x, out)
        if self._fallback is not None and len(x):
            out += self._fallback.predict(x, pred_contrib=True, num_threads=num_threads)
        return out

    @property
    def scores_raw(self) -> bool:
        """Whether :meth:`raw_score` can score rows: no tree is left to LightGBM."""
        return self._fallback is None

    def raw_score(self, matrix) -> np.ndarray:
        """Each row's raw score, exactly (bit for bit) as ``booster.predict(raw_score=True)``.

        The trees' leaf values added in tree order from 0.0, as LightGBM's
        ``GBDT::PredictRaw`` does, each leaf found by LightGBM's decisions:
        a compiled loop, without LightGBM's Python wrapper (which costs more
        than the trees for one row). Only for models without fallback trees
        (:attr:`scores_raw`).

        Parameters
        ----------
        matrix : array of shape (n, n_features)
            As :meth:`contributions`. Not modified.

        Returns
        -------
        ndarray of shape (n,)

        Raises
        ------
        FeatureError
            ``matrix`` is not a 2-D numeric array with ``n_features`` columns.
        ConfigError
            Some trees are left to LightGBM (see :attr:`scores_raw`).

        Examples
        --------
        >>> import lightgbm as lgb, numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 50)
        >>> booster = lgb.train({"num_threads": 1, "verbose": -1, "min_data_in_leaf": 5},
        ...                     lgb.Dataset(X, X[:, 0]), num_boost_round=3)
        >>> rows = np.array([[0.5], [3.0], [np.nan]])
        >>> raw = TreeShap.from_booster(booster).raw_score(rows)
        >>> bool((raw == booster.predict(rows, raw_score=True)).all())
        True
        """
        if not self.scores_raw:
            raise ConfigError(
                f"TreeShap.raw_score needs every tree tabulated; trees "
                f"{format_keys(self.fallback_trees)} are left to LightGBM. Use "
                "booster.predict(X, raw_score=True), or build with a larger max_table_bytes."
            )
        x = _as_matrix(matrix, self.n_features)
        out = np.empty(len(x))
        _raw_scores(self._plan, x, out)
        return out


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
    return np.ascontiguousarray(x)  # the compiled loops read rows as contiguous arrays


def _check_int(name: str, value, low: int, high: int | None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f"an integer in [{low}, {high}]" if high is not None else f"an integer >= {low}"
        raise ConfigError(f"TreeShap.from_booster {name} must be {allowed}; got {value!r}.")
