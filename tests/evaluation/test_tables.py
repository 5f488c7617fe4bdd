"""Gains table and grade table: hand-computed cases, monotone flag, maturity, errors."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import gains_table, grade_table


def test_gains_table_by_hand():
    # Ten rows, five bins of two, riskiest first; 4 bads of 10 (rate 0.4).
    #   decile 1: PD 0.9, 0.8 -> bads 2, rate 1.0, captured 2/4, lift 2.5
    #   decile 2: PD 0.7, 0.6 -> bads 1, rate 0.5, captured 3/4, lift 1.25
    #   decile 3: PD 0.5, 0.4 -> bads 0
    #   decile 4: PD 0.3, 0.2 -> bads 1, rate 0.5, captured 4/4
    #   decile 5: PD 0.1, 0.0 -> bads 0
    p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    y = [1, 1, 1, 0, 0, 0, 0, 1, 0, 0]
    t = gains_table(y, p, bins=5)
    assert t.index.name == "decile"
    assert t.index.tolist() == [1, 2, 3, 4, 5]
    assert t["n"].tolist() == [2] * 5
    assert t["bads"].tolist() == [2, 1, 0, 1, 0]
    assert t["pd_max"].tolist() == [0.9, 0.7, 0.5, 0.3, 0.1]
    np.testing.assert_allclose(t["bad_rate"], [1.0, 0.5, 0.0, 0.5, 0.0])
    np.testing.assert_allclose(t["cum_n_share"], [0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(t["cum_bads_share"], [0.5, 0.75, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(t["lift"], [2.5, 1.25, 0.0, 1.25, 0.0])
    # cumulative bad rate over the overall 0.4: 1.0, 0.75, 0.5, 0.5, 0.4
    np.testing.assert_allclose(t["cum_lift"], [2.5, 1.875, 1.25, 1.25, 1.0])


def test_gains_table_default_is_deciles_and_ends_at_one():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    t = gains_table(y, p)
    assert len(t) == 10
    assert t["cum_bads_share"].iloc[-1] == pytest.approx(1.0)
    assert t["cum_n_share"].iloc[-1] == pytest.approx(1.0)
    assert t["cum_lift"].iloc[-1] == pytest.approx(1.0)
    assert t["pd_min"].is_monotonic_decreasing


def test_gains_table_drops_and_counts_immature_rows():
    p = [0.9, 0.8, 0.2, 0.1]
    y = [1, 0, 0, 0]
    t = gains_table(pd.Series([*y, None], dtype="Int64"), [*p, 0.99], bins=2)
    pd.testing.assert_frame_equal(t, gains_table(y, p, bins=2))
    assert t.attrs["immature"] == 1


def test_gains_table_needs_a_bad():
    with pytest.raises(ConfigError, match="gains_table: needs both bad"):
        gains_table([0, 0], [0.1, 0.2])


GRADES = ("A", "B", "C", "D", "E")


def test_grade_table_by_hand_monotone():
    # A: 4 rows, 0 bads; B: 2 rows, 1 bad; C: none; D: 1 row, 1 bad; E: 1 immature row.
    y = pd.Series([0, 0, 0, 0, 1, 0, 1, None], dtype="Int64")
    p = [0.005, 0.005, 0.008, 0.002, 0.02, 0.02, 0.1, 0.3]
    g = ["A", "A", "A", "A", "B", "B", "D", "E"]
    t = grade_table(y, p, g)
    assert t.index.tolist() == [*GRADES, "Total"]
    assert t["count"].tolist() == [4, 2, 0, 1, 0, 7]
    np.testing.assert_allclose(t["share"], [4 / 7, 2 / 7, 0, 1 / 7, 0, 1])
    assert t["bads"].tolist() == [0, 1, 0, 1, 0, 2]
    np.testing.assert_allclose(
        t["mean_pd"], [0.005, 0.02, np.nan, 0.1, np.nan, 0.16 / 7], equal_nan=True
    )
    np.testing.assert_allclose(t["bad_rate"], [0, 0.5, np.nan, 1.0, np.nan, 2 / 7], equal_nan=True)
    assert t["reversal"].tolist()[:5] == [False, False, False, False, False]
    assert t.attrs["monotone"] is True
    assert t.attrs["immature"] == 1


def test_grade_table_flags_a_reversal():
    # B's bad rate (1/2) is above C's (0/2): C is a reversal.
    y = [0, 0, 1, 0, 0, 1, 1]
    g = ["A", "B", "B", "C", "C", "D", "E"]
    t = grade_table(y, [0.01, 0.02, 0.02, 0.05, 0.05, 0.1, 0.3], g)
    assert t.attrs["monotone"] is False
    assert t["reversal"].tolist() == [False, False, True, False, False, pd.NA]


def test_equal_bad_rates_are_not_a_reversal():
    t = grade_table([0, 0, 1, 1], [0.01, 0.02, 0.2, 0.3], ["A", "B", "D", "E"])
    assert t.attrs["monotone"] is True


def test_grade_table_takes_custom_grades_in_the_order_given():
    t = grade_table([0, 1], [0.1, 0.6], ["low", "high"], grades=["low", "mid", "high"])
    assert t.index.tolist() == ["low", "mid", "high", "Total"]
    assert t.attrs["monotone"] is True


def test_unknown_grade_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"1 mature rows have a grade not in grades \(found F\)"):
        grade_table([0, 1], [0.1, 0.6], ["A", "F"])
    with pytest.raises(ConfigError, match="found nan"):
        grade_table([0, 1], [0.1, 0.6], ["A", None])


@pytest.mark.parametrize("grades", ["ABCDE", [], ["A", "A"], [1, 2]])
def test_malformed_grades_are_a_clear_error(grades):
    with pytest.raises(ConfigError, match="grades must be distinct grade names"):
        grade_table([0, 1], [0.1, 0.6], ["A", "B"], grades=grades)


def test_grade_table_does_not_modify_inputs():
    g = pd.Series(["A", "B"], dtype="category")
    copy = g.copy()
    grade_table([0, 1], [0.1, 0.6], g)
    pd.testing.assert_series_equal(g, copy)
