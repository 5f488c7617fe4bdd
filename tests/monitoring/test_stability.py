"""PSI and CSI: hand-computed cases, bins fixed on the reference, missing values, errors."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError
from bnpl_risk.monitoring import FLOOR, csi, psi, psi_table, stability_status

TEN = list(range(10))


def _term(a, e):
    a, e = max(a, FLOOR), max(e, FLOOR)
    return (a - e) * math.log(a / e)


def test_identical_samples_give_exactly_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    x[::7] = np.nan
    assert psi(x, x) == 0.0
    assert psi(x, x.copy()[::-1]) == 0.0  # order does not matter
    cats = pd.Series(rng.choice(["a", "b", None], 500))
    assert psi(cats, cats) == 0.0


def test_deciles_of_the_reference_by_hand():
    # Reference 0..9: ten bins of one value, (-inf, 0], (0, 1], ..., (8, inf).
    t = psi_table(TEN, TEN)
    assert t["bin"].tolist()[:2] == ["(-inf, 0]", "(0, 1]"]
    assert t["bin"].tolist()[-2:] == ["(8, inf)", "missing"]
    assert t["reference_n"].tolist() == [1] * 10 + [0]
    # Current: half in the top decile, four deciles empty.
    cur = [0, 1, 2, 3, 4, 9, 9, 9, 9, 9]
    expected = 5 * _term(0.1, 0.1) + 4 * _term(0.0, 0.1) + _term(0.5, 0.1) + _term(0, 0)
    assert psi(TEN, cur) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.4 * math.log(5) + 4 * 0.0999 * math.log(1000))


def test_repeated_edges_merge_so_a_spike_is_one_bin():
    # Reference: 80 zeros and 20 values 1..20; deciles 1-8 are all 0.
    ref = [0] * 80 + list(range(1, 21))
    t = psi_table(ref, ref)
    assert t["bin"].tolist() == ["(-inf, 0]", "(0, 10]", "(10, inf)", "missing"]
    assert t["reference_n"].tolist() == [80, 10, 10, 0]


def test_bins_are_fixed_on_the_reference():
    ref = np.arange(100.0)
    cur = np.r_[np.arange(50.0), np.full(50, 1000.0)]
    # The current sample's own deciles would differ; the table's bins do not.
    assert psi_table(ref, cur)["bin"].tolist() == psi_table(ref, ref)["bin"].tolist()
    assert psi(ref, cur) != psi(cur, ref)


def test_a_shift_flags_act():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=5000)
    assert stability_status(psi(ref, rng.normal(size=5000))) == "stable"
    shifted = psi(ref, rng.normal(loc=1.0, size=5000))
    assert shifted > 0.25
    assert stability_status(shifted) == "act"


def test_missing_values_have_their_own_bin():
    # Reference 0..9 (no missing); current 0..7 and two missing: bins for
    # 8 and 9 empty, the missing bin holds 0.2.
    cur = [*range(8), np.nan, np.nan]
    t = psi_table(TEN, cur)
    assert t.iloc[-1].to_dict() == {
        "bin": "missing",
        "reference_n": 0,
        "current_n": 2,
        "reference_share": 0.0,
        "current_share": 0.2,
        "psi": pytest.approx(_term(0.2, 0.0)),
    }
    expected = 2 * _term(0.0, 0.1) + _term(0.2, 0.0)
    assert psi(TEN, cur) == pytest.approx(expected, rel=1e-12)


def test_nullable_and_all_missing_numeric_columns():
    ref = pd.Series([1, 2, None, 4], dtype="Int64")
    assert psi(ref, ref) == 0.0
    empty = pd.Series([np.nan] * 4)
    t = psi_table(empty, [1.0, 2.0, np.nan, np.nan])
    assert t["bin"].tolist() == ["(-inf, inf)", "missing"]
    # Reference: all in "missing"; current: half there, half in the one value bin.
    expected = _term(0.5, 0.0) + _term(0.5, 1.0)
    assert psi(empty, [1.0, 2.0, np.nan, np.nan]) == pytest.approx(expected, rel=1e-12)


def test_categories_seen_in_the_reference_then_other_then_missing():
    ref = ["mall", "mall", "live_stream", None]
    cur = ["mall", "search", "search", "live_stream"]
    t = psi_table(ref, cur)
    assert t["bin"].tolist() == ["live_stream", "mall", "other", "missing"]
    assert t["reference_n"].tolist() == [1, 2, 0, 1]
    assert t["current_n"].tolist() == [1, 1, 2, 0]
    assert t.attrs["kind"] == "categorical"
    expected = _term(0.25, 0.25) + _term(0.25, 0.5) + _term(0.5, 0.0) + _term(0.0, 0.25)
    assert psi(ref, cur) == pytest.approx(expected, rel=1e-12)


def test_category_and_bool_dtypes_are_categorical():
    ref = pd.Series(["a", "b", "b"], dtype="category")
    assert psi_table(ref, ref).attrs["kind"] == "categorical"
    flags = pd.Series([True, False, False, True])
    t = psi_table(flags, flags)
    assert t["bin"].tolist() == ["False", "True", "other", "missing"]
    assert psi(flags, flags) == 0.0


def test_csi_on_a_frame_of_numeric_and_categorical_features():
    rng = np.random.default_rng(2)
    n = 2000
    ref = pd.DataFrame(
        {
            "spend": rng.lognormal(5, 1, n),
            "channel": rng.choice(["mall", "live_stream"], n),
            "kyc": pd.array(rng.integers(0, 4, n), dtype="Int64"),
        }
    )
    cur = ref.copy()
    cur["spend"] = cur["spend"] * 1.25  # a mild drift
    cur["channel"] = "live_stream"  # everyone moves channel
    table = csi(ref, cur)
    assert table.columns.tolist() == ["feature", "kind", "psi", "status"]
    assert table["feature"].tolist() == ["spend", "channel", "kyc"]
    assert table["kind"].tolist() == ["numeric", "categorical", "numeric"]
    row = table.set_index("feature")
    assert row.loc["kyc", "psi"] == 0.0
    assert row.loc["kyc", "status"] == "stable"
    assert row.loc["channel", "status"] == "act"
    assert row.loc["spend", "psi"] == pytest.approx(psi(ref["spend"], cur["spend"]))
    assert row.loc["spend", "status"] == stability_status(row.loc["spend", "psi"])


def test_csi_on_chosen_features_and_thresholds():
    ref = pd.DataFrame({"a": TEN, "b": TEN})
    cur = pd.DataFrame({"a": [0, 1, 2, 3, 4, 9, 9, 9, 9, 9]})
    table = csi(ref, cur, features=["a"], thresholds=(5.0, 10.0))
    assert table["status"].tolist() == ["stable"]


def test_status_thresholds():
    assert [stability_status(v) for v in (0.0, 0.0999, 0.10, 0.25, 0.2501, 3.0)] == [
        "stable",
        "stable",
        "watch",
        "watch",
        "act",
        "act",
    ]
    assert stability_status(0.3, thresholds=(0.2, 0.5)) == "watch"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e6, 1e6), st.none()), min_size=1, max_size=60),
    st.lists(st.one_of(st.floats(-1e6, 1e6), st.none()), min_size=1, max_size=60),
    st.integers(1, 12),
)
def test_psi_is_never_negative_and_zero_on_itself(ref, cur, bins):
    ref = pd.Series(ref, dtype=float)
    cur = pd.Series(cur, dtype=float)
    assert psi(ref, cur, bins) >= 0.0
    assert psi(ref, ref, bins) == 0.0
    t = psi_table(ref, cur, bins)
    assert t["reference_n"].sum() == len(ref)
    assert t["current_n"].sum() == len(cur)


def test_inputs_are_not_modified():
    ref = pd.DataFrame(
        {"x": [1.0, np.nan, 3.0], "c": pd.Series(["a", None, "b"], dtype="category")}
    )
    cur = ref.iloc[::-1].copy()
    copies = ref.copy(), cur.copy()
    csi(ref, cur)
    pd.testing.assert_frame_equal(ref, copies[0])
    pd.testing.assert_frame_equal(cur, copies[1])


def test_empty_sample_is_a_clear_error():
    with pytest.raises(ConfigError, match="psi: the current sample is empty"):
        psi([1.0, 2.0], [])


def test_two_dimensional_input_points_to_csi():
    with pytest.raises(ConfigError, match="psi: reference must be one-dimensional.*csi"):
        psi(np.zeros((3, 2)), [1.0])


def test_numeric_reference_against_text_is_a_clear_error():
    with pytest.raises(ConfigError, match="reference is numeric but the current sample is"):
        psi([1.0, 2.0], ["a", "b"])


def test_datetimes_are_refused():
    times = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    with pytest.raises(ConfigError, match="cannot bin datetime64.*days since"):
        psi(times, times)


def test_bad_bins_is_a_clear_error():
    with pytest.raises(ConfigError, match="psi_table: bins must be a positive whole number"):
        psi_table(TEN, TEN, bins=0)


def test_csi_names_the_feature_that_fails():
    ref = pd.DataFrame({"ok": [1.0, 2.0], "bad": [1.0, 2.0]})
    cur = pd.DataFrame({"ok": [1.0, 2.0], "bad": ["x", "y"]})
    with pytest.raises(ConfigError, match=r"csi \(feature 'bad'\): the reference is numeric"):
        csi(ref, cur)


def test_csi_lists_features_missing_from_a_frame():
    ref = pd.DataFrame({"a": [1.0], "b": [1.0], "c": [1.0]})
    with pytest.raises(ConfigError, match="the current frame lacks feature.*b, c"):
        csi(ref, ref[["a"]])


@pytest.mark.parametrize("value", [-0.1, float("nan"), "high", None, True])
def test_status_of_a_non_psi_is_a_clear_error(value):
    with pytest.raises(ConfigError, match="value must be a PSI"):
        stability_status(value)


@pytest.mark.parametrize("thresholds", [(0.25, 0.10), (0.1,), ("a", "b"), (-1, 0.2)])
def test_malformed_thresholds_are_a_clear_error(thresholds):
    with pytest.raises(ConfigError, match="thresholds must be two increasing numbers"):
        stability_status(0.1, thresholds=thresholds)
