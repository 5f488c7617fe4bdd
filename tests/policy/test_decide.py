import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.policy import FACTS, PLANS, RULE_REASONS, Policy, Reason, apply_policy
from bnpl_risk.policy.decide import decide_arrays


def scored_rows(n=1, **overrides):
    """A good, established shopper; columns overridden by keyword."""
    base = {
        "customer_id": [f"c{i}" for i in range(n)],
        "pd": 0.01,
        "grade": "B",
        "age_years": 30.0,
        "kyc_level": 3.0,
        "current_dpd": 0.0,
        "account_age_days": 400.0,
        "spend_sum_90d": 3000.0,
        "velocity_amount_7d_vs_90d": 1.0,
        "new_bnpl_loans_30d": 0.0,
        "resellable_share_30d": 0.0,
    }
    base.update(overrides)
    index = pd.Index([f"a{i}" for i in range(n)], name="application_id")
    return pd.DataFrame(base, index=index)


GRADES = ("A", "B", "C", "D", "E")
P = Policy.default()


def decide(**kw):
    return apply_policy(P, scored_rows(**kw)).iloc[0]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"age_years": 17.0}, "H_AGE"),
        ({"age_years": np.nan}, "H_AGE"),
        ({"kyc_level": 1.0}, "H_KYC"),
        ({"kyc_level": np.nan}, "H_KYC"),
        ({"current_dpd": 3.0}, "H_OVERDUE"),
        ({"grade": "E"}, "G_GRADE"),
        ({"account_age_days": 20.0, "new_bnpl_loans_30d": 5.0}, "M_BUSTOUT"),
        ({"pd": 0.6, "grade": "D"}, "L_MIN"),
    ],
)
def test_each_rule_declines_with_its_reason(overrides, code):
    out = decide(**overrides)
    assert not out["approved"]
    assert out["limit"] == 0.0
    assert out["products"] == ()
    assert out["reason_codes"][0] == code
    assert out["reasons_en"][0] == RULE_REASONS[code].en
    assert out["reasons_zh"][0] == RULE_REASONS[code].zh


def test_block_list_declines():
    out = apply_policy(P, scored_rows(2), blocked=["c1"])
    assert out["approved"].tolist() == [True, False]
    assert out["reason_codes"].iloc[1] == ("H_BLOCKED",)


def test_limit_is_the_smallest_cap_rounded_down():
    # B base 10,000; 2 x 3,210 = 6,420 affordability; risk cap 150 / (0.02 * 0.8) = 9,375.
    out = decide(spend_sum_90d=3210.0, pd=0.02)
    assert out["limit"] == 6400.0
    assert out["reason_codes"] == ("L_AFFORD",)
    # Risk cap binds: 150 / (0.025 * 0.8) = 7,500.
    out = decide(spend_sum_90d=10_000.0, pd=0.025)
    assert out["limit"] == 7500.0
    assert out["reason_codes"] == ("L_RISK",)


def test_thin_file_starts_in_new_user_band():
    out = decide(account_age_days=30.0, spend_sum_90d=0.0, grade="A", pd=0.002)
    assert out["approved"]
    assert P.new_user_min <= out["limit"] <= P.new_user_max
    assert out["reason_codes"][0] in ("L_NEW", "L_AFFORD")


def test_full_limit_carries_no_reasons_and_grade_products():
    out = decide(grade="C", pd=0.001, spend_sum_90d=1e6)
    assert out["limit"] == 5000.0
    assert out["products"] == PLANS[:2]
    assert out["reason_codes"] == ()


def test_model_reasons_follow_rule_reasons_and_are_capped():
    model = [[Reason(f"F{i}", f"feature {i}", f"特征{i}") for i in range(6)]]
    out = apply_policy(P, scored_rows(kyc_level=0.0, age_years=16.0), model_reasons=model)
    assert out["reason_codes"].iloc[0] == ("H_AGE", "H_KYC", "F0", "F1")


def test_model_reasons_callable_is_asked_for_the_rows_that_show_them_only():
    frame = pd.concat(
        [
            scored_rows(grade="C", pd=0.001, spend_sum_90d=1e6),  # full limit: no reasons
            scored_rows(kyc_level=0.0),  # declined
            scored_rows(),  # reduced by spending
        ]
    )
    frame.index = pd.Index(["a0", "a1", "a2"], name="application_id")
    asked = []

    def explain(rows):
        asked.append(rows.tolist())
        return [[Reason(f"F{row}", "en", "zh")] for row in rows]

    out = apply_policy(P, frame, model_reasons=explain)
    assert asked == [[1, 2]]
    assert out["reason_codes"].tolist() == [(), ("H_KYC", "F1"), ("L_AFFORD", "F2")]
    listed = [[], [Reason("F1", "en", "zh")], [Reason("F2", "en", "zh")]]
    pd.testing.assert_frame_equal(out, apply_policy(P, frame, model_reasons=listed))


def test_bustout_cap_action_caps_instead_of_declining():
    policy = Policy(bustout_action="cap", bustout_cap=600.0)
    out = apply_policy(
        policy, scored_rows(account_age_days=20.0, resellable_share_30d=0.9, grade="A", pd=0.001)
    ).iloc[0]
    assert out["approved"]
    assert out["limit"] == 600.0
    assert "M_BUSTOUT" in out["reason_codes"]


def test_missing_columns_and_unknown_grades_are_clear_errors():
    with pytest.raises(HistoryError, match=r"lack the columns \['spend_sum_90d'\]"):
        apply_policy(P, scored_rows().drop(columns="spend_sum_90d"))
    with pytest.raises(HistoryError, match=r"grades \['Z'\] are not in the policy's grades"):
        apply_policy(P, scored_rows(grade="Z"))


def test_input_is_not_modified():
    frame = scored_rows(3)
    before = frame.copy()
    apply_policy(P, frame)
    pd.testing.assert_frame_equal(frame, before)


rows = st.fixed_dictionaries(
    {
        "pd": st.floats(0.0, 1.0),
        "age_years": st.floats(10, 80),
        "kyc_level": st.integers(0, 3).map(float),
        "current_dpd": st.integers(0, 60).map(float),
        "account_age_days": st.floats(0, 1000),
        "spend_sum_90d": st.floats(0, 50_000),
        "velocity_amount_7d_vs_90d": st.floats(0, 10),
        "new_bnpl_loans_30d": st.integers(0, 8).map(float),
        "resellable_share_30d": st.floats(0, 1),
    }
)


@settings(max_examples=150, deadline=None)
@given(rows, st.integers(0, 3), st.floats(0.0, 1.0))
def test_invariants(row, better, higher_pd):
    worse_grade = GRADES[better + 1]
    frame = scored_rows(
        4, **{k: [v] * 4 for k, v in row.items()}, grade=[GRADES[better], worse_grade, "B", "B"]
    )
    frame.loc["a3", "pd"] = max(row["pd"], higher_pd)
    out = apply_policy(P, frame)
    lim = out["limit"]
    # A better grade never gets a lower limit or fewer products.
    assert lim["a0"] >= lim["a1"]
    assert len(out.loc["a0", "products"]) >= len(out.loc["a1", "products"])
    # A higher PD never gets a higher limit.
    assert lim["a3"] <= lim["a2"]
    # Multiples of the step, within the expected-loss budget.
    assert (lim % P.limit_step == 0).all()
    assert (lim * frame["pd"] * P.lgd <= P.loss_budget + 1e-9).all()
    # Every decline has a reason; at most max_reasons.
    assert all(len(r) >= 1 for r in out.loc[~out["approved"], "reason_codes"])
    assert all(len(r) <= P.max_reasons for r in out["reason_codes"])
    # A hard-rule hit always declines.
    if row["age_years"] < 18 or row["kyc_level"] < 2 or row["current_dpd"] > 0:
        assert not out["approved"].any()


def test_one_row_decided_alone_equals_that_row_in_a_batch():
    frame = scored_rows(5, pd=[0.001, 0.02, 0.05, 0.1, 0.3], grade=["A", "B", "C", "D", "E"])
    batch = apply_policy(P, frame)
    for app in frame.index:
        alone = apply_policy(P, frame.loc[[app]])
        pd.testing.assert_frame_equal(alone, batch.loc[[app]])


def test_policy_json_round_trip_and_clear_errors(tmp_path):
    policy = Policy(version="x", grade_limit={**P.grade_limit, "A": 30000.0})
    assert Policy.from_json(policy.to_json()) == policy
    path = tmp_path / "p.json"
    policy.to_json(path)
    assert json.loads(path.read_text())["grade_limit"]["A"] == 30000.0
    assert Policy.from_json(path) == policy
    data = policy.to_dict()
    data["grade_products"] = {**data["grade_products"], "A": ["pay_in_90"]}
    with pytest.raises(ConfigError, match=r"Policy.grade_products\['A'\] must be a list of plans"):
        Policy.from_dict(data)
    with pytest.raises(ConfigError, match="Policy has no field 'min_agee'"):
        Policy.from_dict({"min_agee": 18})
    with pytest.raises(ConfigError, match="Policy.lgd must be a number in"):
        Policy(lgd=1.5)
    with pytest.raises(ConfigError, match="Policy.bustout_action must be 'decline' or 'cap'"):
        Policy(bustout_action="warn")


def test_committee_table_lists_rules_grades_and_caps():
    table = P.table()
    assert set(table["section"]) == {
        "hard rule",
        "malicious consumption",
        "grade",
        "cap",
        "reasons",
    }
    assert table.loc[table["section"] == "grade", "item"].tolist() == list(GRADES)


def _facts(frame):
    names = ("pd", *FACTS, *P.bustout_thresholds)
    return {c: frame[c].to_numpy(dtype=float) for c in names}


def test_decide_arrays_wants_model_reasons_only_where_reasons_are_shown():
    frame = pd.concat(
        [
            scored_rows(grade="C", pd=0.001, spend_sum_90d=1e6),  # full limit
            scored_rows(),  # reduced by spending: L_AFFORD
            scored_rows(kyc_level=0.0),  # declined
        ]
    )
    out = decide_arrays(P, _facts(frame), frame["grade"].to_numpy(), np.zeros(3, bool))
    assert out.wants_model_reasons.tolist() == [False, True, True]
    assert out.explain.tolist() == [False, True, True]
    codes = [[r.code for r in rs] for rs in out.reasons(None, P.max_reasons)]
    assert codes == [[], ["L_AFFORD"], ["H_KYC"]]
    assert out.products[2] == ()


def test_decide_arrays_names_unknown_grades_by_position_without_keys():
    frame = scored_rows(2)
    grade = np.array(["B", "Z"], dtype=object)
    with pytest.raises(HistoryError, match=r"grades \['Z'\] .* \(rows 1\)"):
        decide_arrays(P, _facts(frame), grade, np.zeros(2, bool))
