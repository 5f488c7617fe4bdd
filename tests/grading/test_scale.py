import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bnpl_risk.errors import ConfigError
from bnpl_risk.grading import GradeScale

pds = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_base_point_and_points_to_double_the_odds():
    scale = GradeScale()
    # 50:1 good:bad is PD 1/51; 100:1 is 1/101: twenty points more.
    assert scale.score(1 / 51)[0] == pytest.approx(600.0)
    assert scale.score(1 / 101)[0] == pytest.approx(620.0)
    assert scale.score(1 / 26)[0] == pytest.approx(580.0)


def test_scores_are_clipped():
    scale = GradeScale()
    assert scale.score([0.0, 1.0]).tolist() == [900.0, 300.0]


@given(pds, pds)
def test_higher_pd_never_scores_higher_or_grades_better(a, b):
    scale = GradeScale()
    lo, hi = min(a, b), max(a, b)
    assert scale.score(hi)[0] <= scale.score(lo)[0]
    assert scale.rank(scale.grade(hi))[0] >= scale.rank(scale.grade(lo))[0]


def test_band_edges_belong_to_the_worse_grade():
    scale = GradeScale()
    assert scale.grade([0.0, 0.0099, 0.01, 0.03, 0.07, 0.15, 1.0]).tolist() == [
        "A",
        "A",
        "B",
        "C",
        "D",
        "E",
        "E",
    ]


def test_json_round_trip_is_identity(tmp_path):
    scale = GradeScale(pdo=40.0, pd_upper=(0.02, 0.04, 0.08, 0.2), version="2")
    assert GradeScale.from_json(scale.to_json()) == scale
    scale.to_json(tmp_path / "scale.json")
    assert GradeScale.from_json(tmp_path / "scale.json") == scale


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pdo", 0.0, "GradeScale.pdo must be > 0"),
        ("base_odds", -1.0, "GradeScale.base_odds must be > 0"),
        ("pdo", float("nan"), "GradeScale.pdo must be a finite number"),
        ("min_score", 950.0, "GradeScale.min_score must be below max_score"),
        ("grades", ("A",), "GradeScale.grades must be at least two"),
        ("grades", ("A", "A", "B", "C", "D"), "GradeScale.grades must be at least two distinct"),
        ("pd_upper", (0.01, 0.03, 0.07), "GradeScale.pd_upper must be one bound per grade"),
        ("pd_upper", (0.01, 0.07, 0.03, 0.15), "GradeScale.pd_upper must be strictly increasing"),
        ("pd_upper", (0.0, 0.03, 0.07, 0.15), "GradeScale.pd_upper must be strictly increasing"),
        ("version", "", "GradeScale.version must be a non-empty string"),
    ],
)
def test_each_constraint_rejects_a_bad_value(field, value, message):
    with pytest.raises(ConfigError, match=message):
        GradeScale(**{field: value})


def test_malformed_json_names_the_field():
    with pytest.raises(ConfigError, match="GradeScale has no field 'pd_uper'"):
        GradeScale.from_dict({"pd_uper": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(ConfigError, match="not valid JSON"):
        GradeScale.from_json("{not json")


@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.5])
def test_invalid_pd_is_an_error_not_a_grade(bad):
    with pytest.raises(ConfigError, match=r"PD must be a number in \[0, 1\]"):
        GradeScale().grade([0.1, bad])


def test_table_has_a_row_per_grade_and_a_missing_row():
    table = GradeScale().table()
    assert table["grade"].tolist() == ["A", "B", "C", "D", "E", "Missing"]
    bands = table.iloc[:-1]
    assert bands["pd_from"].iloc[0] == 0.0
    assert bands["pd_to"].iloc[-1] == 1.0
    assert (bands["pd_from"].iloc[1:].to_numpy() == bands["pd_to"].iloc[:-1].to_numpy()).all()
    assert bands["score_to"].is_monotonic_decreasing
    assert table.iloc[-1].drop("grade").isna().all()
    b = bands.iloc[1]
    assert b["score_to"] == pytest.approx(600 + 20 / math.log(2) * math.log(99 / 50))
    assert isinstance(table, pd.DataFrame)


@given(st.lists(pds, min_size=0, max_size=5))
def test_score_and_grade_are_score_and_grade(values):
    scale = GradeScale()
    score, grade = scale.score_and_grade(values)
    np.testing.assert_array_equal(score, scale.score(values))
    np.testing.assert_array_equal(grade, scale.grade(values))


def test_score_and_grade_refuses_what_score_refuses():
    with pytest.raises(ConfigError, match=r"PD must be a number in \[0, 1\]; 1 of 2 are not"):
        GradeScale().score_and_grade([0.1, np.nan])
