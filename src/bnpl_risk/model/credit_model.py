"""CreditModel: a calibrated LightGBM probability of default behind a scikit-learn face.

It wraps ``lightgbm.train`` and a :class:`lightgbm.Booster` the way
LightGBM's own ``sklearn.py`` wraps ``basic.py``, and adds what a credit
model needs: categorical columns without preprocessing, early stopping on a
held-out slice (the latest rows when a time is given), monotone constraints
from the feature registry, calibration to a true PD on the held-out slice,
TreeSHAP reasons, a checked feature list and a text + JSON state.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"late_days": rng.exponential(5, 2000),
...                   "channel": rng.choice(["live", "mall"], 2000)})
>>> y = (rng.uniform(size=2000) < 0.05 + 0.03 * X["late_days"].clip(0, 20)).astype(int)
>>> model = CreditModel(monotone={"late_days": 1}).fit(X, y)
>>> new = pd.DataFrame({"late_days": [0.0, 10.0], "channel": ["live", "tv"]})
>>> model.predict_proba(new)[:, 1].round(1)  # true PD 0.05 and 0.35
array([0.1, 0.4])
>>> model.top_reasons(new, k=1)[["rank", "feature", "reason_code"]]
   rank    feature reason_code
1     1  late_days     R_MODEL
"""

from __future__ import annotations

from numbers import Integral, Real

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from bnpl_risk.errors import ArtifactError, format_keys
from bnpl_risk.model import _lgbm
from bnpl_risk.model._frame import FeatureError, FrameSpec
from bnpl_risk.model._reasons import adverse_texts, top_adverse
from bnpl_risk.model._treeshap import TreeShap
from bnpl_risk.model.calibration import CALIBRATION_METHODS, calibrator_from_dict, fit_calibrator

__all__ = ["CreditModel"]

#: Tag of the JSON state written by :meth:`CreditModel.to_state`.
STATE_FORMAT = "bnpl_risk.CreditModel/1"
#: Name of the bias column of :meth:`CreditModel.predict_contributions`.
EXPECTED_VALUE = "expected_value"
# Up to this many rows, raw scores come from TreeShap's compiled trees (equal to
# LightGBM's bit for bit): LightGBM's Python wrapper costs 4x the trees of one row
# (0.04 ms against 0.01 for 444 trees). Larger batches stay with LightGBM, which
# spreads them over num_threads.
_COMPILED_ROWS = 64


class CreditModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM classifier of bad (1) vs good (0).

    Defaults are chosen for credit data of a few hundred to millions of
    rows and are not tuned to any one book: a small learning rate, small
    trees, leaves of at least ``max(10, rows / 500)`` rows, strong L2 and
    path smoothing, half the features per tree. Training stops when the
    log loss on the held-out slice has not improved by 1e-4 for
    ``early_stopping_rounds`` rounds, and keeps the best round. Classes are
    not reweighted, so the raw score is already close to a PD; the
    calibrator, fitted on the same held-out slice, makes each decile's mean
    PD match its bad rate.

    Parameters
    ----------
    learning_rate : float, default 0.02
    num_leaves : int, default 15
    min_data_in_leaf : int or "auto", default "auto"
        ``"auto"``: ``max(10, n_train // 500)``.
    lambda_l2 : float, default 20.0
    path_smooth : float, default 10.0
        Shrinks each leaf toward its parent; helps small books most.
    feature_fraction : float, default 0.5
        Share of features each tree may use.
    max_rounds : int, default 5000
        Upper bound on boosting rounds; early stopping usually ends sooner.
    early_stopping_rounds : int, default 50
    validation_fraction : float, default 0.15
        Share of the rows held out for early stopping and calibration.
    calibration : {"auto", "platt", "isotonic"}, default "auto"
        See :func:`~bnpl_risk.model.fit_calibrator`.
    monotone : "registry", dict or None, default "registry"
        Monotone constraints. ``"registry"`` takes each column's
        ``direction`` from :data:`bnpl_risk.features.registry.REGISTRY`
        (0 for columns it does not know and for categorical columns); a
        dict maps column names to -1, 0 or +1; None constrains nothing.
    num_threads : int, default 1
        Threads for training and batch prediction. One by default: it is
        deterministic, and safe inside services, Spark tasks and shared
        machines, where LightGBM's spinning OpenMP threads would fight
        other work. Raise it for training on a dedicated machine. A single
        row is always predicted on one thread.
    random_state : int, default 0
        Seeds the held-out slice, LightGBM and the calibration folds; the
        same data and seed give the same model.

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The trees, exactly ``best_iteration_`` of them.
    calibrator_ : PlattCalibrator or IsotonicCalibrator
    classes_ : ndarray of shape (2,)
        ``predict_proba[:, 1]`` is the probability of ``classes_[1]``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame; checked (names and order) at every
        predict.
    categories_ : dict of str to list of str
        Vocabulary of each categorical (object, string or category) column.
        A category not seen at fit is treated as missing.
    monotone_constraints_ : ndarray of int
        Direction per feature, in feature order.
    best_iteration_ : int

    Notes
    -----
    Numeric columns may hold NaN (LightGBM learns where missing values go);
    infinite values are refused. Arrays (no names) must be all numeric.
    """

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, 131072, closed="both")],
        "min_data_in_leaf": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lambda_l2": [Interval(Real, 0, None, closed="left")],
        "path_smooth": [Interval(Real, 0, None, closed="left")],
        "feature_fraction": [Interval(Real, 0, 1, closed="right")],
        "max_rounds": [Interval(Integral, 1, None, closed="left")],
        "early_stopping_rounds": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "calibration": [StrOptions(set(CALIBRATION_METHODS))],
        "monotone": [StrOptions({"registry"}), dict, None],
        "num_threads": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, 2**31 - 1, closed="both")],
    }

    def __init__(
        self,
        *,
        learning_rate: float = 0.02,
        num_leaves: int = 15,
        min_data_in_leaf: int | str = "auto",
        lambda_l2: float = 20.0,
        path_smooth: float = 10.0,
        feature_fraction: float = 0.5,
        max_rounds: int = 5000,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.15,
        calibration: str = "auto",
        monotone: str | dict | None = "registry",
        num_threads: int = 1,
        random_state: int = 0,
    ):
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_data_in_leaf = min_data_in_leaf
        self.lambda_l2 = lambda_l2
        self.path_smooth = path_smooth
        self.feature_fraction = feature_fraction
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.calibration = calibration
        self.monotone = monotone
        self.num_threads = num_threads
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, time=None) -> CreditModel:
        """Train on ``X`` and 0/1 (or any two-class) labels ``y``.

        Parameters
        ----------
        X : DataFrame or array of shape (n, p)
            Numeric columns (NaN allowed) and categorical ones (object,
            string or category dtype). Not modified.
        y : array-like of shape (n,)
            Two classes; the larger (e.g. 1 = bad) is the one whose
            probability ``predict_proba[:, 1]`` gives.
        time : array-like of shape (n,), optional
            Decision time of each row (e.g. ``as_of``). When given, the
            latest rows are held out, as a model meets the future.

        Returns
        -------
        self

        Raises
        ------
        FeatureError
            ``X``, ``y`` or ``time`` cannot be used (names, types, infinite
            values, a missing label, not two classes, lengths).
        ConfigError
            ``monotone`` names unknown or categorical columns.
        """
        spec = FrameSpec.learn(X, type(self).__name__)
        matrix = spec.encode(X, type(self).__name__, min_rows=1)
        classes, target = _binary_target(y, len(matrix))
        time = _times(time, len(matrix))
        monotone = _lgbm.resolve_monotone(self.monotone, spec)
        train, valid = _lgbm.holdout(target, time, self.validation_fraction, self.random_state)
        params = _lgbm.train_params(self, len(train), monotone)
        names = _lgbm.booster_names(spec.names)
        cats = spec.categorical_positions
        dtrain = lgb.Dataset(
            matrix[train], target[train], feature_name=names, categorical_feature=cats
        )
        dvalid = lgb.Dataset(matrix[valid], target[valid], reference=dtrain)
        booster = lgb.train(
            params,
            dtrain,
            num_boost_round=self.max_rounds,
            valid_sets=[dvalid],
            callbacks=[
                lgb.early_stopping(
                    self.early_stopping_rounds, min_delta=_lgbm.MIN_DELTA, verbose=False
                )
            ],
        )
        raw = booster.predict(matrix[valid], raw_score=True, num_threads=self.num_threads)
        calibrator = fit_calibrator(
            raw, target[valid], self.calibration, random_state=self.random_state
        )
        self._set_fitted(spec, booster, calibrator, classes, monotone)
        return self

    def _set_fitted(self, spec, booster, calibrator, classes, monotone) -> None:
        self._spec = spec
        self.booster_ = booster
        self.calibrator_ = calibrator
        self.classes_ = classes
        self.n_features_in_ = len(spec.names)
        if spec.from_frame:
            self.feature_names_in_ = np.asarray(spec.names, dtype=object)
        elif hasattr(self, "feature_names_in_"):  # refitted on an array
            del self.feature_names_in_
        self.categories_ = {k: list(v) for k, v in spec.categories.items()}
        self.monotone_constraints_ = monotone
        self.best_iteration_ = booster.current_iteration()
        # TreeSHAP tables, built now so that no decision pays for them (about 0.5 s and
        # 19 MB for 450 trees of 15 leaves): LightGBM's pred_contrib values at a
        # fraction of its cost per row.
        self._shap = TreeShap.from_booster(booster)

    def _matrix(self, X) -> np.ndarray:
        if not hasattr(self, "booster_"):  # check_is_fitted costs more than a row's trees
            check_is_fitted(self, "booster_")
        return self._spec.encode(X, type(self).__name__)

    def _raw(self, matrix: np.ndarray, *, contrib: bool = False) -> np.ndarray:
        if len(matrix) == 0:  # LightGBM divides by the row count
            return np.empty((0, matrix.shape[1] + 1) if contrib else 0)
        # One row on one thread: waking a thread pool costs more than the row.
        threads = 1 if len(matrix) == 1 else self.num_threads
        if contrib:
            return self._shap.contributions(matrix, num_threads=threads)
        if len(matrix) <= _COMPILED_ROWS and self._shap.scores_raw:
            return self._shap.raw_score(matrix)  # the same bits as LightGBM's
        return self.booster_.predict(matrix, raw_score=True, num_threads=threads)

    def predict_raw(self, X) -> np.ndarray:
        """Raw score (log-odds of ``classes_[1]``, before calibration), shape (n,)."""
        return self._raw(self._matrix(X))

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2); column 1 is the PD.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(500, 3))
        >>> y = (X[:, 0] + rng.normal(size=500) > 1).astype(int)
        >>> proba = CreditModel(monotone=None).fit(X, y).predict_proba(X[:3])
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1))
        ((3, 2), True)
        """
        raw = self.predict_raw(X)
        pd_ = self.calibrator_.transform(raw)
        return np.column_stack([1.0 - pd_, pd_])

    def predict_pd_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated PD of rows given as floats in feature order, shape (n,): the checkout path.

        No frame checks (names, dtypes, categories), which cost more than the
        trees for one row: ``matrix`` must be float64 with the columns of
        ``feature_names_in_`` in order, as :class:`~bnpl_risk.features.FeatureBuilder`
        builds them. Models with categorical columns need :meth:`predict_proba`.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(500, 3))
        >>> y = (X[:, 0] + rng.normal(size=500) > 1).astype(int)
        >>> model = CreditModel(monotone=None).fit(X, y)
        >>> bool(np.array_equal(model.predict_pd_matrix(X[:2]), model.predict_proba(X[:2])[:, 1]))
        True
        """
        self._check_numeric("predict_pd_matrix", "predict_proba")
        return self.calibrator_.transform(self._raw(matrix))

    def _check_numeric(self, method: str, instead: str) -> None:
        if self._spec.categories:
            raise FeatureError(
                f"{method} takes numeric features only; this model has categorical "
                f"columns ({format_keys(self._spec.categories)}). Use {instead}."
            )

    def predict(self, X) -> np.ndarray:
        """The more likely class of each row."""
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(np.int64)]

    def predict_contributions(self, X) -> pd.DataFrame:
        """TreeSHAP contribution of each feature to the raw score.

        Returns
        -------
        DataFrame
            One column per feature plus ``expected_value`` (the bias), in
            raw log-odds units before calibration; each row sums to
            :meth:`predict_raw`. Indexed like ``X`` when it is a DataFrame.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(500, 2))
        >>> y = (X[:, 0] + rng.normal(size=500) > 1).astype(int)
        >>> model = CreditModel(monotone=None).fit(X, y)
        >>> contrib = model.predict_contributions(X[:3])
        >>> list(contrib.columns)
        ['x0', 'x1', 'expected_value']
        >>> bool(np.allclose(contrib.sum(axis=1), model.predict_raw(X[:3])))
        True
        """
        values = self._raw(self._matrix(X), contrib=True)
        return pd.DataFrame(
            values, index=_index(X, len(values)), columns=[*self._spec.names, EXPECTED_VALUE]
        )

    def top_reasons(self, X, k: int = 4) -> pd.DataFrame:
        """The ``k`` features that raise each row's PD most, with their reason texts.

        Only features with a positive (adverse) contribution count, so a
        row may have fewer than ``k`` reasons, or none.

        Parameters
        ----------
        X : DataFrame or array
        k : int, default 4

        Returns
        -------
        DataFrame
            One line per reason, indexed like ``X``, with ``row`` (position
            in ``X``), ``rank`` (1 = largest), ``feature``, ``contribution``
            (raw log-odds), ``reason_code``, ``reason_en`` and ``reason_zh``
            from the feature registry, or a generic ``R_MODEL`` text for
            features it does not know.
        """
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise FeatureError(f"k must be a positive integer; got {k!r}.")
        contributions = self.predict_contributions(X)
        return top_adverse(
            contributions.to_numpy()[:, :-1],
            self._spec.names,
            contributions.index,
            int(k),
            _lgbm.registry(),
        )

    def top_reasons_matrix(self, matrix: np.ndarray, k: int) -> list[list[tuple[str, str, str]]]:
        """:meth:`top_reasons` of rows given as in :meth:`predict_pd_matrix`, no frame.

        Returns, per row, the (reason_code, reason_en, reason_zh) of its up to
        ``k`` most adverse features, most adverse first.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(500, 2))
        >>> y = (X[:, 0] + rng.normal(size=500) > 1).astype(int)
        >>> model = CreditModel(monotone=None).fit(X, y)
        >>> model.top_reasons_matrix(np.array([[3.0, 0.0]]), k=1)
        [[('R_MODEL', 'x0 counted against the application', 'x0 对本次评估产生了不利影响')]]
        """
        self._check_numeric("top_reasons_matrix", "top_reasons")
        contributions = self._raw(matrix, contrib=True)[:, :-1]
        return adverse_texts(contributions, self._spec.names, k, _lgbm.registry())

    def to_state(self) -> dict:
        """JSON-ready state; with ``booster_.model_to_string()`` it rebuilds the model.

        Examples
        --------
        >>> import json, numpy as np
        >>> rng = np.random.default_rng(2)
        >>> X = rng.normal(size=(400, 2)); y = (X[:, 0] > 0.5).astype(int)
        >>> model = CreditModel(monotone=None).fit(X, y)
        >>> text, state = model.booster_.model_to_string(), json.loads(json.dumps(model.to_state()))
        >>> again = CreditModel.from_state(text, state)
        >>> bool((again.predict_proba(X) == model.predict_proba(X)).all())
        True
        """
        check_is_fitted(self, "booster_")
        return {
            "format": STATE_FORMAT,
            "params": self.get_params(),
            "classes": self.classes_.tolist(),
            "features": self._spec.to_dict(),
            "monotone_constraints": self.monotone_constraints_.tolist(),
            "calibration": self.calibrator_.to_dict(),
        }

    @classmethod
    def from_state(cls, model_text: str, state: dict) -> CreditModel:
        """Rebuild a fitted model from its LightGBM text and :meth:`to_state`.

        Raises
        ------
        ArtifactError
            The state is of another format, malformed, or does not match
            the model text (number of features).
        """
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            found = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ArtifactError(
                f"model state format must be {STATE_FORMAT!r}; got {found!r}. "
                "Save it again with this version of bnpl_risk."
            )
        spec = FrameSpec.from_dict(state.get("features", {}))
        try:
            model = cls(**state["params"])
            booster = lgb.Booster(model_str=model_text)
            classes = np.asarray(state["classes"])
            monotone = np.asarray(state["monotone_constraints"], dtype=np.int64)
            calibrator = calibrator_from_dict(state["calibration"])
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            if isinstance(exc, ArtifactError):
                raise
            raise ArtifactError(f"the saved model is malformed ({exc!r}); save it again.") from None
        if booster.num_feature() != len(spec.names) or len(monotone) != len(spec.names):
            raise ArtifactError(
                f"the model text has {booster.num_feature()} features but the state lists "
                f"{len(spec.names)} ({format_keys(spec.names)}); they come from different "
                "models. Save them again together."
            )
        model._set_fitted(spec, booster, calibrator, classes, monotone)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _more_tags(self) -> dict:
        # scikit-learn < 1.6 reads tags here.
        return {"allow_nan": True, "binary_only": True}


def _binary_target(y, n: int) -> tuple[np.ndarray, np.ndarray]:
    if y is None:
        raise FeatureError("CreditModel requires y to be passed, but the target y is None.")
    if isinstance(y, pd.Series | pd.DataFrame) and y.isna().to_numpy().any():
        missing = y.index[y.isna().to_numpy().ravel()]
        raise FeatureError(
            f"y is missing for {len(missing)} rows ({format_keys(missing)}). Drop them first: "
            "immature applications have no label (make_labels gives <NA>)."
        )
    y = column_or_1d(y, warn=True)
    if len(y) != n:
        raise FeatureError(f"y has {len(y)} labels but X has {n} rows; pass one label per row.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise FeatureError(
            f"Input y contains NaN or infinity in {int((~np.isfinite(y)).sum())} rows; "
            "drop unlabelled rows first."
        )
    check_classification_targets(y)
    classes, target = np.unique(y, return_inverse=True)
    if len(classes) != 2:
        raise FeatureError(
            "Only binary classification is supported: CreditModel needs y with 2 classes "
            f"(bad and good); found {len(classes)} class(es): {format_keys(classes)}."
        )
    return classes, target.astype(np.int64)


def _times(time, n: int) -> np.ndarray | None:
    if time is None:
        return None
    values = np.asarray(time)
    if values.ndim != 1 or len(values) != n:
        raise FeatureError(
            f"time must hold one value per row of X ({n}); got shape {values.shape}."
        )
    if values.dtype.kind not in "iufM" or pd.isna(values).any():
        raise FeatureError(
            f"time must be numbers or datetime64 without missing values; got dtype "
            f"{values.dtype} with {int(pd.isna(values).sum())} missing. Convert it with "
            "pd.to_datetime and fill or drop rows without a time."
        )
    return values


def _index(X, n: int) -> pd.Index:
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n)
