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
key per unit, a gather and a sum per feature, in one compiled loop
(numba) over the row's tests, slots and table reads. The bias column sums each
tree's expected value (leaves weighted by their row counts, LightGBM's
``Tree::ExpectedValue``); a tree of a single leaf adds only its value there.

Fallback: a tree is left to LightGBM (one ``pred_contrib`` call per batch on
a booster holding only such trees) when one of its leaves tests more than
``max_leaf_features`` features, or when the tables would outgrow
``max_table_bytes``, the largest first.

The same tests give each row its leaf in every tree, so a model without
fallback trees also gets its raw score exactly as LightGBM computes it
(:meth:`TreeShap.raw_score`), without LightGBM's Python wrapper, which
costs more than the trees for one row.

Modules, each importing only those above it:

- ``_plan``: the arrays the per-row path reads, and how a row's copies encode
  0 and NaN;
- ``_model_text``: LightGBM's model text, split, parsed and checked;
- ``_paths``: each leaf's root path, grouped by feature;
- ``_units``: leaves grouped into units, and the tests behind each key bit;
- ``_tables``: the Shapley tables of leaves and units;
- ``_decisions``: LightGBM's decisions as tests on the row's copies;
- ``_build``: the plan of a model from its parsed trees;
- ``_kernels``: the compiled per-row path: contributions and raw scores;
- ``_explainer``: :class:`TreeShap`.
"""

from bnpl_risk.model._treeshap._explainer import TreeShap

__all__ = ["TreeShap"]
