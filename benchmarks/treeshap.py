"""TreeSHAP latency: LightGBM's pred_contrib against the tabulated TreeShap.

The model is the scorer's LightGBM booster fitted on a synthetic book
(2,000 customers, seed 0: 444 trees of up to 15 leaves); the rows are its
own feature vectors. Printed, each measured in this run:

- the distribution of path widths ``m`` (distinct features a leaf's path
  tests), which sets the size of the tables;
- the precomputation: seconds for ``TreeShap.from_booster`` (best of 3) and
  the megabytes it holds;
- p50 / p99 wall-clock latency over ``--calls`` single-row calls (calls
  interleaved, so bursts of load from other processes hit all alike) of
  ``Booster.predict(row, pred_contrib=True)``, ``TreeShap.contributions``,
  ``TreeShap.raw_score`` (the same raw score, compiled) and the reference, a
  plain ``Booster.predict(row, raw_score=True)``, with each p50 as a ratio to
  the reference;
- the same with the caches flushed before each call (a 128 MB array summed),
  as when a service does other work between decisions;
- the cost per row of 10,000 rows in one call, both ways;
- the largest absolute difference between the two on those rows, and the
  share of those rows whose ``raw_score`` equals LightGBM's bit for bit.

All on one thread. The machine may be shared: run it when it is quiet.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/treeshap.py [--calls 1000] [--cold-calls 200]
        [--customers 2000]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import numpy as np

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.model._treeshap import TreeShap
from bnpl_risk.scorer import RiskScorer


def model_and_rows(customers: int):
    book = make_bnpl_histories(customers, seed=0)
    scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
    features = scorer.features_.transform(book.histories, book.applications)
    return scorer.model_.booster_, scorer.model_._matrix(features)


def path_widths(booster) -> dict[int, int]:
    """Leaves per number of distinct features on their root path."""
    counts: dict[int, int] = {}

    def walk(node, features):
        if "split_feature" not in node:
            counts[len(features)] = counts.get(len(features), 0) + 1
            return
        below = features | {node["split_feature"]}
        walk(node["left_child"], below)
        walk(node["right_child"], below)

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"], frozenset())
    return dict(sorted(counts.items()))


def latency(
    runs: dict, rows: np.ndarray, calls: int, flush: np.ndarray | None = None
) -> dict[str, tuple[float, float]]:
    """(p50, p99) in ms of each run over single rows, the runs interleaved call by call;
    ``flush`` is summed before each call to push the model out of the caches."""
    wall = {name: np.empty(calls) for name in runs}
    for run in runs.values():  # warm up
        run(rows[:1])
    for i in range(calls):
        row = rows[i % len(rows)][None, :]
        for name, run in runs.items():
            if flush is not None:
                flush.sum()
            start = time.perf_counter()
            run(row)
            wall[name][i] = time.perf_counter() - start
    return {n: (np.percentile(w, 50) * 1e3, np.percentile(w, 99) * 1e3) for n, w in wall.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cold-calls", type=int, default=200)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()

    booster, rows = model_and_rows(args.customers)
    widths = path_widths(booster)
    print(f"model: {booster.num_trees()} trees, {sum(widths.values())} leaves, {rows.shape[1]}")
    print("  leaves by path width m: " + ", ".join(f"{m}: {n}" for m, n in widths.items()))

    builds = []
    for _ in range(3):
        start = time.perf_counter()
        shap = TreeShap.from_booster(booster)
        builds.append(time.perf_counter() - start)
    print(
        f"precompute: {min(builds):.3f} s (best of 3), {shap.nbytes / 2**20:.1f} MB, "
        f"{len(shap.fallback_trees)} trees left to LightGBM"
    )

    runs = {
        "pred_contrib": lambda r: booster.predict(r, pred_contrib=True, num_threads=1),
        "TreeShap": shap.contributions,
        "TreeShap.raw_score": shap.raw_score,
        "predict (reference)": lambda r: booster.predict(r, raw_score=True, num_threads=1),
    }
    for title, calls, flush in (
        ("one row", args.calls, None),
        ("one row, caches flushed", args.cold_calls, np.ones(2**24)),
    ):
        figures = latency(runs, rows, calls, flush)
        reference = figures["predict (reference)"][0]
        print(f"{title}, {calls} calls (ms):")
        for name, (p50, p99) in figures.items():
            ratio = p50 / reference
            print(f"  {name:20s} p50 {p50:6.3f}  p99 {p99:6.3f}  p50 / reference {ratio:5.1f}")

    batch = np.resize(rows, (10_000, rows.shape[1]))
    start = time.perf_counter()
    theirs = booster.predict(batch, pred_contrib=True, num_threads=1)
    lightgbm = time.perf_counter() - start
    start = time.perf_counter()
    ours = shap.contributions(batch)
    tabulated = time.perf_counter() - start
    print(
        f"10,000 rows in one call (ms per row): pred_contrib {lightgbm / 10:.3f}, "
        f"TreeShap {tabulated / 10:.3f}, ratio {lightgbm / tabulated:.1f}x"
    )
    print(f"largest absolute difference: {np.abs(ours - theirs).max():.2e}")
    same = shap.raw_score(batch) == booster.predict(batch, raw_score=True, num_threads=1)
    print(f"raw_score equal to Booster.predict(raw_score=True): {same.mean():.0%} of rows")


if __name__ == "__main__":
    main()
