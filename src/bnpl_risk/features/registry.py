"""The feature registry: what every feature means, its unit, its risk direction and its reason.

One :class:`FeatureSpec` per feature name :class:`~bnpl_risk.features.FeatureBuilder`
can output. ``direction`` is +1 when risk rises with the value, -1 when it
falls, 0 when the relation is not monotone with high confidence; the model
uses it as a LightGBM monotone constraint, so only relations that hold for
any shopper are signed. The reason texts are what a shopper reads when the
feature counts against them, in English and Chinese; ``reason_code`` is
stable across versions.

Windowed features exist for each of :data:`SUPPORTED_WINDOWS` (days); a
builder outputs those of its ``windows``. Point-in-time definitions (which
events count at ``as_of``) are in :mod:`bnpl_risk.features.builder`; where a
feature can be NaN, its description says when.

Examples
--------
>>> spec = REGISTRY["worst_dpd_90d"]
>>> spec.family, spec.direction, spec.reason_code
('repayment', 1, 'R_LATE_90D')
>>> spec.reason_en, spec.reason_zh
('Payments were late in the last 90 days', '近90天内有逾期还款')
>>> feature_names(windows=(30,))[:5]
('account_age_days', 'age_years', 'kyc_level', 'city_tier', 'spend_count_30d')
>>> len(feature_names())
89
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from bnpl_risk.histories.schema import CHANNELS

__all__ = [
    "DEFAULT_WINDOWS",
    "FEATURE_FAMILIES",
    "REGISTRY",
    "SUPPORTED_WINDOWS",
    "FeatureSpec",
    "feature_names",
]

#: Families in output order.
FEATURE_FAMILIES = ("identity", "spending", "bnpl", "repayment", "refunds", "mix", "velocity")

#: Windows (days) a builder may be asked for; each has its registry entries.
SUPPORTED_WINDOWS = (7, 14, 30, 60, 90, 180, 365)
DEFAULT_WINDOWS = (7, 30, 90, 180)


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature is and how it reads to a shopper.

    Attributes
    ----------
    name : str
        Column name in the feature frame.
    family : str
        One of :data:`FEATURE_FAMILIES`.
    description : str
        Definition at ``as_of``, including when the value is NaN.
    unit : str
        ``days``, ``CNY``, ``count``, ``share`` (0-1), ``ratio``, ``level``,
        ``years`` or ``flag`` (0/1).
    direction : int
        +1 riskier as it grows, -1 safer, 0 not monotone with confidence.
    reason_code : str
        Stable code, e.g. ``R_LATE_90D``.
    reason_en, reason_zh : str
        The reason a shopper reads when the feature counts against them.
    """

    name: str
    family: str
    description: str
    unit: str
    direction: int
    reason_code: str
    reason_en: str
    reason_zh: str


# fmt: off
# Tables of rows: name, family, description, unit, direction, code, English, Chinese.
# "{w}" is filled with the window in days for windowed rows.
_W = "{w}"
_COMPLETED = (
    f"orders placed in the last {_W} days (as_of - {_W} days <= order_ts < as_of) "
    "and not refunded or cancelled before as_of"
)

_IDENTITY = (
    ("account_age_days", "identity",
     "Days from signup_ts to as_of; 0 when signup is not before as_of.",
     "days", -1, "R_NEW_ACCOUNT", "The account was opened recently", "账户注册时间较短"),
    ("age_years", "identity",
     "Calendar year of as_of minus birth_year (the true age is this or one less); "
     "NaN when birth_year is missing.",
     "years", 0, "R_AGE", "Your age group", "您所在的年龄段"),
    ("kyc_level", "identity",
     "Identity verification level: 0 none, 1 phone, 2 real-name ID, 3 ID and face or bank "
     "card; NaN when missing.",
     "level", -1, "R_KYC_LOW", "Identity verification level is low", "实名认证等级较低"),
    ("city_tier", "identity", "City tier 1 (largest) to 5; NaN when missing.",
     "level", 0, "R_CITY_TIER", "The tier of your city", "所在城市等级"),
)

_SPENDING_WINDOWED = (
    ("spend_count_{w}d", "spending", f"Number of {_COMPLETED}.",
     "count", 0, "R_SPEND_COUNT_{w}D",
     "Number of purchases in the last {w} days", "近{w}天的购物次数"),
    ("spend_sum_{w}d", "spending", f"Amount of {_COMPLETED}.",
     "CNY", 0, "R_SPEND_SUM_{w}D",
     "Amount spent in the last {w} days", "近{w}天的消费金额"),
    ("spend_mean_{w}d", "spending",
     f"Mean amount of {_COMPLETED}; NaN when there are none.",
     "CNY", 0, "R_SPEND_MEAN_{w}D",
     "Average purchase amount in the last {w} days", "近{w}天的平均订单金额"),
    ("spend_max_{w}d", "spending",
     f"Largest amount of {_COMPLETED}; NaN when there are none.",
     "CNY", 0, "R_SPEND_MAX_{w}D",
     "Largest purchase in the last {w} days", "近{w}天的最大单笔消费"),
    ("spend_std_{w}d", "spending",
     f"Population standard deviation of the amounts of {_COMPLETED}; NaN when there are none.",
     "CNY", 0, "R_SPEND_STD_{w}D",
     "How much purchase amounts varied in the last {w} days", "近{w}天订单金额的波动"),
)

_SPENDING = (
    ("spend_count_all", "spending",
     "Number of orders placed before as_of and not refunded or cancelled before as_of.",
     "count", 0, "R_SPEND_COUNT_ALL", "Number of purchases so far", "累计购物次数"),
    ("spend_sum_all", "spending",
     "Amount of orders placed before as_of and not refunded or cancelled before as_of.",
     "CNY", 0, "R_SPEND_SUM_ALL", "Amount spent so far", "累计消费金额"),
    ("days_since_last_order", "spending",
     "Days from the last order placed before as_of (any status) to as_of; NaN when none.",
     "days", 0, "R_LAST_ORDER", "Time since your last purchase", "距上次购物的时间"),
    ("spend_trend_30d_180d", "spending",
     "Daily completed spend over the last 30 days divided by that over the last 180 days "
     "(spend_sum_30d / 30) / (spend_sum_180d / 180); NaN when spend_sum_180d is 0.",
     "ratio", 0, "R_SPEND_TREND", "Change in your recent spending", "近期消费金额的变化"),
)

_BNPL = (
    ("bnpl_share_90d", "bnpl",
     "Share of the orders placed in the last 90 days (any status) paid with BNPL; "
     "NaN when none.",
     "share", 0, "R_BNPL_SHARE_90D", "Share of recent purchases paid later",
     "近90天先用后付订单占比"),
    ("bnpl_share_all", "bnpl",
     "Share of the orders placed before as_of (any status) paid with BNPL; NaN when none.",
     "share", 0, "R_BNPL_SHARE_ALL", "Share of purchases paid later", "先用后付订单占比"),
    ("bnpl_loans_all", "bnpl",
     "Number of BNPL loans (installment plans) whose order was placed before as_of.",
     "count", 0, "R_BNPL_LOANS", "Number of pay-later plans used", "已使用的先用后付笔数"),
    ("open_bnpl_loans", "bnpl",
     "BNPL loans originated before as_of with an installment not paid in full before as_of.",
     "count", 0, "R_OPEN_LOANS", "Number of pay-later plans still open",
     "未结清的先用后付笔数"),
    ("outstanding_balance", "bnpl",
     "Amount due on loans originated before as_of minus what was paid on them before as_of "
     "(part payments count).",
     "CNY", 0, "R_OUTSTANDING", "Amount you still owe", "未还金额"),
    ("due_next_30d_count", "bnpl",
     "Installments of loans originated before as_of, due in [as_of, as_of + 30 days) and "
     "not paid in full before as_of.",
     "count", 0, "R_DUE_SOON_COUNT", "Installments due in the next 30 days",
     "未来30天内到期的分期数"),
    ("due_next_30d_amount", "bnpl",
     "Amount still unpaid at as_of of the installments counted in due_next_30d_count.",
     "CNY", 0, "R_DUE_SOON_AMOUNT", "Amount due in the next 30 days", "未来30天内到期的金额"),
    ("max_plan_installments", "bnpl",
     "Most installments in one loan originated before as_of; NaN when no loan.",
     "count", 0, "R_PLAN_LENGTH", "Longest installment plan used", "使用过的最长分期期数"),
    ("bnpl_tenure_days", "bnpl",
     "Days from the first loan's order to as_of; NaN when no loan was originated before as_of.",
     "days", 0, "R_BNPL_TENURE", "How long you have used pay later", "使用先用后付的时长"),
)

_LATE_DEF = (
    "An installment is 1+ days past due (DPD) at t when it is due at least a day before t "
    "and not paid in full before t."
)
_REPAYMENT = (
    ("installments_due_count", "repayment",
     "Installments of loans originated before as_of with due_date before as_of.",
     "count", 0, "R_DUE_COUNT", "Number of installments due so far", "已到期的分期数"),
    ("on_time_ratio", "repayment",
     "Among installments due at least a day before as_of, the share paid in full before "
     "they were a day past due; NaN when none.",
     "share", -1, "R_ON_TIME_LOW", "Too few installments were paid on time",
     "按时还款的比例偏低"),
    ("current_dpd", "repayment",
     "Largest days past due at as_of over the customer's installments "
     "(bnpl_risk.histories.dpd.dpd_at); 0 when nothing is past due.",
     "days", 1, "R_OVERDUE_NOW", "A payment is overdue now", "当前有逾期未还款"),
    ("overdue_count", "repayment",
     f"Installments 1+ days past due at as_of. {_LATE_DEF}",
     "count", 1, "R_OVERDUE_COUNT", "Number of overdue installments", "逾期未还的分期数"),
    ("overdue_amount", "repayment",
     "Amount still unpaid at as_of of the installments counted in overdue_count.",
     "CNY", 1, "R_OVERDUE_AMOUNT", "Amount overdue", "逾期未还金额"),
    ("worst_dpd_all", "repayment",
     "Most days past due any installment reached up to as_of (paid late: days from due "
     "date to payment; unpaid: to as_of); 0 when never late.",
     "days", 1, "R_LATE_EVER", "Payments have been late", "曾有逾期还款"),
)

_REPAYMENT_WINDOWED = (
    ("worst_dpd_{w}d", "repayment",
     "Most days past due any installment reached at a time in [as_of - {w} days, as_of]; "
     "0 when none was late then.",
     "days", 1, "R_LATE_{w}D",
     "Payments were late in the last {w} days", "近{w}天内有逾期还款"),
    ("late_count_{w}d", "repayment",
     "Installments that became 1+ days past due in (as_of - {w} days, as_of].",
     "count", 1, "R_LATE_COUNT_{w}D",
     "Number of late payments in the last {w} days", "近{w}天的逾期次数"),
)

_REPAYMENT_TAIL = tuple(
    (f"dpd{k}_count_all", "repayment",
     f"Installments that reached {k}+ days past due up to as_of.",
     "count", 1, f"R_DPD{k}_COUNT",
     f"Number of payments {k} or more days late", f"逾期{k}天及以上的次数")
    for k in (1, 7, 30)
) + (
    ("days_since_last_late", "repayment",
     "0 when an installment is 1+ days past due at as_of; otherwise days since the last "
     "late installment was paid; NaN when none was ever late.",
     "days", -1, "R_RECENT_LATE", "A recent late payment", "近期有逾期记录"),
    ("cured_count", "repayment",
     "Installments that were 1+ days past due and then paid in full before as_of.",
     "count", 0, "R_CURED", "Late payments repaid afterwards", "逾期后已还清的次数"),
    ("avg_pay_delay_days", "repayment",
     "Mean of (time paid in full - due_date), in whole seconds, as days, over installments "
     "paid in full before as_of (negative: early); NaN when none.",
     "days", 1, "R_PAYS_LATE", "Payments tend to be made late", "还款通常较晚"),
)

_PLACED = f"orders placed in the last {_W} days (any status)"
_REFUNDS_WINDOWED = (
    ("refund_rate_{w}d", "refunds",
     f"Share of the {_PLACED} that were refunded before as_of; NaN when none.",
     "share", 0, "R_REFUND_RATE_{w}D",
     "Share of orders refunded in the last {w} days", "近{w}天退款订单占比"),
    ("cancel_rate_{w}d", "refunds",
     f"Share of the {_PLACED} that were cancelled before as_of; NaN when none.",
     "share", 0, "R_CANCEL_RATE_{w}D",
     "Share of orders cancelled in the last {w} days", "近{w}天取消订单占比"),
    ("refund_amount_share_{w}d", "refunds",
     f"Refunded (before as_of) share of the amount of the {_PLACED}; NaN when none.",
     "share", 0, "R_REFUND_AMOUNT_{w}D",
     "Share of spending refunded in the last {w} days", "近{w}天退款金额占比"),
)

#: Windows (days) of the channel and category mix features, whatever the builder's windows.
MIX_WINDOWS = (30, 90)
_MIX_WINDOWED = (
    ("live_stream_share_{w}d", "mix",
     f"Share of the {_PLACED} made in a live stream; NaN when none.",
     "share", 0, "R_LIVE_{w}D",
     "Share of purchases made in live streams", "直播间下单占比"),
    ("short_video_share_{w}d", "mix",
     f"Share of the {_PLACED} made from a short video; NaN when none.",
     "share", 0, "R_SHORT_VIDEO_{w}D",
     "Share of purchases made from short videos", "短视频下单占比"),
    ("night_share_{w}d", "mix",
     f"Share of the {_PLACED} made between 00:00 and 05:00; NaN when none.",
     "share", 0, "R_NIGHT_{w}D",
     "Share of purchases made late at night", "深夜下单占比"),
    ("resellable_share_{w}d", "mix",
     f"Share of the amount of the {_PLACED} spent on easily resold goods "
     "(electronics, digital goods); NaN when none.",
     "share", 0, "R_RESELLABLE_{w}D",
     "Share of spending on easily resold goods", "易转售商品消费占比"),
)
_MIX = tuple(
    (f"app_channel_{c}", "mix", f"1 when the application was made via {c}, else 0.",
     "flag", 0, f"R_APP_{c.upper()}", "Where this application was made", "本次申请的来源渠道")
    for c in CHANNELS
)

_VELOCITY = (
    ("velocity_orders_7d_vs_90d", "velocity",
     "Orders placed per day in the last 7 days over orders placed per day in the last 90 "
     "days (any status); NaN when none in 90 days.",
     "ratio", 0, "R_VELOCITY_ORDERS",
     "Many purchases in the last 7 days compared with usual", "近7天下单次数明显高于平时"),
    ("velocity_amount_7d_vs_90d", "velocity",
     "Amount placed per day in the last 7 days over amount placed per day in the last 90 "
     "days (any status); NaN when none in 90 days.",
     "ratio", 0, "R_VELOCITY_AMOUNT",
     "Much more spending in the last 7 days than usual", "近7天消费金额明显高于平时"),
    ("amount_placed_7d", "velocity",
     "Amount of the orders placed in the last 7 days (any status).",
     "CNY", 0, "R_AMOUNT_7D", "Amount ordered in the last 7 days", "近7天的下单金额"),
    ("new_bnpl_loans_7d", "velocity",
     "BNPL loans originated in the last 7 days.",
     "count", 0, "R_NEW_LOANS_7D", "Pay-later plans opened in the last 7 days",
     "近7天新开的先用后付笔数"),
    ("new_bnpl_loans_30d", "velocity",
     "BNPL loans originated in the last 30 days.",
     "count", 0, "R_NEW_LOANS_30D", "Pay-later plans opened in the last 30 days",
     "近30天新开的先用后付笔数"),
    ("requested_amount", "velocity",
     "The amount requested by the application; NaN when not given.",
     "CNY", 0, "R_REQUESTED", "The amount requested", "本次申请金额"),
    ("requested_to_avg_order", "velocity",
     "requested_amount over the mean completed order amount "
     "(spend_sum_all / spend_count_all); NaN when either is missing.",
     "ratio", 0, "R_REQUEST_VS_USUAL", "The amount requested compared with usual purchases",
     "申请金额与平时消费的对比"),
    ("amount_per_account_day", "velocity",
     "Amount of all orders placed before as_of (any status) per day of account age "
     "(at least 1 day).",
     "CNY", 0, "R_SPEND_PACE", "Spending pace since the account was opened",
     "开户以来的消费速度"),
)


# fmt: on


Row = tuple[Any, ...]


def _fill(row: Row, w: int | None) -> FeatureSpec:
    if w is not None:
        row = tuple(v.replace(_W, str(w)) if isinstance(v, str) else v for v in row)
    return FeatureSpec(*row)


def _layout(windows: Iterable[int]) -> list[tuple[Row, int | None]]:
    """Every (template row, window) pair in output order."""
    windows = tuple(windows)
    fixed: list[tuple[Row, int | None]] = []
    for rows, row_windows in (
        (_IDENTITY, None),
        (_SPENDING_WINDOWED, windows),
        (_SPENDING + _BNPL + _REPAYMENT, None),
        (_REPAYMENT_WINDOWED, windows),
        (_REPAYMENT_TAIL, None),
        (_REFUNDS_WINDOWED, windows),
        (_MIX_WINDOWED, MIX_WINDOWS),
        (_MIX + _VELOCITY, None),
    ):
        if row_windows is None:
            fixed += [(row, None) for row in rows]
        else:
            fixed += [(row, w) for row in rows for w in row_windows]
    return fixed


def feature_names(windows: Iterable[int] = DEFAULT_WINDOWS) -> tuple[str, ...]:
    """Feature names a builder with these ``windows`` outputs, in output order.

    Families come in :data:`FEATURE_FAMILIES` order; within a family,
    windowed features come grouped by feature, then by window ascending.

    Parameters
    ----------
    windows : iterable of int
        Days, each one of :data:`SUPPORTED_WINDOWS`.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> [n for n in feature_names((7, 30)) if n.startswith("worst_dpd")]
    ['worst_dpd_all', 'worst_dpd_7d', 'worst_dpd_30d']
    """
    return tuple(_fill(row, w).name for row, w in _layout(sorted(set(windows))))


def _build_registry() -> Mapping[str, FeatureSpec]:
    specs = [_fill(row, w) for row, w in _layout(SUPPORTED_WINDOWS)]
    return MappingProxyType({s.name: s for s in specs})


#: Every feature any builder can output, by name (read-only).
REGISTRY: Mapping[str, FeatureSpec] = _build_registry()
