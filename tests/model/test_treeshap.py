"""TreeShap: LightGBM's pred_contrib, exactly, from per-leaf tables."""

import pickle

import lightgbm as lgb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError
from bnpl_risk.model import FeatureError
from bnpl_risk.model._treeshap import TreeShap
from bnpl_risk.model._treeshap._plan import _NAN_AS, _ZERO, _ZERO_AS

ATOL = 1e-9


def train(X, y, rounds=15, categorical=(), **params):
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "seed": 0, **params}
    data = lgb.Dataset(X, y, categorical_feature=list(categorical) or "auto")
    return lgb.train(params, data, num_boost_round=rounds)


def lightgbm_contrib(booster, X):
    return booster.predict(X, pred_contrib=True, num_threads=1)


def thresholds(booster) -> dict[int, list[float]]:
    """Every numeric split threshold of the model, by feature."""
    found: dict[int, list[float]] = {}

    def walk(node):
        if "split_feature" in node:
            if node["decision_type"] == "<=":
                found.setdefault(node["split_feature"], []).append(node["threshold"])
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return found


def edge_rows(booster, X, rng):
    """Rows with values exactly on thresholds, NaN, 0, -0.0, values within 1e-35 of 0."""
    rows = X[rng.integers(0, len(X), 40)].copy()
    for j, values in thresholds(booster).items():
        rows[rng.integers(0, len(rows), len(values)), j] = values
    specials = np.array([np.nan, 0.0, -0.0, 1e-40, -1e-36, 1e-34, np.inf, -np.inf])
    mask = rng.uniform(size=rows.shape) < 0.2
    rows[mask] = rng.choice(specials, mask.sum())
    return rows


def random_book(seed, n=600, p=4, nan=0.1, zero=0.1, constant=False, codes=False):
    """Random features (NaN, 0, ties, a constant column, integer codes in the last)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).round(rng.integers(0, 3))  # ties on some seeds
    if codes:
        X[:, -1] = rng.integers(0, 40, n)
    X[rng.uniform(size=X.shape) < nan] = np.nan
    X[rng.uniform(size=X.shape) < zero] = 0.0
    if constant:
        X[:, -1] = 1.0
    logit = np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 1]) * np.isnan(X[:, 2])
    if codes:
        logit += np.isin(X[:, -1], [1, 3, 7, 8, 20, 33]) - 0.5
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, rng


@st.composite
def random_models(draw):
    """(booster, rows, categorical): a random model, and rows of its data and its edges."""
    seed = draw(st.integers(0, 2**16))
    nan, zero = (draw(st.sampled_from([0.0, 0.1, 0.4])) for _ in range(2))
    missing = draw(
        st.sampled_from(
            [{}, {"zero_as_missing": True}, {"use_missing": False}, {"min_data_in_leaf": 3}]
        )
    )
    leaves = draw(st.integers(2, 12))
    last = draw(st.sampled_from(["numeric", "constant", "categorical"]))
    X, y, rng = random_book(
        seed, nan=nan, zero=zero, constant=last == "constant", codes=last == "categorical"
    )
    categorical = [3] if last == "categorical" else []
    booster = train(X, y, num_leaves=leaves, categorical=categorical, **missing)
    rows = np.vstack([X[:50], edge_rows(booster, X, rng)])
    return booster, rows, categorical


RANDOM_MODELS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@RANDOM_MODELS
@given(random_models())
def test_equals_lightgbm_on_random_models(model):
    booster, rows, _ = model
    shap = TreeShap.from_booster(booster)
    phi = shap.contributions(rows)
    np.testing.assert_allclose(phi, lightgbm_contrib(booster, rows), rtol=0, atol=ATOL)
    assert shap.fallback_trees == ()
    np.testing.assert_array_equal(phi, numpy_contributions(shap, rows))


@pytest.mark.parametrize(
    "missing", [{}, {"zero_as_missing": True}, {"use_missing": False}], ids=["nan", "zero", "none"]
)
def test_values_on_thresholds_go_lightgbms_way(missing):
    X, y, rng = random_book(3, n=2000, nan=0.2, zero=0.2)
    booster = train(X, y, num_leaves=8, rounds=30, **missing)
    rows = edge_rows(booster, X, rng)
    phi = TreeShap.from_booster(booster).contributions(rows)
    raw = booster.predict(rows, raw_score=True, num_threads=1)
    np.testing.assert_allclose(phi.sum(axis=1), raw, rtol=0, atol=ATOL)
    np.testing.assert_allclose(phi, lightgbm_contrib(booster, rows), rtol=0, atol=ATOL)


def handmade(tree: str) -> lgb.Booster:
    """A booster over two features from one tree written out in LightGBM's text format."""
    header = (
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
        "max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=a b\n"
        "feature_infos=[-1:1] [-1:1]\n\n"
    )
    return lgb.Booster(model_str=header + "Tree=0\n" + tree + "\n\nend of trees\n")


def test_a_stump_split_by_hand():
    # One split, a <= 0.5: 40 rows left (value 1), 60 right (value -1). The
    # expected value is 0.4 - 0.6 = -0.2; a row going left gets 1 - (-0.2).
    booster = handmade(
        "num_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\n"
        "left_child=-1\nright_child=-2\nleaf_value=1 -1\nleaf_count=40 60\n"
        "internal_count=100\nis_linear=0\nshrinkage=1"
    )
    phi = TreeShap.from_booster(booster).contributions(np.array([[0.0, 9.0], [0.7, 9.0]]))
    np.testing.assert_allclose(phi, [[1.2, 0, -0.2], [-0.8, 0, -0.2]], rtol=0, atol=1e-15)


def test_a_path_right_of_an_infinite_threshold_is_met_only_by_nan():
    # a <= 0.5 (NaN right), then b <= 0, then a <= inf (NaN right), as
    # LightGBM writes a split of NaN from every value, then b <= 1: the
    # leaves below are reached by NaN alone, though a = 1 meets a > 0.5.
    booster = handmade(
        "num_leaves=5\nnum_cat=0\nsplit_feature=0 1 0 1\nthreshold=0.5 0 inf 1\n"
        "decision_type=8 8 8 8\nleft_child=-1 2 -3 -4\nright_child=1 -2 3 -5\n"
        "leaf_value=0.1 -0.2 0.3 -0.4 0.5\nleaf_count=40 25 20 10 5\n"
        "internal_count=100 60 35 15\nis_linear=0\nshrinkage=1"
    )
    rows = np.array([[1.0, -1.0], [np.nan, -1.0], [0.2, -1.0], [np.inf, -1.0], [1.0, 1.0]])
    shap = TreeShap.from_booster(booster)
    np.testing.assert_allclose(
        shap.contributions(rows), lightgbm_contrib(booster, rows), rtol=0, atol=ATOL
    )
    # Leaves 0.1, -0.4 (NaN), 0.1, 0.5 (inf > inf is false: left at a <= inf), 0.5.
    np.testing.assert_array_equal(shap.raw_score(rows), lightgbm_raw(booster, rows))


def test_a_model_of_stumps_puts_everything_in_the_bias():
    X, y, _ = random_book(0, n=100)
    booster = train(X, y, rounds=3, min_data_in_leaf=1000)
    shap = TreeShap.from_booster(booster)
    phi = shap.contributions(X[:5])
    assert (phi[:, :-1] == 0).all()
    expected = booster.predict(X[:1], raw_score=True)[0]  # the stumps' values
    np.testing.assert_allclose(phi[:, -1], expected, rtol=0, atol=ATOL)
    np.testing.assert_allclose(phi, lightgbm_contrib(booster, X[:5]), rtol=0, atol=ATOL)


@pytest.fixture(scope="module")
def deep():
    """Trees with up to 63 leaves and no depth limit over 12 features."""
    X, y, rng = random_book(5, n=3000, p=12, nan=0.05, zero=0.05)
    booster = train(X, y, rounds=12, num_leaves=63, max_depth=-1, min_data_in_leaf=5)
    return booster, np.vstack([X[:200], edge_rows(booster, X, rng)])


@pytest.mark.parametrize(
    "limits",
    [{}, {"max_leaf_features": 4}, {"max_table_bytes": 200_000}, {"max_table_bytes": 0}],
    ids=["tabulated", "wide-leaves", "budget", "all-fallback"],
)
def test_deep_trees_equal_lightgbm_with_or_without_fallback(deep, limits):
    booster, rows = deep
    shap = TreeShap.from_booster(booster, **limits)
    np.testing.assert_allclose(
        shap.contributions(rows), lightgbm_contrib(booster, rows), rtol=0, atol=ATOL
    )


def test_fallback_takes_the_trees_over_the_limits(deep):
    booster, _ = deep
    everything = TreeShap.from_booster(booster)
    assert everything.fallback_trees == ()
    assert TreeShap.from_booster(booster, max_table_bytes=0).fallback_trees == tuple(range(12))
    some = TreeShap.from_booster(booster, max_table_bytes=everything.nbytes // 4)
    assert 0 < len(some.fallback_trees) < 12
    assert some.nbytes < everything.nbytes
    narrow = TreeShap.from_booster(booster, max_leaf_features=4)
    # A tree of 63 leaves over 12 features has a leaf testing more than 4.
    assert narrow.fallback_trees == tuple(range(12))


def test_max_leaf_features_also_bounds_the_keys_of_subtrees(deep):
    # Every leaf of this model tests at most 11 features, so no tree falls
    # back at 11; but some subtrees' keys (their split nodes and the features
    # above them) are longer, so they are cut into smaller tables.
    booster, rows = deep
    wide, narrow = (TreeShap.from_booster(booster, max_leaf_features=k) for k in (14, 11))
    assert wide.fallback_trees == narrow.fallback_trees == ()
    assert narrow.nbytes < wide.nbytes
    np.testing.assert_allclose(
        narrow.contributions(rows), wide.contributions(rows), rtol=0, atol=ATOL
    )


def test_categorical_splits_equal_lightgbm():
    rng = np.random.default_rng(2)
    n = 3000
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 60, n), rng.integers(0, 5, n)])
    X = X.astype(float)
    X[rng.uniform(size=n) < 0.05, 1] = np.nan
    y = ((X[:, 1] % 7 < 3) ^ (X[:, 0] > 0.5) ^ (X[:, 2] == 1)).astype(int)
    booster = train(X, y, rounds=20, categorical=[1, 2], num_leaves=8, max_cat_to_onehot=4)
    assert any("num_cat=0" not in b for b in booster.model_to_string().split("Tree=")[1:])
    rows = X[:300].copy()
    odd = [np.nan, -1.0, -0.5, 0.7, 6.99, 59.0, 60.0, 75.0, 1e6, 1e12, 1e-40, np.inf, -np.inf]
    rows[: len(odd), 1] = odd
    rows[len(odd) : 2 * len(odd), 2] = odd
    phi = TreeShap.from_booster(booster).contributions(rows)
    np.testing.assert_allclose(phi, lightgbm_contrib(booster, rows), rtol=0, atol=ATOL)


def test_a_credit_models_booster_with_a_categorical_column(model, book):
    X, _, _ = book
    codes = X.assign(
        channel=X["channel"].map({c: i for i, c in enumerate(model.categories_["channel"])})
    ).to_numpy(dtype=float)
    phi = TreeShap.from_booster(model.booster_).contributions(codes)
    np.testing.assert_allclose(phi, lightgbm_contrib(model.booster_, codes), rtol=0, atol=ATOL)


@pytest.fixture(scope="module")
def small():
    X, y, _ = random_book(1, n=800, p=5)
    booster = train(X, y, rounds=30, num_leaves=10)
    return booster, TreeShap.from_booster(booster), X


def test_one_row_equals_that_row_in_a_batch(small):
    _, shap, X = small
    batch = shap.contributions(X[:64])
    for i in (0, 17, 63):
        np.testing.assert_array_equal(shap.contributions(X[i : i + 1])[0], batch[i])


def test_every_row_of_a_large_batch_equals_the_row_alone(small):
    booster, shap, X = small
    rows = np.tile(X, (3, 1))
    whole = shap.contributions(rows)
    alone = np.vstack([shap.contributions(rows[i : i + 1]) for i in range(0, len(rows), 97)])
    np.testing.assert_array_equal(alone, whole[::97])
    np.testing.assert_allclose(whole, lightgbm_contrib(booster, rows), rtol=0, atol=ATOL)


def test_rows_sum_to_the_raw_score_and_bias_is_the_expected_value(small):
    booster, shap, X = small
    phi = shap.contributions(X)
    raw = booster.predict(X, raw_score=True, num_threads=1)
    np.testing.assert_allclose(phi.sum(axis=1), raw, rtol=0, atol=ATOL)
    assert (phi[:, -1] == shap.expected_value).all()
    assert shap.n_features == 5
    assert shap.n_trees == booster.num_trees()


def test_best_iteration_is_the_one_predict_uses():
    X, y, _ = random_book(4, n=1500)
    train_rows, valid_rows = slice(0, 1000), slice(1000, None)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "learning_rate": 0.5}
    booster = lgb.train(
        params,
        lgb.Dataset(X[train_rows], y[train_rows]),
        num_boost_round=200,
        valid_sets=[lgb.Dataset(X[valid_rows], y[valid_rows])],
        callbacks=[lgb.early_stopping(3, verbose=False)],
        keep_training_booster=True,
    )
    assert booster.best_iteration < booster.current_iteration()
    shap = TreeShap.from_booster(booster)
    assert shap.n_trees == booster.best_iteration
    np.testing.assert_allclose(
        shap.contributions(X), lightgbm_contrib(booster, X), rtol=0, atol=ATOL
    )


def test_a_pickled_copy_gives_the_same_contributions(deep):
    booster, rows = deep
    for shap in (TreeShap.from_booster(booster), TreeShap.from_booster(booster, max_table_bytes=0)):
        again = pickle.loads(pickle.dumps(shap))
        np.testing.assert_array_equal(again.contributions(rows), shap.contributions(rows))


def test_inputs_are_not_modified(small):
    _, shap, X = small
    rows = X[:30].copy()
    rows[0, :] = [np.nan, 0.0, 1e-40, -0.0, np.inf]
    before = rows.copy()
    shap.contributions(rows)
    shap.contributions(rows.astype(np.float32))
    np.testing.assert_array_equal(rows, before)


def test_empty_and_float32_input(small):
    booster, shap, X = small
    assert shap.contributions(X[:0]).shape == (0, 6)
    rows = X[:20].astype(np.float32)
    np.testing.assert_allclose(
        shap.contributions(rows), lightgbm_contrib(booster, rows), rtol=0, atol=ATOL
    )


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.zeros(5), r"2-D matrix with 5 columns.*got shape \(5,\)"),
        (np.zeros((2, 4)), r"5 columns .*got shape \(2, 4\)"),
        (np.array([["a"] * 5]), r"numeric matrix; got <U1"),
    ],
)
def test_bad_matrices_are_refused(small, matrix, message):
    _, shap, _ = small
    with pytest.raises(FeatureError, match=message):
        shap.contributions(matrix)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_leaf_features": 0}, r"max_leaf_features must be an integer in \[1, 20\]; got 0"),
        ({"max_leaf_features": 21}, r"max_leaf_features must be .*got 21"),
        ({"max_leaf_features": 2.5}, r"max_leaf_features must be .*got 2.5"),
        ({"max_table_bytes": -1}, r"max_table_bytes must be an integer >= 0; got -1"),
        ({"max_table_bytes": True}, r"max_table_bytes must be .*got True"),
    ],
)
def test_bad_parameters_are_refused(small, params, message):
    booster, _, _ = small
    with pytest.raises(ConfigError, match=message):
        TreeShap.from_booster(booster, **params)


def test_multiclass_and_linear_models_are_refused():
    X, y, rng = random_book(6, n=300)
    multi = train(X, rng.integers(0, 3, 300), rounds=2, objective="multiclass", num_class=3)
    with pytest.raises(ConfigError, match="single-output .* has 3 outputs per row"):
        TreeShap.from_booster(multi)
    linear = train(np.nan_to_num(X), y, rounds=2, linear_tree=True)
    with pytest.raises(ConfigError, match=r"trees 0, 1 are linear trees"):
        TreeShap.from_booster(linear)


def lightgbm_raw(booster, X):
    return booster.predict(X, raw_score=True, num_threads=1)


@RANDOM_MODELS
@given(random_models())
def test_raw_score_is_lightgbms_exactly_on_random_models(model):
    booster, rows, categorical = model
    if categorical:
        rows[:13, 3] = [
            np.nan,
            -1.0,
            -0.5,
            0.7,
            6.99,
            39.0,
            40.0,
            75.0,
            1e6,
            1e12,
            1e-40,
            np.inf,
            3,
        ]
    shap = TreeShap.from_booster(booster)
    assert shap.scores_raw
    np.testing.assert_array_equal(shap.raw_score(rows), lightgbm_raw(booster, rows))


def test_raw_score_of_deep_trees_categorical_splits_and_stumps(deep):
    booster, rows = deep
    np.testing.assert_array_equal(
        TreeShap.from_booster(booster).raw_score(rows), lightgbm_raw(booster, rows)
    )
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=3000), rng.integers(0, 60, 3000)])
    X[rng.uniform(size=3000) < 0.05, 1] = np.nan
    y = ((X[:, 1] % 7 < 3) ^ (X[:, 0] > 0.5)).astype(int)
    booster = train(X, y, rounds=20, categorical=[1], num_leaves=8, max_cat_to_onehot=4)
    odd = [np.nan, -1.0, -0.5, 0.7, 6.99, 59.0, 60.0, 75.0, 1e6, 1e12, 1e-40, np.inf, -np.inf]
    rows = np.column_stack([np.resize(X[:, 0], len(odd)), odd])
    rows = np.vstack([X[:300], rows])
    np.testing.assert_array_equal(
        TreeShap.from_booster(booster).raw_score(rows), lightgbm_raw(booster, rows)
    )
    X, y, _ = random_book(0, n=100)
    stumps = train(X, y, rounds=3, min_data_in_leaf=1000)
    np.testing.assert_array_equal(
        TreeShap.from_booster(stumps).raw_score(X[:5]), lightgbm_raw(stumps, X[:5])
    )


def test_raw_score_refuses_models_with_fallback_trees(deep):
    booster, rows = deep
    shap = TreeShap.from_booster(booster, max_table_bytes=200_000)
    assert not shap.scores_raw
    with pytest.raises(ConfigError, match=r"raw_score needs every tree tabulated; trees \d"):
        shap.raw_score(rows)


def test_raw_score_checks_the_matrix_and_keeps_it(small):
    booster, shap, X = small
    rows = X[:30].copy()
    rows[0, :] = [np.nan, 0.0, 1e-40, -0.0, np.inf]
    before = rows.copy()
    np.testing.assert_array_equal(shap.raw_score(rows), lightgbm_raw(booster, rows))
    np.testing.assert_array_equal(rows, before)
    assert shap.raw_score(X[:0]).shape == (0,)
    with pytest.raises(FeatureError, match=r"5 columns .*got shape \(2, 4\)"):
        shap.raw_score(np.zeros((2, 4)))


def numpy_contributions(shap: TreeShap, x: np.ndarray) -> np.ndarray:
    """The plan's formula in NumPy over all rows at once (the path before it was
    compiled): the same tests, keys and table reads, each feature summed by reduceat."""
    p = shap._plan
    nan, zero = np.isnan(x)[:, None], (np.abs(x) <= _ZERO)[:, None]
    copies = np.where(nan, _NAN_AS[:, None], np.where(zero, _ZERO_AS[:, None], x[:, None]))
    copies = copies.reshape(len(x), -1)
    left = copies[:, p.test_read] <= p.test_threshold
    start, stop = p.interval
    left[:, start:stop] &= ~(copies[:, p.interval_read] <= p.interval_lower)
    code = np.trunc(copies[:, p.cat_read])
    inside = (code >= 0) & (code < 32 * p.cat_words)
    code = np.where(inside, code, 0).astype(np.int64)
    word = p.cat_bitset[p.cat_start + (code >> 5)]
    left[:, p.cat_test] = inside & ((word >> (code & 31)) & 1).astype(bool)
    added = left[:, p.col_node] * p.col_coef.astype(np.int64)
    key = np.tile(p.unit_constant.astype(np.int64), (len(x), 1))
    at = 0
    for width in p.col_width:
        key[:, :width] += added[:, at : at + width]
        at += width
    unit = np.repeat(np.arange(len(p.unit_base)), np.diff(p.unit_pairs))
    column = np.arange(len(unit)) - p.unit_pairs[unit]
    values = np.empty((len(x), len(unit)))
    values[:, p.pair_slot] = p.table[key[:, unit] + p.unit_base[unit] + column]
    out = np.zeros((len(x), shap.n_features + 1))
    out[:, -1] = shap.expected_value
    out[:, p.used_feature] += np.add.reduceat(values, p.feature_start, axis=1)
    return out


def test_the_compiled_path_is_the_numpy_formula_bit_for_bit(deep):
    booster, rows = deep
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=2000), rng.integers(0, 60, 2000)])
    X[rng.uniform(size=2000) < 0.05, 1] = np.nan
    y = ((X[:, 1] % 7 < 3) ^ (X[:, 0] > 0.5)).astype(int)
    categorical = train(X, y, rounds=20, categorical=[1], num_leaves=8, max_cat_to_onehot=4)
    cases = [(booster, rows), (categorical, np.vstack([X[:200], [[0.0, np.nan], [1e-40, -0.5]]]))]
    for model, x in cases:
        shap = TreeShap.from_booster(model)
        # Features summed over more than 128 units (reduceat's sum by halves) and fewer.
        assert np.diff(shap._plan.feature_start).max() > 128 or model is categorical
        np.testing.assert_array_equal(shap.contributions(x), numpy_contributions(shap, x))
