"""score_book: the whole book's result, whatever the chunking, jobs or file layout."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from batch_testkit import CHUNK, N_CUSTOMERS, assert_same, reference, results, write_tables

from bnpl_risk.batch import read_rejects, score_book
from bnpl_risk.batch._hash import bucket_of, hash_ids
from bnpl_risk.batch._links import find_routing
from bnpl_risk.batch._sources import find_sources
from bnpl_risk.errors import ConfigError, HistoryError


def _score(model_dir, data, out, **options):
    options = {"chunk_customers": CHUNK, "progress": "off", "reasons": False, **options}
    return score_book(model_dir, data, out, **options)


def test_the_reference_book_has_bad_rows_of_every_kind(expected):
    # The premise of the tests below: every kind of bad row is there.
    checks = set(map(tuple, expected[1][["table", "check"]].drop_duplicates().to_numpy()))
    assert {
        ("customers", "range"),
        ("orders", "parent_rejected"),
        ("orders", "range"),
        ("orders", "unique"),
        ("orders", "not_null"),
        ("installments", "parent_rejected"),
        ("installments", "foreign_key"),
        ("installments", "loan_rejected"),
        ("applications", "foreign_key"),
        ("applications", "not_null"),
        ("applications", "unique"),
        ("applications", "time_order"),
        ("applications", "parent_rejected"),
        ("applications", "history_rejected"),
    } <= checks


def test_the_linked_rows_start_in_different_chunks(tables, data_dir, tmp_path):
    # Without grouping linked customers, the duplicated order id (two
    # customers) would be seen once per chunk and kept: the test below
    # could then fail.
    orders = tables["orders"]
    twins = orders[orders["order_id"].duplicated(keep=False)]
    n_chunks = -(-N_CUSTOMERS // CHUNK)
    own = bucket_of(hash_ids(pa.array(twins["customer_id"])), n_chunks)
    assert len(set(own)) == 2
    routing = find_routing(find_sources(data_dir), tmp_path / "links")
    routed = bucket_of(routing.route(hash_ids(pa.array(twins["customer_id"]))), n_chunks)
    assert len(set(routed)) == 1


@pytest.mark.parametrize("chunk_customers", [1000, CHUNK, 7])
def test_any_chunking_gives_the_whole_book_result(
    model_dir, data_dir, expected, tmp_path, chunk_customers
):
    run = _score(model_dir, data_dir, tmp_path / "out", chunk_customers=chunk_customers)
    assert run.chunks == -(-N_CUSTOMERS // chunk_customers)
    assert_same(results(run.out), expected)


def test_rows_in_equal_rows_scored_plus_rows_rejected(model_dir, data_dir, tables, tmp_path):
    run = _score(model_dir, data_dir, tmp_path / "out")
    summary = run.summary
    rejects = read_rejects(run.out)
    for table, frame in tables.items():
        row = summary.loc[table]
        assert row["rows_in"] == len(frame)
        assert row["rows_in"] == row["rows_scored"] + row["rows_rejected"]
        rejected = rejects.loc[rejects["table"] == table, "row"]
        assert row["rows_rejected"] == rejected.nunique() > 0
        assert rejected.between(0, len(frame) - 1).all()
    scores, _ = results(run.out)
    assert len(scores) == summary.loc["applications", "rows_scored"]
    # Every application is either scored or rejected, never both, never lost.
    apps = tables["applications"]
    rejected_apps = set(rejects.loc[rejects["table"] == "applications", "row"])
    scored_rows = set(np.flatnonzero(apps["application_id"].isin(scores.index))) - rejected_apps
    assert len(scored_rows) + len(rejected_apps) == len(apps)


@pytest.mark.slow
def test_jobs_do_not_change_the_result(model_dir, data_dir, expected, tmp_path):
    run = _score(model_dir, data_dir, tmp_path / "out", jobs=2)
    assert run.chunks > 2
    assert_same(results(run.out), expected)


@pytest.mark.slow
def test_model_reasons_as_decide_gives_them(model_dir, data_dir, tables, scorer, tmp_path):
    run = _score(model_dir, data_dir, tmp_path / "out", reasons=True)
    scores, _ = results(run.out)
    full, _ = reference(tables, scorer, reasons=True)
    pd.testing.assert_frame_equal(scores, full)
    assert (scores["reason_codes"].map(len) > 0).any()


def test_csv_and_directories_of_part_files_read_as_parquet(model_dir, tables, expected, tmp_path):
    csv = write_tables(tables, tmp_path / "csv", fmt="csv")
    parts = tmp_path / "parts"
    for name, frame in tables.items():
        (parts / name).mkdir(parents=True)
        for i, piece in enumerate(np.array_split(np.arange(len(frame)), 3)):
            frame.iloc[piece].to_parquet(parts / name / f"part-{i}.parquet", index=False)
    (parts / "orders" / "_SUCCESS").touch()  # as Spark leaves it: ignored
    for data in (csv, parts):
        run = _score(model_dir, data, tmp_path / f"out-{data.name}")
        assert_same(results(run.out), expected)


def test_applications_can_come_from_elsewhere(model_dir, tables, expected, tmp_path):
    data = write_tables({t: f for t, f in tables.items() if t != "applications"}, tmp_path / "h")
    apps = tmp_path / "apps.parquet"
    tables["applications"].to_parquet(apps, index=False)
    run = _score(model_dir, data, tmp_path / "out", applications=apps)
    assert_same(results(run.out), expected)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_all_rejects_in_one_file(model_dir, data_dir, expected, tmp_path, suffix):
    path = tmp_path / f"all{suffix}"
    _score(model_dir, data_dir, tmp_path / "out", rejects=path)
    found = pd.read_csv(path, dtype=str) if suffix == ".csv" else pd.read_parquet(path)
    assert len(found) == len(expected[1])
    assert found["key"].tolist() == expected[1]["key"].tolist()


def test_progress_lines_when_not_a_terminal(model_dir, data_dir, tmp_path, capsys):
    _score(model_dir, data_dir, tmp_path / "out", progress="lines")
    err = capsys.readouterr().err
    assert "partitioning the book into 6 chunks" in err
    assert "chunk 6/6:" in err
    assert "applications (100.0%)" in err
    assert "/s, ETA" in err


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"chunk_customers": 0}, "chunk_customers must be a whole number >= 1; got 0"),
        ({"jobs": 1.5}, "jobs must be a whole number >= 1; got 1.5"),
        ({"reasons": "yes"}, "reasons must be True or False"),
        ({"progress": "loud"}, "progress must be one of auto, bar, lines, off; got 'loud'"),
    ],
)
def test_bad_parameters_are_named(model_dir, data_dir, tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        _score(model_dir, data_dir, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


def test_table_level_problems_stop_before_any_work(model_dir, tables, tmp_path):
    data = write_tables(tables, tmp_path / "book")
    tables["orders"].drop(columns="amount").to_parquet(data / "orders.parquet")
    with pytest.raises(HistoryError, match=r"orders.parquet is missing required column amount"):
        _score(model_dir, data, tmp_path / "out")
    (data / "orders.parquet").unlink()
    with pytest.raises(HistoryError, match="has no orders table: expected orders.csv"):
        _score(model_dir, data, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_partitioning_in_a_process_of_its_own(model_dir, data_dir, expected, tmp_path, monkeypatch):
    # Large books are partitioned apart from the main process (memory); the
    # threshold is lowered here so this small book takes that path.
    monkeypatch.setattr("bnpl_risk.batch.book._PARTITION_APART_BYTES", 0)
    run = _score(model_dir, data_dir, tmp_path / "out")
    assert_same(results(run.out), expected)
