"""Spark gives the pandas path's decisions and rejects on the same data (local[2])."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_testkit import dirty_tables, reference

from bnpl_risk.datasets import make_bnpl_histories
from bnpl_risk.errors import HistoryError
from bnpl_risk.io import save_scorer
from bnpl_risk.scorer import RiskScorer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def book():
    return make_bnpl_histories(240, seed=21)


@pytest.fixture(scope="module")
def scorer(book):
    return RiskScorer(random_state=0).fit(book.histories, book.applications)


@pytest.fixture(scope="module")
def model_dir(scorer, tmp_path_factory):
    return save_scorer(scorer, tmp_path_factory.mktemp("model") / "model")


@pytest.fixture(scope="module")
def tables(book):
    return dirty_tables(book)


@pytest.fixture(scope="module")
def paths(tables, tmp_path_factory):
    """The tables as Parquet with microsecond timestamps, which Spark reads."""
    directory = tmp_path_factory.mktemp("spark-book")
    out = {}
    for name, frame in tables.items():
        out[name] = str(directory / f"{name}.parquet")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, out[name], coerce_timestamps="us")
    return out


def _without_row(rejects: pd.DataFrame) -> pd.DataFrame:
    cols = ["table", "key", "column", "check", "expected", "found", "reason"]
    return rejects[cols].sort_values(cols).reset_index(drop=True)


def test_spark_gives_the_pandas_result(spark, model_dir, tables, scorer, paths):
    from bnpl_risk.spark import read_tables, score_spark

    result = score_spark(model_dir, read_tables(spark, paths), reasons=False, buckets=3)
    decisions, rejects = result.to_pandas()
    expected_decisions, expected_rejects = reference(tables, scorer)
    pd.testing.assert_frame_equal(decisions, expected_decisions)
    pd.testing.assert_frame_equal(_without_row(rejects), _without_row(expected_rejects))
    summary = result.summary()
    assert (summary["rows_in"] == [len(tables[t]) for t in summary.index]).all()
    assert summary.loc["applications", "rows_scored"] == len(decisions)
    assert (summary["rows_rejected"] > 0).all()
    result.frame.unpersist()


def test_spark_reads_csv_as_the_contract_does(spark, model_dir, tables, scorer, tmp_path):
    from bnpl_risk.spark import read_tables, score_spark

    paths = {}
    for name, frame in tables.items():
        paths[name] = str(tmp_path / f"{name}.csv")
        frame.to_csv(paths[name], index=False)
    result = score_spark(model_dir, read_tables(spark, paths, format="csv"), reasons=True)
    decisions, _ = result.to_pandas()
    expected, _ = reference(tables, scorer, reasons=True)
    pd.testing.assert_frame_equal(decisions, expected)


def test_a_missing_column_is_named(spark, model_dir, paths):
    from bnpl_risk.spark import read_tables, score_spark

    tables = read_tables(spark, paths)
    tables["orders"] = tables["orders"].drop("amount")
    with pytest.raises(HistoryError, match="orders is missing required columns amount"):
        score_spark(model_dir, tables)
