"""Batch scoring at scale: applications/s end to end, peak RSS, --jobs scaling, Spark beside pandas.

Every run is ``bnpl-risk score`` (or a Spark job) in a child process, timed
from start to finish (read -> partition -> validate -> features -> score ->
decide -> write) while the RSS of its whole process tree (workers, JVM and
Python workers included) is sampled every 0.1 s. Printed:

- 250k customers, ``--jobs 1`` and ``--jobs 2`` (default chunking): the
  scaling from one process to two;
- 1M customers, ``--jobs 2``: applications/s and peak RSS, against the
  floors (10k applications/s, 2 GiB), and the peak RSS ratio 1M / 250k
  (it must not grow with the book);
- the model's reasons on (TreeSHAP for declines and reduced limits) on a
  small book, to show what ``--no-reasons`` saves;
- Spark ``local[2]`` on the 250k book beside the pandas path.

Data (built once, kept in ``--work``): a scorer trained on 20,000
customers; a 1M-customer book generated as four 250k pieces (seeds 1-4,
ids prefixed by piece) stored as directories of part files; the 250k book
is the first piece. The machine may be shared: run it when it is quiet.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/batch.py [--customers 1000000] [--work DIR]
        [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import pyarrow.parquet as pq

GIB = 2**30
PIECE = 250_000
TABLES = ("customers", "orders", "installments", "applications")
ID_COLUMNS = ("customer_id", "order_id", "loan_id", "application_id")


def build_model(work: Path) -> Path:
    model = work / "model"
    if not (model / "manifest.json").is_file():
        from bnpl_risk.datasets import make_bnpl_histories
        from bnpl_risk.io import save_scorer
        from bnpl_risk.scorer import RiskScorer

        book = make_bnpl_histories(20_000, seed=0)
        scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
        save_scorer(scorer, model)
    return model


def build_book(work: Path, pieces: int) -> Path:
    """``pieces`` x 250k customers as part files: <table>/part-<k>.parquet."""
    book = work / f"book-{pieces * PIECE // 1000}k"
    for k in range(1, pieces + 1):
        part = f"part-{k}.parquet"
        if all((book / t / part).is_file() for t in TABLES):
            continue
        source = work / "pieces" / str(k)
        if not (source / "done").is_file():
            _generate_piece(source, k)
        for t in TABLES:
            (book / t).mkdir(parents=True, exist_ok=True)
            os.link(source / f"{t}.parquet", book / t / part)
    return book


def _generate_piece(directory: Path, k: int) -> None:
    # In a child process: a 250k piece takes ~2 GB, freed when it exits.
    code = f"""
from bnpl_risk.datasets import make_bnpl_histories
from pathlib import Path
book = make_bnpl_histories({PIECE}, seed={k})
tables = {{**book.histories.tables(), "applications": book.applications}}
out = Path({str(directory)!r}); out.mkdir(parents=True, exist_ok=True)
for name, frame in tables.items():
    ids = [c for c in {ID_COLUMNS!r} if c in frame.columns]
    frame = frame.assign(**{{c: "p{k}-" + frame[c] for c in ids}})
    frame.to_parquet(out / f"{{name}}.parquet", index=False)
(out / "done").touch()
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def micro_timestamps(book: Path, work: Path) -> Path:
    """The book with microsecond timestamps, which Spark reads (it refuses nanoseconds)."""
    out = work / f"{book.name}-us"
    for t in TABLES:
        for part in sorted((book / t).glob("*.parquet")):
            target = out / t / part.name
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pq.read_table(part), target, coerce_timestamps="us")
    return out


def run_sampled(command: list[str], log: Path) -> dict:
    """Run ``command``; wall seconds and the peak RSS of its process tree (sampled)."""
    start = time.perf_counter()
    with open(log, "w") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        peak_tree, peak_one = 0, 0
        while child.poll() is None:
            rss = {pid: _rss(pid) for pid in _tree(child.pid)}
            peak_tree = max(peak_tree, sum(r[0] for r in rss.values()))
            peak_one = max([peak_one, *(r[1] for r in rss.values())])
            time.sleep(0.1)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed; see {log}:\n{log.read_text()[-3000:]}")
    return {"seconds": seconds, "peak_tree": peak_tree, "peak_one": peak_one}


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _rss(pid: int) -> tuple[int, int]:
    """Current and peak RSS of one process in bytes (0 if it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in lines)
    kb = {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM") if k in fields}
    return kb.get("VmRSS", 0) * 1024, kb.get("VmHWM", 0) * 1024


def score_cli(model: Path, data: Path, out: Path, jobs: int, reasons: bool, log: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "bnpl_risk.cli", "score", "--model", str(model)]
    command += ["--data", str(data), "--out", str(out), "--jobs", str(jobs)]
    command += [] if reasons else ["--no-reasons"]
    result = run_sampled(command, log)
    summary = json.loads((out / "manifest.json").read_text())["summary"]
    result["applications"] = summary["applications"]["rows_in"]
    result["customers"] = summary["customers"]["rows_in"]
    shutil.rmtree(out)
    return result


_SPARK_JOB = """
import sys, time, warnings
warnings.filterwarnings("ignore")
start = time.perf_counter()
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("bnpl-risk-bench")
         .config("spark.ui.enabled", "false").config("spark.driver.memory", "2g")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
ready = time.perf_counter()
from bnpl_risk.spark import read_tables, score_spark
model, data, out = sys.argv[1:4]
tables = read_tables(spark, {t: f"{data}/{t}" for t in ("customers", "orders", "installments",
                                                         "applications")})
result = score_spark(model, tables, reasons=False)
result.write(out)
done = time.perf_counter()
print("spark-session", ready - start, "scoring", done - ready)
"""


def score_spark_job(model: Path, data: Path, out: Path, log: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    result = run_sampled([sys.executable, "-c", _SPARK_JOB, str(model), str(data), str(out)], log)
    words = log.read_text().split()
    result["session"] = float(words[words.index("spark-session") + 1])
    result["applications"] = pq.ParquetDataset(out / "decisions").read(columns=["pd"]).num_rows
    shutil.rmtree(out)
    return result


def row(name: str, r: dict) -> str:
    rate = r["applications"] / r["seconds"]
    return (
        f"{name:<48} {r['applications']:>11,} {r['seconds']:>8.1f} {rate:>9,.0f} "
        f"{r['peak_tree'] / GIB:>9.2f} {r['peak_one'] / GIB:>9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bnpl-batch-bench"))
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    pieces = max(1, args.customers // PIECE)
    model = build_model(work)
    small, large = build_book(work, 1), build_book(work, pieces)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; model: {model}; book: {large}")
    print(
        f"\n{'run':<48} {'apps':>11} {'seconds':>8} {'apps/s':>9} {'tree GiB':>9} {'proc GiB':>9}"
    )
    runs = {}
    for jobs in (1, 2):
        runs[f"250k j{jobs}"] = r = score_cli(
            model, small, work / "out", jobs, False, logs / f"small-j{jobs}.log"
        )
        print(row(f"250k customers, --jobs {jobs}, no reasons", r), flush=True)
    runs["1M"] = r = score_cli(model, large, work / "out", 2, False, logs / "large.log")
    print(row(f"{r['customers'] // 1000}k customers, --jobs 2, no reasons", r), flush=True)

    reasons_book = work / "book-10k"
    if not (reasons_book / "customers.parquet").is_file():
        subprocess.run(
            [sys.executable, "-m", "bnpl_risk.cli", "generate", "--customers", "10000"]
            + ["--seed", "7", "--out", str(reasons_book)],
            check=True,
            capture_output=True,
        )
    for reasons in (False, True):
        key = f"10k reasons={reasons}"
        runs[key] = r = score_cli(
            model, reasons_book, work / "out", 2, reasons, logs / f"{key}.log"
        )
        label = "with the model's reasons" if reasons else "no reasons"
        print(row(f"10k customers, --jobs 2, {label}", r), flush=True)

    spark = None
    if not args.no_spark:
        spark = score_spark_job(
            model, micro_timestamps(small, work), work / "spark-out", logs / "spark.log"
        )
        print(row("250k customers, Spark local[2]", spark), flush=True)

    j1, j2, big = runs["250k j1"], runs["250k j2"], runs["1M"]
    rate = big["applications"] / big["seconds"]
    print("\nfigures")
    print(f"  --jobs 2 / --jobs 1 speed (250k):  {j1['seconds'] / j2['seconds']:.2f} x")
    print(
        f"  1M end to end: {rate:,.0f} applications/s "
        f"({'meets' if rate >= 10_000 else 'BELOW'} the 10k floor); peak RSS "
        f"{big['peak_tree'] / GIB:.2f} GiB ({'within' if big['peak_tree'] <= 2 * GIB else 'ABOVE'}"
        " the 2 GiB ceiling)"
    )
    print(
        f"  peak RSS 1M / 250k (both --jobs 2): {big['peak_tree'] / j2['peak_tree']:.2f} x "
        f"({big['peak_tree'] / GIB:.2f} vs {j2['peak_tree'] / GIB:.2f} GiB)"
    )
    with_reasons, without = runs["10k reasons=True"], runs["10k reasons=False"]
    print(
        f"  model reasons on: {with_reasons['seconds'] / without['seconds']:.1f} x the time "
        "(TreeSHAP on every decline and reduced limit)"
    )
    if spark is not None:
        print(
            f"  Spark local[2] / pandas --jobs 2 (250k): {spark['seconds'] / j2['seconds']:.2f} x "
            f"the time ({spark['seconds']:.0f}s, of which {spark['session']:.0f}s starting "
            f"Spark, vs {j2['seconds']:.0f}s)"
        )


if __name__ == "__main__":
    main()
