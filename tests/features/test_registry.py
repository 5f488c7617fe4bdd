"""The registry describes every feature a builder can output, honestly and readably."""

import re

import pytest

from bnpl_risk.features import (
    DEFAULT_WINDOWS,
    FEATURE_FAMILIES,
    REGISTRY,
    SUPPORTED_WINDOWS,
    FeatureSpec,
    feature_names,
)

UNITS = {"days", "CNY", "count", "share", "ratio", "level", "years", "flag"}


def test_registry_holds_exactly_the_features_builders_can_output():
    assert set(feature_names(SUPPORTED_WINDOWS)) == set(REGISTRY)
    assert all(REGISTRY[name].name == name for name in REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_spec_is_complete(name):
    spec = REGISTRY[name]
    assert isinstance(spec, FeatureSpec)
    assert spec.family in FEATURE_FAMILIES
    assert spec.unit in UNITS
    assert spec.direction in (-1, 0, 1)
    assert re.fullmatch(r"R_[A-Z0-9_]+", spec.reason_code)
    assert spec.description.endswith(".")
    assert spec.reason_en[:1].isupper()
    assert re.search(r"[\u4e00-\u9fff]", spec.reason_zh)
    assert "{w}" not in spec.description + spec.reason_en + spec.reason_zh + spec.reason_code


def test_reason_codes_are_unique():
    codes = [spec.reason_code for spec in REGISTRY.values()]
    assert len(codes) == len(set(codes))


def test_window_text_names_the_window():
    spec = REGISTRY["worst_dpd_90d"]
    assert (spec.reason_code, spec.reason_en, spec.reason_zh) == (
        "R_LATE_90D",
        "Payments were late in the last 90 days",
        "近90天内有逾期还款",
    )
    assert "as_of - 30 days" in REGISTRY["spend_sum_30d"].description


def test_registry_is_read_only():
    with pytest.raises(TypeError, match="does not support item assignment"):
        REGISTRY["x"] = REGISTRY["kyc_level"]


def test_directions_are_signed_only_where_risk_is_monotone():
    signed = {name: spec.direction for name, spec in REGISTRY.items() if spec.direction}
    assert signed["kyc_level"] == -1
    assert signed["on_time_ratio"] == -1
    assert all(signed[f"worst_dpd_{w}d"] == 1 for w in SUPPORTED_WINDOWS)
    assert signed["current_dpd"] == signed["overdue_amount"] == 1
    assert "spend_sum_90d" not in signed
    assert "outstanding_balance" not in signed


def test_output_order_is_by_family_and_stable():
    names = feature_names()
    families = [REGISTRY[n].family for n in names]
    assert families == sorted(families, key=FEATURE_FAMILIES.index)
    assert names == feature_names(reversed(DEFAULT_WINDOWS))
    assert len(names) == len(set(names)) >= 40
    assert set(FEATURE_FAMILIES) == set(families)


def test_policy_facts_are_features():
    facts = {
        "age_years",
        "kyc_level",
        "current_dpd",
        "outstanding_balance",
        "account_age_days",
        "spend_sum_90d",
        "velocity_amount_7d_vs_90d",
        "velocity_orders_7d_vs_90d",
        "new_bnpl_loans_30d",
        "resellable_share_30d",
    }
    assert facts <= set(feature_names())
