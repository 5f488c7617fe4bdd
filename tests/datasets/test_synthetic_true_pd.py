"""true_pd is the probability make_labels says bad: levels, ranking, calibration."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score


@pytest.fixture(scope="module")
def mature(book, labels):
    keep = labels.notna().to_numpy()
    apps = book.applications[keep]
    return pd.DataFrame(
        {
            "customer_id": apps["customer_id"].to_numpy(),
            "bad": labels[keep].astype(int).to_numpy(),
            "pd": book.true_pd[keep].to_numpy(),
            "segment": book.segment.loc[apps["customer_id"]].to_numpy(),
        }
    )


def test_true_pd_is_a_probability_per_application(book):
    pd_ = book.true_pd
    assert pd_.name == "true_pd"
    assert pd_.index.name == "application_id"
    assert pd_.index.equals(pd.Index(book.applications["application_id"]))
    assert np.isfinite(pd_).all()
    assert pd_.between(0, 1).all()


def test_most_applications_are_mature_and_some_are_not(labels):
    assert 0.3 < labels.notna().mean() < 0.8


def test_bad_rate_and_oracle_auc_are_in_range(mature):
    assert 0.04 <= mature["bad"].mean() <= 0.15
    assert 0.80 <= roc_auc_score(mature["bad"], mature["pd"]) <= 0.92


def test_bust_out_applications_mostly_go_bad(mature):
    bust = mature[mature["segment"] == "bust_out"]
    assert len(bust) > 50
    assert bust["bad"].mean() > 0.6
    assert mature.groupby("segment")["bad"].mean().idxmax() == "bust_out"


def test_an_installment_30_days_overdue_at_as_of_makes_the_pd_one(mature):
    certain = mature[mature["pd"] >= 1 - 1e-12]
    assert len(certain) > 20
    assert (certain["bad"] == 1).all()


def _cluster_se(frame):
    """Standard error of mean(bad - pd), customers as clusters (their applications share a fate)."""
    per_customer = (frame["bad"] - frame["pd"]).groupby(frame["customer_id"]).sum()
    return np.sqrt((per_customer**2).sum()) / len(frame)


def test_true_pd_is_calibrated_overall_and_by_decile(mature):
    overall = mature["bad"].mean() - mature["pd"].mean()
    assert abs(overall) < 4 * _cluster_se(mature) + 0.002
    decile = pd.qcut(mature["pd"].rank(method="first"), 10, labels=False)
    for _, part in mature.groupby(decile):
        gap = part["bad"].mean() - part["pd"].mean()
        assert abs(gap) < 4 * _cluster_se(part) + 0.005, (part["pd"].mean(), gap)


def test_true_pd_is_calibrated_by_segment(mature):
    for segment, part in mature.groupby("segment"):
        gap = part["bad"].mean() - part["pd"].mean()
        assert abs(gap) < 4 * _cluster_se(part) + 0.005, segment


def test_checkout_requests_carry_their_own_loan(book, labels):
    """A checkout application adds the order applied for: higher PD than a re-score."""
    checkout = book.applications["requested_amount"].notna().to_numpy()
    assert 0.15 < checkout.mean() < 0.6
    assert book.true_pd[checkout].mean() > book.true_pd[~checkout].mean()
