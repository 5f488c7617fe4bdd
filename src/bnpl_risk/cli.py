"""The ``bnpl-risk`` command line: generate, validate, train, report, simulate, monitor,
score, demo."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from bnpl_risk.errors import BnplRiskError, HistoryError

__all__ = ["main"]

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    print(f"\n{title}")
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.max_rows", 60):
        print(frame.to_string())


def _generate(args: argparse.Namespace) -> int:
    from bnpl_risk.datasets import make_bnpl_histories
    from bnpl_risk.histories import write_histories

    start = time.perf_counter()
    book = make_bnpl_histories(args.customers, seed=args.seed, start=args.start, months=args.months)
    write_histories(book.histories, args.out, book.applications, format=args.format)
    counts = {name: len(t) for name, t in book.histories.tables().items()}
    counts["applications"] = len(book.applications)
    print(
        f"wrote {args.out} in {time.perf_counter() - start:.1f}s: "
        + ", ".join(f"{n:,} {name}" for name, n in counts.items())
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from bnpl_risk.histories import validate_directory

    summary, rejects = validate_directory(args.path)
    _print_frame(summary, f"validation of {args.path}")
    if len(rejects):
        _print_frame(
            rejects.head(args.show),
            f"rejects ({len(rejects):,} failures; first {min(args.show, len(rejects))})",
        )
        if args.rejects:
            rejects.to_csv(args.rejects, index=False)
            print(f"\nall rejects written to {args.rejects}")
        return 1
    print("\nno rejects")
    return 0


def _train(args: argparse.Namespace) -> int:
    from bnpl_risk.io import save_scorer
    from bnpl_risk.training import train_and_evaluate

    histories, applications = _read_with_applications(args.data)
    result = train_and_evaluate(
        histories,
        applications,
        horizon_days=args.horizon_days,
        dpd_threshold=args.dpd,
        random_state=args.seed,
    )
    m = result.metrics
    print(
        f"trained on {len(result.train):,} applications before {result.training['as_of_until']}"
        f" ({result.scorer.n_immature_:,} immature left out)"
    )
    print(
        f"held-out ({m['n']:,} mature applications, {m['immature']:,} immature): "
        f"AUC {m['auc']:.4f}  Gini {m['gini']:.4f}  KS {m['ks']:.4f} at score {m['ks_at']:.0f}"
        f"  Brier {m['brier']:.4f}  ECE {m['ece']:.4f}"
    )
    _print_frame(result.grades, "grade table (held-out)")
    path = save_scorer(result.scorer, args.out, metrics=m, training=result.training)
    print(f"\nsaved the scorer to {path}")
    return 0


def _read_with_applications(path):
    from bnpl_risk.histories import read_histories

    histories, applications = read_histories(path)
    if applications is None:
        raise HistoryError(
            f"{path} has no applications table; add applications.csv or .parquet "
            "(application_id, customer_id, as_of, requested_amount, channel)."
        )
    return histories, applications


def _labelled(model, data):
    """A saved scorer, a data directory, and labels under the scorer's own definition."""
    from bnpl_risk.io import load_scorer
    from bnpl_risk.labels import make_labels

    scorer = load_scorer(model)
    histories, applications = _read_with_applications(data)
    labels = make_labels(
        histories,
        applications,
        horizon_days=scorer.horizon_days,
        dpd_threshold=scorer.dpd_threshold,
    )
    return scorer, histories, applications, labels


def _report(args: argparse.Namespace) -> int:
    from bnpl_risk.report import render_report
    from bnpl_risk.report.assemble import report_data

    scorer, histories, applications, labels = _labelled(args.model, args.data)
    data = report_data(
        scorer,
        histories,
        applications,
        labels,
        title=f"Model report: {args.data}",
        meta={"model": str(args.model), "data": str(args.data)},
    )
    print(f"wrote {render_report(data, args.out)}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from bnpl_risk.policy import Policy, backtest

    policy = Policy.from_json(args.policy) if args.policy else None
    scorer, histories, applications, labels = _labelled(args.model, args.data)
    policy = policy or scorer.policy_
    table = backtest(policy, scorer.assess(histories, applications), labels)
    _print_frame(
        table.round(4),
        f"backtest of policy {policy.version} "
        f"({table.attrs['immature']:,} immature applications left out)",
    )
    out = Path(args.out)
    out.write_text(table.to_json(orient="index", indent=2), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from bnpl_risk.io import load_scorer
    from bnpl_risk.monitoring import csi, psi, stability_status

    scorer = load_scorer(args.model)
    histories, applications = _read_with_applications(args.data)
    if args.reference:
        ref_histories, reference = _read_with_applications(args.reference)
    else:
        # Without a reference sample: the latest month against everything before it.
        month = pd.to_datetime(applications["as_of"]).dt.to_period("M")
        latest = month == month.max()
        ref_histories, reference, applications = (
            histories,
            applications[~latest],
            applications[latest],
        )
        print(f"reference: applications before {month.max()}; current: {month.max()}")
    ref = scorer.assess(ref_histories, reference)
    cur = scorer.assess(histories, applications)
    score_psi = psi(ref["score"], cur["score"])
    table = csi(ref, cur, features=list(scorer.features_.get_feature_names_out()))
    table = pd.concat(
        [
            pd.DataFrame(
                [
                    {
                        "feature": "score",
                        "kind": "numeric",
                        "psi": score_psi,
                        "status": stability_status(score_psi),
                    }
                ]
            ),
            table.sort_values("psi", ascending=False),
        ],
        ignore_index=True,
    )
    counts = table["status"].value_counts().to_dict()
    _print_frame(
        table.head(args.show),
        f"PSI of the score and CSI of features ({len(reference):,} "
        f"reference vs {len(applications):,} current applications; statuses {counts})",
    )
    table.to_csv(args.out, index=False)
    print(f"\nwrote {args.out}")
    return 1 if (table["status"] == "act").any() and args.fail_on_act else 0


def _score(args: argparse.Namespace) -> int:
    from bnpl_risk.batch import DEFAULT_CHUNK_CUSTOMERS, score_book

    result = score_book(
        args.model,
        args.data,
        args.out,
        applications=args.applications,
        rejects=args.rejects,
        chunk_customers=args.chunk_customers or DEFAULT_CHUNK_CUSTOMERS,
        jobs=args.jobs,
        reasons=not args.no_reasons,
        overwrite=args.overwrite,
    )
    print(result.report())
    if args.rejects:
        print(f"rejects written to {args.rejects}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bnpl_risk.demo import run_demo

    return run_demo(data=Path(args.data), out=Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``bnpl-risk``."""
    parser = argparse.ArgumentParser(
        prog="bnpl-risk",
        description="Credit risk for buy-now-pay-later on short-video and live-stream shopping.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write a synthetic BNPL book to a directory")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", default="2024-01-01")
    p.add_argument("--months", type=int, default=18)
    p.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    p.add_argument("--out", required=True)
    p.set_defaults(run=_generate)

    p = sub.add_parser("validate", help="check a histories directory against the data contract")
    p.add_argument("path")
    p.add_argument("--show", type=int, default=20, help="rejects to print")
    p.add_argument("--rejects", help="write every reject to this CSV file")
    p.set_defaults(run=_validate)

    p = sub.add_parser("train", help="train, evaluate out of time and save a scorer")
    p.add_argument("--data", required=True, help="histories directory with applications")
    p.add_argument("--out", required=True, help="directory to save the scorer to")
    p.add_argument("--horizon-days", type=int, default=180)
    p.add_argument("--dpd", type=int, default=30, help="days past due that make a bad")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_train)

    p = sub.add_parser("report", help="write the self-contained HTML model report")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="report.html")
    p.set_defaults(run=_report)

    p = sub.add_parser("simulate", help="backtest a policy on scored, labelled applications")
    p.add_argument("--model", required=True)
    p.add_argument("--policy", help="policy JSON; the scorer's own policy when omitted")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="backtest.json")
    p.set_defaults(run=_simulate)

    p = sub.add_parser("monitor", help="PSI of the score and CSI of every feature")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="current sample (histories with applications)")
    p.add_argument("--reference", help="reference sample; default: months before the latest")
    p.add_argument("--out", default="stability.csv")
    p.add_argument("--show", type=int, default=25, help="rows to print")
    p.add_argument("--fail-on-act", action="store_true", help="exit 1 when anything is 'act'")
    p.set_defaults(run=_monitor)

    p = sub.add_parser("score", help="score and decide a whole book, chunk by chunk, resumably")
    p.add_argument("--model", required=True, help="saved scorer directory")
    p.add_argument("--data", required=True, help="histories directory (files or part directories)")
    p.add_argument("--applications", help="applications file or directory; default: in --data")
    p.add_argument("--out", required=True, help="output directory (resumed if interrupted)")
    p.add_argument("--rejects", help="also write every reject to this file (.csv or .parquet)")
    p.add_argument(
        "--chunk-customers",
        type=int,
        help="customers per chunk, which bounds memory (default 10,000)",
    )
    p.add_argument("--jobs", type=int, default=1, help="processes scoring chunks at once")
    p.add_argument(
        "--no-reasons", action="store_true", help="skip the model's reasons (much faster)"
    )
    p.add_argument("--overwrite", action="store_true", help="discard a previous run in --out")
    p.set_defaults(run=_score)

    p = sub.add_parser("demo", help="run the whole path on the built-in sample data")
    p.add_argument("--data", default=str(SAMPLE_DIR))
    p.add_argument("--out", default="demo-out")
    p.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``bnpl-risk``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BnplRiskError as exc:
        print(f"bnpl-risk {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
