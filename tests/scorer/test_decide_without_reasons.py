"""RiskScorer.decide(reasons=False): the same decisions without the model's reasons."""

import pandas as pd
import pytest

from bnpl_risk.policy import RULE_REASONS


@pytest.fixture(scope="module")
def decided(book, scorer):
    apps = book.applications.head(120)
    return (
        scorer.decide(book.histories, apps),
        scorer.decide(book.histories, apps, reasons=False),
    )


def test_everything_but_the_reasons_is_unchanged(decided):
    full, quick = decided
    same = ["customer_id", "pd", "score", "grade", "approved", "limit", "products"]
    pd.testing.assert_frame_equal(quick[same], full[same])
    assert quick["policy_version"].equals(full["policy_version"])


def test_only_the_model_reasons_are_left_out(decided):
    full, quick = decided
    rules = set(RULE_REASONS)
    assert (full["reason_codes"].map(lambda codes: set(codes) - rules).map(len) > 0).any()
    for column in ("reason_codes", "reasons_en", "reasons_zh"):
        kept = quick[column].map(len)
        # The rule reasons come first, so without the model's they are a prefix.
        assert (full[column].map(len) >= kept).all()
        prefix = [f[: len(q)] == q for f, q in zip(full[column], quick[column], strict=True)]
        assert all(prefix)
    assert quick["reason_codes"].map(lambda codes: set(codes) <= rules).all()
