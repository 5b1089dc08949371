"""The notebooks in notebooks/ run top to bottom (nbclient, the venv's ipykernel) on real output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _ensure_kernelspec() -> str:
    """The python3 kernelspec of this interpreter (ipykernel ships one into the venv)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
                       check=True, capture_output=True)
    return "python3"


def _execute(path: Path, out: Path, analyst: bool = False) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    old = os.environ.get("VNPLAN_OUT")
    os.environ["VNPLAN_OUT"] = str(out)  # the kernel inherits our environment
    try:
        # A loaded machine (the rest of the suite runs alongside) can deliver a cell's printed
        # output after nbclient's default 4 s wait, which then drops it without a word.
        NotebookClient(nb, timeout=120, iopub_timeout=60, raise_on_iopub_timeout=True,
                       kernel_name=_ensure_kernelspec(), resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        if old is None:
            os.environ.pop("VNPLAN_OUT", None)
        else:
            os.environ["VNPLAN_OUT"] = old
    return nb


def _texts(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o["text"])
            elif "data" in o and "text/plain" in o["data"]:
                parts.append(o["data"]["text/plain"])
    return "\n".join(parts)


def _n_images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def executed_on_samples(sample_out):
    return {p.name: _execute(p, sample_out) for p in PATHS}


def test_there_are_notebooks():
    assert {p.name for p in PATHS} >= {"cross_province_citations.ipynb", "deadline_audit.ipynb"}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.name for p in PATHS])
def test_notebook_runs_on_the_bundled_samples(executed_on_samples, name):
    nb = executed_on_samples[name]
    assert _n_images(nb) >= 1  # the heatmap / timeline was drawn
    assert "3 documents from" in _texts(nb)


@pytest.mark.slow
def test_notebooks_on_a_hand_made_run(analyst_out):
    """Exact answers on data whose answer is known."""
    cit = _execute(NOTEBOOKS / "cross_province_citations.ipynb", analyst_out)
    text = _texts(cit)
    assert "33/CT-TTg cited by 2/3 provinces: Lai Châu, Quảng Trị" in text
    assert "33/CT-TTg not cited by: Lâm Đồng" in text
    assert "cite only their own instruments: Lâm Đồng" in text
    assert _n_images(cit) == 2
    dl = _execute(NOTEBOOKS / "deadline_audit.ipynb", analyst_out)
    text = _texts(dl)
    assert "6 deadlines, 4 with a date" in text
    assert "1 findings" in text
    assert _n_images(dl) == 1


@pytest.mark.slow
def test_citation_notebook_answers_the_question_on_the_samples(executed_on_samples):
    """Acceptance: all three bundled plans cite Chỉ thị 33/CT-TTg."""
    text = _texts(executed_on_samples["cross_province_citations.ipynb"])
    assert "33/CT-TTg cited by 3/3 provinces" in text
