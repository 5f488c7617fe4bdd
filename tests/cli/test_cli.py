import json

import pandas as pd
import pytest

from bnpl_risk.cli import main
from bnpl_risk.datasets import SAMPLE_DIR, make_bnpl_histories
from bnpl_risk.histories import read_histories, validate_directory


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "book"
    assert main(["generate", "--customers", "500", "--seed", "5", "--out", str(path)]) == 0
    return path


def test_committed_sample_is_what_generate_writes_and_is_valid():
    histories, applications = read_histories(SAMPLE_DIR)
    book = make_bnpl_histories(5000, seed=42)
    for name, frame in book.histories.tables().items():
        pd.testing.assert_frame_equal(
            getattr(histories, name).reset_index(drop=True),
            frame.reset_index(drop=True),
            check_dtype=False,
        )
    pd.testing.assert_frame_equal(
        applications.reset_index(drop=True),
        book.applications.reset_index(drop=True),
        check_dtype=False,
    )
    summary, rejects = validate_directory(SAMPLE_DIR)
    assert len(rejects) == 0
    assert (summary["rows_in"] == summary["rows_kept"]).all()


def test_validate_exit_codes_and_rejects(book_dir, tmp_path, capsys):
    assert main(["validate", str(book_dir)]) == 0
    assert "no rejects" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    for file in book_dir.iterdir():
        frame = pd.read_parquet(file)
        if file.stem == "orders":
            frame.loc[0, "amount"] = -5.0
        frame.to_parquet(bad / file.name)
    rejects_file = tmp_path / "rejects.csv"
    assert main(["validate", str(bad), "--rejects", str(rejects_file)]) == 1
    out = capsys.readouterr().out
    assert "orders" in out
    rejects = pd.read_csv(rejects_file)
    assert rejects.loc[0, "table"] == "orders"
    assert rejects.loc[0, "column"] == "amount"


def test_missing_directory_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "HistoryError" in capsys.readouterr().err


@pytest.mark.slow
def test_train_report_and_simulate(book_dir, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["train", "--data", str(book_dir), "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "AUC" in out
    assert "grade table" in out
    manifest = json.loads((model / "manifest.json").read_text())
    assert 0.5 < manifest["metrics"]["auc"] <= 1.0
    report = tmp_path / "r.html"
    assert (
        main(["report", "--model", str(model), "--data", str(book_dir), "--out", str(report)]) == 0
    )
    assert 'id="backtest"' in report.read_text()
    policy = tmp_path / "policy.json"
    from bnpl_risk.policy import Policy

    Policy(version="tight", grade_limit={**Policy().grade_limit, "D": 0.0}).to_json(policy)
    result = tmp_path / "bt.json"
    args = ["simulate", "--model", str(model), "--data", str(book_dir), "--policy", str(policy)]
    assert main([*args, "--out", str(result)]) == 0
    table = json.loads(result.read_text())
    assert table["D"]["approved"] == 0
    assert table["Total"]["applications"] > 0
    stability = tmp_path / "stability.csv"
    args = ["monitor", "--model", str(model), "--data", str(book_dir), "--out", str(stability)]
    assert main([*args, "--reference", str(book_dir), "--fail-on-act"]) == 0
    same = pd.read_csv(stability)
    assert same.loc[0, "feature"] == "score"
    assert (same["psi"] == 0).all()
    assert main(args) == 0
    split = pd.read_csv(stability)
    assert len(split) == len(same)
    assert set(split["status"]) <= {"stable", "watch", "act"}


@pytest.mark.slow
def test_demo_runs_end_to_end(book_dir, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--data", str(book_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "summary: AUC" in printed
    for name in ("decisions.parquet", "report.html", "rejects.csv", "model/manifest.json"):
        assert (out / name).exists(), name
