import pytest
from hypothesis import given
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError
from bnpl_risk.policy import PLANS
from bnpl_risk.policy.checkout import Decision, authorize


def decision(limit=2000.0, products=PLANS[:2], approved=True):
    codes = () if approved else ("H_KYC",)
    return Decision("a1", 0.02, 640.0, "C", approved, limit, products, codes, codes, codes, "1")


def test_fitting_order_on_offered_plan_is_approved():
    a = authorize(decision(), 1999.0, 1.0, "pay_in_30")
    assert (a.status, a.amount, a.plan, a.upfront) == ("approved", 1999.0, "pay_in_30", 0.0)


def test_over_the_limit_is_a_counteroffer_with_part_paid_up_front():
    a = authorize(decision(), 800.0, 1500.0, "pay_in_30")
    assert (a.status, a.amount, a.upfront) == ("counteroffer", 500.0, 300.0)
    assert a.reason_codes == ("C_PART_UPFRONT",)


def test_plan_not_offered_gets_the_longest_shorter_plan():
    a = authorize(decision(), 100.0, 0.0, "installments_12")
    assert (a.status, a.plan) == ("counteroffer", "installments_3")
    assert a.reason_codes == ("C_PLAN",)


def test_no_shorter_plan_declines():
    a = authorize(decision(products=("installments_3",)), 100.0, 0.0, "pay_in_30")
    assert a.status == "declined"


def test_declined_decision_and_used_up_limit_decline_with_reasons():
    assert authorize(decision(approved=False), 10.0, 0.0, "pay_in_30").reason_codes == ("H_KYC",)
    a = authorize(decision(), 10.0, 2000.0, "pay_in_30")
    assert (a.status, a.reason_codes) == ("declined", ("C_LIMIT_USED",))


@pytest.mark.parametrize(
    ("amount", "outstanding", "plan", "message"),
    [
        (0.0, 0.0, "pay_in_30", "order_amount must be > 0"),
        (float("nan"), 0.0, "pay_in_30", "order_amount must be a finite number"),
        (10.0, -1.0, "pay_in_30", "outstanding must be a finite number >= 0"),
        (10.0, 0.0, "installments_24", "plan must be one of"),
    ],
)
def test_bad_arguments_are_clear_errors(amount, outstanding, plan, message):
    with pytest.raises(ConfigError, match=message):
        authorize(decision(), amount, outstanding, plan)


money = st.floats(0.01, 10_000, allow_nan=False)


@given(money, st.floats(0, 10_000), st.floats(0, 10_000), st.sampled_from(PLANS))
def test_never_over_the_limit_and_more_outstanding_never_helps(limit, amount, outstanding, plan):
    d = decision(limit=limit, products=PLANS)
    amount = max(amount, 0.01)
    a = authorize(d, amount, outstanding, plan)
    assert a.amount <= max(limit - outstanding, 0.0) + 0.005
    assert a.amount + a.upfront == pytest.approx(amount, abs=0.01) or a.status == "declined"
    more = authorize(d, amount, outstanding + 100.0, plan)
    assert more.amount <= a.amount
