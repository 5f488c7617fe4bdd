"""Each plot draws what its metric returns: checked on hand-made numbers."""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from bnpl_risk.errors import ConfigError
from bnpl_risk.evaluation import grade_table
from bnpl_risk.report import plots


def test_roc_leaves_immature_rows_out():
    # Without the immature row (PD 0.99, label missing) the ranking is perfect.
    fig = plots.roc_figure([0, 1, 0, 1, None], [0.1, 0.8, 0.3, 0.6, 0.99])
    model = fig.axes[0].get_lines()[0]
    assert model.get_xdata().tolist() == [0.0, 0.0, 0.0, 1.0]
    assert model.get_ydata().tolist() == [0.0, 0.5, 1.0, 1.0]


def test_ks_gap_is_drawn_where_the_metric_finds_it():
    # Goods 600, 700; bads 500, 650: at 500 half the bads and no good are at or below.
    ax = plots.ks_figure([0, 0, 1, 1, None], [600, 700, 500, 650, 100]).axes[0]
    (segment,) = ax.collections[0].get_segments()
    assert segment.tolist() == [[500.0, 0.0], [500.0, 0.5]]
    bads, goods = ax.get_lines()
    assert bads.get_ydata().tolist() == [0.5, 0.5, 1.0, 1.0]
    assert goods.get_ydata().tolist() == [0.0, 0.5, 0.5, 1.0]


def test_score_distribution_needs_both_classes():
    with pytest.raises(ConfigError, match="needs both bad"):
        plots.score_distribution_figure([0, 0], [600, 610])


def test_each_class_histogram_sums_to_one():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    ax = plots.score_distribution_figure(y, rng.normal(600, 40, 300), bins=12).axes[0]
    for patch in ax.patches:
        heights = patch.get_path().vertices[:, 1]
        assert heights.max() <= 1.0
    assert len(ax.patches) == 2


def test_a_reversal_is_grey_and_named():
    # B's bad rate (0) falls below A's (0.5).
    grades = ["A", "A", "B", "B", "C"]
    t = grade_table([1, 0, 0, 0, 1], [0.01, 0.01, 0.02, 0.02, 0.2], grades, ("A", "B", "C"))
    ax = plots.grade_figure(t).axes[0]
    colours = [to_hex(p.get_facecolor(), keep_alpha=False) for p in ax.patches]
    assert colours[1] == "#636363"
    assert colours[0] == colours[2] != colours[1]
    assert "NOT monotone" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A\n40%", "B\n40%\nreversal", "C\n20%"]


def test_importance_shows_shares_of_total_gain_largest_on_top():
    gains = pd.Series({"a": 1.0, "b": 6.0, "c": 3.0})
    ax = plots.importance_figure(gains, top=2).axes[0]
    assert [p.get_width() for p in ax.patches] == [0.3, 0.6]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b"]
    assert ax.get_title() == "Top 2 of 3 features by gain"


def test_frontier_names_coinciding_cut_offs_once():
    f = pd.DataFrame(
        {
            "approval_rate": [0.3, 0.8, 0.8],
            "bad_rate_approved": [0.01, 0.04, 0.04],
            "exposure": [1e5, 3e5, 3e5],
            "profit": [900.0, -200.0, -200.0],
        },
        index=pd.Index(["A", "B", "C"], name="cut_off_grade"),
    )
    left = plots.frontier_figure(f).axes[0]
    assert [t.get_text() for t in left.texts] == ["up to A", "up to B, C"]


def test_economics_without_revenue_draws_no_shares_and_warns_nothing():
    bt = pd.DataFrame(
        {
            "revenue": [0.0],
            "funding_cost": [0.0],
            "realised_loss": [0.0],
            "collection_cost": [0.0],
            "profit": [0.0],
        },
        index=["Total"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.economics_figure(bt).axes[0]
    assert all("revenue" not in t.get_text().split("\n", 1)[1] for t in ax.get_xticklabels())
