"""Calibrators: fit, pick, JSON round trip; a fitted model's deciles match their bad rates."""

import json

import numpy as np
import pandas as pd
import pytest
from model_testkit import make_book

from bnpl_risk.errors import ArtifactError, ConfigError
from bnpl_risk.model import (
    CreditModel,
    IsotonicCalibrator,
    PlattCalibrator,
    calibrator_from_dict,
    fit_calibrator,
)


def _logistic_sample(n, a, b, seed=0):
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(a * raw + b)))).astype(int)
    return raw, y


def test_platt_recovers_a_logistic_map():
    raw, y = _logistic_sample(200_000, a=2.0, b=-1.0)
    cal = PlattCalibrator.fit(raw, y)
    assert cal.a == pytest.approx(2.0, abs=0.05)
    assert cal.b == pytest.approx(-1.0, abs=0.05)


def test_isotonic_blocks_by_hand():
    # Pooled adjacent violators: (0, 0) | (1, 0) pooled to 0.5 | (1, 1); centres are
    # the mean raw score of each block; the ends are kept 1/(2n) = 1/12 from 0 and 1.
    cal = IsotonicCalibrator.fit([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], [0, 0, 1, 0, 1, 1])
    assert cal.x.tolist() == [-1.5, 0.5, 2.5]
    assert cal.y.tolist() == [1 / 12, 0.5, 11 / 12]
    # Straight lines between centres, flat beyond the ends.
    assert cal.transform([-9.0, -0.5, 1.5, 9.0]).tolist() == pytest.approx(
        [1 / 12, (1 / 12 + 0.5) / 2, (0.5 + 11 / 12) / 2, 11 / 12]
    )


def test_isotonic_keeps_the_order_inside_blocks():
    raw, y = _logistic_sample(5000, a=1.5, b=-1.0)
    cal = IsotonicCalibrator.fit(raw, y)
    grid = np.linspace(cal.x[0], cal.x[-1], 1000)
    assert (np.diff(cal.transform(grid)) > 0).all()


def test_auto_takes_platt_on_few_bads_and_isotonic_on_a_step():
    raw, y = _logistic_sample(400, a=1.0, b=-3.0)
    assert isinstance(fit_calibrator(raw, y), PlattCalibrator)
    rng = np.random.default_rng(1)
    step = rng.normal(size=20_000)
    y_step = (rng.uniform(size=20_000) < np.where(step > 1, 0.5, 0.05)).astype(int)
    assert isinstance(fit_calibrator(step, y_step), IsotonicCalibrator)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_json_round_trip_is_exact(method):
    raw, y = _logistic_sample(3000, a=1.0, b=-1.0)
    cal = fit_calibrator(raw, y, method=method)
    again = calibrator_from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert np.array_equal(again.transform(raw), cal.transform(raw))


def test_unknown_method_is_refused():
    with pytest.raises(ConfigError, match="must be one of auto, isotonic, platt; got 'beta'"):
        fit_calibrator([0.0, 1.0], [0, 1], method="beta")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "spline"}, "must be 'platt' or 'isotonic'; got 'spline'"),
        ({"method": "platt", "a": 1.0}, "platt calibration in the saved state is malformed"),
        ({"method": "isotonic", "x": [1.0, 0.0], "y": [0.1, 0.2]}, "x must increase"),
        ({"method": "isotonic", "x": [0.0, 1.0], "y": [0.1]}, "one length"),
    ],
)
def test_malformed_calibrations_are_refused(data, message):
    with pytest.raises(ArtifactError, match=message):
        calibrator_from_dict(data)


def _deciles(pd_, target):
    bins = pd.qcut(pd.Series(pd_).rank(method="first"), 10, labels=False)
    return pd.DataFrame({"pd": pd_, "target": target}).groupby(bins.to_numpy()).mean()


@pytest.mark.slow
def test_each_decile_mean_pd_matches_its_true_bad_rate():
    X, y, _ = make_book(20_000)
    model = CreditModel(monotone=None, random_state=0).fit(X, y)
    X_new, _, pd_true = make_book(50_000, seed=3)
    gaps = _deciles(model.predict_proba(X_new)[:, 1], pd_true).diff(axis=1)["target"].abs()
    # ECE against the true PD (equal-frequency deciles hold equal weight) ...
    assert gaps.mean() < 0.01
    # ... and no decile far off: a reweighted or uncalibrated model misses by 0.1+.
    assert gaps.max() < 0.04


def test_rare_bads_are_not_reweighted():
    # 2 % bads: a model that reweighted classes would put the mean PD far above it.
    X, y, _ = make_book(6000, base=-5.5)
    model = CreditModel(monotone=None, learning_rate=0.1).fit(X, y)
    X_new, _, pd_true = make_book(20_000, seed=3, base=-5.5)
    assert pd_true.mean() < 0.03
    assert model.predict_proba(X_new)[:, 1].mean() == pytest.approx(pd_true.mean(), abs=0.005)
