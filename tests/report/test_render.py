"""The rendered report: sections, inline images, no network, numbers, missing parts."""

import base64
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from report_testkit import report_data

from bnpl_risk.errors import ConfigError
from bnpl_risk.report import ReportData, render_report

SECTIONS = [
    "summary",
    "roc-ks",
    "calibration",
    "score-distribution",
    "grades",
    "stability",
    "importance",
    "vintage",
    "backtest",
    "frontier",
    "policy",
]
# Plots per section with every optional part given.
IMAGES = {
    "summary": 0,
    "roc-ks": 2,
    "calibration": 1,
    "score-distribution": 1,
    "grades": 1,
    "stability": 1,
    "importance": 1,
    "vintage": 1,
    "backtest": 2,
    "frontier": 1,
    "policy": 0,
}
OPTIONAL = (
    "reference_score",
    "reference_features",
    "current_features",
    "importance",
    "top_reasons",
    "vintage",
    "backtest",
    "frontier",
    "policy_table",
)


def bare_with(seed: int, n: int = 400, **parts) -> ReportData:
    """Report data with no optional part but ``parts``."""
    return report_data(n=n, seed=seed, **{**dict.fromkeys(OPTIONAL), **parts})


def sections(html: str) -> dict[str, str]:
    found = re.findall(r'<section id="([^"]+)"[^>]*>(.*?)</section>', html, flags=re.DOTALL)
    return dict(found)


@pytest.fixture(scope="module")
def full():
    return report_data(n=600, seed=1)


@pytest.fixture(scope="module")
def full_before(full):
    """Deep copies of every input, taken before the full report is rendered."""
    return {
        name: getattr(full, name).copy(deep=True)
        for name in ("y", "pd_", "score", "grade", *OPTIONAL)
    }


@pytest.fixture(scope="module")
def full_html(full, full_before, tmp_path_factory):
    path = render_report(full, tmp_path_factory.mktemp("report") / "report.html", dpi=30)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bare():
    return bare_with(seed=1, n=600)


@pytest.fixture(scope="module")
def bare_html(bare, tmp_path_factory):
    path = render_report(bare, tmp_path_factory.mktemp("bare") / "report.html", dpi=30)
    return path.read_text(encoding="utf-8")


def test_writes_the_file_and_returns_its_path(bare, tmp_path):
    out = render_report(bare, str(tmp_path / "r.html"), dpi=20)
    assert out == tmp_path / "r.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_every_section_is_present_once_in_order(full_html):
    ids = re.findall(r'<section id="([^"]+)"', full_html)
    assert ids == SECTIONS


def test_one_inline_png_per_plot_in_each_section(full_html):
    found = {sid: body.count("<img") for sid, body in sections(full_html).items()}
    assert found == IMAGES
    assert full_html.count("<img") == sum(IMAGES.values())
    sources = re.findall(r'<img src="([^"]+)"', full_html)
    assert len(sources) == sum(IMAGES.values())
    for src in sources:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")


def test_nothing_is_fetched_from_anywhere(full_html, bare_html):
    for html in (full_html, bare_html):
        assert "http://" not in html
        assert "https://" not in html
        assert "url(" not in html
        assert "@import" not in html
        assert re.findall(r'\bsrc="(?!data:)', html) == []
        # Links only jump within the page.
        assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))


def test_headline_numbers_appear_in_the_summary(full, full_html):
    summary = sections(full_html)["summary"]
    s = full.summary
    for text in (
        f"{s['auc']:.3f}",
        f"{s['gini']:.3f}",
        f"{s['ks']:.3f}",
        f"{s['brier']:.4f}",
        f"{s['ece']:.2%}",
        f"{s['bad_rate']:.2%}",
        f"{s['n']:,}",
        f"{s['immature']:,}",
    ):
        assert text in summary, text


def test_summary_is_computed_from_labels_when_not_given(full):
    from bnpl_risk.evaluation import summary

    assert full.summary == summary(full.y, full.pd_, full.score)


def test_provenance_and_title_are_shown(full, full_html):
    assert f"<h1>{full.title}</h1>" in full_html
    for key, value in full.meta.items():
        assert f"<dt>{key}</dt><dd>{value}</dd>" in full_html


def test_missing_optional_parts_say_not_available_and_draw_nothing(bare_html):
    found = sections(bare_html)
    assert list(found) == SECTIONS
    notes = {sid: body.count("not available") for sid, body in found.items()}
    assert notes == {
        "summary": 0,
        "roc-ks": 0,
        "calibration": 0,
        "score-distribution": 0,
        "grades": 0,
        "stability": 2,  # score PSI and CSI
        "importance": 2,  # importance and top reasons
        "vintage": 1,
        "backtest": 1,
        "frontier": 1,
        "policy": 1,
    }
    assert bare_html.count("<img") == 5
    assert "ReportData.vintage" in found["vintage"]


def test_inputs_are_not_modified(full, full_before, full_html):
    for name, copy in full_before.items():
        if isinstance(copy, pd.DataFrame):
            pd.testing.assert_frame_equal(getattr(full, name), copy)
        else:
            pd.testing.assert_series_equal(getattr(full, name), copy)


def test_matplotlib_settings_of_the_caller_are_left_alone(bare, tmp_path):
    before = dict(matplotlib.rcParams)
    render_report(bare, tmp_path / "r.html", dpi=20)
    assert dict(matplotlib.rcParams) == before


def test_text_is_escaped_and_chinese_kept(tmp_path):
    reasons = pd.DataFrame(
        {
            "reason_code": ["X<1>", "H_KYC"],
            "text_en": ["<script>alert(1)</script>", "Real-name verification"],
            "text_zh": ["测试", "尚未完成实名认证"],
            "count": [3, 5],
        }
    )
    data = bare_with(seed=3, title="Q2 <draft> & co", top_reasons=reasons)
    html = render_report(data, tmp_path / "r.html", dpi=20).read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Q2 &lt;draft&gt; &amp; co" in html
    assert "尚未完成实名认证" in html
    # Most frequent first.
    importance = sections(html)["importance"]
    assert importance.index("H_KYC") < importance.index("X&lt;1&gt;")


def test_grade_reversal_is_flagged(bare, tmp_path):
    # Swapping A and B puts the riskier applications in the better grade.
    swapped = bare.grade.replace({"A": "B", "B": "A"})
    data = bare_with(seed=1, n=600, grade=swapped)
    html = render_report(data, tmp_path / "r.html", dpi=20).read_text(encoding="utf-8")
    grades = sections(html)["grades"]
    assert "NOT monotone" in grades
    assert "Monotone: no." in grades
    assert '<td class="flag">yes</td>' in grades


def test_csi_is_coloured_by_status_and_long_tables_fold(tmp_path):
    rng = np.random.default_rng(4)
    ref = pd.DataFrame(rng.normal(size=(300, 20)), columns=[f"f{i:02d}" for i in range(20)])
    cur = ref + np.linspace(0, 2, 20)  # f00 unchanged ... f19 shifted two sd
    data = bare_with(seed=4, reference_features=ref, current_features=cur)
    html = render_report(data, tmp_path / "r.html", dpi=20).read_text(encoding="utf-8")
    stability = sections(html)["stability"]
    assert '<td class="act">act</td>' in stability
    assert '<td class="stable">stable</td>' in stability
    assert "<details><summary>The other 5 features</summary>" in stability
    # Least stable first: the most shifted feature leads the table.
    assert stability.index("f19") < stability.index("f00")


def test_top_reasons_table_is_cut_to_the_most_frequent(tmp_path):
    reasons = pd.DataFrame(
        {
            "reason_code": [f"R{i:02d}" for i in range(20)],
            "text_en": "text",
            "text_zh": "文本",
            "count": np.arange(20),
        }
    )
    data = bare_with(seed=5, top_reasons=reasons)
    html = render_report(data, tmp_path / "r.html", dpi=20).read_text(encoding="utf-8")
    importance = sections(html)["importance"]
    assert "the 12 most frequent of 20" in importance
    assert ("R19" in importance, "R08" in importance, "R07" in importance) == (True, True, False)


def test_missing_directory_is_a_clear_error(bare, tmp_path):
    with pytest.raises(ConfigError, match="does not exist; create it first"):
        render_report(bare, tmp_path / "nowhere" / "r.html")


@pytest.mark.parametrize("dpi", [0, 1.5, True])
def test_dpi_must_be_a_positive_whole_number(bare, tmp_path, dpi):
    with pytest.raises(ConfigError, match="dpi must be a positive whole number"):
        render_report(bare, tmp_path / "r.html", dpi=dpi)


def test_one_class_only_fails_before_drawing(tmp_path):
    idx = pd.Index(["a1", "a2"], name="application_id")
    with pytest.raises(ConfigError, match="needs both bad"):
        ReportData(
            "t",
            pd.Series([0, 0], index=idx, dtype="Int64"),
            pd.Series([0.1, 0.2], index=idx),
            pd.Series([600.0, 620.0], index=idx),
            pd.Series(["A", "B"], index=idx),
            ("A", "B"),
        )
