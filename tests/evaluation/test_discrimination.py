"""AUC, Gini and KS: hand-computed cases, agreement with sklearn / scipy, maturity, errors."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import KS, auc, gini, ks


def _random(n=2000, seed=0, immature=0.2, discrete=False):
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 12, n)
    if discrete:
        p = np.round(p, 2)
    y = pd.array(rng.random(n) < p, dtype="Int64")
    y[rng.random(n) < immature] = pd.NA
    return pd.Series(y), p


def test_auc_by_hand():
    # bads 0.35, 0.8 against goods 0.1, 0.4: 3 of 4 pairs ranked right.
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # A tie counts half.
    assert auc([1, 0, 0], [0.5, 0.5, 0.1]) == 0.75


def test_gini_is_twice_auc_minus_one():
    assert gini([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.5
    assert gini([1, 0], [0.1, 0.9]) == -1.0


@pytest.mark.parametrize("discrete", [False, True])
def test_auc_equals_sklearn_on_mature_rows(discrete):
    y, p = _random(discrete=discrete)
    mature = y.notna().to_numpy()
    expected = roc_auc_score(y[mature].astype(int), p[mature])
    assert auc(y, p) == pytest.approx(expected, abs=1e-12)


def test_ks_by_hand():
    # Goods at 0.1, 0.4, bads at 0.35, 0.8. At or below 0.1: half the goods,
    # no bad (gap 0.5); at 0.35: half of each (0); at 0.4: all goods, half
    # the bads (0.5); the first maximum is at 0.1.
    assert ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == KS(0.5, 0.1)
    # Perfect separation: all goods at or below 0.2, no bad.
    assert ks([0, 0, 1], [0.1, 0.2, 0.9]) == KS(1.0, 0.2)


@pytest.mark.parametrize("discrete", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_equals_scipy_ks_2samp(seed, discrete):
    y, p = _random(seed=seed, discrete=discrete)
    bad = (y == 1).fillna(False).to_numpy()
    good = (y == 0).fillna(False).to_numpy()
    expected = ks_2samp(p[bad], p[good]).statistic
    assert ks(y, p).value == pytest.approx(expected, abs=1e-12)


def test_ks_value_is_the_same_for_pd_and_score_and_at_is_on_the_scale_passed():
    y, p = _random()
    score = 600 + 20 / np.log(2) * np.log((1 - p) / p)  # higher is safer
    on_pd, on_score = ks(y, p), ks(y, score)
    assert on_score.value == pytest.approx(on_pd.value, abs=1e-12)
    mature = y.notna().to_numpy()
    assert on_pd.at in set(p[mature])
    assert on_score.at in set(score[mature])


def test_ks_at_is_where_the_gap_is_reached():
    y, p = _random(seed=3)
    value, at = ks(y, p)
    bad = (y == 1).fillna(False).to_numpy()
    good = (y == 0).fillna(False).to_numpy()
    gap = abs((p[bad] <= at).mean() - (p[good] <= at).mean())
    assert gap == pytest.approx(value, abs=1e-12)


def test_immature_rows_are_dropped_and_never_change_the_result():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    # Immature rows with any PD, even a missing one, are left out.
    y_more = pd.array([*y, None, None, None], dtype="Int64")
    p_more = [*p, 0.99, 0.0, np.nan]
    assert auc(y_more, p_more) == auc(y, p)
    assert ks(y_more, p_more) == ks(y, p)


def test_labels_as_float_with_nan_or_object_with_none_are_accepted():
    p = [0.1, 0.4, 0.35, 0.8, 0.5]
    assert auc(np.array([0, 0, 1, 1, np.nan]), p) == 0.75
    assert auc([0, 0, 1, 1, None], p) == 0.75
    assert auc([False, False, True, True, None], p) == 0.75


def test_inputs_are_not_modified():
    y, p = _random()
    y_copy, p_copy = y.copy(), p.copy()
    auc(y, p)
    ks(y, pd.Series(p, index=y.index))
    pd.testing.assert_series_equal(y, y_copy)
    np.testing.assert_array_equal(p, p_copy)


@pytest.mark.parametrize("metric", [auc, gini, ks])
def test_one_class_is_a_clear_error(metric):
    with pytest.raises(
        ConfigError, match=r"needs both bad \(1\) and good \(0\).*found 3 good and 0"
    ):
        metric([0, 0, 0, None], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ConfigError, match="found 0 good and 2 bad"):
        metric([1, 1], [0.1, 0.2])


def test_only_immature_rows_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"no mature rows \(2 immature\)"):
        auc([None, None], [0.1, 0.2])


def test_length_mismatch_is_a_clear_error():
    with pytest.raises(ConfigError, match="auc: y has 3 rows but pd_ has shape"):
        auc([0, 1, 0], [0.1, 0.2])


def test_bad_label_is_a_clear_error_naming_rows():
    y = pd.Series([0, 2, 1, 1], index=["a1", "a2", "a3", "a4"])
    with pytest.raises(ConfigError, match=r"y must be 1 \(bad\), 0 \(good\) or missing.*rows a2"):
        auc(y, [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ConfigError, match="found 0, 1, bad"):  # text is not a label
        ks(["0", "1", "bad"], [0.1, 0.2, 0.3])


def test_pd_outside_unit_interval_or_missing_on_a_mature_row_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"pd_ must be a number in \[0, 1\].*1 of 3.*first 1.5"):
        auc([0, 1, 1], [0.1, 1.5, 0.3])
    with pytest.raises(ConfigError, match="first nan"):
        auc([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ConfigError, match="score must be a finite number"):
        ks([0, 1, 1], [0.1, np.inf, 0.3])
    with pytest.raises(ConfigError, match="pd_ must be numeric"):
        auc([0, 1], ["low", "high"])


def test_series_with_different_indexes_are_refused_not_matched_silently():
    y = pd.Series([0, 1], index=["a1", "a2"])
    p = pd.Series([0.1, 0.9], index=["a2", "a1"])
    with pytest.raises(ConfigError, match=r"different indexes.*reindex\(y.index\)"):
        auc(y, p)


def test_two_dimensional_labels_are_refused():
    with pytest.raises(ConfigError, match="y must be one-dimensional"):
        auc(np.zeros((2, 2)), [0.1, 0.2])
