"""A killed run, started again, ends as an uninterrupted one; another run's parts are refused."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from batch_testkit import CHUNK, assert_same, reference, results, write_tables

from bnpl_risk.batch import ResumeError, read_scores, score_book
from bnpl_risk.io import save_scorer
from bnpl_risk.scorer import RiskScorer

# A child process that scores the book and SIGKILLs itself after writing the
# third chunk's decisions to their temporary file, before the rename: the
# worst moment, with a half-written part on disk.
_DIE_ON_THIRD_PART = """
import os, signal, sys
import bnpl_risk.batch.book as book

real = book.write_atomic
written = []

def dying(path, data):
    if path.parent.name == "scores":
        written.append(path)
        if len(written) == 3:
            path.with_name(path.name + ".tmp").write_bytes(b"half a part")
            os.kill(os.getpid(), signal.SIGKILL)
    real(path, data)

book.write_atomic = dying
model, data, out = sys.argv[1:4]
book.score_book(model, data, out, chunk_customers={chunk}, progress="off", reasons=False)
"""


def _score(model_dir, data, out, **options):
    options = {"chunk_customers": CHUNK, "progress": "off", "reasons": False, **options}
    return score_book(model_dir, data, out, **options)


def _manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_a_killed_run_resumes_to_the_uninterrupted_result(model_dir, data_dir, expected, tmp_path):
    out = tmp_path / "out"
    child = subprocess.run(
        [sys.executable, "-c", _DIE_ON_THIRD_PART.format(chunk=CHUNK), model_dir, data_dir, out],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert len(_manifest(out)["parts"]) == 2
    assert list((out / "scores").glob("*.tmp"))
    with pytest.raises(ResumeError, match=r"unfinished run: 2 of 6 chunks done"):
        read_scores(out)

    finished = {p.name: p.stat().st_mtime_ns for p in (out / "scores").glob("*.parquet")}
    run = _score(model_dir, data_dir, out)
    assert (run.chunks, run.resumed) == (6, 2)
    assert run.applications < run.summary.loc["applications", "rows_in"]
    for name, mtime in finished.items():
        assert (out / "scores" / name).stat().st_mtime_ns == mtime  # skipped, not redone
    assert not list(out.rglob("*.tmp"))
    assert not (out / ".work").exists()
    assert_same(results(out), expected)


@pytest.mark.slow
def test_a_parallel_run_killed_mid_way_resumes(model_dir, data_dir, expected, tmp_path):
    """The real thing: SIGKILL to the CLI and its worker processes while chunks are scored."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bnpl_risk.cli", "score", "--model", str(model_dir)]
    command += ["--data", str(data_dir), "--out", str(out), "--chunk-customers", "7"]
    command += ["--jobs", "2", "--no-reasons"]
    child = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if (out / "manifest.json").is_file() and len(_manifest(out)["parts"]) >= 3:
                break
            time.sleep(0.02)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    done = len(_manifest(out)["parts"])
    assert 3 <= done < 35, "the run was not caught mid-way"
    run = _score(model_dir, data_dir, out, chunk_customers=7, jobs=2)
    assert run.resumed == done
    assert_same(results(out), expected)


def test_a_finished_run_is_not_redone(model_dir, data_dir, tmp_path):
    first = _score(model_dir, data_dir, tmp_path / "out")
    again = _score(model_dir, data_dir, tmp_path / "out")
    assert (again.resumed, again.applications) == (first.chunks, 0)
    assert again.summary.equals(first.summary)


def test_refuses_to_resume_with_another_model(book, tables, model_dir, data_dir, tmp_path):
    out = tmp_path / "out"
    _score(model_dir, data_dir, out)
    other = RiskScorer(random_state=1).fit(book.histories, book.applications.head(800))
    other_dir = save_scorer(other, tmp_path / "other-model")
    with pytest.raises(ResumeError, match=r"holds parts of a different run: the model differs"):
        _score(other_dir, data_dir, out)
    with pytest.raises(ResumeError, match=r"new --out directory, or pass --overwrite"):
        _score(other_dir, data_dir, out)
    run = _score(other_dir, data_dir, out, overwrite=True)
    assert run.resumed == 0
    assert_same(results(out), reference(tables, other))


def test_refuses_to_resume_onto_changed_inputs_or_chunking(model_dir, tables, tmp_path):
    data = write_tables(tables, tmp_path / "book")
    out = tmp_path / "out"
    _score(model_dir, data, out)
    with pytest.raises(ResumeError, match=r"chunk_customers differs \(40 then, 50 now\)"):
        _score(model_dir, data, out, chunk_customers=50)
    with pytest.raises(ResumeError, match=r"reasons differs \(False then, True now\)"):
        _score(model_dir, data, out, reasons=True)
    tables["orders"].head(10).to_parquet(data / "orders.parquet", index=False)
    with pytest.raises(
        ResumeError, match=r"the input files changed \(orders: orders.parquet rewritten\)"
    ):
        _score(model_dir, data, out)


def test_refuses_a_directory_that_is_not_a_run(model_dir, data_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(ResumeError, match=r"holds files that are not a scoring run's \(notes"):
            _score(model_dir, data_dir, out, overwrite=overwrite)
    assert (out / "notes.txt").read_text() == "mine"


def test_refuses_parts_without_their_manifest(model_dir, data_dir, tmp_path):
    out = tmp_path / "out"
    _score(model_dir, data_dir, out)
    (out / "manifest.json").unlink()
    with pytest.raises(ResumeError, match=r"files without its manifest.json; they cannot be"):
        _score(model_dir, data_dir, out)
    assert _score(model_dir, data_dir, out, overwrite=True).resumed == 0


def test_reading_a_directory_without_a_run_says_so(tmp_path):
    with pytest.raises(ResumeError, match=r"holds no scoring run \(manifest.json is missing\)"):
        read_scores(tmp_path)


def test_a_lost_part_is_scored_again(model_dir, data_dir, expected, tmp_path):
    out = tmp_path / "out"
    _score(model_dir, data_dir, out)
    (out / "scores" / "part-00004.parquet").unlink()
    run = _score(model_dir, data_dir, out)
    assert run.resumed == run.chunks - 1
    assert_same(results(out), expected)


def test_a_model_changed_during_the_run_is_refused(model_dir):
    from bnpl_risk.batch.book import _scorer
    from bnpl_risk.errors import ArtifactError

    with pytest.raises(ArtifactError, match=r"changed during the run \(manifest.json sha256 0000"):
        _scorer(str(model_dir), "0" * 64)
