"""The notebooks in ``notebooks/`` are committed clean and run end to end on the sample.

Each notebook runs in a fresh ``python3`` kernel (ipykernel's own spec, found
in the environment that runs the tests) with the notebooks folder as its
working directory, as a reader opening it in Jupyter would. Any cell error
fails the test; so does text on stderr (a warning shown to a reader is a
defect too) and a file left behind next to the notebooks.
"""

import functools
import os
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = ("01_quick_start.ipynb", "02_retraining.ipynb", "03_policy_tuning.ipynb")
CELL_TIMEOUT = 600  # seconds per cell: generous for a slow, shared CI machine


def read(name: str):
    return nbformat.read(NOTEBOOK_DIR / name, as_version=nbformat.NO_CONVERT)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_the_notebooks_folder_holds_exactly_the_three_notebooks():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == list(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_valid_and_without_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    cells = code_cells(nb)
    assert cells, f"{name} has no code cell"
    dirty = [i for i, cell in enumerate(cells) if cell.outputs or cell.execution_count is not None]
    assert dirty == [], f"{name}: code cells {dirty} carry outputs; strip them before committing"
    # Every notebook explains what it does: it opens with a markdown title.
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_absolute_path_and_no_network(name):
    source = "\n".join(cell.source for cell in code_cells(read(name)))
    for needle in ("/work/", "/home/", "/root/", "C:\\", "http://", "https://", "urllib"):
        assert needle not in source, f"{name} mentions {needle!r}"


def test_python3_kernel_is_available():
    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:  # pragma: no cover - depends on the machine
        pytest.fail(
            "no 'python3' Jupyter kernel: install the test extra (ipykernel) into this "
            "environment, or run `python -m ipykernel install --user`."
        )
    assert spec.language == "python"


@functools.cache
def executed(name: str):
    """Run ``name`` once per session; return it with outputs and the folder listing before."""
    nb = read(name)
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    # LightGBM's OpenMP threads would spin on a shared machine.
    client.execute(env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    return nb, before


def streams(nb, name: str) -> list[str]:
    return [
        out.text
        for cell in code_cells(nb)
        for out in cell.outputs
        if out.output_type == "stream" and out.name == name
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_end_to_end(name):
    nb, before = executed(name)  # raises CellExecutionError, naming the cell, on any error
    stderr = streams(nb, "stderr")
    assert stderr == [], f"{name} wrote to stderr:\n" + "\n".join(stderr)
    images = [
        out for cell in code_cells(nb) for out in cell.outputs if "image/png" in out.get("data", {})
    ]
    assert images, f"{name} drew no inline plot"
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before, (
        f"{name} left files in {NOTEBOOK_DIR}; write to a tempfile directory instead"
    )
    # The file on disk is untouched: outputs stay out of the repository.
    assert all(not cell.outputs for cell in code_cells(read(name)))


@pytest.mark.slow
def test_retraining_notebook_prints_the_verdict_its_criteria_give():
    nb, _ = executed("02_retraining.ipynb")
    text = "".join(streams(nb, "stdout"))
    checks = [line for line in text.splitlines() if line.startswith(("pass  ", "FAIL  "))]
    assert len(checks) == 4
    verdict = "PROMOTE the challenger" if all(c.startswith("pass") for c in checks) else "KEEP"
    assert f"\n{verdict}" in text
