"""Reason codes of policy rules, in words a shopper can read (English and Chinese).

Model reasons come from the feature registry; these are the policy's own.
Codes are stable: a committee, a complaint handler and a test can rely on
them.

Examples
--------
>>> RULE_REASONS["H_KYC"].en
'Real-name verification is not complete'
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

__all__ = ["RULE_REASONS", "Reason"]


class Reason(NamedTuple):
    """A reason code with its texts."""

    code: str
    en: str
    zh: str


_ALL = (
    Reason("H_AGE", "Applicants must be at least 18 years old", "申请人须年满18周岁"),
    Reason("H_KYC", "Real-name verification is not complete", "尚未完成实名认证"),
    Reason("H_OVERDUE", "An installment is currently overdue", "当前有逾期未还的分期"),
    Reason("H_BLOCKED", "The account is restricted", "账户已被限制使用"),
    Reason(
        "M_BUSTOUT",
        "Unusually fast or large recent purchases on a new account",
        "新账户近期消费过快或金额过大",
    ),
    Reason(
        "G_GRADE",
        "The credit assessment does not allow pay later now",
        "综合信用评估暂不支持先用后付",
    ),
    Reason("L_MIN", "The available limit would be below the minimum", "可用额度低于最低标准"),
    Reason("L_AFFORD", "The limit is set by recent spending", "额度受近期消费水平限制"),
    Reason("L_RISK", "The limit is set by the credit assessment", "额度受信用评估结果限制"),
    Reason("L_NEW", "New accounts start with a smaller limit", "新用户初始额度较低"),
    Reason("C_LIMIT_USED", "The available limit is used up", "可用额度已用完"),
    Reason("C_PART_UPFRONT", "Part of this order must be paid now", "本单需先支付部分金额"),
    Reason(
        "C_PLAN",
        "This plan is not available; a shorter one is offered",
        "该分期方案暂不可用，已提供更短期方案",
    ),
)

RULE_REASONS = MappingProxyType({r.code: r for r in _ALL})
