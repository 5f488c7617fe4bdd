"""Finding the input tables: one file or a directory of part files, CSV or Parquet."""

import pandas as pd
import pytest

from bnpl_risk.batch._sources import find_sources
from bnpl_risk.errors import HistoryError
from bnpl_risk.histories.schema import SCHEMAS

TABLES = ("customers", "orders", "installments", "applications")


@pytest.fixture
def data(tmp_path):
    for table in TABLES:
        pd.DataFrame(columns=list(SCHEMAS[table].names)).to_parquet(tmp_path / f"{table}.parquet")
    return tmp_path


def test_files_and_part_directories(data):
    (data / "orders.parquet").unlink()
    (data / "orders").mkdir()
    for name in ("part-1.parquet", "part-0.parquet", "_SUCCESS", ".part-0.parquet.crc"):
        (data / "orders" / name).write_bytes(b"")
    sources = find_sources(data)
    assert [p.name for p in sources["orders"].files] == ["part-0.parquet", "part-1.parquet"]
    assert sources["customers"].files == (data / "customers.parquet",)
    assert {s.format for s in sources.values()} == {"parquet"}


def test_a_table_given_twice_is_ambiguous(data):
    (data / "orders").mkdir()
    with pytest.raises(HistoryError, match=r"orders more than once \(orders.parquet, orders\)"):
        find_sources(data)


def test_a_missing_table_names_what_was_expected(data):
    (data / "installments.parquet").unlink()
    with pytest.raises(HistoryError, match=r"has no installments table: expected installments.csv"):
        find_sources(data)


def test_a_part_directory_holds_one_format(data):
    (data / "orders.parquet").unlink()
    (data / "orders").mkdir()
    with pytest.raises(HistoryError, match=r"it has no .csv or .parquet files"):
        find_sources(data)
    (data / "orders" / "a.csv").write_text("x\n")
    (data / "orders" / "b.parquet").write_bytes(b"")
    with pytest.raises(HistoryError, match=r"it has both .csv and .parquet files. Keep one"):
        find_sources(data)


def test_applications_from_elsewhere(data, tmp_path):
    elsewhere = tmp_path / "apps.json"
    elsewhere.write_text("{}")
    with pytest.raises(HistoryError, match=r"applications must be a .csv or .parquet file"):
        find_sources(data, elsewhere)
    with pytest.raises(HistoryError, match=r"nope does not exist; expected the applications"):
        find_sources(data, tmp_path / "nope")
    with pytest.raises(HistoryError, match=r"is not a directory. Pass the directory holding"):
        find_sources(tmp_path / "absent")


def test_timezone_aware_timestamps_are_refused_up_front(data):
    frame = pd.DataFrame({c: [] for c in SCHEMAS["customers"].names})
    frame["signup_ts"] = pd.Series([], dtype="datetime64[ns, UTC]")
    frame.to_parquet(data / "customers.parquet")
    with pytest.raises(HistoryError, match=r"customers.signup_ts must be timezone-naive UTC\+8"):
        find_sources(data)["customers"].schema()
