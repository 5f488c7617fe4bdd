"""Speed and memory of the synthetic book generator.

Run:  python benchmarks/generate.py [n_customers] [--seed S]

Prints, for a book of ``n_customers`` (default 100,000; floor: under a
minute on 2 cores, and 1,000,000 must fit in memory):

- seconds, rows per second over the four tables, and rows per table;
- seconds per 1,000 customers against a reference book of a tenth of the
  size generated in the same run (about 1x: the generator scales linearly);
- peak resident memory of the process (``ru_maxrss``) and its growth
  during generation, against the size of the tables it returns.

The reference is generated first, so the peak belongs to the big book.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from bnpl_risk.datasets import make_bnpl_histories

_MB = 1024 * 1024


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(n: int, seed: int):
    start = time.perf_counter()
    book = make_bnpl_histories(n, seed=seed)
    return book, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_customers", nargs="?", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n = args.n_customers

    ref_n = max(n // 10, 1)
    _, ref_seconds = _timed(ref_n, args.seed)
    before = _peak_rss_mb()
    book, seconds = _timed(n, args.seed)
    peak = _peak_rss_mb()

    tables = {**book.histories.tables(), "applications": book.applications}
    rows = {name: len(frame) for name, frame in tables.items()}
    size_mb = sum(frame.memory_usage(deep=True).sum() for frame in tables.values()) / _MB
    total = sum(rows.values())
    print(f"generated {n:,} customers in {seconds:.1f} s: {total / seconds:,.0f} rows/s")
    for name, count in rows.items():
        print(f"  {name:<13} {count:>12,} rows")
    per_k, ref_per_k = 1000 * seconds / n, 1000 * ref_seconds / ref_n
    print(
        f"seconds per 1,000 customers: {per_k:.3f} vs {ref_per_k:.3f} for {ref_n:,} customers "
        f"(ratio {per_k / ref_per_k:.2f})"
    )
    print(
        f"peak RSS {peak:,.0f} MB (grew {max(peak - before, 0):,.0f} MB while generating); "
        f"tables returned {size_mb:,.0f} MB (peak / tables {peak / size_mb:.1f}x)"
    )
    # make_labels' rule: mature when the data covers the 180-day window.
    mature = book.applications["as_of"] + np.timedelta64(180, "D") <= book.histories.data_end
    print(f"applications mature for 180-day labels: {mature.mean():.0%}")


if __name__ == "__main__":
    main()
