"""Contributions sum to the raw score; reasons are the largest adverse ones, with texts."""

import numpy as np
import pandas as pd
import pytest
from model_testkit import FAST

from bnpl_risk.model import EXPECTED_VALUE, CreditModel, FeatureError


def test_contributions_sum_to_the_raw_score(model, book):
    X, _, _ = book
    contrib = model.predict_contributions(X)
    assert list(contrib.columns) == ["late_days", "income", "channel", EXPECTED_VALUE]
    assert contrib.index.equals(X.index)
    np.testing.assert_allclose(contrib.sum(axis=1), model.predict_raw(X), rtol=1e-9, atol=1e-9)
    # The bias is the same for every row: the model's expected raw score.
    assert contrib[EXPECTED_VALUE].nunique() == 1


def test_raw_score_is_the_boosters(model, book):
    X, _, _ = book
    codes = X.assign(
        channel=X["channel"].map({c: i for i, c in enumerate(model.categories_["channel"])})
    )
    expected = model.booster_.predict(codes.to_numpy(dtype=float), raw_score=True)
    np.testing.assert_array_equal(model.predict_raw(X), expected)


def test_contributions_are_lightgbms_treeshap(model, book):
    X, _, _ = book
    codes = X.assign(
        channel=X["channel"].map({c: i for i, c in enumerate(model.categories_["channel"])})
    )
    expected = model.booster_.predict(codes.to_numpy(dtype=float), pred_contrib=True)
    np.testing.assert_allclose(model.predict_contributions(X), expected, rtol=0, atol=1e-9)


def _expected_reasons(contrib: pd.DataFrame, k: int) -> list[tuple[int, int, str]]:
    """(row, rank, feature) by sorting each row by hand: positive contributions, largest first."""
    out = []
    features = contrib.drop(columns=EXPECTED_VALUE)
    for row, values in enumerate(features.to_numpy()):
        pairs = enumerate(zip(features.columns, values, strict=True))
        ranked = sorted((-v, j, name) for j, (name, v) in pairs if v > 0)
        out += [(row, rank, name) for rank, (_, _, name) in enumerate(ranked[:k], start=1)]
    return out


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_reasons_are_the_largest_adverse_contributions(model, book, fake_registry, k):
    X = book[0].head(60)
    top = model.top_reasons(X, k=k)
    expected = _expected_reasons(model.predict_contributions(X), k)
    assert list(zip(top["row"], top["rank"], top["feature"], strict=True)) == expected
    assert (top["contribution"] > 0).all()
    assert top.index.equals(X.index[top["row"]])


def test_reasons_carry_registry_texts_or_a_generic_one(model, book, fake_registry):
    top = model.top_reasons(book[0].head(200), k=3)
    assert set(top["feature"]) == {"late_days", "income", "channel"}
    for feature, code, en, zh in top[["feature", "reason_code", "reason_en", "reason_zh"]].values:
        if feature in fake_registry:
            assert (code, en, zh) == (
                fake_registry[feature].reason_code,
                fake_registry[feature].reason_en,
                fake_registry[feature].reason_zh,
            )
        else:
            assert code == "R_MODEL"
            assert feature in en
            assert feature in zh


def test_a_row_with_nothing_adverse_has_no_reasons(book, fake_registry):
    X, y, _ = book
    model = CreditModel(monotone={"late_days": 1}, **FAST).fit(X[["late_days"]], y)
    safest = X[["late_days"]].head(2).assign(late_days=[0.0, 40.0])
    top = model.top_reasons(safest, k=4)
    assert top["row"].tolist() == [1]


def test_k_must_be_a_positive_integer(model, book):
    with pytest.raises(FeatureError, match="k must be a positive integer; got 0"):
        model.top_reasons(book[0].head(3), k=0)


def test_reasons_from_a_matrix_are_top_reasons_without_the_frame(book, fake_registry):
    X, y, _ = book
    numeric = X[["late_days", "income"]].head(80)
    model = CreditModel(**FAST).fit(X[["late_days", "income"]], y)
    top = model.top_reasons(numeric, k=2)
    lists = model.top_reasons_matrix(numeric.to_numpy(), k=2)
    assert len(lists) == len(numeric)
    for row, texts in enumerate(lists):
        lines = top[top["row"] == row]
        expected = zip(lines["reason_code"], lines["reason_en"], lines["reason_zh"], strict=True)
        assert texts == list(expected)
    one = model.top_reasons_matrix(numeric.to_numpy()[[5]], k=2)
    assert one == [lists[5]]


def test_matrix_paths_refuse_a_model_with_categorical_columns(model, book):
    matrix = np.zeros((1, 3))
    with pytest.raises(FeatureError, match="top_reasons_matrix takes numeric features only"):
        model.top_reasons_matrix(matrix, k=2)
    with pytest.raises(FeatureError, match="predict_pd_matrix takes numeric .* Use predict_proba"):
        model.predict_pd_matrix(matrix)
