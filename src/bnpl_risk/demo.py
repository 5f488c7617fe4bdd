"""``bnpl-risk demo``: the whole path on the committed sample, with progress output.

validate -> build features and train (out of time) -> evaluate -> decide ->
backtest -> report; writes the decisions, the report and the model artifact
to one folder and prints where they are with a short summary.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from bnpl_risk.histories import read_histories, validate_applications, validate_histories
from bnpl_risk.io import save_scorer
from bnpl_risk.policy import backtest
from bnpl_risk.report import render_report
from bnpl_risk.report.assemble import report_data
from bnpl_risk.training import train_and_evaluate

__all__ = ["run_demo"]


class _Steps:
    """Prints each step as it starts and how long it took."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.perf_counter()

    def __call__(self, text: str) -> None:
        self.done += 1
        print(
            f"[{self.done}/{self.total}] {text} (t={time.perf_counter() - self.start:.1f}s)",
            flush=True,
        )


def run_demo(data: Path, out: Path) -> int:
    """Run the demo on the histories directory ``data``; write results under ``out``."""
    step = _Steps(7)
    step(f"reading {data}")
    raw, applications = read_histories(data, coerce=False)
    step("validating the tables against the data contract")
    checked = validate_histories(raw, on_error="reject")
    apps = validate_applications(applications, checked, on_error="reject")
    rejects = pd.concat([checked.rejects, apps.rejects])
    print(pd.concat([checked.summary(), apps.summary()]).to_string())
    step("building point-in-time features and training the model (earlier applications)")
    result = train_and_evaluate(checked.histories, apps.applications)
    m = result.metrics
    print(
        f"    held-out: AUC {m['auc']:.3f}  KS {m['ks']:.3f}  Brier {m['brier']:.4f}  "
        f"ECE {m['ece']:.4f}  ({m['n']:,} mature, {m['immature']:,} immature)"
    )
    step("deciding the held-out applications")
    out.mkdir(parents=True, exist_ok=True)
    decisions = result.scored_test
    decisions.assign(
        products=decisions["products"].map(list),
        reason_codes=decisions["reason_codes"].map(list),
        reasons_en=decisions["reasons_en"].map(list),
        reasons_zh=decisions["reasons_zh"].map(list),
    ).to_parquet(out / "decisions.parquet")
    rejects.to_csv(out / "rejects.csv", index=False)
    step("backtesting the default policy")
    scorer = result.scorer
    assessed = scorer.assess(checked.histories, result.test)
    bt = backtest(scorer.policy_, assessed, result.labels.reindex(assessed.index))
    print(
        bt[
            [
                "applications",
                "approval_rate",
                "bad_rate_approved",
                "exposure",
                "revenue",
                "funding_cost",
                "realised_loss",
                "profit",
            ]
        ]
        .round(3)
        .to_string()
    )
    step("writing the model report")
    report = render_report(
        report_data(
            scorer,
            checked.histories,
            result.test,
            result.labels,
            reference=result.train,
            title="bnpl_risk demo: held-out applications",
            meta={"data": str(data), "training fingerprint": result.training["fingerprint"][:16]},
        ),
        out / "report.html",
    )
    step("saving the model artifact")
    model_dir = save_scorer(scorer, out / "model", metrics=m, training=result.training)
    total = bt.loc["Total"]
    print(
        f"\ndone in {time.perf_counter() - step.start:.0f}s\n"
        f"  decisions: {out / 'decisions.parquet'} ({len(decisions):,} applications)\n"
        f"  report:    {report}\n"
        f"  model:     {model_dir}\n"
        f"  rejects:   {out / 'rejects.csv'} ({len(rejects)} rows)\n"
        f"summary: AUC {m['auc']:.3f}, KS {m['ks']:.3f}, approval rate "
        f"{total['approval_rate']:.1%}, bad rate approved {total['bad_rate_approved']:.2%}, "
        f"profit {total['profit']:,.0f} CNY"
    )
    return 0
