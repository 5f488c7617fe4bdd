"""score_chunk: validation in reject mode, partial histories, input row numbers."""

import numpy as np
import pandas as pd
import pytest

from bnpl_risk.batch.chunk import DECISION_COLUMNS, score_chunk
from bnpl_risk.histories import Histories, validate_applications, validate_histories


def _frames(book, offset: int = 0) -> dict[str, pd.DataFrame]:
    tables = {**book.histories.tables(), "applications": book.applications}
    return {t: f.assign(_row=np.arange(len(f)) + offset) for t, f in tables.items()}


@pytest.fixture(scope="module")
def frames(book):
    frames = _frames(book, offset=1000)
    orders = frames["orders"].copy()
    bad = orders.index[orders["payment"] == "bnpl"][0]
    orders.loc[bad, "amount"] = 0.0
    frames["orders"] = orders
    return frames


def test_an_application_on_a_partial_history_is_rejected_with_the_reason(frames, scorer):
    result = score_chunk(frames, scorer, reasons=False)
    orders = frames["orders"]
    owner = orders.loc[orders["amount"] == 0, "customer_id"].iloc[0]
    apps = frames["applications"]
    theirs = apps[apps["customer_id"] == owner]
    rejects = result.rejects[result.rejects["table"] == "applications"]
    assert rejects["check"].unique().tolist() == ["history_rejected"]
    assert rejects["row"].tolist() == theirs["_row"].tolist()
    assert rejects["key"].tolist() == theirs["application_id"].tolist()
    assert (rejects["found"] == owner).all()
    assert rejects["reason"].str.contains("customer's history has rejected rows").all()
    assert not result.decisions["application_id"].isin(theirs["application_id"]).any()
    assert len(result.decisions) == len(apps) - len(theirs)


def test_history_rejects_are_validations_with_input_row_numbers(frames, scorer):
    result = score_chunk(frames, scorer, reasons=False)
    raw = {t: f.drop(columns="_row") for t, f in frames.items()}
    checked = validate_histories(
        Histories(raw["customers"], raw["orders"], raw["installments"]), on_error="reject"
    )
    expected = checked.rejects.assign(row=checked.rejects["row"] + 1000)
    got = result.rejects[result.rejects["table"] != "applications"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    counts = result.counts
    for table in ("customers", "orders", "installments"):
        assert counts[table]["rows_rejected"] == got.loc[got["table"] == table, "row"].nunique()
        assert counts[table]["rows_in"] == len(frames[table])
    assert counts["applications"]["rows_scored"] == len(result.decisions)


def test_decisions_are_decide_on_the_valid_rows(book, scorer):
    frames = _frames(book)
    result = score_chunk(frames, scorer, reasons=False)
    expected = scorer.decide(book.histories, book.applications, reasons=False)
    assert result.decisions.columns.tolist() == DECISION_COLUMNS
    got = result.decisions.set_index("application_id")
    pd.testing.assert_frame_equal(got, expected.rename_axis("application_id"))
    assert result.rejects.empty


def test_inputs_are_not_modified(frames, scorer):
    before = {t: f.copy(deep=True) for t, f in frames.items()}
    score_chunk(frames, scorer, reasons=False)
    for table, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[table])


def test_a_chunk_without_applications(book, scorer):
    frames = _frames(book)
    frames["applications"] = frames["applications"].iloc[:0]
    result = score_chunk(frames, scorer)
    assert result.decisions.empty
    assert result.decisions.columns.tolist() == DECISION_COLUMNS
    assert result.counts["applications"] == {"rows_in": 0, "rows_scored": 0, "rows_rejected": 0}


def test_an_unknown_customer_is_a_reject_not_a_crash(book, scorer):
    frames = _frames(book)
    apps = frames["applications"].copy()
    apps.loc[apps.index[3], "customer_id"] = "ghost"
    frames["applications"] = apps
    result = score_chunk(frames, scorer, reasons=False)
    expected = validate_applications(
        apps.drop(columns="_row"),
        validate_histories(book.histories, on_error="reject"),
        on_error="reject",
    ).rejects
    pd.testing.assert_frame_equal(result.rejects, expected)
    assert result.rejects["found"].tolist() == ["ghost"]
