"""Throughput, memory and latency of the point-in-time feature builder.

Run:  OMP_WAIT_POLICY=PASSIVE python benchmarks/features.py [n_customers]

Prints, for a generated book (default 200k customers):

- order rows per second of a full build (floor: 1M on 2 cores);
- the build's time over a reference single pass measured in the same run,
  ``orders.groupby("customer_id")["amount"].agg(["sum", "count", "max"])``
  (floor: at most 15x);
- peak memory of the build over the input tables' size (floor: at most 3x):
  resident memory is sampled from /proc while the build runs;
- latency of one application of a customer with 200 orders, built from that
  customer's history alone, the service path (floor: p99 at most 5 ms);
- where a build's time goes: reading the tables into arrays, computing the
  features (in parts of whole customers, one thread per core), laying out
  the frame.

Times are the best of a few runs: the machine is shared, and the best run is
the one least disturbed by other work.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pandas as pd

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.features import FeatureBuilder
from bnpl_risk.features._assemble import compute
from bnpl_risk.features._inputs import check_columns, read_applications, read_book
from bnpl_risk.features.builder import frame
from bnpl_risk.histories import Histories

RUNS = 3


def best_of(runs, fn):
    """Least wall time of ``runs`` calls, and the CPU time of that call."""
    times = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def peak_rss_during(fn) -> tuple[int, int]:
    """(resident bytes before, peak resident bytes while ``fn`` runs), sampled every 5 ms."""
    before = rss_bytes()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    return before, max(peak[0], rss_bytes())


def print_stages(builder: FeatureBuilder, h: Histories, apps: pd.DataFrame) -> None:
    """Best wall (and CPU) time of each stage of ``builder.transform``, run one after another."""

    def read():
        check_columns(h, apps)
        return read_book(h, read_applications(apps))

    book = read()
    names = tuple(builder.feature_names_out_)
    columns = compute(book, names, builder.windows_)
    stages = {
        "read": best_of(RUNS, read),
        "features": best_of(RUNS, lambda: compute(book, names, builder.windows_)),
        "frame": best_of(RUNS, lambda: frame(columns, book.app_ids, names)),
    }
    split = (f"{name} {wall:.2f} s (CPU {cpu:.2f} s)" for name, (wall, cpu) in stages.items())
    print("stages: " + ", ".join(split))


def one_customer_with(n_orders: int, seed: int = 0) -> tuple[Histories, pd.DataFrame]:
    """The customer with the most orders in a small generated book, grown to ``n_orders``.

    Extra orders repeat the customer's own, shifted back in time by whole
    weeks, so the history stays realistic (loans, refunds, late payments).
    """
    book = make_bnpl_histories(2_000, seed=seed)
    h = book.histories
    cid = h.orders["customer_id"].value_counts().idxmax()
    orders = h.orders[h.orders["customer_id"] == cid]
    inst = h.installments[h.installments["customer_id"] == cid]
    order_copies, inst_copies = [orders], [inst]
    for k in range(1, -(-n_orders // len(orders))):
        back = pd.Timedelta(weeks=4 * k)
        order_copies.append(
            orders.assign(
                order_id=orders["order_id"] + f"_{k}",
                order_ts=orders["order_ts"] - back,
                refund_ts=orders["refund_ts"] - back,
            )
        )
        inst_copies.append(
            inst.assign(
                loan_id=inst["loan_id"] + f"_{k}",
                due_date=inst["due_date"] - back,
                paid_ts=inst["paid_ts"] - back,
            )
        )
    orders = pd.concat(order_copies).iloc[:n_orders]
    inst = pd.concat(inst_copies)
    inst = inst[inst["loan_id"].isin(orders["order_id"])]
    customer = h.customers[h.customers["customer_id"] == cid].assign(
        signup_ts=orders["order_ts"].min() - pd.Timedelta(days=1)
    )
    apps = book.applications[book.applications["customer_id"] == cid].tail(1)
    return Histories(customer, orders, inst), apps


def main(n_customers: int) -> None:
    start = time.perf_counter()
    book = make_bnpl_histories(n_customers, seed=0)
    h, apps = book.histories, book.applications
    print(
        f"generated {n_customers:,} customers in {time.perf_counter() - start:.0f} s: "
        f"{len(h.orders):,} orders, {len(h.installments):,} installments, "
        f"{len(apps):,} applications"
    )
    input_bytes = sum(int(f.memory_usage(deep=True).sum()) for f in (*h.tables().values(), apps))
    print(f"input tables: {input_bytes / 2**20:,.0f} MiB")

    builder = FeatureBuilder().fit(h, apps)
    ref, ref_cpu = best_of(
        RUNS, lambda: h.orders.groupby("customer_id")["amount"].agg(["sum", "count", "max"])
    )
    build, build_cpu = best_of(RUNS, lambda: builder.transform(h, apps))
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"reference groupby pass: {ref:.2f} s (CPU {ref_cpu:.2f} s)")
    print(
        f"full build: {build:.2f} s (CPU {build_cpu:.2f} s), {len(apps):,} rows x "
        f"{builder.n_features_out_} features"
    )
    print(f"order rows per second: {len(h.orders) / build:,.0f}   (floor 1,000,000)")
    print(f"build / reference: {build / ref:.1f}x   (floor 15x)")
    print_stages(builder, h, apps)

    before, peak = peak_rss_during(lambda: builder.transform(h, apps))
    print(
        f"peak resident memory while building: {peak / 2**20:,.0f} MiB "
        f"(+{(peak - before) / 2**20:,.0f} MiB over the loaded tables); "
        f"peak / input: {peak / input_bytes:.2f}x, added / input: "
        f"{(peak - before) / input_bytes:.2f}x   (floor 3x)"
    )

    one_h, one_app = one_customer_with(200)
    single = FeatureBuilder().fit(one_h, one_app)
    latencies = []
    for _ in range(300):
        t0 = time.perf_counter()
        single.transform(one_h, one_app)
        latencies.append(time.perf_counter() - t0)
    lat = np.array(latencies[20:]) * 1e3
    print(
        f"one application, {len(one_h.orders)} orders and {len(one_h.installments)} "
        f"installments: p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms"
        "   (floor p99 5 ms)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
