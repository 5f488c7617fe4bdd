import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import HistoryError
from bnpl_risk.policy import Economics, Policy
from bnpl_risk.policy.backtest import backtest, compare, frontier


def scored_book(pds, grades, spend=1e6):
    n = len(pds)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "pd": pds,
            "grade": grades,
            "age_years": 30.0,
            "kyc_level": 3.0,
            "current_dpd": 0.0,
            "account_age_days": 400.0,
            "spend_sum_90d": spend,
            "velocity_amount_7d_vs_90d": 1.0,
            "new_bnpl_loans_30d": 0.0,
            "resellable_share_30d": 0.0,
        },
        index=pd.Index([f"a{i}" for i in range(n)], name="application_id"),
    )


def test_one_account_economics_by_hand():
    # Grade D: 1,500 limit, 30-day plan only; PD 0.05 -> risk cap 150 / 0.04 = 3,750.
    scored = scored_book([0.05], ["D"])
    econ = Economics()
    bt = backtest(Policy.default(), scored, pd.Series([1], index=scored.index, dtype="Int64"))
    t = bt.loc["Total"]
    drawn = 1500 * 0.6
    assert t["exposure"] == pytest.approx(drawn)
    # The 30-day balance turns over 180 / 30 = 6 times in the horizon.
    assert t["volume"] == pytest.approx(drawn * 6)
    assert t["revenue"] == pytest.approx(drawn * 6 * 0.01)
    assert t["funding_cost"] == pytest.approx(drawn * 180 * 0.05 / 365)
    assert t["expected_loss"] == pytest.approx(drawn * 0.05 * 0.8)
    assert t["realised_loss"] == pytest.approx(drawn * 0.8)
    assert t["collection_cost"] == econ.collection_cost
    assert t["profit"] == pytest.approx(
        drawn * 6 * 0.01 - drawn * 180 * 0.05 / 365 - drawn * 0.8 - econ.collection_cost
    )
    assert t["bad_rate_approved"] == 1.0


def test_plan_mix_is_renormalised_over_offered_plans():
    # Grade A offers every plan: fee = 0.6*0 + 0.2*0.025 + 0.12*0.045 + 0.08*0.075.
    scored = scored_book([0.001], ["A"])
    bt = backtest(Policy.default(), scored, pd.Series([0], index=scored.index, dtype="Int64"))
    fee = 0.2 * 0.025 + 0.12 * 0.045 + 0.08 * 0.075
    turns = 180 * (0.6 / 30 + 0.2 / 60 + 0.12 / 105 + 0.08 / 195)
    drawn = 20000 * 0.6
    assert bt.loc["Total", "revenue"] == pytest.approx(drawn * turns * (0.01 + fee))
    assert bt.loc["Total", "funding_cost"] == pytest.approx(drawn * 180 * 0.05 / 365)


def test_immature_labels_are_excluded_and_counted():
    scored = scored_book([0.01, 0.01, 0.01], ["B", "B", "B"])
    labels = pd.Series([0, pd.NA, pd.NA], index=scored.index, dtype="Int64")
    bt = backtest(Policy.default(), scored, labels)
    assert bt.loc["Total", "applications"] == 1
    assert bt.attrs["immature"] == 2


def test_labels_must_match_the_scored_ids():
    scored = scored_book([0.01], ["B"])
    with pytest.raises(HistoryError, match="no label matches a scored application_id"):
        backtest(Policy.default(), scored, pd.Series([0], index=["zz"], dtype="Int64"))


def test_compare_swap_sets_and_changes():
    scored = scored_book([0.005, 0.02, 0.05, 0.1, 0.3], ["A", "B", "C", "D", "E"])
    labels = pd.Series([0, 0, 1, 1, 1], index=scored.index, dtype="Int64")
    champion = Policy.default()
    limits = {**champion.grade_limit, "D": 0.0, "E": 2000.0}
    challenger = Policy(
        grade_limit=limits, grade_products={**champion.grade_products, "E": ("pay_in_30",)}
    )
    table = compare(champion, challenger, scored, labels)
    assert table.loc["swap_in", "applications"] == 1  # E now approved
    assert table.loc["swap_out", "applications"] == 1  # D now declined
    assert table.loc["both", "applications"] == 3
    assert table.loc["swap_in", "bad_rate"] == 1.0
    change = table.loc["change"]
    assert change["approval_rate"] == pytest.approx(0.0)
    assert change["profit"] == pytest.approx(
        table.loc["challenger", "profit"] - table.loc["champion", "profit"]
    )


def test_frontier_approval_grows_as_the_cut_off_loosens():
    rng = np.random.default_rng(0)
    grades = rng.choice(list("ABCDE"), size=300)
    pds = pd.Series(grades).map({"A": 0.005, "B": 0.02, "C": 0.05, "D": 0.1, "E": 0.3}).to_numpy()
    scored = scored_book(pds, grades)
    labels = pd.Series((rng.random(300) < pds).astype(int), index=scored.index, dtype="Int64")
    table = frontier(Policy.default(), scored, labels)
    assert table.index.tolist() == list("ABCDE")
    assert table["approval_rate"].is_monotonic_increasing
    # E is declined by the grade table, so cutting at E changes nothing.
    assert table.loc["E", "approval_rate"] == table.loc["D", "approval_rate"]
