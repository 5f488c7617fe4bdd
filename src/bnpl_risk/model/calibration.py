"""Calibrators: raw LightGBM log-odds -> probability of default.

Two maps, both monotone, both stored as a few plain numbers so a scorer
saves them in its JSON manifest (no pickle):

- :class:`PlattCalibrator` ``PD = 1 / (1 + exp(-(a * raw + b)))``, fitted
  by Newton's method on the log loss with Platt's smoothed targets (a bad counts as
  ``(n_bad + 1) / (n_bad + 2)``, a good as ``1 / (n_good + 2)``), which keeps
  ``a`` and ``b`` finite even on separable data.
- :class:`IsotonicCalibrator` centred isotonic regression: the pooled
  adjacent violators fit, then straight lines between the centres of its
  blocks (Oron & Flournoy 2017). Unlike plain isotonic steps it keeps the
  order of scores inside a block, so it costs no AUC there; beyond the
  first and last centre it is flat.

:func:`fit_calibrator` with ``method="auto"`` picks isotonic only when its
cross-validated log loss on the calibration data is clearly lower.

Examples
--------
>>> import numpy as np
>>> raw = np.linspace(-3, 3, 400)
>>> y = (np.random.default_rng(0).uniform(size=400) < 1 / (1 + np.exp(-raw))).astype(int)
>>> cal = fit_calibrator(raw, y, method="platt")
>>> type(cal).__name__, round(cal.a, 1)
('PlattCalibrator', 0.9)
>>> calibrator_from_dict(cal.to_dict()) == cal
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold

from bnpl_risk.errors import ArtifactError, ConfigError

__all__ = [
    "CALIBRATION_METHODS",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "calibrator_from_dict",
    "fit_calibrator",
]

#: What ``fit_calibrator(method=...)`` accepts.
CALIBRATION_METHODS = ("auto", "isotonic", "platt")

# "auto" compares the methods by K-fold log loss; below this many of the
# rarer class per fold an isotonic fit is noise, so Platt is taken outright.
_FOLDS = 5
_MIN_MINORITY_PER_FOLD = 10
_NEWTON_STEPS = 100


@dataclass(frozen=True)
class PlattCalibrator:
    """``PD = 1 / (1 + exp(-(a * raw + b)))``.

    Attributes
    ----------
    a, b : float
        Slope and intercept on the raw log-odds.

    Examples
    --------
    >>> PlattCalibrator(a=1.0, b=0.0).transform([0.0, 2.0]).round(3)
    array([0.5  , 0.881])
    """

    a: float
    b: float

    @classmethod
    def fit(cls, raw, y) -> PlattCalibrator:
        """Fit ``a`` and ``b`` by log loss on Platt's smoothed targets.

        Examples
        --------
        >>> cal = PlattCalibrator.fit([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
        >>> cal.a > 0
        True
        """
        raw, y = _as_arrays(raw, y)
        n_bad = float(y.sum())
        target = np.where(y == 1, (n_bad + 1) / (n_bad + 2), 1 / (len(y) - n_bad + 2))
        design = np.column_stack([raw, np.ones_like(raw)])

        def loss(ab):
            z = design @ ab
            return np.sum(np.logaddexp(0.0, z) - target * z)

        prior = (n_bad + 1) / (len(y) + 2)
        ab = np.array([1.0, np.log(prior / (1 - prior))])
        # Newton's method on a strictly convex two-parameter loss, halving any
        # step that does not lower it: a few passes over the data, no solver.
        for _ in range(_NEWTON_STEPS):
            p = expit(design @ ab)
            hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-12 * np.eye(2)
            step = np.linalg.solve(hessian, design.T @ (p - target))
            current = loss(ab)
            while loss(ab - step) > current and np.abs(step).max() > 1e-12:
                step = step / 2
            ab = ab - step
            if np.abs(step).max() < 1e-10:
                break
        return cls(a=float(ab[0]), b=float(ab[1]))

    def transform(self, raw) -> np.ndarray:
        """PD for each raw score."""
        return expit(self.a * np.asarray(raw, dtype=np.float64) + self.b)

    def to_dict(self) -> dict:
        """JSON-ready form; :func:`calibrator_from_dict` reads it back."""
        return {"method": "platt", "a": self.a, "b": self.b}


@dataclass(frozen=True, eq=False)
class IsotonicCalibrator:
    """Centred isotonic map: ``PD = np.interp(raw, x, y)``.

    Attributes
    ----------
    x : ndarray
        Increasing raw scores: the centres of the isotonic blocks.
    y : ndarray
        Non-decreasing PD at each centre, within ``[1/(2n), 1 - 1/(2n)]``
        for ``n`` calibration rows so that no PD is exactly 0 or 1.

    Examples
    --------
    >>> cal = IsotonicCalibrator.fit([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [0, 0, 1, 0, 1, 1])
    >>> cal.x.tolist(), cal.y.tolist()
    ([-1.5, 0.5, 2.5], [0.08333333333333333, 0.5, 0.9166666666666666])
    >>> cal.transform([-1.5, 1.5]).round(3).tolist()
    [0.083, 0.708]
    """

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def fit(cls, raw, y) -> IsotonicCalibrator:
        """Fit the pooled adjacent violators, keep one point per block centre."""
        raw, y = _as_arrays(raw, y)
        order = np.argsort(raw, kind="stable")
        score = raw[order]
        fitted = IsotonicRegression(out_of_bounds="clip").fit(score, y[order]).predict(score)
        starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
        centres = np.add.reduceat(score, starts) / np.diff(np.r_[starts, len(score)])
        floor = 0.5 / len(y)
        return cls(x=centres, y=np.clip(fitted[starts], floor, 1 - floor))

    def transform(self, raw) -> np.ndarray:
        """PD for each raw score."""
        return np.interp(np.asarray(raw, dtype=np.float64), self.x, self.y)

    def to_dict(self) -> dict:
        """JSON-ready form; :func:`calibrator_from_dict` reads it back."""
        return {"method": "isotonic", "x": self.x.tolist(), "y": self.y.tolist()}

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, IsotonicCalibrator)
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y)
        )


def fit_calibrator(
    raw, y, method: str = "auto", *, random_state: int = 0
) -> PlattCalibrator | IsotonicCalibrator:
    """Fit a calibrator of raw scores to 0/1 outcomes.

    Parameters
    ----------
    raw : array-like of float
        Raw scores (log-odds) on data the model did not train on.
    y : array-like of 0/1
        Outcomes (1 = bad).
    method : {"auto", "platt", "isotonic"}, default "auto"
        ``"auto"`` takes isotonic when its 5-fold cross-validated log loss
        beats Platt's by more than two standard errors (and each fold holds
        at least 10 of the rarer class); Platt otherwise, being the steadier
        of the two on a few thousand rows.
    random_state : int, default 0
        Seeds the folds of ``"auto"``.

    Returns
    -------
    PlattCalibrator or IsotonicCalibrator

    Raises
    ------
    ConfigError
        If ``method`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> raw = rng.normal(size=5000)
    >>> y = (rng.uniform(size=5000) < np.where(raw > 0, 0.6, 0.1)).astype(int)
    >>> type(fit_calibrator(raw, y)).__name__
    'IsotonicCalibrator'
    """
    if method not in CALIBRATION_METHODS:
        raise ConfigError(
            f"calibration method must be one of {', '.join(CALIBRATION_METHODS)}; got {method!r}."
        )
    raw, y = _as_arrays(raw, y)
    if method == "auto":
        method = _pick_method(raw, y, random_state)
    return (IsotonicCalibrator if method == "isotonic" else PlattCalibrator).fit(raw, y)


def calibrator_from_dict(data: dict) -> PlattCalibrator | IsotonicCalibrator:
    """Rebuild a calibrator from its :meth:`to_dict` form.

    Raises
    ------
    ArtifactError
        If the method is unknown or its numbers are missing or malformed.

    Examples
    --------
    >>> calibrator_from_dict({"method": "isotonic", "x": [0.0, 1.0], "y": [0.1, 0.3]}).transform(
    ...     [0.5]
    ... )
    array([0.2])
    >>> calibrator_from_dict({"method": "beta"})
    Traceback (most recent call last):
    ...
    bnpl_risk.errors.ArtifactError: calibration method must be 'platt' or 'isotonic'; got ...
    """
    method = data.get("method")
    try:
        if method == "platt":
            return PlattCalibrator(a=float(data["a"]), b=float(data["b"]))
        if method == "isotonic":
            x = np.asarray(data["x"], dtype=np.float64)
            y = np.asarray(data["y"], dtype=np.float64)
            ok = x.ndim == 1 and x.shape == y.shape and len(x) > 0
            if ok and np.all(np.diff(x) > 0) and np.all((y > 0) & (y < 1)):
                return IsotonicCalibrator(x=x, y=y)
            raise ValueError("x must increase, y lie in (0, 1), both of one length")
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(
            f"the {method} calibration in the saved state is malformed ({exc!r}); "
            "re-save the model."
        ) from None
    raise ArtifactError(
        f"calibration method must be 'platt' or 'isotonic'; got {method!r}. "
        "The saved state is damaged or from an unknown version; re-save the model."
    )


def _pick_method(raw: np.ndarray, y: np.ndarray, random_state: int) -> str:
    if np.bincount(y, minlength=2).min() < _FOLDS * _MIN_MINORITY_PER_FOLD:
        return "platt"
    folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=random_state)
    loss = {"platt": np.empty(len(y)), "isotonic": np.empty(len(y))}
    for fit_rows, test_rows in folds.split(raw, y):
        for method, cls in (("platt", PlattCalibrator), ("isotonic", IsotonicCalibrator)):
            p = cls.fit(raw[fit_rows], y[fit_rows]).transform(raw[test_rows])
            loss[method][test_rows] = -np.log(np.where(y[test_rows] == 1, p, 1 - p))
    # Isotonic has many more degrees of freedom: take it only when it wins
    # clearly (by two standard errors of the paired difference), not by noise.
    gain = loss["platt"] - loss["isotonic"]
    return "isotonic" if gain.mean() > 2 * gain.std() / np.sqrt(len(gain)) else "platt"


def _as_arrays(raw, y) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(raw, dtype=np.float64).ravel(), np.asarray(y).astype(np.int64).ravel()
