"""CreditModel speed against bare LightGBM in the same run: training, batch PD, single-row PD.

Prints, with medians over repeats (the machine may be shared):

- training: ``CreditModel.fit`` against ``lightgbm.train`` with the same
  parameters, (a) on the same split with the same early stopping (the
  wrapper's overhead) and (b) on all rows for the final number of rounds
  (one bare fit of the model it keeps). Target: at most 1.5 x.
- batch: PD throughput of ``predict_proba`` on the feature matrix (as a
  numpy array and as a DataFrame) against ``Booster.predict`` on the same
  numpy matrix. Target: at least 0.8 x.
- single row: p50 / p99 latency of ``predict_proba`` on a one-row DataFrame
  against ``Booster.predict`` on a one-row array. Target: p99 at most 1 ms.

Data: a synthetic numeric feature matrix (like the library's features, with
NaN), Taiwan default of credit card clients and German credit (categorical)
from /work/shared/data when present.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/scoring.py [--rows 200000] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import lightgbm as lgb
import numpy as np
import pandas as pd

from bnpl_risk.model import CreditModel
from bnpl_risk.model._lgbm import MIN_DELTA, holdout


def feature_matrix(rows: int, columns: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts, amounts, shares and days with 10 % NaN in a third of the columns."""
    rng = np.random.default_rng(seed)
    kinds = [
        lambda: rng.poisson(3.0, rows).astype(float),
        lambda: rng.lognormal(5.0, 1.0, rows),
        lambda: rng.beta(2.0, 5.0, rows),
        lambda: rng.exponential(30.0, rows),
    ]
    X = np.column_stack([kinds[j % 4]() for j in range(columns)])
    logit = -2.5 + 0.3 * X[:, 0] - 0.4 * np.log1p(X[:, 1]) + 2.0 * X[:, 2] - 0.01 * X[:, 3]
    logit += 0.5 * np.sin(X[:, 4]) + 0.2 * (X[:, 8] > 4)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    X[:, ::3][rng.uniform(size=(rows, len(range(0, columns, 3)))) < 0.1] = np.nan
    return pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(columns)]), y


def interleaved(runs: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Median wall-clock and CPU seconds of each run, timed in turn so that bursts of load
    from other processes hit all alike. With one thread, CPU time is the steadier figure."""
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.thread_time() - start_cpu)
    return {name: (float(np.median(wall[name])), float(np.median(cpu[name]))) for name in runs}


def training(name: str, X: pd.DataFrame, y: np.ndarray, threads: int, repeats: int) -> None:
    model = CreditModel(num_threads=threads, random_state=0).fit(X, y)
    params = {k: v for k, v in model.booster_.params.items() if k != "num_iterations"}
    matrix = X.to_numpy(dtype=np.float64)
    cats = params.pop("categorical_column", [])
    train, valid = holdout(y, None, model.validation_fraction, model.random_state)

    def same_procedure():
        dtrain = lgb.Dataset(matrix[train], y[train], categorical_feature=cats)
        dvalid = lgb.Dataset(matrix[valid], y[valid], reference=dtrain)
        stop = lgb.early_stopping(model.early_stopping_rounds, min_delta=MIN_DELTA, verbose=False)
        lgb.train(params, dtrain, model.max_rounds, valid_sets=[dvalid], callbacks=[stop])

    def final_model_only():
        dall = lgb.Dataset(matrix, y, categorical_feature=cats)
        lgb.train(params, dall, num_boost_round=model.best_iteration_)

    t = interleaved(
        {"ours": lambda: model.fit(X, y), "same": same_procedure, "final": final_model_only},
        repeats,
    )
    print(
        f"training {name}: CreditModel.fit keeps {model.best_iteration_} rounds [target <= 1.5 x]"
    )
    for clock, k in (("wall", 0), ("cpu", 1)):
        ours, same, final = t["ours"][k], t["same"][k], t["final"][k]
        print(
            f"  {clock}: CreditModel.fit {ours:.2f} s; bare lightgbm.train (a) same split and "
            f"early stopping {same:.2f} s -> {ours / same:.2f} x; (b) all rows, "
            f"{model.best_iteration_} rounds {final:.2f} s -> {ours / final:.2f} x"
        )


def batch(X: pd.DataFrame, y: np.ndarray, threads: int, repeats: int) -> None:
    model = CreditModel(num_threads=threads, random_state=0).fit(X, y)
    matrix = X.to_numpy(dtype=np.float64)
    runs = {
        "raw": lambda: model.booster_.predict(matrix, num_threads=threads),
        "array": lambda: model.predict_proba(matrix),
        "frame": lambda: model.predict_proba(X),
    }
    t = interleaved(runs, repeats)
    n = len(X)
    print(
        f"batch {n:,} rows x {X.shape[1]} features, {model.best_iteration_} trees, "
        f"{threads} thread(s) [target >= 0.8 x]:"
    )
    for clock, k in (("wall", 0), ("cpu", 1)):
        raw, array, frame = t["raw"][k], t["array"][k], t["frame"][k]
        print(
            f"  {clock}: Booster.predict {n / raw:,.0f} rows/s; predict_proba(array) "
            f"{n / array:,.0f} rows/s -> {raw / array:.2f} x; predict_proba(DataFrame) "
            f"{n / frame:,.0f} rows/s -> {raw / frame:.2f} x"
        )


def single_row(name: str, model: CreditModel, X: pd.DataFrame, calls: int) -> None:
    rows = [X.iloc[[i % len(X)]] for i in range(calls)]
    arrays = [model._spec.encode(r, "CreditModel") for r in rows]  # what the booster sees

    runs = {
        "ours": lambda i: model.predict_proba(rows[i]),
        "raw": lambda i: model.booster_.predict(arrays[i], num_threads=1),
    }
    for i in range(100):  # warm up
        for run in runs.values():
            run(i)
    # Each call timed next to its reference, so that load from other processes hits both.
    wall = {name: np.empty(calls) for name in runs}
    cpu = {name: np.empty(calls) for name in runs}
    for i in range(calls):
        for which, run in runs.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            run(i)
            wall[which][i] = time.perf_counter() - start
            cpu[which][i] = time.thread_time() - start_cpu
    ours, raw = (np.percentile(wall[which], [50, 99]) * 1e3 for which in runs)
    ours_cpu, raw_cpu = (np.percentile(cpu[which], [50, 99]) * 1e3 for which in runs)
    print(
        f"single row {name} ({model.best_iteration_} trees), ms: "
        f"predict_proba(1-row DataFrame) wall p50 {ours[0]:.3f} p99 {ours[1]:.3f}, "
        f"cpu p50 {ours_cpu[0]:.3f} p99 {ours_cpu[1]:.3f} [target p99 <= 1 ms]; "
        f"Booster.predict(1-row array) wall p50 {raw[0]:.3f} p99 {raw[1]:.3f}, "
        f"cpu p50 {raw_cpu[0]:.3f} p99 {raw_cpu[1]:.3f}; "
        f"ratio wall p50 {ours[0] / raw[0]:.2f} x, p99 {ours[1] / raw[1]:.2f} x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5000, help="single-row calls")
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args()
    # predict_proba(array) on a model fitted on a DataFrame warns that names are unchecked.
    warnings.simplefilter("ignore", UserWarning)

    X, y = feature_matrix(args.rows, args.features)
    batch(X, y, args.threads, args.repeats)
    small = CreditModel(random_state=0).fit(X.head(20_000), y[:20_000])
    single_row("synthetic features", small, X.tail(20_000), args.calls)
    training("synthetic 50k rows", X.head(50_000), y[:50_000], args.threads, args.repeats)

    taiwan = args.data / "taiwan_default.csv"
    if taiwan.exists():
        frame = pd.read_csv(taiwan).drop(columns="ID")
        target = frame.pop("default.payment.next.month").to_numpy()
        training("taiwan 30k rows", frame, target, args.threads, args.repeats)
        model = CreditModel(random_state=0).fit(frame, target)
        single_row("taiwan", model, frame, args.calls)
    german = args.data / "german_credit.csv"
    if german.exists():
        frame = pd.read_csv(german)
        target = (frame.pop("creditability") == "bad").astype(int).to_numpy()
        model = CreditModel(random_state=0).fit(frame, target)
        single_row("german (13 categorical columns)", model, frame, args.calls)


if __name__ == "__main__":
    main()
