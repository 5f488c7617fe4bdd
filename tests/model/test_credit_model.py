"""CreditModel: fitting, prediction, feature checks, determinism and inputs left alone."""

import numpy as np
import pandas as pd
import pytest
from model_testkit import FAST, make_book
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from bnpl_risk.errors import ConfigError
from bnpl_risk.model import CreditModel, FeatureError, _lgbm
from bnpl_risk.model._treeshap import TreeShap


def test_fit_sets_the_fitted_attributes(model, book):
    X, _, _ = book
    assert model.booster_.num_trees() == model.best_iteration_ > 0
    assert model.classes_.tolist() == [0, 1]
    assert model.n_features_in_ == 3
    assert model.feature_names_in_.tolist() == ["late_days", "income", "channel"]
    assert model.categories_ == {"channel": ["live_stream", "mall", "search", "short_video"]}
    assert model.monotone_constraints_.tolist() == [1, -1, 0]


def test_predict_proba_is_a_probability_per_class(model, book):
    X, _, _ = book
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba > 0) & (proba < 1)).all()
    assert model.predict(X).tolist() == (proba[:, 1] > 0.5).astype(int).tolist()


def test_the_score_ranks_nearly_as_well_as_the_true_pd(model):
    X, y, pd_true = make_book(5000, seed=1)
    oracle = roc_auc_score(y, pd_true)
    assert roc_auc_score(y, model.predict_proba(X)[:, 1]) > 0.97 * oracle


def test_labels_may_be_any_two_classes(book):
    X, y, _ = book
    text = y.map({0: "good", 1: "bad"})
    model = CreditModel(monotone=None, **FAST).fit(X, text)
    assert model.classes_.tolist() == ["bad", "good"]
    assert set(model.predict(X.head(50))) <= {"bad", "good"}


def test_same_seed_same_model_other_seed_other_model(book):
    X, y, _ = book
    first = CreditModel(monotone=None, **FAST).fit(X, y)
    again = CreditModel(monotone=None, **FAST).fit(X, y)
    other = CreditModel(monotone=None, learning_rate=0.1, random_state=7).fit(X, y)
    assert first.booster_.model_to_string() == again.booster_.model_to_string()
    assert np.array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_inputs_are_never_modified(book):
    X, y, _ = book
    X_before, y_before = X.copy(), y.copy()
    model = CreditModel(monotone=None, **FAST).fit(X, y, time=np.arange(len(X)))
    model.predict_proba(X)
    model.top_reasons(X.head(20))
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_series_equal(y, y_before)


def test_a_row_alone_scores_as_inside_a_batch(book):
    X, y, _ = book
    # Nullable integers and missing categories take both conversion paths
    # (a few rows at once, many rows column by column).
    X = X.assign(late_days=X["late_days"].round().astype("Int64"))
    X.loc[X.index[:5], ["late_days", "channel"]] = pd.NA
    model = CreditModel(monotone=None, num_threads=2, **FAST).fit(X, y)
    batch = model.predict_proba(X)[:40]
    single = np.vstack([model.predict_proba(X.iloc[[i]]) for i in range(40)])
    assert np.array_equal(batch, single)


def test_no_rows_give_no_predictions(model, book):
    X, _, _ = book
    assert model.predict_proba(X.head(0)).shape == (0, 2)
    assert model.predict_contributions(X.head(0)).shape == (0, 4)


def test_unfitted_model_raises_not_fitted(book):
    X, _, _ = book
    for method in ("predict_proba", "predict_raw", "predict_contributions", "top_reasons"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(CreditModel(), method)(X)
    with pytest.raises(NotFittedError, match="not fitted"):
        CreditModel().to_state()


# Categorical columns -------------------------------------------------------


def test_categorical_dtypes_are_equivalent(model, book):
    X, _, _ = book
    expected = model.predict_proba(X)
    for dtype in ("category", "string", object):
        same = X.astype({"channel": dtype})
        assert np.array_equal(model.predict_proba(same), expected), dtype


def test_an_unseen_category_counts_as_missing(model, book):
    X, _, _ = book
    rows = X.head(3).copy()
    unseen, missing = rows.copy(), rows.copy()
    unseen["channel"] = "tv_shopping"
    missing["channel"] = None
    assert np.array_equal(model.predict_proba(unseen), model.predict_proba(missing))
    assert not np.array_equal(model.predict_proba(unseen), model.predict_proba(rows))


def test_an_array_cannot_stand_in_for_categorical_columns(model, book):
    X, _, _ = book
    with pytest.raises(FeatureError, match="categorical columns .channel.; pass a DataFrame"):
        model.predict_proba(X.to_numpy())


def test_unusable_column_types_are_named():
    X = pd.DataFrame({"amount": [1.0, 2.0] * 10, "when": pd.date_range("2024-01-01", periods=20)})
    with pytest.raises(FeatureError, match=r"when \(datetime64.*\) are neither numbers nor"):
        CreditModel().fit(X, [0, 1] * 10)


# Feature names -------------------------------------------------------------


def test_reordered_columns_are_refused(model, book):
    X, _, _ = book
    with pytest.raises(FeatureError, match="must be in the same order as they were in fit"):
        model.predict_proba(X[["income", "late_days", "channel"]])


def test_unseen_and_missing_names_are_listed_sorted_at_most_five(model, book):
    X, _, _ = book
    extra = X.drop(columns="income").assign(**{f"z{i}": 0.0 for i in range(7)})
    expected = (
        "Feature names unseen at fit time:\n- z0\n- z1\n- z2\n- z3\n- z4\n- ... and 2 more\n"
        "Feature names seen at fit time, yet now missing:\n- income\n"
    )
    with pytest.raises(FeatureError, match=expected):
        model.predict_proba(extra)


def test_a_wrong_count_of_array_columns_is_refused(book):
    X, y, _ = book
    numeric = X[["late_days", "income"]].to_numpy()
    model = CreditModel(monotone=None, **FAST).fit(numeric, y)
    assert not hasattr(model, "feature_names_in_")
    refitted = CreditModel(monotone=None, **FAST).fit(X, y).fit(numeric, y)
    assert not hasattr(refitted, "feature_names_in_")
    with pytest.raises(FeatureError, match="X has 1 features, but CreditModel is expecting 2"):
        model.predict_proba(numeric[:, :1])


def test_a_numeric_column_holding_text_is_named(model, book):
    X, _, _ = book
    bad = X.head(5).astype({"income": object})
    bad.loc[bad.index[2], "income"] = "n/a"
    with pytest.raises(FeatureError, match=r"income \(object\) were numbers at fit but hold"):
        model.predict_proba(bad)


def test_numbers_written_as_text_are_read_as_numbers(model, book):
    X, _, _ = book
    text = X.head(5).astype({"income": str})
    assert np.array_equal(model.predict_proba(text), model.predict_proba(X.head(5)))


def test_infinite_values_are_named(model, book):
    X, _, _ = book
    bad = X.head(5).copy()
    bad.loc[bad.index[1], "late_days"] = np.inf
    with pytest.raises(FeatureError, match="columns late_days hold infinite values in 1 rows"):
        model.predict_proba(bad)


def test_duplicate_column_names_are_refused(book):
    X, y, _ = book
    twice = pd.concat([X, X[["income"]]], axis=1)
    with pytest.raises(FeatureError, match="appear more than once: income"):
        CreditModel().fit(twice, y)


# Labels and time -----------------------------------------------------------


def test_labels_must_be_two_classes(book):
    X, y, _ = book
    with pytest.raises(FeatureError, match="found 1 class"):
        CreditModel().fit(X, np.zeros(len(X), dtype=int))
    with pytest.raises(FeatureError, match="Only binary classification is supported"):
        CreditModel().fit(X, np.arange(len(X)) % 3)


def test_immature_labels_are_refused_not_dropped(book):
    X, y, _ = book
    labels = y.astype("Int64")
    labels.iloc[[3, 5]] = pd.NA
    with pytest.raises(FeatureError, match="missing for 2 rows .a3, a5.*immature"):
        CreditModel().fit(X, labels)


def test_time_holds_out_the_latest_rows():
    y = np.array([0, 1] * 10)
    time = np.arange(20)[::-1]  # row 0 is the latest
    train, valid = _lgbm.holdout(y, time, 0.2, seed=0)
    assert sorted(valid) == [0, 1, 2, 3]
    assert sorted(train) == list(range(4, 20))


def test_a_time_slice_without_bads_is_refused(book):
    X, y, _ = book
    time = np.where(y == 1, 0, np.arange(len(y)) + 1)  # every bad is oldest
    with pytest.raises(FeatureError, match="held-out part of a time split .* only one class"):
        CreditModel().fit(X, y, time=time)


def test_time_must_match_the_rows(book):
    X, y, _ = book
    with pytest.raises(FeatureError, match="one value per row of X"):
        CreditModel().fit(X, y, time=np.arange(5))
    with pytest.raises(FeatureError, match="without missing values"):
        CreditModel().fit(X, y, time=np.full(len(X), np.nan))


# Monotone constraints ------------------------------------------------------


def test_registry_directions_become_constraints(book, fake_registry):
    X, y, _ = book
    model = CreditModel(**FAST).fit(X, y)
    assert model.monotone_constraints_.tolist() == [1, -1, 0]
    grid = X.head(200).copy()
    raw = np.column_stack(
        [model.predict_raw(grid.assign(late_days=v)) for v in np.linspace(0, 30, 16)]
    )
    assert (np.diff(raw, axis=1) >= 0).all()


def test_the_real_registry_is_read(book):
    from bnpl_risk.features.registry import REGISTRY

    name = next(n for n, s in REGISTRY.items() if s.direction != 0)
    X, y, _ = book
    model = CreditModel(**FAST).fit(X.rename(columns={"late_days": name}), y)
    assert model.monotone_constraints_.tolist() == [REGISTRY[name].direction, 0, 0]


@pytest.mark.parametrize(
    ("monotone", "message"),
    [
        ({"tenure": 1}, "monotone names tenure, which are not features"),
        ({"late_days": 2}, "must be -1, 0 or 1; got late_days=2"),
        ({"channel": 1}, "constrains categorical columns channel"),
    ],
)
def test_bad_monotone_dicts_are_refused(book, monotone, message):
    X, y, _ = book
    with pytest.raises(ConfigError, match=message):
        CreditModel(monotone=monotone).fit(X, y)


def test_small_and_large_matrices_get_lightgbms_raw_score_exactly(model, book, monkeypatch):
    X, _, _ = book
    codes = model._matrix(X.head(200))
    lightgbm = model.booster_.predict(codes, raw_score=True, num_threads=1)
    # One row, a few (compiled trees) and 200 (LightGBM) all give LightGBM's bits.
    assert model.predict_raw(X.head(1))[0] == lightgbm[0]
    np.testing.assert_array_equal(model.predict_raw(X.head(64)), lightgbm[:64])
    np.testing.assert_array_equal(model.predict_raw(X.head(200)), lightgbm)
    one = [model.predict_proba(X.iloc[[i]])[0, 1] for i in (0, 63, 150)]
    assert one == model.predict_proba(X.head(200))[[0, 63, 150], 1].tolist()
    # With trees left to LightGBM's TreeSHAP, small matrices go to LightGBM too.
    monkeypatch.setattr(model, "_shap", TreeShap.from_booster(model.booster_, max_table_bytes=0))
    np.testing.assert_array_equal(model.predict_raw(X.head(3)), lightgbm[:3])
