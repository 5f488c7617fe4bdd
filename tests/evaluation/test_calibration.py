"""Brier, calibration table and ECE: hand-computed cases, binning, maturity, errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import brier, calibration_table, ece


def test_brier_by_hand_and_equal_to_sklearn():
    # (0.1 - 0)^2, (0.7 - 1)^2, (0.4 - 0)^2 -> (0.01 + 0.09 + 0.16) / 3
    assert brier([0, 1, 0], [0.1, 0.7, 0.4]) == pytest.approx(0.26 / 3)
    rng = np.random.default_rng(0)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-15)


def test_calibration_table_and_ece_by_hand():
    # Nine rows, three bins of three by PD rank:
    #   bin 1: PD 0.1, 0.1, 0.1, one bad  -> mean 0.1, rate 1/3, gap 0.2333...
    #   bin 2: PD 0.2, 0.3, 0.4, no bad   -> mean 0.3, rate 0,   gap 0.3
    #   bin 3: PD 0.5, 0.6, 0.7, all bad  -> mean 0.6, rate 1,   gap 0.4
    # ECE = (0.2333... + 0.3 + 0.4) / 3 = 0.3111...
    y = [0, 1, 0, 0, 0, 0, 1, 1, 1]
    p = [0.1, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    t = calibration_table(y, p, bins=3)
    assert t.index.tolist() == [1, 2, 3]
    assert t["n"].tolist() == [3, 3, 3]
    assert t["bads"].tolist() == [1, 0, 3]
    np.testing.assert_allclose(t["mean_pd"], [0.1, 0.3, 0.6])
    np.testing.assert_allclose(t["bad_rate"], [1 / 3, 0.0, 1.0])
    np.testing.assert_allclose(t["abs_gap"], [0.1 / 3 + 0.2, 0.3, 0.4])
    assert t["pd_min"].tolist() == [0.1, 0.2, 0.5]
    assert t["pd_max"].tolist() == [0.1, 0.4, 0.7]
    assert ece(y, p, bins=3) == pytest.approx((0.7 / 3 + 0.3 + 0.4) / 3)


def test_bins_are_equal_frequency_by_default_deciles():
    p = np.linspace(0.01, 0.5, 1000)
    y = np.zeros(1000, dtype=int)
    t = calibration_table(y, p)
    assert t["n"].tolist() == [100] * 10
    assert (t["pd_max"].to_numpy()[:-1] < t["pd_min"].to_numpy()[1:]).all()


def test_tied_pds_share_a_bin_so_the_result_ignores_row_order():
    # Isotonic calibration gives few distinct PDs: ties must not be split
    # by row order (or by label) across bins.
    rng = np.random.default_rng(1)
    p = rng.choice([0.02, 0.05, 0.1, 0.3], size=400)
    y = (rng.random(400) < p).astype(int)
    order = rng.permutation(400)
    t = calibration_table(y, p)
    assert t["n"].sum() == 400
    assert (t["pd_min"] == t["pd_max"]).all()  # one PD value per bin
    assert ece(y, p) == pytest.approx(ece(y[order], p[order]), abs=1e-15)


def test_one_pd_for_everyone_is_one_bin():
    # Every PD 0.2, half bad: ECE = |0.2 - 0.5|.
    assert len(calibration_table([1, 0, 1, 0], [0.2] * 4)) == 1
    assert ece([1, 0, 1, 0], [0.2] * 4) == pytest.approx(0.3)


def test_fewer_rows_than_bins_gives_one_bin_per_row():
    t = calibration_table([0, 1, 1], [0.3, 0.1, 0.2])
    assert t.index.tolist() == [1, 2, 3]
    assert t["mean_pd"].tolist() == [0.1, 0.2, 0.3]


def test_immature_rows_are_excluded_counted_and_never_change_the_result():
    y = [0, 1, 0, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    y_more = pd.Series([*y, None, None], dtype="Int64")
    p_more = [*p, 0.99, 0.01]
    t, t_more = calibration_table(y, p, bins=2), calibration_table(y_more, p_more, bins=2)
    pd.testing.assert_frame_equal(t, t_more, check_like=False, check_exact=True)
    assert t.attrs["immature"] == 0
    assert t_more.attrs["immature"] == 2
    assert brier(y_more, p_more) == brier(y, p)
    assert ece(y_more, p_more, bins=2) == ece(y, p, bins=2)


def test_one_class_is_fine_for_calibration():
    # All good with PD 0.1: every bin misses by 0.1.
    assert ece([0] * 20, [0.1] * 20) == pytest.approx(0.1)
    assert brier([0, 0], [0.1, 0.3]) == pytest.approx(0.05)


def test_inputs_are_not_modified():
    y = pd.Series([0, 1, None, 1], dtype="Int64")
    p = pd.Series([0.2, 0.4, 0.6, 0.8])
    y_copy, p_copy = y.copy(), p.copy()
    calibration_table(y, p, bins=2)
    pd.testing.assert_series_equal(y, y_copy)
    pd.testing.assert_series_equal(p, p_copy)


@pytest.mark.parametrize("bins", [0, -1, 2.5, True, "10"])
def test_bins_must_be_a_positive_whole_number(bins):
    with pytest.raises(ConfigError, match="calibration_table: bins must be a positive whole"):
        calibration_table([0, 1], [0.1, 0.2], bins=bins)


def test_bad_pd_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"brier: pd_ must be a number in \[0, 1\]"):
        brier([0, 1], [-0.1, 0.5])
