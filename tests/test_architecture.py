"""The package's shape: imports flow one way, the public API is pinned."""

import ast
from pathlib import Path

import bnpl_risk

SRC = Path(bnpl_risk.__file__).parent

# Earlier layers never import later ones (DESIGN.md "Data flow").
LAYERS = [
    "_version",
    "errors",
    "config",
    "histories",
    "labels",
    "datasets",
    "features",
    "model",
    "grading",
    "policy",
    "scorer",
    "evaluation",
    "monitoring",
    "io",
    "training",
    "report",
    "batch",
    "spark",
    "demo",
    "cli",
    "__init__",
]


def _layer(module_path: Path) -> str:
    return module_path.relative_to(SRC).parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "bnpl_risk" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_every_module_belongs_to_a_known_layer():
    unknown = {_layer(p) for p in SRC.rglob("*.py")} - set(LAYERS)
    assert not unknown, f"add {sorted(unknown)} to LAYERS in their place along the flow"


def test_imports_never_point_upstream():
    upward = []
    for path in SRC.rglob("*.py"):
        own = LAYERS.index(_layer(path))
        for target in _imported_layers(path):
            if LAYERS.index(target) > own:
                upward.append(f"{path.relative_to(SRC)} imports bnpl_risk.{target}")
    assert not upward, "upward imports: " + "; ".join(sorted(upward))


def test_public_api_is_pinned_and_sorted():
    assert bnpl_risk.__all__ == sorted(bnpl_risk.__all__)
    assert set(bnpl_risk.__all__) == {
        "ArtifactError",
        "BnplRiskError",
        "ConfigError",
        "CreditModel",
        "Decision",
        "Economics",
        "FeatureBuilder",
        "GradeScale",
        "Histories",
        "HistoryError",
        "Policy",
        "ReportData",
        "ResumeError",
        "RiskScorer",
        "ValidationResult",
        "__version__",
        "authorize",
        "backtest",
        "calibration_table",
        "compare",
        "csi",
        "frontier",
        "gains_table",
        "grade_table",
        "load_sample",
        "load_scorer",
        "make_bnpl_histories",
        "make_labels",
        "psi",
        "read_histories",
        "read_rejects",
        "read_scores",
        "render_report",
        "roll_rates",
        "save_scorer",
        "score_book",
        "train_and_evaluate",
        "validate_applications",
        "validate_histories",
        "vintage_curves",
        "write_histories",
    }
    for name in bnpl_risk.__all__:
        assert hasattr(bnpl_risk, name), name
