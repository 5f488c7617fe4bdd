"""Model quality on a synthetic book against the generator's oracle.

Trains on earlier applications, tests on later ones (out of time), and
prints AUC against the oracle AUC of ``true_pd`` on the same test
applications, the expected calibration error and the grade table.

Usage: OMP_WAIT_POLICY=PASSIVE python benchmarks/synthetic_quality.py [N_CUSTOMERS] [SEED]
"""

from __future__ import annotations

import sys
import time

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.evaluation import auc
from bnpl_risk.training import train_and_evaluate


def main(n: int = 50_000, seed: int = 0) -> None:
    start = time.perf_counter()
    book = make_bnpl_histories(n, seed=seed)
    result = train_and_evaluate(book.histories, book.applications)
    test_ids = result.scored_test.index
    y = result.labels.reindex(test_ids)
    oracle = auc(y, book.true_pd.reindex(test_ids))
    m = result.metrics
    grades = result.grades
    rates = grades.drop(index="Total")["bad_rate"].to_numpy()
    print(f"book: {n:,} customers, seed {seed}; test: {m['n']:,} mature applications, "
          f"bad rate {m['bad_rate']:.3%}; {time.perf_counter() - start:.0f}s")
    print(f"AUC model {m['auc']:.4f}  oracle {oracle:.4f}  ratio {m['auc'] / oracle:.4f} "
          "(floor 0.97)")
    print(f"ECE {m['ece']:.4f} (floor 0.01)  Brier {m['brier']:.4f}  KS {m['ks']:.4f}")
    print(f"bad rate rises strictly A..E: {bool((rates[1:] > rates[:-1]).all())}")
    print(grades.to_string())


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
