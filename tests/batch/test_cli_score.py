"""``bnpl-risk score``: the summary printed, refusals as exit code 2 with the reason."""

from batch_testkit import CHUNK, assert_same, results

from bnpl_risk.cli import main


def test_score_prints_the_summary_and_writes_the_rejects(
    model_dir, data_dir, expected, tmp_path, capsys
):
    out, rejects = tmp_path / "out", tmp_path / "rejects.csv"
    argv = ["score", "--model", str(model_dir), "--data", str(data_dir), "--out", str(out)]
    argv += ["--jobs", "1", "--no-reasons", "--chunk-customers"]
    assert main([*argv, str(CHUNK), "--rejects", str(rejects)]) == 0
    printed = capsys.readouterr().out
    assert "6 chunks, 0 of them finished earlier and skipped" in printed
    assert "every table: rows in = rows scored + rows rejected" in printed
    assert f"rejects written to {rejects}" in printed
    assert rejects.read_text().startswith("table,row,key,column,check,expected,found,reason")
    assert_same(results(out), expected)

    assert main([*argv, "50"]) == 2
    err = capsys.readouterr().err
    assert "bnpl-risk score: ResumeError:" in err
    assert "chunk_customers differs (40 then, 50 now)" in err
