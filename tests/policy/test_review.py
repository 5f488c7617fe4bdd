import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError, HistoryError
from bnpl_risk.policy import Policy
from bnpl_risk.policy.review import ReviewRules, review_scored

AS_OF = pd.Timestamp("2025-01-01")
P = Policy.default()


def facts(**kw):
    base = {
        "customer_id": ["c1"],
        "pd": 0.005,
        "grade": "A",
        "age_years": 30.0,
        "kyc_level": 3.0,
        "current_dpd": 0.0,
        "account_age_days": 400.0,
        "spend_sum_90d": 9000.0,
        "velocity_amount_7d_vs_90d": 1.0,
        "new_bnpl_loans_30d": 0.0,
        "resellable_share_30d": 0.0,
        "installments_due_count": 12.0,
        "on_time_ratio": 1.0,
    }
    base.update(kw)
    return pd.DataFrame(base, index=pd.Index(["r1"], name="application_id"))


def review(limit=2000.0, days_since=200, **kw):
    current = pd.DataFrame(
        {
            "customer_id": ["c1"],
            "limit": [limit],
            "last_change": [AS_OF - pd.Timedelta(days=days_since) if days_since else pd.NaT],
        }
    )
    return review_scored(P, facts(**kw), current, AS_OF).iloc[0]


def test_on_time_good_grade_earns_a_capped_increase():
    out = review()
    assert (out["new_limit"], out["reason_code"]) == (3000.0, "V_UP")


def test_never_changed_limit_may_grow():
    assert review(days_since=None)["reason_code"] == "V_UP"


@pytest.mark.parametrize(
    ("kw", "code", "new"),
    [
        ({"current_dpd": 5.0}, "V_OVERDUE", 0.0),
        ({"days_since": 30}, "V_WAIT", 2000.0),
        ({"on_time_ratio": 0.8}, "V_HISTORY", 2000.0),
        ({"installments_due_count": 2.0}, "V_HISTORY", 2000.0),
        ({"grade": "C", "pd": 0.05}, "V_KEEP", 2000.0),
        ({"grade": "E", "pd": 0.3}, "V_DOWN", 0.0),
    ],
)
def test_each_rule_gives_its_reason(kw, code, new):
    out = review(**kw)
    assert (out["reason_code"], out["new_limit"]) == (code, new)


def test_missing_columns_and_bad_rules_are_clear_errors():
    with pytest.raises(HistoryError, match="current_limits lacks"):
        review_scored(P, facts(), pd.DataFrame({"customer_id": ["c1"]}), AS_OF)
    with pytest.raises(ConfigError, match="ReviewRules.max_increase_factor must be >= 1"):
        ReviewRules(max_increase_factor=0.5)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(100, 30_000),
    st.integers(0, 400),
    st.integers(0, 40),
    st.floats(0.0, 0.5),
    st.sampled_from(list("ABCDE")),
    st.floats(0, 1),
)
def test_review_invariants(limit, days, dpd, pd_, grade, on_time):
    limit = round(limit / 100) * 100.0
    out = review(
        limit=limit,
        days_since=days,
        current_dpd=float(dpd),
        pd=pd_,
        grade=grade,
        on_time_ratio=on_time,
    )
    if dpd > 0 or 0 < days < 90:  # days 0: the limit never changed (see review)
        assert out["new_limit"] <= limit  # never an increase while overdue or too soon
    assert out["new_limit"] <= limit * 1.5 + 1e-9
    assert out["new_limit"] % 100 == 0
    if out["new_limit"] > limit:
        assert out["reason_code"] == "V_UP"
