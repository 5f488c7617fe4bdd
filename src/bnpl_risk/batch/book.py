"""Score a whole book on one machine, chunk by chunk, resumably: ``bnpl-risk score``.

How a run goes:

1. The inputs are found (a file or a directory of part files per table,
   CSV or Parquet) and their columns checked before any work.
2. *Links*: customers whose rows validation compares (a shared order,
   loan or application id) are grouped, so they land in one chunk.
3. *Spill*: one streaming pass per table writes each row, with its input
   row number, to its chunk's bucket (a stable hash of its customer id, or
   of its group's leader) as Arrow files under ``out/.work``. For a large
   book, links and spill run in a process of their own, so their reading
   buffers are gone before the workers start.
4. Each chunk is read alone, validated in reject mode, scored and decided
   (:func:`~bnpl_risk.batch.chunk.score_chunk`), and written as
   ``scores/part-NNNNN.parquet`` and ``rejects/part-NNNNN.parquet`` by an
   atomic rename; the run manifest then lists it as done. ``jobs`` > 1 runs
   chunks in that many processes (joblib/loky), one LightGBM thread each.

Memory is bounded by the chunk (``chunk_customers``), not by the book.
Results do not depend on ``chunk_customers`` or ``jobs``: every check sees
the rows it would see in the whole book. A killed run, started again with
the same arguments, skips the finished parts and ends with the same
result; against a different model, inputs or chunking it refuses
(:class:`ResumeError`).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from bnpl_risk.datasets import make_bnpl_histories
>>> from bnpl_risk.histories import write_histories
>>> from bnpl_risk.io import save_scorer
>>> from bnpl_risk.scorer import RiskScorer
>>> book = make_bnpl_histories(200, seed=4)
>>> scorer = RiskScorer(random_state=0).fit(book.histories, book.applications)
>>> with tempfile.TemporaryDirectory() as tmp:
...     model = save_scorer(scorer, Path(tmp) / "model")
...     data = write_histories(book.histories, Path(tmp) / "book", book.applications,
...                            format="parquet")
...     result = score_book(model, data, Path(tmp) / "scores", chunk_customers=80,
...                         progress="off")
...     scores = read_scores(result.out)
>>> result.chunks, len(scores) == len(book.applications)
(3, True)
>>> int(result.summary.loc["applications", "rows_rejected"])
0
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bnpl_risk._version import __version__
from bnpl_risk.batch._progress import Progress
from bnpl_risk.batch._run import COUNTS, FORMAT, ResumeError, Run, write_atomic
from bnpl_risk.batch._sources import find_sources
from bnpl_risk.batch._spill import partition, read_bucket
from bnpl_risk.batch.chunk import (
    DECISION_SCHEMA,
    REJECT_SCHEMA,
    TABLES,
    score_chunk,
)
from bnpl_risk.errors import ArtifactError, BnplRiskError, ConfigError
from bnpl_risk.histories._rejects import combine
from bnpl_risk.io import load_scorer
from bnpl_risk.scorer import RiskScorer

__all__ = [
    "DEFAULT_CHUNK_CUSTOMERS",
    "BatchResult",
    "ResumeError",
    "decisions_frame",
    "load_worker_scorer",
    "read_rejects",
    "read_scores",
    "score_book",
]

DEFAULT_CHUNK_CUSTOMERS = 10_000
"""Customers per chunk by default: about 0.5 GB per worker on a typical book."""

_PARTITION_APART_BYTES = 64 * 2**20


@dataclass(frozen=True)
class BatchResult:
    """What a batch run did.

    Attributes
    ----------
    out : Path
        The output directory (read it with :func:`read_scores` and
        :func:`read_rejects`).
    summary : DataFrame
        Per table: ``rows_in``, ``rows_scored`` (for history tables: kept
        and used) and ``rows_rejected``; in = scored + rejected.
    chunks : int
    resumed : int
        Chunks found finished by an earlier, interrupted run and skipped.
    applications : int
        Applications (scored or rejected) in the chunks this call did.
    seconds : float
        Wall time of this call, reading and partitioning included.
    """

    out: Path
    summary: pd.DataFrame
    chunks: int
    resumed: int
    applications: int
    seconds: float

    @property
    def applications_per_second(self) -> float:
        """Applications of this call per second of this call, end to end."""
        return self.applications / max(self.seconds, 1e-9)

    def report(self) -> str:
        """The summary as text, as ``bnpl-risk score`` prints it."""
        lines = [
            f"{self.out}: {self.chunks} chunks, {self.resumed} of them finished earlier and "
            f"skipped; {self.applications:,} applications in {self.seconds:.1f}s "
            f"({self.applications_per_second:,.0f}/s)",
            self.summary.to_string(),
            # score_book checked it before returning (_check_conservation).
            "every table: rows in = rows scored + rows rejected",
        ]
        return "\n".join(lines)


def score_book(
    model,
    data,
    out,
    *,
    applications=None,
    rejects=None,
    chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS,
    jobs: int = 1,
    reasons: bool = True,
    overwrite: bool = False,
    progress: str = "auto",
) -> BatchResult:
    """Validate, score and decide every application of a book, chunk by chunk.

    Parameters
    ----------
    model : path-like
        A saved scorer (:func:`~bnpl_risk.io.save_scorer`).
    data : path-like
        Histories directory: ``customers``, ``orders``, ``installments``
        (and ``applications`` unless given apart), each a ``.csv`` or
        ``.parquet`` file or a directory of part files.
    out : path-like
        Output directory: new, empty, or an interrupted run of the same
        model, inputs and chunking (which is resumed).
    applications : path-like, optional
        Applications file or directory; default: the one in ``data``.
    rejects : path-like, optional
        Also write every reject to this one file (``.csv``, else Parquet).
        They are always in ``out/rejects/``.
    chunk_customers : int, default 10,000
        Customers per chunk; bounds the memory of each worker.
    jobs : int, default 1
        Processes scoring chunks at once.
    reasons : bool, default True
        Compute the model's reasons for declines and reduced limits (see
        :meth:`~bnpl_risk.scorer.RiskScorer.decide`); TreeSHAP costs
        more than scoring, so ``False`` is about three times faster.
    overwrite : bool, default False
        Discard a previous run's files in ``out`` instead of resuming.
    progress : {"auto", "bar", "lines", "off"}, default "auto"
        A tqdm bar on a terminal, plain lines on stderr otherwise.

    Returns
    -------
    BatchResult

    Raises
    ------
    ResumeError
        If ``out`` holds a run of another model, inputs or chunking, or
        files that are not a run's.
    HistoryError
        For table-level input problems (missing table or column, timezone-
        aware timestamps, unreadable file); row-level problems go to the
        rejects.
    ArtifactError
        If the model does not load.
    ConfigError
        For a bad parameter.

    Examples
    --------
    See the module docstring.
    """
    started = time.perf_counter()
    _check_count("chunk_customers", chunk_customers)
    _check_count("jobs", jobs)
    if not isinstance(reasons, bool):
        raise ConfigError(f"reasons must be True or False; got {reasons!r}.")
    report = Progress(progress)
    model_dir = Path(model)
    load_scorer(model_dir)  # fail on a bad artifact before any work
    sources = find_sources(data, applications)
    schemas = {table: source.schema() for table, source in sources.items()}
    n_chunks = max(1, math.ceil(sources["customers"].count_rows() / chunk_customers))
    model_sha = _manifest_sha(model_dir)
    identity = {
        "format": FORMAT,
        "library_version": __version__,
        "model": model_sha,
        "inputs": {table: source.fingerprint() for table, source in sources.items()},
        "chunk_customers": chunk_customers,
        "n_chunks": n_chunks,
        "reasons": reasons,
    }
    run = Run.open(out, identity, overwrite=overwrite)
    todo = [k for k in range(n_chunks) if not run.done(k)]
    spilled = run.work / "spill"
    if todo and (not run.spilled or not spilled.is_dir()):
        report.say(f"partitioning the book into {n_chunks} chunks of whole customers ...")
        run.clear_work()
        run.record_spill(_partition(sources, schemas, n_chunks, run.work))
    task = _Task(str(model_dir.resolve()), model_sha, spilled, run.out, schemas, reasons)
    finished = [c["applications"]["rows_in"] for c in run.manifest["parts"].values()]
    report.start(run.rows_in["applications"], sum(finished), n_chunks, n_chunks - len(todo))
    applications = 0
    try:
        for chunk, counts in _chunks(task, todo, jobs):
            run.record_part(chunk, counts)
            applications += counts["applications"]["rows_in"]
            report.advance(counts["applications"]["rows_in"])
    finally:
        report.close()
    summary = run.summary()
    _check_conservation(summary, run.rows_in, run.out)
    seconds = time.perf_counter() - started
    run.finish(summary, seconds)
    if rejects is not None:
        _write_rejects(read_rejects(run.out), Path(rejects))
    return BatchResult(run.out, summary, n_chunks, n_chunks - len(todo), applications, seconds)


def _partition(sources, schemas, n_chunks: int, work: Path) -> dict[str, int]:
    """Links and spill; for a large book in a process of its own.

    Reading Parquet decodes a whole row group at once (hundreds of MB for
    a million rows); in a process that then exits, that memory is not
    held through the scoring phase on top of the workers'.
    """
    size = sum(f.stat().st_size for source in sources.values() for f in source.files)
    if size < _PARTITION_APART_BYTES:
        return partition(sources, schemas, n_chunks, work)
    from joblib.externals.loky import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(partition, sources, schemas, n_chunks, work).result()


def read_scores(out) -> pd.DataFrame:
    """The decisions of a finished run, as :meth:`RiskScorer.decide` gives them.

    Loads every part into memory; for a very large book read
    ``out/scores/*.parquet`` with pyarrow or Spark instead.

    Returns
    -------
    DataFrame
        Indexed by ``application_id`` (sorted), list columns as tuples.

    Raises
    ------
    ResumeError
        If ``out`` holds no finished run (an interrupted one is finished by
        running :func:`score_book` again with the same arguments).
    """
    parts = [pq.read_table(p, schema=DECISION_SCHEMA) for p in _parts(out, "scores")]
    return decisions_frame(pa.concat_tables(parts))


def decisions_frame(table: pa.Table) -> pd.DataFrame:
    """Decisions as written (``DECISION_SCHEMA``) as ``decide`` gives them, by application_id."""
    table = table.sort_by("application_id")
    frame = table.to_pandas()
    for field in DECISION_SCHEMA:
        if pa.types.is_list(field.type):
            # Parquet lists come back as arrays; decide() gives tuples.
            frame[field.name] = [tuple(v) for v in table.column(field.name).to_pylist()]
    return frame.set_index("application_id")


def read_rejects(out) -> pd.DataFrame:
    """Every reject of a finished run, sorted by table and input row.

    Columns as :func:`~bnpl_risk.histories.validate_histories` rejects;
    ``row`` is the row's position in its input table (across part files).
    """
    parts = [pq.read_table(p, schema=REJECT_SCHEMA).to_pandas() for p in _parts(out, "rejects")]
    return combine(parts, list(TABLES))


@dataclass(frozen=True)
class _Task:
    """What a worker needs to score a chunk (small and picklable)."""

    model: str
    model_sha: str
    spill: Path
    out: Path
    schemas: dict
    reasons: bool


def _chunks(task: _Task, todo: list[int], jobs: int) -> Iterator[tuple[int, dict]]:
    """Score the chunks in ``todo``, yielding ``(chunk, counts)`` as each finishes."""
    if jobs == 1 or len(todo) <= 1:
        for chunk in todo:
            yield _score_part(task, chunk)
        return
    from joblib import Parallel, delayed

    # Workers inherit the environment when they start: OpenMP then idles
    # instead of spinning, and each worker runs one thread (see _scorer).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parallel = Parallel(
        n_jobs=jobs, backend="loky", return_as="generator_unordered", inner_max_num_threads=1
    )
    yield from parallel(delayed(_score_part)(task, chunk) for chunk in todo)


def _score_part(task: _Task, chunk: int) -> tuple[int, dict]:
    scorer = _scorer(task.model, task.model_sha)
    frames = {t: read_bucket(task.spill, t, chunk, task.schemas[t]) for t in TABLES}
    result = score_chunk(frames, scorer, reasons=task.reasons)
    name = f"part-{chunk:05d}.parquet"
    for sub, frame, schema in (
        ("scores", result.decisions, DECISION_SCHEMA),
        ("rejects", result.rejects, REJECT_SCHEMA),
    ):
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        write_atomic(task.out / sub / name, table)
    return chunk, result.counts


def load_worker_scorer(model) -> RiskScorer:
    """A saved scorer with one LightGBM thread: in batch, processes use the cores."""
    scorer = load_scorer(model)
    scorer.model_.set_params(num_threads=1)
    return scorer


@functools.lru_cache(maxsize=2)
def _scorer(model: str, sha: str) -> RiskScorer:
    """The run's scorer, loaded once per worker process; refused if it changed since the start."""
    found = _manifest_sha(Path(model))
    if found != sha:
        raise ArtifactError(
            f"{model} changed during the run (manifest.json sha256 {sha[:12]}... at the "
            f"start, {found[:12]}... now); chunks would be scored by two models. Restore it, "
            "or score again into a new --out (or with --overwrite)."
        )
    return load_worker_scorer(model)


def _manifest_sha(model: Path) -> str:
    return hashlib.sha256((model / "manifest.json").read_bytes()).hexdigest()


def _parts(out, sub: str) -> list[Path]:
    """The ``scores`` or ``rejects`` part files of a finished run, in chunk order."""
    run = Run.read(Path(out))
    which = ("scores", "rejects").index(sub)
    return [run.part_paths(int(k))[which] for k in sorted(run.manifest["parts"], key=int)]


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1; got {value!r}.")


def _check_conservation(summary: pd.DataFrame, rows_in: dict, out: Path) -> None:
    read = pd.Series(rows_in).reindex(summary.index)
    broken = (summary["rows_in"] != read) | (
        summary["rows_in"] != summary["rows_scored"] + summary["rows_rejected"]
    )
    if broken.any():
        raise BnplRiskError(
            f"{out}: row counts do not add up for {', '.join(summary.index[broken])} "
            f"(read {read[broken].to_dict()}, parts {summary[broken][COUNTS].to_dict('index')}). "
            "This is a bug; please report it with the run's manifest.json."
        )


def _write_rejects(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        write_atomic(path, frame.to_csv(index=False).encode())
    else:
        write_atomic(path, pa.Table.from_pandas(frame, schema=REJECT_SCHEMA, preserve_index=False))
