"""A local[2] SparkSession, or a skip naming what is missing (pyspark, or Java)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The batch tests' book with bad rows, and its whole-book reference result.
sys.path.append(str(Path(__file__).parents[1] / "batch"))


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return 'pyspark is not installed (pip install "bnpl-risk[spark]")'
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).exists():
        return "Java is not installed (pyspark needs a JDK 17+ on PATH or in JAVA_HOME)"
    probe = subprocess.run([java, "-version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"java -version fails: {probe.stderr.strip()[:200]}"
    return None


@pytest.fixture(scope="session")
def spark():
    missing = _missing()
    if missing:
        pytest.skip(f"Spark tests need pyspark and Java: {missing}")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("bnpl-risk-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
