"""Exact path-dependent TreeSHAP of a LightGBM model from tables built once per model.

LightGBM's ``Booster.predict(pred_contrib=True)`` walks every tree
recursively for each row, about 1 ms for a 444-tree credit model: more than
a whole checkout decision may take. The contributions depend on a row only
through which of each leaf's path conditions it meets, a handful of bits per
leaf, so the work can move to the moment the model is fitted or loaded
("Fast TreeSHAP v2", Yang 2021).

For a leaf with value ``v`` whose root path tests the distinct features
``P`` (``m = |P|``), let ``z_k`` be the share of the training rows that meet
the path's conditions on feature ``k`` (the product of the child / parent
row counts, as LightGBM counts them) and ``o_k`` be 1 if the row meets them
all, else 0. The leaf adds to feature ``j`` of ``P``::

    v (o_j - z_j) sum over S in P - {j} of |S|! (m - |S| - 1)! / m!
                                           prod_{k in S} o_k prod_{k in P - {j} - S} z_k

a function of the set ``F`` of features whose conditions the row fails.
:class:`TreeShap` tabulates it for every ``F`` (``2**m * m`` numbers a
leaf). A subtree of up to three levels (a unit) gets one table for all its
leaves, indexed by ``F`` above it and the way the row goes at each of its
split nodes: about as large as its leaves' tables together, but read once
(2,742 units instead of 6,660 leaves in a 444-tree model). A row then costs
one decision per split node (a unit whose path tests a feature at several
nodes above it gets one interval, or one merged category set, instead), one
key per unit, a gather and a sum per feature, each vectorized over all trees
at once. The bias column sums each
tree's expected value (leaves weighted by their row counts, LightGBM's
``Tree::ExpectedValue``); a tree of a single leaf adds only its value there.

Decisions are LightGBM's (``include/LightGBM/tree.h`` ``NumericalDecision``,
``CategoricalDecision``): ``x <= threshold`` goes left; a value within 1e-35
of 0 is 0 (the C API drops it from the row); missing type None reads NaN as
0, Zero sends 0 and NaN the default way, NaN sends NaN the default way. A
categorical split sends a row left when the integer part of its value (C's
truncation) is a category of the split's bitset; NaN, negative and unknown
codes go right. Thresholds, leaf values and bitsets come from the model
text, written at full precision.

Fallback: a tree is left to LightGBM (one ``pred_contrib`` call per batch on
a booster holding only such trees) when one of its leaves tests more than
``max_leaf_features`` features, or when the tables would outgrow
``max_table_bytes``, the largest first. Everything else is pure numpy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

from bnpl_risk.errors import ConfigError, format_keys
from bnpl_risk.model._frame import FeatureError

__all__ = ["TreeShap"]

# LightGBM's kZeroThreshold, a float literal (1e-35f) widened to double.
_ZERO = float(np.float32(1e-35))
# decision_type bits (include/LightGBM/tree.h kCategoricalMask, kDefaultLeftMask,
# then the missing type in bits 2-3: 0 None, 1 Zero, 2 NaN).
_CATEGORICAL, _DEFAULT_LEFT = 1, 2
_MISSING_ZERO = 1
# A test reads one of 7 copies of the row: copy c has 0 (and values within
# 1e-35 of it) replaced by _ZERO_AS[c] and NaN by _NAN_AS[c], so that one
# comparison gives LightGBM's way for every value: -inf goes left at every
# threshold, NaN right. _COPY[zero, nan] numbers them by what they put in:
# 0 the value 0, 1 -inf, 2 NaN.
_ZERO_AS = np.array([0.0, 0.0, 0.0, -np.inf, np.nan, -np.inf, np.nan])
_NAN_AS = np.array([0.0, -np.inf, np.nan, -np.inf, np.nan, np.nan, -np.inf])
_COPY = np.array([[0, 1, 2], [-1, 3, 5], [-1, 6, 4]])
# Key offsets (m << bit) must fit an int32; 2**20 * 20 numbers (160 MiB) for
# one table is already far past any sensible budget.
_MAX_LEAF_FEATURES = 20
# Subtrees up to this height share one table (read once for all their leaves).
_UNIT_HEIGHT = 3
# Rows scored at once: keeps the (rows x slots) scratch arrays within a core's
# L2 cache (some 20 rows of a 444-tree model).
_CHUNK_CELLS = 1 << 18
_TREE_FIELDS = (
    "num_leaves",
    "num_cat",
    "split_feature",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "leaf_value",
    "leaf_count",
    "internal_count",
    "cat_boundaries",
    "cat_threshold",
    "is_linear",
)


@dataclass(frozen=True)
class _Plan:
    """Everything the per-row path reads (see :func:`_contributions`).

    Tests are split nodes, plus one per (unit, feature) tested at several
    nodes above the unit: an interval or a merged category set. A unit is a
    subtree of height up to ``_UNIT_HEIGHT`` (or a leaf alone) with one
    table. Its key has a bit per split node inside it, set when the row goes
    right there, then one per feature tested above it, set when the row
    fails a condition there. Its slots, one
    per bit, are stored column-major (column ``q`` holds the ``q``-th slot of
    the units with more than ``q``), units with the most slots first.
    """

    test_read: np.ndarray  # (tests,) column of the row's copies it reads
    test_threshold: np.ndarray  # left (met) if read <= threshold ...
    interval: tuple  # ... and, for the tests in this slice, ...
    interval_read: np.ndarray
    interval_lower: np.ndarray  # ... read > lower (NaN: no lower bound)
    cat_test: np.ndarray  # categorical tests, overwritten by a bitset lookup
    cat_read: np.ndarray
    cat_start: np.ndarray  # first bitset word of each
    cat_words: np.ndarray  # number of words of each
    cat_bitset: np.ndarray
    col_node: np.ndarray  # (slots,) the test of each slot
    col_coef: np.ndarray  # what the slot adds to key * m when the test says left
    col_width: tuple  # units in each column
    unit_constant: np.ndarray  # key * m when every test says right
    sorted_unit: np.ndarray  # (unit, feature) pairs sorted by feature: the unit
    sorted_base: np.ndarray  # start of the unit's table + j
    feature_start: np.ndarray  # first sorted pair of each used feature
    used_feature: np.ndarray
    table: np.ndarray
    expected_value: float
    n_features: int


class TreeShap:
    """Exact TreeSHAP contributions of a LightGBM model, equal to ``pred_contrib``.

    Build it with :meth:`from_booster` when the model is fitted or loaded;
    it never changes afterwards, so one instance may serve many threads.

    Attributes
    ----------
    n_features : int
        Columns the model reads; :meth:`contributions` returns one more.
    expected_value : float
        The bias column: the model's mean raw score over its training rows.
    n_trees : int
    fallback_trees : tuple of int
        Trees (0-based, in model order) whose contributions LightGBM computes.
    nbytes : int
        Memory held by the tables and index arrays (not the fallback booster).

    Examples
    --------
    >>> import lightgbm as lgb, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); X[::7, 1] = np.nan
    >>> y = (X[:, 0] + rng.normal(size=500) > 0).astype(int)
    >>> booster = lgb.train({"objective": "binary", "num_threads": 1, "verbose": -1},
    ...                     lgb.Dataset(X, y), num_boost_round=20)
    >>> shap = TreeShap.from_booster(booster)
    >>> phi = shap.contributions(X[:4])
    >>> phi.shape
    (4, 4)
    >>> bool(np.allclose(phi, booster.predict(X[:4], pred_contrib=True), rtol=0, atol=1e-9))
    True
    """

    def __init__(self, plan: _Plan, n_trees: int, fallback: lgb.Booster | None, fallback_trees):
        # Private: use from_booster.
        self._plan = plan
        self._fallback = fallback
        self.n_features = plan.n_features
        self.n_trees = n_trees
        self.fallback_trees = tuple(int(t) for t in fallback_trees)
        self.expected_value = plan.expected_value
        self.nbytes = sum(v.nbytes for v in vars(plan).values() if isinstance(v, np.ndarray))

    @classmethod
    def from_booster(
        cls,
        booster: lgb.Booster,
        *,
        max_leaf_features: int = 14,
        max_table_bytes: int = 256 * 2**20,
    ) -> TreeShap:
        """Tabulate the contributions of every leaf of ``booster``.

        Parameters
        ----------
        booster : lightgbm.Booster
            A single-output model (binary, regression, ...); its trees up to
            ``best_iteration``, as ``booster.predict`` uses by default.
        max_leaf_features : int, default 14
            A tree with a leaf whose path tests more distinct features is
            left to LightGBM (the leaf's table would hold ``2**m * m``
            numbers, 1.8 MB at 14), and no table is keyed by more bits (a
            larger subtree gets several). At most 20.
        max_table_bytes : int, default 256 MiB
            Budget for the tables; past it, the trees with the largest
            tables are left to LightGBM.

        Returns
        -------
        TreeShap

        Raises
        ------
        ConfigError
            The booster has several outputs per row (multiclass), averages
            its trees (random forest) or has linear trees; or a parameter is
            out of range.

        Examples
        --------
        >>> import lightgbm as lgb, numpy as np
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(300, 2)); y = X[:, 0] + rng.normal(size=300)
        >>> booster = lgb.train({"num_threads": 1, "verbose": -1}, lgb.Dataset(X, y),
        ...                     num_boost_round=5)
        >>> shap = TreeShap.from_booster(booster)
        >>> shap.n_trees, shap.fallback_trees
        (5, ())
        >>> TreeShap.from_booster(booster, max_table_bytes=0).fallback_trees
        (0, 1, 2, 3, 4)
        """
        _check_int("max_leaf_features", max_leaf_features, 1, _MAX_LEAF_FEATURES)
        _check_int("max_table_bytes", max_table_bytes, 0, None)
        header, blocks = _split_model_text(booster.model_to_string())
        fields = _parse_trees(blocks)
        _check_supported(header, fields)
        plan, fallback_trees = _build(
            fields,
            int(_header_value(header, "max_feature_idx")) + 1,
            max_leaf_features,
            max_table_bytes // np.dtype(np.float64).itemsize,
        )
        fallback = None
        if len(fallback_trees):
            fallback = lgb.Booster(model_str=_sub_model_text(header, blocks, fallback_trees))
        return cls(plan, len(blocks), fallback, fallback_trees)

    def contributions(self, matrix, *, num_threads: int = 1) -> np.ndarray:
        """TreeSHAP contribution of each feature to each row's raw score.

        Parameters
        ----------
        matrix : array of shape (n, n_features)
            Numeric rows as the booster reads them (categorical columns as
            integer codes, NaN for missing). Not modified.
        num_threads : int, default 1
            Threads of the LightGBM call for fallback trees, if any.

        Returns
        -------
        ndarray of shape (n, n_features + 1)
            As ``booster.predict(matrix, pred_contrib=True)``: one column
            per feature, then the expected value; each row sums to the raw
            score.

        Raises
        ------
        FeatureError
            ``matrix`` is not a 2-D numeric array with ``n_features`` columns.

        Examples
        --------
        >>> import lightgbm as lgb, numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 50)
        >>> booster = lgb.train({"num_threads": 1, "verbose": -1, "min_data_in_leaf": 5},
        ...                     lgb.Dataset(X, X[:, 0]), num_boost_round=1)
        >>> phi = TreeShap.from_booster(booster).contributions(np.array([[3.0], [np.nan]]))
        >>> phi.round(3)  # mean 1.5; NaN is read as 0, as LightGBM does
        array([[ 0.15,  1.5 ],
               [-0.15,  1.5 ]])
        """
        x = _as_matrix(matrix, self.n_features)
        plan = self._plan
        out = np.zeros((len(x), plan.n_features + 1))
        out[:, -1] = plan.expected_value
        step = max(1, _CHUNK_CELLS // max(1, len(plan.col_node)))
        for start in range(0, len(x), step):
            _contributions(plan, x[start : start + step], out[start : start + step])
        if self._fallback is not None and len(x):
            out += self._fallback.predict(x, pred_contrib=True, num_threads=num_threads)
        return out


def _contributions(plan: _Plan, x: np.ndarray, out: np.ndarray) -> None:
    """Add the tabulated trees' contributions for the rows ``x`` to ``out``."""
    if not len(plan.col_node):
        return
    added = _go_left(plan, x).take(plan.col_node, axis=1) * plan.col_coef
    # Each unit's row in its table, key * m: the slots summed column by column.
    row = plan.unit_constant + added[:, : plan.col_width[0]]
    start = plan.col_width[0]
    for width in plan.col_width[1:]:
        row[:, :width] += added[:, start : start + width]
        start += width
    values = plan.table.take(row.take(plan.sorted_unit, axis=1) + plan.sorted_base)
    out[:, plan.used_feature] += np.add.reduceat(values, plan.feature_start, axis=1)


def _go_left(plan: _Plan, x: np.ndarray) -> np.ndarray:
    """Does each row go left at (meet) each test? Shape (rows, tests)."""
    nan = np.isnan(x)[:, None]
    zero = (np.abs(x) <= _ZERO)[:, None]
    copies = np.where(nan, _NAN_AS[:, None], np.where(zero, _ZERO_AS[:, None], x[:, None]))
    copies = copies.reshape(len(x), -1)
    left = copies.take(plan.test_read, axis=1) <= plan.test_threshold
    start, stop = plan.interval
    left[:, start:stop] &= ~(copies.take(plan.interval_read, axis=1) <= plan.interval_lower)
    if len(plan.cat_test):
        left[:, plan.cat_test] = _in_category(plan, copies.take(plan.cat_read, axis=1))
    return left


def _in_category(plan: _Plan, values: np.ndarray) -> np.ndarray:
    """Is int(value) in each categorical test's bitset? NaN is in none."""
    code = np.trunc(values)  # C's static_cast<int>: toward zero, so -0.5 is category 0
    inside = (code >= 0) & (code < 32 * plan.cat_words)
    code = np.where(inside, code, 0).astype(np.int64)
    word = plan.cat_bitset.take(plan.cat_start + (code >> 5))
    return inside & ((word >> (code & 31)) & 1).astype(bool)


def _as_matrix(matrix, n_features: int) -> np.ndarray:
    try:
        x = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        found = getattr(matrix, "dtype", type(matrix).__name__)
        raise FeatureError(
            f"TreeShap needs a numeric matrix; got {found}. Encode categorical columns as "
            "integer codes first (CreditModel does so)."
        ) from None
    if x.ndim != 2 or x.shape[1] != n_features:
        raise FeatureError(
            f"TreeShap needs a 2-D matrix with {n_features} columns (one per model feature); "
            f"got shape {x.shape}. Pass one row as row[None, :]."
        )
    return x


def _check_int(name: str, value, low: int, high: int | None) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f"an integer in [{low}, {high}]" if high is not None else f"an integer >= {low}"
        raise ConfigError(f"TreeShap.from_booster {name} must be {allowed}; got {value!r}.")


# --- the model text --------------------------------------------------------


def _split_model_text(text: str) -> tuple[str, list[str]]:
    """Header and one text block per tree of a LightGBM model text."""
    end = text.find("end of trees")
    head, _, body = text[: end if end >= 0 else len(text)].partition("\nTree=")
    blocks = ["Tree=" + b for b in body.split("\nTree=")] if body else []
    return head + "\n", [b.strip() + "\n" for b in blocks]


def _header_value(header: str, key: str, default: str | None = None) -> str:
    found = re.search(rf"^{key}=(.*)$", header, flags=re.M)
    if found is None:
        if default is None:
            raise ConfigError(f"the LightGBM model text has no {key}= line; is it a model?")
        return default
    return found.group(1).strip()


def _parse_trees(blocks: list[str]) -> dict[str, list[str]]:
    """Each field's text per tree (an empty string where a tree has none)."""
    fields = {}
    for key in _TREE_FIELDS:
        pattern = re.compile(rf"^{key}=(.*)$", flags=re.M)
        fields[key] = [m.group(1) if (m := pattern.search(b)) else "" for b in blocks]
    return fields


def _check_supported(header: str, fields: dict) -> None:
    outputs = int(_header_value(header, "num_tree_per_iteration", "1"))
    if outputs != 1 or re.search(r"^average_output", header, flags=re.M):
        kind = f"{outputs} outputs per row" if outputs != 1 else "averaged trees (rf)"
        raise ConfigError(
            f"TreeShap supports single-output boosted models; this one has {kind}. "
            "Use booster.predict(X, pred_contrib=True) instead."
        )
    linear = [i for i, s in enumerate(fields["is_linear"]) if s.strip() not in ("", "0")]
    if linear:
        raise ConfigError(
            f"trees {format_keys(linear)} are linear trees, which have no TreeSHAP "
            "(LightGBM refuses them too). Train with linear_tree=False."
        )


def _numbers(parts: list[str], dtype) -> np.ndarray:
    return np.array(" ".join(parts).split(), dtype=dtype)


def _sub_model_text(header: str, blocks: list[str], trees) -> str:
    """A model text holding only ``trees``, for LightGBM to compute their contributions."""
    # tree_sizes lists every tree's length; without it LightGBM reads the trees in turn.
    head = re.sub(r"^tree_sizes=.*\n", "", header, flags=re.M)
    body = [re.sub(r"^Tree=\d+", f"Tree={i}", blocks[t]) for i, t in enumerate(trees)]
    return head + "\n" + "\n".join(body) + "\nend of trees\n"


# --- the tables ------------------------------------------------------------


def _build(fields: dict, n_features: int, max_m: int, max_cells: int) -> tuple[_Plan, np.ndarray]:
    """The plan of the tabulated trees, and the trees left to LightGBM."""
    leaves = np.array(fields["num_leaves"], dtype=np.int64)
    n_trees = len(leaves)
    leaf_value = _numbers(fields["leaf_value"], np.float64)
    leaf_count = _numbers(fields["leaf_count"], np.float64)
    node = {
        "feature": _numbers(fields["split_feature"], np.intp),
        "threshold": _numbers(fields["threshold"], np.float64),
        "decision": _numbers(fields["decision_type"], np.int64),
        "left": _numbers(fields["left_child"], np.int64),
        "right": _numbers(fields["right_child"], np.int64),
        "count": _numbers(fields["internal_count"], np.float64),
        "tree": np.repeat(np.arange(n_trees), leaves - 1),
    }
    leaf_tree = np.repeat(np.arange(n_trees), leaves)
    leaf_start = np.concatenate([[0], np.cumsum(leaves)[:-1]])
    node_start = np.concatenate([[0], np.cumsum(leaves - 1)[:-1]])

    stump = leaves == 1
    root_count = np.ones(n_trees)
    root_count[~stump] = node["count"][node_start[~stump]]
    weighted = leaf_count / root_count[leaf_tree] * leaf_value
    tree_expected = np.bincount(leaf_tree, weights=weighted, minlength=n_trees)
    tree_expected[stump] = leaf_value[leaf_start[stump]]

    entries = _paths(node, node_start, leaf_start, leaf_count)
    pairs = _pairs(entries, node["feature"])
    m = np.bincount(pairs["leaf"], minlength=len(leaf_tree))
    deep = np.bincount(leaf_tree, weights=m > max_m, minlength=n_trees) > 0
    units = _units(node, entries, pairs, ~deep[leaf_tree] & ~stump[leaf_tree], max_m)
    root_tree = np.where(units["root"] >= 0, node["tree"][units["root"]], leaf_tree[units["leaf"]])
    cells = np.bincount(root_tree, weights=units["m"] * 2.0 ** units["bits"], minlength=n_trees)
    fallback = _over_budget(cells, deep, max_cells)
    kept = ~fallback & ~stump
    keep_node = kept[node["tree"]]
    units = _units(node, entries, pairs, kept[leaf_tree], max_m)
    table, base = _unit_tables(units, entries, pairs, leaf_value)
    slots = _slots(units, entries)
    tests, slot_test, slot_right = _tests(node, keep_node, slots, fields, n_features)
    plan = _Plan(
        **tests,
        **_layout(units, slots, slot_test, slot_right, base),
        table=table,
        # The fallback booster's own bias column holds its trees' expected values.
        expected_value=float(tree_expected[~fallback].sum()),
        n_features=n_features,
    )
    return plan, np.flatnonzero(fallback)


def _over_budget(cells: np.ndarray, deep: np.ndarray, max_cells: int) -> np.ndarray:
    """Trees to leave to LightGBM: too deep, then the largest until the rest fit."""
    cost = np.where(deep, np.inf, cells)
    order = np.argsort(cost, kind="stable")
    fallback = np.ones(len(cells), dtype=bool)
    fallback[order[np.cumsum(cost[order]) <= max_cells]] = False
    return (fallback & (cells > 0)) | deep


def _paths(node: dict, node_start, leaf_start, leaf_count) -> dict:
    """One entry per (leaf, split node on its root path), sorted by leaf: the way the path
    goes there, the share of the node's rows that go that way, and how far up it is."""
    n_nodes = len(node["tree"])
    ids = np.arange(n_nodes)
    parent = np.full(n_nodes, -1)
    parent_left = np.zeros(n_nodes, dtype=bool)
    leaf_parent = np.full(len(leaf_count), -1)
    leaf_left = np.zeros(len(leaf_count), dtype=bool)
    child_count = np.zeros((n_nodes, 2))
    for side, child in enumerate((node["left"], node["right"])):
        leaf = child < 0
        leaf_id = leaf_start[node["tree"][leaf]] + ~child[leaf]
        leaf_parent[leaf_id], leaf_left[leaf_id] = ids[leaf], side == 0
        child_count[leaf, side] = leaf_count[leaf_id]
        inner = node_start[node["tree"][~leaf]] + child[~leaf]
        parent[inner], parent_left[inner] = ids[~leaf], side == 0
        child_count[~leaf, side] = node["count"][inner]
    share = child_count / node["count"][:, None]

    leaf = np.flatnonzero(leaf_parent >= 0)
    at, left = leaf_parent[leaf], leaf_left[leaf]
    steps = []
    while len(leaf):  # one step up all paths at once: depth iterations
        share_taken = share[at, (~left).astype(np.intp)]
        steps.append((leaf, at, left, share_taken, np.full(len(leaf), len(steps))))
        up = parent[at] >= 0
        leaf, at, left = leaf[up], parent[at[up]], parent_left[at[up]]
    keys = ("leaf", "node", "left", "share", "up")
    if not steps:
        types = (int, int, bool, float, int)
        return {k: np.empty(0, dtype=t) for k, t in zip(keys, types, strict=True)}
    columns = [np.concatenate(s) for s in zip(*steps, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    # up: nodes between the leaf and this one.
    return {k: c[order] for k, c in zip(keys, columns, strict=True)}


def _pairs(entries: dict, node_feature: np.ndarray) -> dict:
    """Group path entries by (leaf, feature): cover share z and position j of each pair.

    Sorts ``entries`` by (leaf, feature) in place and adds the pair of each.
    """
    feature = node_feature[entries["node"]]
    order = np.lexsort((feature, entries["leaf"]))
    for key in entries:
        entries[key] = entries[key][order]
    feature = feature[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (entries["leaf"][1:] != entries["leaf"][:-1]) | (feature[1:] != feature[:-1])
    start = np.flatnonzero(new)
    leaf = entries["leaf"][start]
    entries["pair"] = np.cumsum(new) - 1
    return {
        "leaf": leaf,
        "feature": feature[start],
        "z": np.multiply.reduceat(entries["share"], start) if len(start) else np.empty(0),
        "j": np.arange(len(start)) - np.searchsorted(leaf, leaf),
    }


def _leaf_table(z: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Contributions of leaves of one path width ``m``, shape (leaves, 2**m, m).

    ``[l, F, j]`` is what leaf ``l`` adds to its ``j``-th feature for a row
    that fails its conditions on the features in the bitmask ``F`` and meets
    the others.
    """
    n, m = z.shape
    subset = np.arange(1 << m)
    member = ((subset[:, None] >> np.arange(m)) & 1).astype(bool)  # (2**m, m)
    # Shapley weight |S|! (m - |S| - 1)! / m! of a coalition S without j.
    weight = np.array([math.factorial(s) * math.factorial(m - 1 - s) for s in range(m)] + [0])
    weight = weight / math.factorial(m)
    # Product of z over the features outside each subset: (n, 2**m).
    outside = np.where(member[None], 1.0, z[:, None, :]).prod(axis=2)
    # A coalition S without j weighs weight(|S|) times the product of z over
    # the features outside S and j, i.e. outside S | {j}.
    with_j = subset[:, None] | (1 << np.arange(m))
    term = np.where(member, 0.0, weight[member.sum(axis=1)][:, None] * outside[:, with_j])
    # Sum over the coalitions S within each met set O, one bit at a time.
    for b in range(m):
        view = term.reshape(n, 1 << (m - 1 - b), 2, 1 << b, m)
        view[:, :, 1] += view[:, :, 0]
    table = value[:, None, None] * (member - z[:, None, :]) * term
    return table[:, ::-1]  # by the failed set F = all ^ O


def _units(node: dict, entries: dict, pairs: dict, keep_leaf: np.ndarray, max_bits: int) -> dict:
    """Split the kept leaves into units: subtrees of height up to _UNIT_HEIGHT that one
    table covers, the highest whose key has at most ``max_bits`` bits, or leaves alone.

    A unit's key has a bit per split node inside it (set when the row goes
    right there), then one per feature tested above it (set when the row
    fails a condition there).
    """
    n_nodes, n_leaves = len(node["tree"]), len(keep_leaf)
    at, leaf = entries["node"], entries["leaf"]
    depth_of_leaf = np.bincount(leaf, minlength=n_leaves)
    depth = np.zeros(n_nodes, dtype=np.intp)
    depth[at] = depth_of_leaf[leaf] - entries["up"] - 1
    height = np.zeros(n_nodes, dtype=np.intp)
    np.maximum.at(height, at, entries["up"] + 1)
    inner = np.bincount(at, minlength=n_nodes) - 1  # split nodes in the subtree
    # Distinct features above a node: the entries of a leaf below it that are
    # the first on their feature, counted by depth.
    shallowest = np.full(len(pairs["leaf"]), n_nodes)
    np.minimum.at(shallowest, entries["pair"], depth[at])
    first = depth[at] == shallowest[entries["pair"]]
    above = np.zeros((n_leaves, int(depth_of_leaf.max(initial=0)) + 2), dtype=np.intp)
    np.add.at(above, (leaf[first], depth[at][first] + 1), 1)
    above = np.cumsum(above, axis=1)
    below = np.full(n_nodes, n_leaves)
    np.minimum.at(below, at, leaf)
    bits = inner + above[below.clip(max=n_leaves - 1), depth]
    fits = (height <= _UNIT_HEIGHT) & (bits <= max_bits) & (inner >= 0)
    # Fitting is inherited by subtrees, so a leaf's unit is its highest
    # fitting ancestor, or itself.
    key = np.where(fits[at] & keep_leaf[leaf], depth[at] * n_nodes + at, np.iinfo(np.intp).max)
    top = np.full(n_leaves, np.iinfo(np.intp).max)
    np.minimum.at(top, leaf, key)
    root_of_leaf = np.where(top < np.iinfo(np.intp).max, top % max(n_nodes, 1), -1)
    owner = np.where(root_of_leaf >= 0, root_of_leaf, n_nodes + np.arange(n_leaves))
    kept = np.flatnonzero(keep_leaf)
    roots, unit_of_kept = np.unique(owner[kept], return_inverse=True)
    unit_of_leaf = np.full(n_leaves, -1)
    unit_of_leaf[kept] = unit_of_kept
    root = np.where(roots < n_nodes, roots, -1)

    # Entries of kept leaves, inside their unit or above it.
    e = np.flatnonzero(keep_leaf[leaf])
    unit = unit_of_leaf[leaf[e]]
    inside = (root[unit] >= 0) & (depth[at[e]] >= depth[np.maximum(root[unit], 0)])
    feature = node["feature"][at[e]]
    n_units, n_f = len(roots), int(node["feature"].max(initial=0)) + 1
    # Decision bits: the unit's split nodes, by node id.
    split_key = np.unique(unit[inside] * n_nodes + at[e][inside])
    split_unit = split_key // n_nodes
    d = np.bincount(split_unit, minlength=n_units)
    split_bit = np.arange(len(split_key)) - np.searchsorted(split_unit, split_unit)
    # Above bits: the features tested above the unit, sorted.
    up_key = np.unique(unit[~inside] * n_f + feature[~inside])
    up_unit = up_key // n_f
    n_up = np.bincount(up_unit, minlength=n_units)
    # The features a unit's table has a column for: above and inside, sorted.
    all_key = np.unique(
        np.concatenate([up_key, split_unit * n_f + node["feature"][split_key % n_nodes]])
    )
    m = np.bincount(all_key // n_f, minlength=n_units)
    entry_bit = np.empty(len(e), dtype=np.intp)
    entry_bit[inside] = split_bit[
        np.searchsorted(split_key, unit[inside] * n_nodes + at[e][inside])
    ]
    up_index = np.searchsorted(up_key, unit[~inside] * n_f + feature[~inside])
    entry_bit[~inside] = d[unit[~inside]] + up_index - np.searchsorted(up_unit, unit[~inside])
    return {
        "root": root,  # split node at the top, or -1 for a leaf alone
        "leaf": np.where(root < 0, roots - n_nodes, below[np.maximum(root, 0)]),
        "m": m,
        "bits": d + n_up,
        "feature_key": all_key,  # unit * n_f + feature, sorted
        "n_f": n_f,
        "entry": e,  # entries of kept leaves ...
        "entry_unit": unit,
        "entry_inside": inside,
        "entry_bit": entry_bit,  # ... and the key bit each sets
        "unit_of_leaf": unit_of_leaf,
        "split_key": split_key,  # unit * n_nodes + node of the split nodes inside units
        "split_bit": split_bit,
        "n_nodes": n_nodes,
    }


def _unit_tables(
    units: dict, entries: dict, pairs: dict, leaf_value
) -> tuple[np.ndarray, np.ndarray]:
    """The flat table and where each unit's part starts.

    A unit's part is indexed by ``key * m + j``, ``j`` a column of the
    unit's features; it adds the tables of the unit's leaves, each read at
    the failed set its conditions give for that key.
    """
    size = units["m"] << units["bits"]
    base = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.intp)
    # Per (leaf, j): which key bits fail the leaf's condition on its j-th
    # feature, and its column in the unit; per leaf, the bits where it goes
    # right (the key has the bit set when the row goes right).
    e = units["entry"]
    pair = entries["pair"][e]
    fail_bits = np.zeros(len(pairs["leaf"]), dtype=np.int64)
    np.bitwise_or.at(fail_bits, pair, np.left_shift(1, units["entry_bit"]))
    leaf_count = len(leaf_value)
    goes_right = np.zeros(leaf_count, dtype=np.int64)
    right = units["entry_inside"] & ~entries["left"][e]
    np.bitwise_or.at(
        goes_right, entries["leaf"][e][right], np.left_shift(1, units["entry_bit"][right])
    )
    leaf_unit = units["unit_of_leaf"]
    kept_pair = np.flatnonzero(leaf_unit[pairs["leaf"]] >= 0)
    column = np.zeros(len(pairs["leaf"]), dtype=np.intp)
    pair_unit = leaf_unit[pairs["leaf"][kept_pair]]
    key = pair_unit * units["n_f"] + pairs["feature"][kept_pair]
    column[kept_pair] = np.searchsorted(units["feature_key"], key) - np.searchsorted(
        units["feature_key"] // units["n_f"], pair_unit
    )

    m = np.bincount(pairs["leaf"], minlength=leaf_count)
    first_pair = np.searchsorted(pairs["leaf"], np.arange(leaf_count))
    out, values = [], []
    kept = np.flatnonzero(leaf_unit >= 0)
    group_of = units["bits"][leaf_unit[kept]] * 64 + m[kept]
    for group in np.unique(group_of):  # leaves of one width in units of one key size
        leaf = kept[group_of == group]
        b, w = divmod(int(group), 64)
        p = first_pair[leaf][:, None] + np.arange(w)  # (leaves, w) pairs
        table = _leaf_table(pairs["z"][p], leaf_value[leaf])  # (leaves, 2**w, w)
        keys = np.arange(1 << b)
        flipped = keys[None, :, None] ^ goes_right[leaf][:, None, None]
        failed = ((flipped & fail_bits[p][:, None, :]) != 0).astype(np.intp)
        f = (failed << np.arange(w)).sum(axis=2)  # (leaves, 2**b) failed sets
        values.append(np.take_along_axis(table, f[..., None], axis=1).ravel())
        u = leaf_unit[leaf]
        at = base[u][:, None, None] + keys[None, :, None] * units["m"][u][:, None, None]
        out.append((at + column[p][:, None, :]).ravel())
    total = int(size.sum())
    if not out:
        return np.zeros(total), base
    return np.bincount(np.concatenate(out), np.concatenate(values), minlength=total), base


def _slots(units: dict, entries: dict) -> dict:
    """The tests that set each bit of each unit's key, as (unit, bit) groups of nodes:
    the unit's split nodes, one each, and the nodes above it on each feature."""
    e, unit = units["entry"], units["entry_unit"]
    n_nodes = units["n_nodes"]
    up = ~units["entry_inside"]
    _, once = np.unique(unit[up] * n_nodes + entries["node"][e][up], return_index=True)
    split = units["split_key"]
    slot = {
        "unit": np.concatenate([unit[up][once], split // n_nodes]),
        "bit": np.concatenate([units["entry_bit"][up][once], units["split_bit"]]),
        "node": np.concatenate([entries["node"][e][up][once], split % n_nodes]),
        "left": np.concatenate([entries["left"][e][up][once], np.ones(len(split), dtype=bool)]),
    }
    order = np.lexsort((slot["bit"], slot["unit"]))
    slot = {k: v[order] for k, v in slot.items()}
    new = np.ones(len(order), dtype=bool)
    new[1:] = (slot["unit"][1:] != slot["unit"][:-1]) | (slot["bit"][1:] != slot["bit"][:-1])
    slot["group"] = np.cumsum(new) - 1
    slot["start"] = np.flatnonzero(new)
    return slot


def _tests(node: dict, keep: np.ndarray, slots: dict, fields: dict, n_features: int):
    """Decision data of every test, and the test and way of each slot.

    Tests are the kept split nodes, then one per slot of several nodes on a
    numeric feature (an interval), then one per such slot on a categorical
    feature (a merged category set); so each slot reads one test.
    """
    new_node = np.cumsum(keep) - 1
    decision = node["decision"][keep]
    outcome = _outcomes(decision)
    size = np.diff(np.append(slots["start"], len(slots["node"])))
    multi = size > 1
    node_of_slot = new_node[slots["node"][slots["start"]]]
    categorical = (decision[node_of_slot] & _CATEGORICAL) > 0
    test = node_of_slot.copy()
    right = ~slots["left"][slots["start"]]

    # Entries of slots with several nodes, grouped by slot.
    in_multi = multi[slots["group"]]
    entry = {k: slots[k][in_multi] for k in ("node", "left", "group")}
    entry["node"] = new_node[entry["node"]]
    entry["start"] = np.flatnonzero(np.diff(entry["group"], prepend=-1))
    groups = np.flatnonzero(multi)
    numeric = _intervals(node, keep, outcome, entry, ~categorical[groups])
    merged, merged_right = _merged_sets(node, keep, fields, entry, categorical[groups])
    n_nodes, n_intervals, n_merged = len(decision), len(numeric["upper"]), len(merged_right)
    test[groups[~categorical[groups]]] = n_nodes + np.arange(n_intervals)
    start = n_nodes + n_intervals
    test[groups[categorical[groups]]] = start + np.arange(n_merged)
    right[groups[~categorical[groups]]] = False
    right[groups[categorical[groups]]] = merged_right

    # Which copy of the row each node reads: 0 stays 0 unless the missing
    # type is Zero, NaN is 0 under None; else they take the default way.
    missing = (decision >> 2) & 3
    default = np.where((decision & _DEFAULT_LEFT) > 0, 1, 2)
    node_copy = _COPY[np.where(missing == _MISSING_ZERO, default, 0), np.where(missing, default, 0)]
    real_cat = np.flatnonzero(decision & _CATEGORICAL)
    bitsets = _bitsets(node, keep, real_cat, fields)
    words = len(bitsets["cat_bitset"]) - 1  # merged sets go after the last word
    width = merged["words"]
    nan_is_no_category = _COPY[0, 2] * n_features
    return (
        {
            "test_read": np.concatenate(
                [
                    node_copy * n_features + node["feature"][keep],
                    numeric["copy"] * n_features + numeric["feature"],
                    np.zeros(n_merged, dtype=np.intp),
                ]
            ).astype(np.intp),
            "test_threshold": np.concatenate(
                [node["threshold"][keep], numeric["upper"], np.zeros(n_merged)]
            ),
            "interval": (n_nodes, n_nodes + n_intervals),
            "interval_read": (_COPY[2, 2] * n_features + numeric["feature"]).astype(np.intp),
            "interval_lower": numeric["lower"],
            "cat_test": np.concatenate([real_cat, start + np.arange(n_merged)]).astype(np.intp),
            "cat_read": nan_is_no_category
            + np.concatenate([bitsets["cat_feature"], merged["feature"]]).astype(np.intp),
            "cat_start": np.concatenate(
                [bitsets["cat_start"], words + width * np.arange(n_merged)]
            ),
            "cat_words": np.concatenate([bitsets["cat_words"], np.full(n_merged, width)]),
            "cat_bitset": np.concatenate(
                [bitsets["cat_bitset"][:-1], merged["bitset"], np.zeros(1, dtype=np.int64)]
            ),
        },
        test,
        right,
    )


def _outcomes(decision: np.ndarray) -> np.ndarray:
    """Left? by (state, x <= threshold) per node, shape (nodes, 6).

    x is read as 0 when it is zero or NaN: ordinary values follow the
    comparison; zero goes the default way under missing type Zero; NaN
    under Zero and NaN.
    """
    missing = (decision >> 2) & 3
    default_left = ((decision & _DEFAULT_LEFT) > 0)[:, None]
    compare = np.broadcast_to([False, True], (len(decision), 2))
    zero = np.where((missing == _MISSING_ZERO)[:, None], default_left, compare)
    nan = np.where((missing != 0)[:, None], default_left, compare)
    return np.concatenate([compare, zero, nan], axis=1)


def _intervals(node, keep, outcome, entry, numeric) -> dict:
    """One test per numeric slot of several nodes: lower < x <= upper, and the copy of
    the row it reads, where 0 and NaN meet the test if they meet all its nodes."""
    group = np.repeat(numeric, np.diff(np.append(entry["start"], len(entry["node"]))))
    at = entry["node"][group]
    if not len(at):
        empty = np.empty(0)
        return {"feature": empty, "upper": empty, "lower": empty, "copy": empty}
    starts = np.flatnonzero(np.diff(entry["group"][group], prepend=-1))
    threshold = node["threshold"][keep][at]
    left = entry["left"][group]
    below_zero = (0 <= threshold).astype(np.intp)
    zero_met = np.logical_and.reduceat(outcome[at, 2 + below_zero] == left, starts)
    nan_met = np.logical_and.reduceat(outcome[at, 4 + below_zero] == left, starts)
    lower = np.maximum.reduceat(np.where(left, -np.inf, threshold), starts)
    feature = node["feature"][keep][at[starts]]
    return {
        "feature": feature,
        "upper": np.minimum.reduceat(np.where(left, threshold, np.inf), starts),
        # NaN: no lower bound (x <= NaN is false even for x = -inf).
        "lower": np.where(lower == -np.inf, np.nan, lower),
        # -inf (met) or NaN (not) in place of 0 and NaN.
        "copy": _COPY[np.where(zero_met, 1, 2), np.where(nan_met, 1, 2)],
    }


def _bitsets(node: dict, keep: np.ndarray, categorical: np.ndarray, fields: dict) -> dict:
    """Category bitsets of the kept categorical nodes: where each starts, its length."""
    has = np.array([s.strip() not in ("", "0") for s in fields["num_cat"]], dtype=bool)
    bounds = [np.array(s.split(), dtype=np.intp) for s in np.array(fields["cat_boundaries"])[has]]
    words = [np.array(s.split(), dtype=np.int64) for s in np.array(fields["cat_threshold"])[has]]
    word_offset = np.zeros(len(has), dtype=np.intp)
    bound_offset = np.zeros(len(has), dtype=np.intp)
    word_offset[has] = np.cumsum([0, *map(len, words)])[:-1]
    bound_offset[has] = np.cumsum([0, *map(len, bounds)])[:-1]
    all_bounds = np.concatenate([*bounds, np.zeros(1, dtype=np.intp)])
    tree = node["tree"][keep][categorical]
    index = node["threshold"][keep][categorical].astype(np.intp) + bound_offset[tree]
    start = all_bounds[index]
    return {
        "cat_feature": node["feature"][keep][categorical],
        "cat_start": word_offset[tree] + start,
        "cat_words": all_bounds[index + 1] - start,
        # A last 0 word: codes outside every set read it and go right.
        "cat_bitset": np.concatenate([*words, np.zeros(1, dtype=np.int64)]),
    }


def _merged_sets(node, keep, fields, entry, categorical) -> tuple[dict, np.ndarray]:
    """One test per categorical slot of several nodes: a merged category set.

    The row meets the slot when it is in every set its path goes left at and
    in none it goes right at. With a left turn, that is being in their
    intersection minus the union of the others; without one, being outside
    the union (NaN and unknown codes, in no set, meet it).
    """
    group = np.repeat(categorical, np.diff(np.append(entry["start"], len(entry["node"]))))
    at = entry["node"][group]
    if not len(at):
        empty = np.empty(0, dtype=np.intp)
        return {"feature": empty, "words": 0, "bitset": np.empty(0, np.int64)}, empty.astype(bool)
    starts = np.flatnonzero(np.diff(entry["group"][group], prepend=-1))
    left = entry["left"][group]
    sets = _bitsets(node, keep, at, fields)
    width = int(sets["cat_words"].max())
    word = np.arange(width)
    words = np.where(
        word < sets["cat_words"][:, None],
        sets["cat_bitset"][
            sets["cat_start"][:, None] + np.minimum(word, sets["cat_words"][:, None] - 1)
        ],
        0,
    )
    members = ((words[..., None] >> np.arange(32)) & 1).astype(bool).reshape(len(at), -1)
    any_left = np.logical_or.reduceat(left, starts)
    within = np.logical_and.reduceat(members | ~left[:, None], starts, axis=0)
    union = np.logical_or.reduceat(members & ~left[:, None], starts, axis=0)
    merged = np.where(any_left[:, None], within & ~union, union)
    packed = (merged.reshape(len(starts), width, 32) << np.arange(32)).sum(axis=2)
    return {
        "feature": sets["cat_feature"][starts],
        "words": width,
        "bitset": packed.ravel().astype(np.int64),
    }, ~any_left


def _layout(units, slots, slot_test, slot_right, base) -> dict:
    """The per-row arrays: slots column-major, (unit, feature) pairs sorted by feature."""
    n_slots = np.bincount(slots["unit"][slots["start"]], minlength=len(units["m"]))
    unit = np.argsort(-n_slots, kind="stable")  # most slots first
    new_unit = np.empty(len(unit), dtype=np.intp)
    new_unit[unit] = np.arange(len(unit))
    slot_unit = new_unit[slots["unit"][slots["start"]]]
    q = np.arange(len(slot_unit)) - np.searchsorted(
        slots["unit"][slots["start"]], slots["unit"][slots["start"]]
    )
    col_width = np.bincount(q, minlength=1)  # units with more than q slots, per column q
    column = np.concatenate([[0], np.cumsum(col_width)[:-1]])[q] + slot_unit
    m = units["m"][slots["unit"][slots["start"]]]
    weight = (m << slots["bit"][slots["start"]]).astype(np.int32)
    col = np.empty(len(column), dtype=np.intp)
    col[column] = np.arange(len(column))
    constant = np.bincount(slot_unit, weights=np.where(slot_right, 0, weight), minlength=len(unit))

    # (unit, j) for j < m, the unit's features, sorted by feature.
    first = np.concatenate([[0], np.cumsum(units["m"])[:-1]])
    width = units["m"][unit]
    owner = np.repeat(np.arange(len(unit)), width)
    j = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    feature = units["feature_key"][first[unit][owner] + j] % units["n_f"]
    order = np.argsort(feature, kind="stable")
    used, feature_start = np.unique(feature[order], return_index=True)
    return {
        "col_node": slot_test[col].astype(np.intp),
        "col_coef": np.where(slot_right, weight, -weight)[col].astype(np.int32),
        "col_width": tuple(int(w) for w in col_width[col_width > 0]),
        "unit_constant": constant.astype(np.int32),
        "sorted_unit": owner[order].astype(np.intp),
        "sorted_base": (base[unit][owner] + j)[order].astype(np.intp),
        "feature_start": feature_start.astype(np.intp),
        "used_feature": used.astype(np.intp),
    }
