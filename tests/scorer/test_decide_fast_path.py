"""decide_one and decide_features: the one-application service path equals the batch."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scorer_testkit import decide_alone

from bnpl_risk.model import FeatureError


@pytest.fixture(scope="module")
def mixed(book, scorer):
    """Applications with approvals at full limit, reduced limits and declines."""
    out = scorer.decide(book.histories, book.applications)
    full = out["approved"] & (out["reason_codes"].map(len) == 0)
    reduced = out["approved"] & ~full
    picks = [out.index[m][:3] for m in (full, reduced, ~out["approved"])]
    assert all(len(p) for p in picks), "the book should hold every kind of decision"
    ids = np.concatenate(picks)
    return book.applications.set_index("application_id", drop=False).loc[ids], out.loc[ids]


def test_decide_one_equals_the_batch_row_in_every_field(book, scorer, mixed):
    apps, batch = mixed
    for app in apps.itertuples():
        one = decide_alone(scorer, book.histories, app)
        row = batch.loc[app.application_id]
        got = dataclasses.asdict(one)
        for name in ("pd", "score", "grade", "approved", "limit", "policy_version"):
            assert got[name] == row[name], name
        for name in ("products", "reason_codes", "reasons_en", "reasons_zh"):
            assert got[name] == tuple(row[name]), name


def test_decide_features_equals_decide_one_for_every_input_form(book, scorer, mixed):
    apps, _ = mixed
    X = scorer.features_.transform(book.histories, apps)
    names = list(scorer.features_.get_feature_names_out())
    for app in apps.itertuples():
        one = decide_alone(scorer, book.histories, app)
        x = X.loc[[app.application_id]]
        forms = (x, x[names[::-1]], x.iloc[0].to_dict(), x.iloc[0].to_numpy())
        for form in forms:
            got = scorer.decide_features(
                form, application_id=one.application_id, customer_id=app.customer_id
            )
            assert got == one


def test_blocked_customer_is_declined_on_both_paths(book, scorer, mixed):
    apps, _ = mixed
    app = next(apps.itertuples())
    one = decide_alone(scorer, book.histories, app, blocked=[app.customer_id])
    assert not one.approved
    assert "H_BLOCKED" in one.reason_codes
    x = scorer.features_.transform(book.histories, apps.loc[[app.application_id]])
    same = scorer.decide_features(
        x,
        application_id=one.application_id,
        customer_id=app.customer_id,
        blocked={app.customer_id},
    )
    assert same == one


def test_decide_features_leaves_its_input_alone(book, scorer, mixed):
    apps, _ = mixed
    x = scorer.features_.transform(book.histories, apps.head(1))
    before = x.copy()
    scorer.decide_features(x)
    pd.testing.assert_frame_equal(x, before)


def test_decide_features_refuses_a_bad_vector(book, scorer, mixed):
    apps, _ = mixed
    x = scorer.features_.transform(book.histories, apps.head(2))
    with pytest.raises(FeatureError, match="takes one application; got 2 rows"):
        scorer.decide_features(x)
    with pytest.raises(FeatureError, match="features current_dpd are missing"):
        scorer.decide_features(x.head(1).drop(columns="current_dpd"))
    with pytest.raises(FeatureError, match="features age_years are missing"):
        scorer.decide_features({k: v for k, v in x.iloc[0].items() if k != "age_years"})
    with pytest.raises(FeatureError, match=r"expected \d+ feature values .* got shape \(3,\)"):
        scorer.decide_features(np.zeros(3))
    with pytest.raises(FeatureError, match="feature values must be numbers"):
        scorer.decide_features(x.head(1).astype(object).assign(age_years="thirty"))
    with pytest.raises(FeatureError, match="feature values must be numbers"):
        scorer.decide_features({**x.iloc[0].to_dict(), "kyc_level": "high"})


def test_a_policy_reading_a_feature_not_built_is_refused(book, scorer, mixed):
    apps, _ = mixed
    x = scorer.features_.transform(book.histories, apps.head(1))
    odd = dataclasses.replace(scorer.policy_, bustout_thresholds={"no_such_feature": 1.0})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scorer, "policy_", odd)
        with pytest.raises(FeatureError, match=r"reads features \['no_such_feature'\] that"):
            scorer.decide_features(x)
