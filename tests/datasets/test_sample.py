"""load_sample reads a histories directory: by default the repository's data/sample/."""

from pathlib import Path

import pandas as pd
import pytest

import bnpl_risk
from bnpl_risk import HistoryError
from bnpl_risk.datasets import SAMPLE_DIR, load_sample, make_bnpl_histories
from bnpl_risk.histories import write_histories

REPO_SAMPLE = Path(bnpl_risk.__file__).resolve().parents[2] / "data" / "sample"


def test_reads_back_what_was_written(tmp_path):
    book = make_bnpl_histories(200, seed=4)
    write_histories(book.histories, tmp_path, book.applications, format="parquet")
    histories, applications = load_sample(tmp_path)
    for name, frame in book.histories.tables().items():
        pd.testing.assert_frame_equal(histories.tables()[name], frame, obj=name)
    pd.testing.assert_frame_equal(applications, book.applications)


def test_a_missing_directory_says_where_the_sample_comes_from(tmp_path):
    with pytest.raises(HistoryError, match=r"no directory .*nowhere.*bnpl-risk generate"):
        load_sample(tmp_path / "nowhere")


def test_the_default_is_the_repository_sample_directory():
    assert SAMPLE_DIR == REPO_SAMPLE


@pytest.mark.skipif(
    not any(REPO_SAMPLE.glob("customers.*")), reason="data/sample/ is not generated yet"
)
def test_the_committed_sample_is_what_the_generator_makes():
    histories, applications = load_sample()
    book = make_bnpl_histories(5000, seed=42)
    for name, frame in book.histories.tables().items():
        pd.testing.assert_frame_equal(
            histories.tables()[name], frame, obj=f"{name} (regenerate data/sample/?)"
        )
    pd.testing.assert_frame_equal(applications, book.applications)
