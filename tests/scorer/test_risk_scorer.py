import numpy as np
import pandas as pd
import pytest

from bnpl_risk.errors import ConfigError, NotFittedError
from bnpl_risk.scorer import RiskScorer


def test_decide_gives_every_column_for_every_application(book, scorer):
    apps = book.applications.head(50)
    out = scorer.decide(book.histories, apps)
    assert out.index.tolist() == apps["application_id"].tolist()
    assert {
        "pd",
        "score",
        "grade",
        "approved",
        "limit",
        "products",
        "reason_codes",
        "reasons_en",
        "reasons_zh",
        "policy_version",
    } <= set(out.columns)
    assert out["pd"].between(0, 1).all()
    assert (out.loc[~out["approved"], "reason_codes"].map(len) >= 1).all()
    assert (out["reason_codes"].map(len) <= scorer.policy_.max_reasons).all()
    assert (out.loc[~out["approved"], "limit"] == 0).all()


def test_score_and_predict_pd_agree_with_decide(book, scorer):
    apps = book.applications.head(20)
    scored = scorer.score(book.histories, apps)
    np.testing.assert_array_equal(scored["pd"], scorer.predict_pd(book.histories, apps))
    np.testing.assert_array_equal(scored["score"], scorer.grades_.score(scored["pd"]))
    assert scorer.explain(book.histories, apps, k=2)["rank"].max() <= 2


def test_fit_drops_and_counts_immature_labels(book, scorer):
    from bnpl_risk.labels import make_labels

    labels = make_labels(book.histories, book.applications)
    assert scorer.n_immature_ == int(labels.isna().sum()) > 0


def test_all_immature_is_a_clear_error(book):
    labels = pd.Series(pd.NA, index=book.applications["application_id"], dtype="Int64")
    with pytest.raises(ConfigError, match="all .* applications are immature"):
        RiskScorer().fit(book.histories, book.applications, labels)


def test_unfitted_scorer_says_so(book):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        RiskScorer().decide(book.histories, book.applications.head(1))


def test_inputs_are_not_modified(book, scorer):
    apps = book.applications.head(30)
    before = [t.copy() for t in book.histories.tables().values()], apps.copy()
    scorer.decide(book.histories, apps)
    for frame, copy in zip(book.histories.tables().values(), before[0], strict=True):
        pd.testing.assert_frame_equal(frame, copy)
    pd.testing.assert_frame_equal(apps, before[1])


def test_review_limits_with_a_fitted_scorer(book, scorer):
    from bnpl_risk.policy import review_limits

    customers = book.histories.customers["customer_id"].head(40)
    current = pd.DataFrame({"customer_id": customers, "limit": 1000.0, "last_change": pd.NaT})
    out = review_limits(scorer, book.histories, current, book.applications["as_of"].max())
    assert out["customer_id"].tolist() == customers.tolist()
    assert (out["old_limit"] == 1000.0).all()
    assert (out.loc[out["reason_code"] == "V_UP", "new_limit"] > 1000.0).all()
    assert (out.loc[out["reason_code"] != "V_UP", "new_limit"] <= 1000.0).all()
