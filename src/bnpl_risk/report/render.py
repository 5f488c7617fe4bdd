"""Render a :class:`ReportData` into one self-contained HTML file."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jinja2

from bnpl_risk.errors import ConfigError
from bnpl_risk.report._sections import build_sections
from bnpl_risk.report.data import ReportData

__all__ = ["render_report"]


def render_report(data: ReportData, path, *, dpi: int = 110) -> Path:
    """Write the model report as one HTML file with every image inline.

    Sections, each with a stable HTML id: ``summary``, ``roc-ks``,
    ``calibration``, ``score-distribution``, ``grades``, ``stability``,
    ``importance``, ``vintage``, ``backtest``, ``frontier``, ``policy``.
    Plots are PNGs embedded as ``data:`` URIs and the CSS is inline, so the
    file opens anywhere, offline, and can be mailed as is; it references
    no URL. Optional parts of ``data`` left as None show a "not available"
    note saying what to pass.

    Parameters
    ----------
    data : ReportData
    path : str or Path
        Where to write; the parent directory must exist. An existing file
        is replaced.
    dpi : int, default 110
        Resolution of the plots (lower is smaller and faster).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        If the parent directory of ``path`` does not exist or ``dpi`` is not
        a positive whole number; as the metrics if ``data`` has no bad or
        no good mature application.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.Index([f"a{i}" for i in range(200)], name="application_id")
    >>> pd_ = pd.Series(rng.uniform(0.001, 0.3, 200), index=idx)
    >>> y = pd.Series((rng.uniform(size=200) < pd_).astype(int), index=idx, dtype="Int64")
    >>> data = ReportData("Example", y, pd_, 600 - 30 * np.log(pd_ / (1 - pd_)),
    ...     pd.Series(np.where(pd_ < 0.1, "A", "B"), index=idx), grades=("A", "B"))
    >>> out = render_report(data, Path(tempfile.mkdtemp()) / "report.html", dpi=40)
    >>> html = out.read_text(encoding="utf-8")
    >>> 'id="roc-ks"' in html, html.count("<img"), "http" in html
    (True, 5, False)
    """
    out = Path(path)
    if not out.parent.is_dir():
        raise ConfigError(
            f"render_report: the directory {str(out.parent)!r} does not exist; create it "
            "first or pass a path in an existing directory."
        )
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi < 1:
        raise ConfigError(f"render_report: dpi must be a positive whole number; found {dpi!r}.")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        files("bnpl_risk.report").joinpath("template.html.j2").read_text(encoding="utf-8")
    )
    html = template.render(
        title=data.title,
        meta=[(str(k), str(v)) for k, v in data.meta.items()],
        sections=build_sections(data, dpi),
    )
    out.write_text(html, encoding="utf-8")
    return out
