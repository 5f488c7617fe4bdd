"""Latency of one decision at checkout, the service path, against a bare single-row predict.

Prints p50 / p99 wall-clock latency (and median CPU time) over 1,000 calls of:

- ``RiskScorer.decide_one`` from a customer's own history rows, 200 orders
  (features + model + grade + policy). Floor: p99 at most 10 ms.
- ``RiskScorer.decide_features`` from that application's precomputed
  feature vector (a one-row DataFrame). Floor: p99 at most 1 ms.
- ``FeatureBuilder.transform`` of that application alone. Floor: p99 at most
  5 ms.
- ``CreditModel.predict_pd_matrix`` of the row: the calibrated PD, its raw
  score from TreeShap's compiled trees (LightGBM's bits without its Python
  wrapper);
- what the model's reasons cost when a decision shows them: LightGBM's own
  TreeSHAP (``Booster.predict(pred_contrib=True)``) for comparison, and
  ``CreditModel.top_reasons_matrix``, the library's (same values, from tables
  built once per model, a compiled loop) with the reason texts;
- the reference, ``Booster.predict`` of the raw row on one thread, and each
  figure's ratio to it, measured in the same run.

Each is measured for the 200-order customer twice: as generated, declined
(the model's reasons are computed: TreeSHAP over every tree), and with every
order paid up front under a policy whose spending and loss caps do not
bind, approved at the full limit (no reasons, so no TreeSHAP). Calls take
turns so bursts of load from other processes hit all alike: one at a time
(each call finds the caches full of the other runs' data, the harsh case),
then ten at a time (the model stays in cache, as in a service deciding one
request after another).

    OMP_WAIT_POLICY=PASSIVE python benchmarks/decide.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from features import one_customer_with  # the 200-order customer

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.histories import Histories
from bnpl_risk.scorer import RiskScorer


def paid_up_front(h: Histories) -> Histories:
    """The same customer with every order paid up front (no loans, nothing overdue)."""
    return Histories(h.customers, h.orders.assign(payment="upfront"), h.installments.iloc[:0])


def measure(runs: dict, calls: int, in_a_row: int = 1) -> dict[str, tuple[float, float, float]]:
    """(p50, p99 wall, median CPU) in ms of each run, the runs taking turns.

    Each turn makes ``in_a_row`` calls of one run: with 1, every call starts
    with caches holding the other runs' data (cold); with more, the calls
    after the first find the model in cache, as in a service deciding one
    request after another (warm).
    """
    wall = {name: np.empty(calls) for name in runs}
    cpu = {name: np.empty(calls) for name in runs}
    for run in runs.values():  # warm up
        run()
    for i in range(0, calls, in_a_row):
        for name, run in runs.items():
            for j in range(i, min(i + in_a_row, calls)):
                start, start_cpu = time.perf_counter(), time.thread_time()
                run()
                wall[name][j] = time.perf_counter() - start
                cpu[name][j] = time.thread_time() - start_cpu
    return {
        name: (
            float(np.percentile(wall[name], 50)) * 1e3,
            float(np.percentile(wall[name], 99)) * 1e3,
            float(np.median(cpu[name])) * 1e3,
        )
        for name in runs
    }


def case(scorer: RiskScorer, h: Histories, app: pd.DataFrame, calls: int, label: str) -> None:
    a = app.iloc[0]
    requested = None if pd.isna(a["requested_amount"]) else float(a["requested_amount"])

    def one():
        return scorer.decide_one(h, a["customer_id"], a["as_of"], requested, a["channel"])

    decision = one()
    x = scorer.features_.transform(h, app)
    row = x.to_numpy()
    booster = scorer.model_.booster_
    assert (
        scorer.decide_features(
            x, application_id=decision.application_id, customer_id=a["customer_id"]
        )
        == decision
    )
    print(
        f"\n{label}: {len(h.orders)} orders, {len(h.installments)} installments -> "
        f"grade {decision.grade}, approved {decision.approved}, limit {decision.limit:,.0f}, "
        f"reasons {list(decision.reason_codes)}"
    )
    runs = {
        "Booster.predict, raw row (reference)": lambda: booster.predict(
            row, raw_score=True, num_threads=1
        ),
        "decide_one from history rows": one,
        "decide_features from a feature vector": lambda: scorer.decide_features(
            x, customer_id=a["customer_id"]
        ),
        "FeatureBuilder.transform alone": lambda: scorer.features_.transform(h, app),
        "CreditModel.predict_pd_matrix (PD)": lambda: scorer.model_.predict_pd_matrix(row),
        "Booster.predict pred_contrib (TreeSHAP)": lambda: booster.predict(
            row, raw_score=True, pred_contrib=True, num_threads=1
        ),
        "CreditModel.top_reasons_matrix (reasons)": lambda: scorer.model_.top_reasons_matrix(
            row, k=scorer.policy_.max_reasons
        ),
    }
    floors = {
        "decide_one from history rows": 10.0,
        "decide_features from a feature vector": 1.0,
        "FeatureBuilder.transform alone": 5.0,
    }
    show(measure(runs, calls), floors, "calls taking turns one by one (cold caches)")
    show(measure(runs, calls, in_a_row=10), floors, "calls taking turns ten at a time (warm)")


def show(figures: dict, floors: dict, title: str) -> None:
    print(f"  {title}:")
    ref = figures["Booster.predict, raw row (reference)"]
    for name, (p50, p99, cpu) in figures.items():
        floor = f"   floor p99 {floors[name]:g} ms" if name in floors else ""
        print(
            f"    {name:40s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  CPU {cpu:6.2f} ms  "
            f"p99 / reference {p99 / ref[1]:5.1f}x{floor}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    book = make_bnpl_histories(2_000, seed=0)
    scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
    print(
        f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"model of {scorer.model_.booster_.num_trees()} trees, "
        f"{scorer.features_.n_features_out_} features"
    )
    h, app = one_customer_with(200)
    case(scorer, h, app, args.calls, "declined (as generated)")
    generous = copy.copy(scorer)
    generous.policy_ = dataclasses.replace(
        scorer.policy_, affordability_multiple=1e6, loss_budget=1e9
    )
    case(generous, paid_up_front(h), app, args.calls, "approved (paid up front, caps not binding)")


if __name__ == "__main__":
    main()
